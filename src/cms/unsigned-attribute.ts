/**
 * Adds an unsigned attribute to a SignerInfo of an existing SignedData (RFC 5652 §5.3), e.g. the
 * signature-time-stamp token of CAdES B-T (RFC 3161 App. A, ETSI EN 319 122-1 §5.3). Only
 * unsignedAttrs and the lengths around them change; the signed attributes, the signature and
 * every certificate keep their bytes.
 */
import { encodeAttribute } from './attribute.js';
import { childrenOf, compareDer, encodeTlv, rawOf, readElement, tags, type DerElement } from './der.js';
import { CmsError } from './errors.js';
import { defaultCmsLimits, locateSignedData, type CmsLimits } from './parse-signed-data.js';

/**
 * Returns a new ContentInfo(SignedData) whose SignerInfo number `signerIndex` carries one more
 * unsigned attribute `{ attrOid, [attrValueDer] }`.
 *
 * @example
 * ```ts
 * const withTst = addUnsignedAttribute(cms, cmsOids.id_aa_signatureTimeStampToken, timeStampTokenDer);
 * ```
 */
export function addUnsignedAttribute(
  cmsDer: Uint8Array,
  attrOid: string,
  attrValueDer: Uint8Array,
  signerIndex = 0,
  limits: CmsLimits = defaultCmsLimits,
): Uint8Array {
  try {
    const value = readElement(attrValueDer, 0);
    if (value.end !== attrValueDer.length) throw new CmsError('ERR_CMS_INPUT', 'trailing bytes after the attribute value');
  } catch (err) {
    throw new CmsError('ERR_CMS_INPUT', 'the attribute value is not one DER element', { cause: err });
  }
  const layout = locateSignedData(cmsDer, limits);
  const target = layout.signerInfos[signerIndex];
  if (target === undefined) throw new CmsError('ERR_CMS_SIGNER_INFO_INDEX', `no SignerInfo number ${signerIndex}`);

  const parts = childrenOf(cmsDer, target);
  const last = parts[parts.length - 1];
  const hasUnsigned = last?.tag === 0xa1;
  const kept = (hasUnsigned ? parts.slice(0, -1) : parts).map((p) => rawOf(cmsDer, p));
  const existing = hasUnsigned ? childrenOf(cmsDer, last as DerElement).map((a) => rawOf(cmsDer, a)) : [];
  if (existing.length + 1 > limits.maxAttributes) throw new CmsError('ERR_CMS_LIMIT', 'too many attributes');
  const attrs = [...existing, encodeAttribute({ oid: attrOid, values: [attrValueDer] })].sort(compareDer);
  const signerInfo = encodeTlv(tags.sequence, ...kept, encodeTlv(0xa1, ...attrs));

  const signerInfos = layout.signerInfos.map((s, i) => (i === signerIndex ? signerInfo : rawOf(cmsDer, s)));
  const fields = layout.fields.slice(0, -1).map((f) => rawOf(cmsDer, f));
  const signedData = encodeTlv(tags.sequence, ...fields, encodeTlv(tags.set, ...signerInfos));
  const contentType = rawOf(cmsDer, childrenOf(cmsDer, layout.contentInfo)[0] as DerElement);
  return encodeTlv(tags.sequence, contentType, encodeTlv(0xa0, signedData));
}
