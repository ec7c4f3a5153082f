/**
 * ECDSA signature encodings: the raw `r || s` form returned by PKCS#11 CKM_ECDSA (PKCS#11 v2.40
 * §2.3.1) to and from the DER `ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }` that CMS
 * and X.509 carry (RFC 3279 §2.2.3, RFC 5753 §2.1.1).
 */
import { KeyBackendError } from './errors.js';

/** Octets of a DER length field (X.690 §10.1: short form below 128, else the minimal long form). */
function lengthOctets(length: number): number {
  return length < 0x80 ? 1 : length < 0x100 ? 2 : 3;
}

function writeLength(out: Uint8Array, at: number, length: number): number {
  if (length >= 0x100) {
    out[at++] = 0x82;
    out[at++] = length >> 8;
  } else if (length >= 0x80) out[at++] = 0x81;
  out[at++] = length & 0xff;
  return at;
}

/** The first octet of `raw[start, end)` that an INTEGER keeps (X.690 §8.3.2: no redundant leading zeros). */
function firstSignificant(raw: Uint8Array, start: number, end: number): number {
  while (start < end - 1 && raw[start] === 0) start++;
  return start;
}

/**
 * Encodes raw `r || s` (each half the same length) as a DER ECDSA-Sig-Value.
 *
 * @example
 * ```ts
 * const der = ecdsaRawToDer(pkcs11Output); // pkcs11Output.length === 64 for P-256
 * ```
 */
export function ecdsaRawToDer(raw: Uint8Array): Uint8Array {
  if (raw.length === 0 || raw.length % 2 !== 0 || raw.length > 264) {
    throw new KeyBackendError('ERR_KEY_SIGN_FAILED', 'token returned a malformed ECDSA signature', {
      detail: { length: raw.length },
    });
  }
  const half = raw.length / 2;
  const rFrom = firstSignificant(raw, 0, half);
  const sFrom = firstSignificant(raw, half, raw.length);
  // X.690 §8.3: two's complement, so a leading 1 bit needs a 0x00 pad to stay positive.
  const rPad = (raw[rFrom] as number) & 0x80 ? 1 : 0;
  const sPad = (raw[sFrom] as number) & 0x80 ? 1 : 0;
  const rLength = rPad + half - rFrom;
  const sLength = sPad + raw.length - sFrom;
  const body = 1 + lengthOctets(rLength) + rLength + 1 + lengthOctets(sLength) + sLength;
  // One allocation: SEQUENCE { INTEGER r, INTEGER s }.
  const out = new Uint8Array(1 + lengthOctets(body) + body);
  out[0] = 0x30;
  let at = writeLength(out, 1, body);
  out[at++] = 0x02;
  at = writeLength(out, at, rLength) + rPad;
  out.set(raw.subarray(rFrom, half), at);
  at += half - rFrom;
  out[at++] = 0x02;
  at = writeLength(out, at, sLength) + sPad;
  out.set(raw.subarray(sFrom), at);
  return out;
}

/** Encodes two non-negative integers as a DER ECDSA-Sig-Value. */
export function ecdsaIntegersToDer(r: bigint, s: bigint, size: number): Uint8Array {
  const raw = new Uint8Array(2 * size);
  const view = new DataView(raw.buffer);
  writeBigint(raw, view, 0, size, r);
  writeBigint(raw, view, size, 2 * size, s);
  return ecdsaRawToDer(raw);
}

/** Writes `value` big-endian into `out[start, end)` (the caller's value fits in it). */
function writeBigint(out: Uint8Array, view: DataView, start: number, end: number, value: bigint): void {
  let v = value;
  let i = end;
  // Eight octets at a time while they stay inside [start, end), then the rest octet by octet.
  for (; v >= 0x100n && i - 8 >= start; i -= 8) {
    view.setBigUint64(i - 8, v & 0xffffffffffffffffn);
    v >>= 64n;
  }
  for (; v > 0n && i > start; i--) {
    out[i - 1] = Number(v & 0xffn);
    v >>= 8n;
  }
}
