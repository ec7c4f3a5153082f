/**
 * SASLprep (RFC 4013), the string preparation ISO 32000-2 §7.6.4.3.3 prescribes for the
 * passwords of the AES-256 handler (R6; Algorithm 2.A step a), as a query (RFC 3454 §7: unassigned
 * code points are allowed). The RFC 3454 tables it names are inlined as code-point ranges.
 */

type Ranges = readonly (readonly [number, number])[];

const inRanges = (cp: number, ranges: Ranges): boolean => ranges.some(([lo, hi]) => cp >= lo && cp <= hi);

/** RFC 3454 C.1.2, non-ASCII space characters: mapped to SPACE (RFC 4013 §2.1) and prohibited after. */
const nonAsciiSpace: Ranges = [[0x00a0, 0x00a0], [0x1680, 0x1680], [0x2000, 0x200b], [0x202f, 0x202f], [0x205f, 0x205f], [0x3000, 0x3000]];

/** RFC 3454 B.1, commonly mapped to nothing (RFC 4013 §2.1). */
const mappedToNothing: Ranges = [
  [0x00ad, 0x00ad], [0x034f, 0x034f], [0x1806, 0x1806], [0x180b, 0x180d], [0x200b, 0x200d],
  [0x2060, 0x2060], [0xfe00, 0xfe0f], [0xfeff, 0xfeff],
];

/** RFC 4013 §2.3, prohibited output: RFC 3454 C.1.2, C.2.1, C.2.2, C.3, C.4, C.5, C.6, C.7, C.8, C.9. */
const prohibited: Ranges = [
  ...nonAsciiSpace,
  [0x0000, 0x001f], [0x007f, 0x007f], // C.2.1 ASCII control characters
  // C.2.2 non-ASCII control characters
  [0x0080, 0x009f], [0x06dd, 0x06dd], [0x070f, 0x070f], [0x180e, 0x180e], [0x200c, 0x200d],
  [0x2028, 0x2029], [0x2060, 0x2063], [0x206a, 0x206f], [0xfeff, 0xfeff], [0xfff9, 0xfffc],
  [0x1d173, 0x1d17a],
  [0xe000, 0xf8ff], [0xf0000, 0xffffd], [0x100000, 0x10fffd], // C.3 private use
  // C.4 non-character code points
  [0xfdd0, 0xfdef], [0xfffe, 0xffff], [0x1fffe, 0x1ffff], [0x2fffe, 0x2ffff], [0x3fffe, 0x3ffff],
  [0x4fffe, 0x4ffff], [0x5fffe, 0x5ffff], [0x6fffe, 0x6ffff], [0x7fffe, 0x7ffff], [0x8fffe, 0x8ffff],
  [0x9fffe, 0x9ffff], [0xafffe, 0xaffff], [0xbfffe, 0xbffff], [0xcfffe, 0xcffff], [0xdfffe, 0xdffff],
  [0xefffe, 0xeffff], [0xffffe, 0xfffff], [0x10fffe, 0x10ffff],
  [0xd800, 0xdfff], // C.5 surrogate codes
  [0xfff9, 0xfffd], // C.6 inappropriate for plain text
  [0x2ff0, 0x2ffb], // C.7 inappropriate for canonical representation
  [0x0340, 0x0341], [0x200e, 0x200f], [0x202a, 0x202e], [0x206a, 0x206f], // C.8 display properties
  [0xe0001, 0xe0001], [0xe0020, 0xe007f], // C.9 tagging characters
];

/** RFC 3454 D.1, characters with bidirectional property R or AL. */
const randAL: Ranges = [
  [0x05be, 0x05be], [0x05c0, 0x05c0], [0x05c3, 0x05c3], [0x05d0, 0x05ea], [0x05f0, 0x05f4],
  [0x061b, 0x061b], [0x061f, 0x061f], [0x0621, 0x063a], [0x0640, 0x064a], [0x066d, 0x066f],
  [0x0671, 0x06d5], [0x06dd, 0x06dd], [0x06e5, 0x06e6], [0x06fa, 0x06fe], [0x0700, 0x070d],
  [0x0710, 0x0710], [0x0712, 0x072c], [0x0780, 0x07a5], [0x07b1, 0x07b1], [0x200f, 0x200f],
  [0xfb1d, 0xfb1d], [0xfb1f, 0xfb28], [0xfb2a, 0xfb36], [0xfb38, 0xfb3c], [0xfb3e, 0xfb3e],
  [0xfb40, 0xfb41], [0xfb43, 0xfb44], [0xfb46, 0xfbb1], [0xfbd3, 0xfd3d], [0xfd50, 0xfd8f],
  [0xfd92, 0xfdc7], [0xfdf0, 0xfdfc], [0xfe70, 0xfe74], [0xfe76, 0xfefc],
];

/**
 * RFC 3454 D.2 (bidirectional property L) is 360 ranges; it is approximated by the letters and
 * spacing marks that are not in D.1 (plus U+200E LEFT-TO-RIGHT MARK, prohibited anyway). It only
 * decides whether a password that mixes right-to-left letters with others is refused.
 */
const letterOrSpacingMark = /^[\p{L}\p{Mc}]$/u;
const isLCat = (ch: string, cp: number): boolean => !inRanges(cp, randAL) && letterOrSpacingMark.test(ch);

/** Why a string cannot be prepared. */
export type SaslprepFailure = 'PROHIBITED' | 'BIDI';

/**
 * Prepares `input` by RFC 4013: maps (§2.1), normalises with NFKC (§2.2), and checks the
 * prohibited output (§2.3) and the bidirectional rule (§2.4, RFC 3454 §6). Returns the prepared
 * string, or the reason it cannot be prepared.
 *
 * @example
 * ```ts
 * saslprep('I\u00ADX'); // { prepared: 'IX' }
 * ```
 */
export function saslprep(input: string): { readonly prepared: string } | { readonly failure: SaslprepFailure } {
  let mapped = '';
  for (const ch of input) {
    const cp = ch.codePointAt(0) as number;
    // §2.1: C.1.2 first (U+200B is in both tables; the RFC lists the space mapping first).
    if (inRanges(cp, nonAsciiSpace)) mapped += ' ';
    else if (!inRanges(cp, mappedToNothing)) mapped += ch;
  }
  const prepared = mapped.normalize('NFKC');
  let hasRandAL = false;
  let hasL = false;
  const chars = [...prepared];
  for (const ch of chars) {
    const cp = ch.codePointAt(0) as number;
    if (inRanges(cp, prohibited)) return { failure: 'PROHIBITED' };
    if (inRanges(cp, randAL)) hasRandAL = true;
    else if (isLCat(ch, cp)) hasL = true;
  }
  if (hasRandAL) {
    // RFC 3454 §6: no LCat character, and a RandALCat character first and last.
    const first = chars[0]?.codePointAt(0) ?? 0;
    const last = chars[chars.length - 1]?.codePointAt(0) ?? 0;
    if (hasL || !inRanges(first, randAL) || !inRanges(last, randAL)) return { failure: 'BIDI' };
  }
  return { prepared };
}
