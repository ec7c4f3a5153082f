/** PBKDF2-params (RFC 8018 §5.2, App. A.2), for encrypted PKCS#8 and PKCS#12 containers. */
import { AsnProp, AsnPropTypes } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';

/**
 * ```asn1
 * PBKDF2-params ::= SEQUENCE {
 *   salt CHOICE {
 *     specified OCTET STRING,
 *     otherSource AlgorithmIdentifier {{PBKDF2-SaltSources}} },
 *   iterationCount INTEGER (1..MAX),
 *   keyLength INTEGER (1..MAX) OPTIONAL,
 *   prf AlgorithmIdentifier {{PBKDF2-PRFs}} DEFAULT algid-hmacWithSHA1 }
 * ```
 * Only the `specified` salt is declared (RFC 8018 reserves otherSource for future use).
 */
export class Pbkdf2Params {
  @AsnProp({ type: AsnPropTypes.OctetString })
  public salt = new ArrayBuffer(0);

  @AsnProp({ type: AsnPropTypes.Integer })
  public iterationCount = 0;

  @AsnProp({ type: AsnPropTypes.Integer, optional: true })
  public keyLength?: number;

  @AsnProp({ type: AlgorithmIdentifier, optional: true })
  public prf?: AlgorithmIdentifier;

  public constructor(params: Partial<Pbkdf2Params> = {}) {
    Object.assign(this, params);
  }
}
