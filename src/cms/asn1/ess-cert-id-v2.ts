/** ESS ESSCertIDv2 (RFC 5035 §4): a hash of the signer's certificate plus issuer and serial. */
import { AsnProp, AsnPropTypes } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { IssuerSerial } from './issuer-serial.js';

/**
 * ```asn1
 * ESSCertIDv2 ::= SEQUENCE {
 *   hashAlgorithm AlgorithmIdentifier DEFAULT {algorithm id-sha256},
 *   certHash      Hash,
 *   issuerSerial  IssuerSerial OPTIONAL }
 * Hash ::= OCTET STRING
 * ```
 * `hashAlgorithm` is undefined when absent (DER omits the SHA-256 default, X.690 §11.5).
 */
export class EssCertIdV2 {
  @AsnProp({ type: AlgorithmIdentifier, optional: true })
  public hashAlgorithm?: AlgorithmIdentifier;

  @AsnProp({ type: AsnPropTypes.OctetString })
  public certHash = new ArrayBuffer(0);

  @AsnProp({ type: IssuerSerial, optional: true })
  public issuerSerial?: IssuerSerial;

  public constructor(params: Partial<EssCertIdV2> = {}) {
    Object.assign(this, params);
  }
}
