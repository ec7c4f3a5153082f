/**
 * PKIFailureInfo (RFC 3161 §2.4.2) by its named-bit positions. The asn1 library's flag enum does
 * not match these positions for every value (its names for bits 14 and up are shifted), so both
 * the TSA and the client set and read the bits through this table.
 */
import { PKIFailureInfo } from '@peculiar/asn1-tsp';

/** The named bits of RFC 3161 §2.4.2 (and RFC 2510's badRequest). */
export const pkiFailureBits = {
  badAlg: 0,
  badRequest: 2,
  badDataFormat: 5,
  timeNotAvailable: 14,
  unacceptedPolicy: 15,
  unacceptedExtension: 16,
  addInfoNotAvailable: 17,
  systemFailure: 25,
} as const;

/** A PKIFailureInfo reason. */
export type PkiFailure = keyof typeof pkiFailureBits;

/**
 * A PKIFailureInfo with the one bit of `failure` set.
 *
 * @example
 * ```ts
 * const info = pkiFailureInfo('timeNotAvailable');
 * ```
 */
export function pkiFailureInfo(failure: PkiFailure): PKIFailureInfo {
  return new PKIFailureInfo(2 ** pkiFailureBits[failure]);
}

/** The names of the bits set in `info` (unknown positions as `bit<n>`). */
export function pkiFailureNames(info: PKIFailureInfo): string[] {
  const value = info.toNumber();
  const names: string[] = [];
  for (let bit = 0; bit < 32; bit++) {
    if (Math.floor(value / 2 ** bit) % 2 === 1) {
      names.push(Object.entries(pkiFailureBits).find(([, b]) => b === bit)?.[0] ?? `bit${bit}`);
    }
  }
  return names;
}
