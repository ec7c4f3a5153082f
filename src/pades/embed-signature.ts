/**
 * Phase two of staged signing: wraps the raw signature in a CMS SignedData (or takes a finished
 * container) and writes it into /Contents of the prepared update (ISO 32000-1 §12.8.1).
 */
import { buildSignedData } from '../cms/signed-data.js';
import { fillContents } from './byte-range.js';
import { PadesError } from './errors.js';
import type { PreparedSignature } from './types.js';

const fromB64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));

function checkPrepared(prepared: PreparedSignature): Uint8Array {
  if (prepared.version !== 1 || prepared.byteRange.length !== 4) {
    throw new PadesError('ERR_PADES_PREPARED_INVALID', 'unsupported prepared signature');
  }
  const update = fromB64(prepared.update);
  const [a, b, c, d] = prepared.byteRange;
  if (a !== 0 || b < prepared.documentLength || c !== b + 2 + prepared.contentsCapacity * 2 || c + d !== prepared.documentLength + update.length) {
    throw new PadesError('ERR_PADES_PREPARED_INVALID', 'the prepared byte range does not match its update');
  }
  return update;
}

/**
 * Embeds a finished CMS SignedData (DER) — e.g. one carrying a signature timestamp — and returns
 * the update to append to the original document.
 */
export function embedCms(prepared: PreparedSignature, cms: Uint8Array): Uint8Array {
  const update = checkPrepared(prepared);
  fillContents(update, prepared.documentLength, prepared.byteRange[1], prepared.contentsCapacity, cms);
  return update;
}

/** Builds the CMS SignedData of a prepared signature from the raw signature value. */
export function buildCms(prepared: PreparedSignature, signature: Uint8Array): Uint8Array {
  if (signature.length === 0) {
    throw new PadesError('ERR_PADES_SIGNATURE_INVALID', 'the signature value is empty');
  }
  return buildSignedData({
    signedAttributes: fromB64(prepared.signedAttributes),
    signature,
    signatureAlgorithm: prepared.signatureAlgorithm,
    certificates: prepared.certificateChain.map(fromB64),
  });
}

/**
 * Finishes a prepared signature with the raw signature value over its signed attributes.
 * Returns the update; the signed file is the original document followed by it.
 *
 * @example
 * ```ts
 * const signature = await signer.sign(Buffer.from(prepared.signedAttributes, 'base64'));
 * const update = embedSignature(prepared, signature);
 * ```
 */
export function embedSignature(prepared: PreparedSignature, signature: Uint8Array): Uint8Array {
  return embedCms(prepared, buildCms(prepared, signature));
}
