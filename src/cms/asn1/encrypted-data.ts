/** CMS EncryptedData (RFC 5652 §8), as used in PKCS#12 AuthenticatedSafe (RFC 7292 §4.1). */
import { AsnProp, AsnPropTypes } from '@peculiar/asn1-schema';
import { Attribute, EncryptedContentInfo } from '@peculiar/asn1-cms';

/**
 * ```asn1
 * EncryptedData ::= SEQUENCE {
 *   version CMSVersion,
 *   encryptedContentInfo EncryptedContentInfo,
 *   unprotectedAttrs [1] IMPLICIT UnprotectedAttributes OPTIONAL }
 * ```
 */
export class EncryptedData {
  @AsnProp({ type: AsnPropTypes.Integer })
  public version = 0;

  @AsnProp({ type: EncryptedContentInfo })
  public encryptedContentInfo = new EncryptedContentInfo();

  @AsnProp({ type: Attribute, repeated: 'set', context: 1, implicit: true, optional: true })
  public unprotectedAttrs?: Attribute[];

  public constructor(params: Partial<EncryptedData> = {}) {
    Object.assign(this, params);
  }
}
