/** MGF1, the mask generation function of RSASSA-PSS (RFC 8017 §B.2.1): one for signing (keys) and verifying (cms). */
import { createHash } from 'node:crypto';

/**
 * MGF1 (RFC 8017 §B.2.1) with `hash` (a node:crypto name): the mask of `length` octets from `seed`.
 *
 * @example
 * ```ts
 * const mask = mgf1('sha256', h, db.length);
 * ```
 */
export function mgf1(hash: string, seed: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let offset = 0;
  for (let counter = 0; offset < length; counter++) {
    const c = Uint8Array.of(
      counter >>> 24,
      (counter >>> 16) & 0xff,
      (counter >>> 8) & 0xff,
      counter & 0xff,
    );
    const block = createHash(hash).update(seed).update(c).digest();
    out.set(block.subarray(0, Math.min(block.length, length - offset)), offset);
    offset += block.length;
  }
  return out;
}
