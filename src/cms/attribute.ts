/** CMS Attribute values and their DER encoding (RFC 5652 §5.3). */
import { encodeOid, encodeSetOf, encodeTlv, tags } from './der.js';

/**
 * One attribute: its type and the DER of each AttributeValue.
 *
 * ```asn1
 * Attribute ::= SEQUENCE {
 *   attrType   OBJECT IDENTIFIER,
 *   attrValues SET OF AttributeValue }
 * ```
 */
export interface CmsAttribute {
  readonly oid: string;
  readonly values: readonly Uint8Array[];
}

/**
 * DER of one Attribute (the SET OF values sorted, X.690 §11.6).
 *
 * @example
 * ```ts
 * const der = encodeAttribute({ oid: cmsOids.id_aa_signatureTimeStampToken, values: [tokenDer] });
 * ```
 */
export function encodeAttribute(attr: CmsAttribute): Uint8Array {
  return encodeTlv(tags.sequence, encodeOid(attr.oid), encodeSetOf(attr.values));
}

/** DER of a SET OF Attribute with the given tag (0x31 for hashing, 0xA0/0xA1 inside SignerInfo). */
export function encodeAttributeSet(attrs: readonly CmsAttribute[], tag: number = tags.set): Uint8Array {
  return encodeSetOf(attrs.map(encodeAttribute), tag);
}
