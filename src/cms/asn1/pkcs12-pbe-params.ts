/** pkcs-12PbeParams (RFC 7292 App. C): salt and iteration count of the PKCS#12 PBE schemes. */
import { AsnProp, AsnPropTypes } from '@peculiar/asn1-schema';

/**
 * ```asn1
 * pkcs-12PbeParams ::= SEQUENCE {
 *   salt       OCTET STRING,
 *   iterations INTEGER }
 * ```
 */
export class Pkcs12PbeParams {
  @AsnProp({ type: AsnPropTypes.OctetString })
  public salt = new ArrayBuffer(0);

  @AsnProp({ type: AsnPropTypes.Integer })
  public iterations = 0;

  public constructor(params: Partial<Pkcs12PbeParams> = {}) {
    Object.assign(this, params);
  }
}
