/**
 * BER to DER (ITU-T X.690 §8 → §10): many producers write the CMS of a PDF signature in BER —
 * indefinite lengths (§8.1.3.6), non-minimal lengths, strings in constructed form (§8.7.3). A
 * validator reads them as their DER equivalent: definite minimal lengths and primitive strings.
 * The order of SET OF components is kept as found, so the signed attributes are hashed as the
 * signer encoded them when they were DER already (RFC 5652 §5.4 requires the DER encoding).
 * Bounded like {@link checkDer}: size, depth and element count; never recursive beyond maxDepth.
 */
import { concatBytes } from '../core/bytes.js';
import { checkDer, encodeTlv, isConstructed, readElement, tags, type DerLimits } from './der.js';
import { CmsError } from './errors.js';

/** The DER equivalent of the BER element at the start of the input, and where it ended there. */
export interface BerReading {
  readonly der: Uint8Array;
  /** Offset just past the element in the input (after its end-of-contents octets, if any). */
  readonly end: number;
}

interface Header {
  readonly tag: number;
  readonly contentStart: number;
  /** undefined for the indefinite form. */
  readonly length: number | undefined;
}

function ber(message: string): CmsError {
  return new CmsError('ERR_CMS_DER', message);
}

function readHeader(bytes: Uint8Array, offset: number, limit: number): Header {
  if (offset + 2 > limit) throw ber('truncated BER element');
  const tag = bytes[offset] as number;
  if ((tag & 0x1f) === 0x1f) throw ber('multi-octet tags are not supported');
  const first = bytes[offset + 1] as number;
  if (first < 0x80) return { tag, contentStart: offset + 2, length: first };
  const count = first & 0x7f;
  if (count === 0) {
    // X.690 §8.1.3.2: the indefinite form only for constructed encodings.
    if (!isConstructed(tag)) throw ber('indefinite length on a primitive element');
    return { tag, contentStart: offset + 2, length: undefined };
  }
  if (count > 4 || count === 0x7f) throw ber('BER length field too long');
  if (offset + 2 + count > limit) throw ber('truncated BER length');
  let length = 0;
  for (let i = 0; i < count; i++) length = length * 256 + (bytes[offset + 2 + i] as number);
  return { tag, contentStart: offset + 2 + count, length };
}

/**
 * Reads one BER element at `offset` (before `limit`) and returns its DER equivalent.
 *
 * @example
 * ```ts
 * const { der, end } = berToDer(contents, { maxDepth: 64, maxNodes: 50_000 });
 * ```
 */
export function berToDer(bytes: Uint8Array, limits: DerLimits, offset = 0, limit = bytes.length): BerReading {
  const state = { nodes: 0 };
  return readBer(bytes, offset, limit, limits, state, 0);
}

function readBer(bytes: Uint8Array, offset: number, limit: number, limits: DerLimits, state: { nodes: number }, depth: number): BerReading {
  if (++state.nodes > limits.maxNodes) throw new CmsError('ERR_CMS_LIMIT', 'too many ASN.1 elements');
  if (depth > limits.maxDepth) throw new CmsError('ERR_CMS_LIMIT', 'ASN.1 nesting too deep');
  const h = readHeader(bytes, offset, limit);
  if (h.tag === 0x00) throw ber('unexpected end-of-contents octets');
  const definiteEnd = h.length === undefined ? undefined : h.contentStart + h.length;
  if (definiteEnd !== undefined && definiteEnd > limit) throw ber('BER length beyond the end of its container');
  if (!isConstructed(h.tag)) {
    const end = definiteEnd as number;
    return { der: encodeTlv(h.tag, bytes.subarray(h.contentStart, end)), end };
  }
  const children: Uint8Array[] = [];
  let pos = h.contentStart;
  const stop = definiteEnd ?? limit;
  for (;;) {
    if (definiteEnd !== undefined && pos === definiteEnd) break;
    if (definiteEnd === undefined && pos + 2 <= limit && bytes[pos] === 0 && bytes[pos + 1] === 0) {
      pos += 2; // X.690 §8.1.5: end-of-contents
      break;
    }
    if (pos >= stop) throw ber(definiteEnd === undefined ? 'indefinite length without end-of-contents' : 'truncated BER element');
    const child = readBer(bytes, pos, stop, limits, state, depth + 1);
    children.push(child.der);
    pos = child.end;
  }
  // X.690 §10.2: DER strings are primitive; a constructed BIT/OCTET STRING is the concatenation
  // of its segments (§8.6.4, §8.7.3), a BIT STRING keeping the unused-bits count of the last one.
  if (h.tag === 0x24 || h.tag === 0x23) {
    const primitive = h.tag & ~0x20;
    const parts = children.map((c) => {
      const inner = readHeader(c, 0, c.length);
      if (inner.tag !== primitive) throw ber('a constructed string holds a segment of another type');
      return c.subarray(inner.contentStart);
    });
    if (primitive === tags.octetString) return { der: encodeTlv(primitive, concatBytes(parts)), end: pos };
    const unused = parts.length === 0 ? 0 : ((parts[parts.length - 1] as Uint8Array)[0] ?? 0);
    return { der: encodeTlv(primitive, Uint8Array.of(unused), ...parts.map((p) => p.subarray(1))), end: pos };
  }
  return { der: encodeTlv(h.tag, ...children), end: pos };
}

/** A signature container read from a PDF's /Contents (or any padded buffer). */
export interface ContainerReading {
  /** The DER container (the input's own bytes when they were DER already). */
  readonly der: Uint8Array;
  /** Offset just past the container in the input: what follows should be padding. */
  readonly end: number;
  /** True when the input was BER and `der` is its re-encoding. */
  readonly wasBer: boolean;
}

/**
 * Reads the container at the start of `contents`: DER as it is, otherwise BER re-encoded as DER
 * (see the module note). Throws {@link CmsError} when it is neither.
 *
 * @example
 * ```ts
 * const { der, end, wasBer } = readContainer(contentsBytes, { maxDepth: 64, maxNodes: 50_000 });
 * ```
 */
export function readContainer(contents: Uint8Array, limits: DerLimits): ContainerReading {
  try {
    const end = readElement(contents, 0).end;
    const der = contents.subarray(0, end);
    checkDer(der, limits);
    return { der, end, wasBer: false };
  } catch (err) {
    if (!(err instanceof CmsError) || err.code !== 'ERR_CMS_DER') throw err;
  }
  const { der, end } = berToDer(contents, limits);
  return { der, end, wasBer: true };
}
