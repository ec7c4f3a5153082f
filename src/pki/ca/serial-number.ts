/**
 * Certificate serial numbers (RFC 5280 §4.1.2.2; CA/B Forum BR §7.1 "at least 64 bits of output
 * from a CSPRNG"): 16 octets, 126 random bits, always positive and without a leading zero octet.
 */
import { randomBytes } from 'node:crypto';

/**
 * A fresh random serial (DER INTEGER content octets, positive, ≤ 20 octets).
 *
 * @example
 * ```ts
 * const serial = generateSerialNumber(); // Uint8Array(16)
 * ```
 */
export function generateSerialNumber(): Uint8Array {
  const bytes = new Uint8Array(randomBytes(16));
  // Top bit clear (positive INTEGER), next bit set (first octet never zero, length stays 16).
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40;
  return bytes;
}
