/** ESS SigningCertificateV2 attribute value (RFC 5035 §3, id-aa-signingCertificateV2). */
import { AsnProp } from '@peculiar/asn1-schema';
import { PolicyInformation } from '@peculiar/asn1-x509';
import { EssCertIdV2 } from './ess-cert-id-v2.js';

/**
 * ```asn1
 * SigningCertificateV2 ::= SEQUENCE {
 *   certs    SEQUENCE OF ESSCertIDv2,
 *   policies SEQUENCE OF PolicyInformation OPTIONAL }
 * ```
 */
export class SigningCertificateV2 {
  @AsnProp({ type: EssCertIdV2, repeated: 'sequence' })
  public certs: EssCertIdV2[] = [];

  @AsnProp({ type: PolicyInformation, repeated: 'sequence', optional: true })
  public policies?: PolicyInformation[];

  public constructor(params: Partial<SigningCertificateV2> = {}) {
    Object.assign(this, params);
  }
}

