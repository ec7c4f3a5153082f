/**
 * The signature-time-stamp of PAdES B-T (ETSI EN 319 142-1 §6.3, EN 319 122-1 §5.3): an RFC 3161
 * token over the SignerInfo's signature value, added as the unsigned attribute
 * id-aa-signatureTimeStampToken (RFC 3161 App. A).
 */
import type { DigestAlgorithm } from '../cms/algorithms.js';
import { cmsOids } from '../cms/cms-oids.js';
import { digestOf } from '../cms/digest.js';
import { parseSignedData } from '../cms/parse-signed-data.js';
import { addUnsignedAttribute } from '../cms/unsigned-attribute.js';
import { PadesError } from './errors.js';
import type { Timestamper } from './types.js';

/**
 * Returns `cms` with a signature-time-stamp token on its (single) SignerInfo. The imprint uses
 * the signature's own digest algorithm unless another is given.
 *
 * @example
 * ```ts
 * const withTst = await addSignatureTimestamp(cms, timestamper);
 * ```
 */
export async function addSignatureTimestamp(
  cms: Uint8Array,
  timestamper: Timestamper,
  digestAlgorithm?: DigestAlgorithm,
): Promise<Uint8Array> {
  const sd = parseSignedData(cms);
  const si = sd.signerInfos[0];
  if (!si || sd.signerInfos.length !== 1) {
    throw new PadesError('ERR_PADES_SIGNATURE_INVALID', 'the signature container must have exactly one SignerInfo');
  }
  const alg = digestAlgorithm ?? si.digestAlgorithm;
  // RFC 3161 App. A / EN 319 122-1 §5.3: the imprint is the hash of the signature field's value.
  const token = await timestamper.timestamp(digestOf(alg, si.signature), alg);
  return addUnsignedAttribute(cms, cmsOids.id_aa_signatureTimeStampToken, token);
}
