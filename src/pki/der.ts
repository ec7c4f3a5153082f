/**
 * Minimal DER writer (ITU-T X.690 §8, §10) for the few structures no `@peculiar/asn1-*` schema
 * covers (RFC 3739 QCStatements, RFC 5035 SigningCertificateV2). Encoding only, never parsing.
 */
import { concatBytes } from '../core/bytes.js';

/** X.690 §8.1.3: definite-length encoding in the minimal number of octets (DER §10.1). */
function encodeLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

/** One TLV with a single-octet tag. */
export function derTlv(tag: number, content: Uint8Array): Uint8Array {
  return concatBytes([Uint8Array.of(tag), encodeLength(content.length), content]);
}

/** SEQUENCE of already-encoded elements. */
export function derSequence(...elements: readonly Uint8Array[]): Uint8Array {
  return derTlv(0x30, concatBytes(elements));
}

/** OBJECT IDENTIFIER (X.690 §8.19) from dotted form. */
export function derOid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map((a) => BigInt(a));
  const [first = 0n, second = 0n, ...rest] = arcs;
  const out: number[] = [];
  for (const arc of [first * 40n + second, ...rest]) {
    const group: number[] = [Number(arc & 0x7fn)];
    for (let v = arc >> 7n; v > 0n; v >>= 7n) group.unshift(Number(v & 0x7fn) | 0x80);
    out.push(...group);
  }
  return derTlv(0x06, Uint8Array.from(out));
}

/** OCTET STRING. */
export function derOctetString(value: Uint8Array): Uint8Array {
  return derTlv(0x04, value);
}

/** INTEGER from unsigned big-endian magnitude bytes (X.690 §8.3: two's complement, minimal). */
export function derUnsignedInteger(magnitude: Uint8Array): Uint8Array {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const trimmed = magnitude.subarray(start);
  const needsPad = trimmed.length === 0 || (trimmed[0] ?? 0) >= 0x80;
  return derTlv(0x02, needsPad ? concatBytes([Uint8Array.of(0), trimmed]) : trimmed);
}
