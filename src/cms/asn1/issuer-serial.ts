/** ESS IssuerSerial (RFC 5035 §4, as defined in RFC 2634 §5.4.1). */
import { AsnIntegerArrayBufferConverter, AsnProp, AsnPropTypes } from '@peculiar/asn1-schema';
import { GeneralNames } from '@peculiar/asn1-x509';

/**
 * ```asn1
 * IssuerSerial ::= SEQUENCE {
 *   issuer       GeneralNames,
 *   serialNumber CertificateSerialNumber }
 * ```
 */
export class IssuerSerial {
  @AsnProp({ type: GeneralNames })
  public issuer = new GeneralNames();

  @AsnProp({ type: AsnPropTypes.Integer, converter: AsnIntegerArrayBufferConverter })
  public serialNumber = new ArrayBuffer(0);

  public constructor(params: Partial<IssuerSerial> = {}) {
    Object.assign(this, params);
  }
}
