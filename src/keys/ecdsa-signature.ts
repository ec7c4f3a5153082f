/**
 * ECDSA signature encodings: the raw `r || s` form returned by PKCS#11 CKM_ECDSA (PKCS#11 v2.40
 * §2.3.1) to and from the DER `ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }` that CMS
 * and X.509 carry (RFC 3279 §2.2.3, RFC 5753 §2.1.1).
 */
import { bigintToBytes, concatBytes } from '../core/bytes.js';
import { KeyBackendError } from './errors.js';

function derLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  if (length < 0x100) return Uint8Array.of(0x81, length);
  return Uint8Array.of(0x82, length >> 8, length & 0xff);
}

function derInteger(unsigned: Uint8Array): Uint8Array {
  let start = 0;
  while (start < unsigned.length - 1 && unsigned[start] === 0) start++;
  const body = unsigned.subarray(start);
  // X.690 §8.3: two's complement, so a leading 1 bit needs a 0x00 pad to stay positive.
  const padded = (body[0] ?? 0) & 0x80 ? concatBytes([Uint8Array.of(0), body]) : body;
  return concatBytes([Uint8Array.of(0x02), derLength(padded.length), padded]);
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
  const body = concatBytes([derInteger(raw.subarray(0, half)), derInteger(raw.subarray(half))]);
  return concatBytes([Uint8Array.of(0x30), derLength(body.length), body]);
}

/** Encodes two non-negative integers as a DER ECDSA-Sig-Value. */
export function ecdsaIntegersToDer(r: bigint, s: bigint, size: number): Uint8Array {
  return ecdsaRawToDer(concatBytes([bigintToBytes(r, size), bigintToBytes(s, size)]));
}

