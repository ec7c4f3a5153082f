/** PBES2-params (RFC 8018 §6.2, App. A.4): key derivation plus encryption scheme. */
import { AsnProp } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';

/**
 * ```asn1
 * PBES2-params ::= SEQUENCE {
 *   keyDerivationFunc AlgorithmIdentifier {{PBES2-KDFs}},
 *   encryptionScheme  AlgorithmIdentifier {{PBES2-Encs}} }
 * ```
 */
export class Pbes2Params {
  @AsnProp({ type: AlgorithmIdentifier })
  public keyDerivationFunc = new AlgorithmIdentifier();

  @AsnProp({ type: AlgorithmIdentifier })
  public encryptionScheme = new AlgorithmIdentifier();

  public constructor(params: Partial<Pbes2Params> = {}) {
    Object.assign(this, params);
  }
}
