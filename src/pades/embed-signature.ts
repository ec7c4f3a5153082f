/**
 * Phase two for a prepared signature in its JSON form, synchronously and at B-B: wraps the raw
 * signature in a CMS SignedData (or takes a finished container) and writes it into /Contents of
 * the prepared update (ISO 32000-1 §12.8.1). The same steps as `finishSignature`, which they call.
 */
import { buildContainer, signedUpdate } from './finish-signature.js';
import { preparedFromJson } from './prepared-json.js';
import type { PreparedSignature } from './types.js';

/**
 * Embeds a finished CMS SignedData (DER) — e.g. one carrying a signature timestamp — and returns
 * the update to append to the original document.
 */
export function embedCms(prepared: PreparedSignature, cms: Uint8Array): Uint8Array {
  return signedUpdate(preparedFromJson(prepared), cms);
}

/** Builds the CMS SignedData of a prepared signature from the raw signature value. */
export function buildCms(prepared: PreparedSignature, signature: Uint8Array): Uint8Array {
  return buildContainer(preparedFromJson(prepared), signature);
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
  const document = preparedFromJson(prepared);
  return signedUpdate(document, buildContainer(document, signature));
}
