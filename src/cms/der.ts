/**
 * A minimal strict DER reader and writer (ITU-T X.690 §8, §10). The schemas in @peculiar/asn1-*
 * re-encode what they parse, so the byte-exact pieces RFC 5652 needs (signed attributes as
 * hashed, certificates as issued) are located and spliced with this module instead.
 */
import { CmsError } from './errors.js';

/** One DER element located inside a buffer (offsets are absolute). */
export interface DerElement {
  /** The identifier octet (single-octet tags only; CMS and X.509 need no others). */
  readonly tag: number;
  /** Offset of the identifier octet. */
  readonly start: number;
  /** Offset of the first content octet. */
  readonly contentStart: number;
  /** Offset just past the last content octet. */
  readonly end: number;
}

/** Limits applied by {@link checkDer}. */
export interface DerLimits {
  /** Maximum nesting depth of constructed values. */
  readonly maxDepth: number;
  /** Maximum number of elements in the whole input. */
  readonly maxNodes: number;
}

/** Common tags (X.690 §8.1.2, universal class). */
export const tags = {
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  sequence: 0x30,
  set: 0x31,
} as const;

/** True when the identifier octet says "constructed" (X.690 §8.1.2.5). */
export function isConstructed(tag: number): boolean {
  return (tag & 0x20) !== 0;
}

/**
 * Reads the element starting at `offset`, which must end at or before `limit`.
 * Enforces DER: definite, minimal lengths (X.690 §10.1) and single-octet tags.
 */
export function readElement(bytes: Uint8Array, offset: number, limit = bytes.length): DerElement {
  if (offset + 2 > limit) throw new CmsError('ERR_CMS_DER', 'truncated DER element');
  const tag = bytes[offset] as number;
  if ((tag & 0x1f) === 0x1f) throw new CmsError('ERR_CMS_DER', 'multi-octet tags are not supported');
  const first = bytes[offset + 1] as number;
  let length: number;
  let contentStart: number;
  if (first < 0x80) {
    length = first;
    contentStart = offset + 2;
  } else {
    const count = first & 0x7f;
    // X.690 §10.1: DER forbids the indefinite form (0x80).
    if (count === 0) throw new CmsError('ERR_CMS_DER', 'indefinite length is not DER');
    if (count > 4) throw new CmsError('ERR_CMS_DER', 'length field too long');
    if (offset + 2 + count > limit) throw new CmsError('ERR_CMS_DER', 'truncated DER length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (bytes[offset + 2 + i] as number);
    // X.690 §10.1: the long form only when needed, with no leading zero octets.
    if (length < 0x80 || (bytes[offset + 2] as number) === 0) {
      throw new CmsError('ERR_CMS_DER', 'non-minimal DER length');
    }
    contentStart = offset + 2 + count;
  }
  const end = contentStart + length;
  if (end > limit) throw new CmsError('ERR_CMS_DER', 'DER length beyond the end of its container');
  return { tag, start: offset, contentStart, end };
}

/** The elements directly inside a constructed element. */
export function childrenOf(bytes: Uint8Array, parent: DerElement): DerElement[] {
  const out: DerElement[] = [];
  let offset = parent.contentStart;
  while (offset < parent.end) {
    const child = readElement(bytes, offset, parent.end);
    out.push(child);
    offset = child.end;
  }
  return out;
}

/** The whole encoding (tag, length and content) of an element. */
export function rawOf(bytes: Uint8Array, el: DerElement): Uint8Array {
  return bytes.subarray(el.start, el.end);
}

/** The content octets of an element. */
export function contentOf(bytes: Uint8Array, el: DerElement): Uint8Array {
  return bytes.subarray(el.contentStart, el.end);
}

/**
 * Walks a whole DER value without recursion and checks it is one well-formed element with
 * definite minimal lengths, within the depth and node limits (docs/security.md ASN-01, ASN-02,
 * ASN-04, ASN-05). Run it before handing bytes to a schema parser.
 *
 * @example
 * ```ts
 * const root = checkDer(bytes, { maxDepth: 64, maxNodes: 50_000 });
 * const [first] = childrenOf(bytes, root);
 * ```
 */
export function checkDer(bytes: Uint8Array, limits: DerLimits): DerElement {
  const root = readElement(bytes, 0);
  if (root.end !== bytes.length) throw new CmsError('ERR_CMS_DER', 'trailing bytes after the DER value');
  const stack: { next: number; end: number }[] = [];
  let nodes = visitDer(root, stack, limits, 0);
  while (stack.length > 0) {
    const top = stack[stack.length - 1] as { next: number; end: number };
    if (top.next >= top.end) {
      stack.pop();
      continue;
    }
    const child = readElement(bytes, top.next, top.end);
    top.next = child.end;
    nodes = visitDer(child, stack, limits, nodes);
  }
  return root;
}

/** One element of checkDer's walk: counted, checked, and its content queued; returns the count. */
function visitDer(el: DerElement, stack: { next: number; end: number }[], limits: DerLimits, nodes: number): number {
  if (nodes + 1 > limits.maxNodes) throw new CmsError('ERR_CMS_LIMIT', 'too many ASN.1 elements');
  // DER forbids the constructed form of BIT STRING and OCTET STRING (X.690 §10.2).
  if (el.tag === 0x23 || el.tag === 0x24) {
    throw new CmsError('ERR_CMS_DER', 'constructed string is not DER');
  }
  if (isConstructed(el.tag) && el.end > el.contentStart) {
    if (stack.length >= limits.maxDepth) throw new CmsError('ERR_CMS_LIMIT', 'ASN.1 nesting too deep');
    stack.push({ next: el.contentStart, end: el.end });
  }
  return nodes + 1;
}

/** Encodes one element from its tag and content parts (X.690 §8.1.3: definite, minimal length). */
export function encodeTlv(tag: number, ...content: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of content) length += part.length;
  // Short form below 128, else 0x80 | n followed by the n length octets (big-endian).
  let lengthOctets = 0;
  if (length >= 0x80) for (let n = length; n > 0; n = Math.floor(n / 256)) lengthOctets++;
  // One allocation: nested elements are not copied into a body first and then again.
  const out = new Uint8Array(2 + lengthOctets + length);
  out[0] = tag;
  if (lengthOctets === 0) out[1] = length;
  else {
    out[1] = 0x80 | lengthOctets;
    for (let i = lengthOctets, n = length; i > 0; i--, n = Math.floor(n / 256)) out[1 + i] = n % 256;
  }
  let at = 2 + lengthOctets;
  for (const part of content) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Octets of a DER length (X.690 §10.1: short form below 128, else the minimal long form). */
function lengthFieldOctets(length: number): number {
  let count = 1;
  if (length >= 0x80) for (let n = length; n > 0; n = Math.floor(n / 256)) count++;
  return count;
}

/** Content of a {@link DerTree}: encoded bytes spliced as they are, or a nested element. */
export type DerPart = Uint8Array | DerTree;

/** An element to encode: a tag over parts, sized and written in one pass by {@link encodeDerTree}. */
export interface DerTree {
  readonly tag: number;
  readonly parts: readonly DerPart[];
  /** Content length, filled in by encodeDerTree. */
  length?: number;
}

/** An element of {@link encodeDerTree}'s input. */
export function derTree(tag: number, ...parts: readonly DerPart[]): DerTree {
  return { tag, parts };
}

function sizeOf(part: DerPart): number {
  if (part instanceof Uint8Array) return part.length;
  let length = 0;
  for (const p of part.parts) length += sizeOf(p);
  part.length = length;
  return 1 + lengthFieldOctets(length) + length;
}

function writeTree(part: DerPart, out: Uint8Array, offset: number): number {
  if (part instanceof Uint8Array) {
    out.set(part, offset);
    return offset + part.length;
  }
  const length = part.length as number;
  out[offset] = part.tag;
  let at = offset + 1;
  if (length < 0x80) out[at++] = length;
  else {
    const count = lengthFieldOctets(length) - 1;
    out[at++] = 0x80 | count;
    for (let i = count - 1, n = length; i >= 0; i--, n = Math.floor(n / 256)) out[at + i] = n % 256;
    at += count;
  }
  for (const p of part.parts) at = writeTree(p, out, at);
  return at;
}

/**
 * Encodes a tree of elements into one buffer: the same bytes as nested encodeTlv calls, with a
 * single allocation instead of one per element (a TSA token or OCSP response is some fifteen
 * elements around a few fixed, already encoded parts).
 *
 * @example
 * ```ts
 * const der = encodeDerTree(derTree(tags.sequence, encodeOid(oid), derTree(tags.set, value)));
 * ```
 */
export function encodeDerTree(root: DerPart): Uint8Array {
  const out = new Uint8Array(sizeOf(root));
  writeTree(root, out, 0);
  return out;
}

/** Encodes a small non-negative INTEGER. */
export function encodeSmallInteger(value: number): Uint8Array {
  const out: number[] = [];
  let n = value;
  do {
    out.unshift(n % 256);
    n = Math.floor(n / 256);
  } while (n > 0);
  if ((out[0] as number) >= 0x80) out.unshift(0);
  return encodeTlv(tags.integer, Uint8Array.from(out));
}

const oidCache = new Map<string, Uint8Array>();

/** Encodes an OBJECT IDENTIFIER from its dotted form (X.690 §8.19); results are cached (read-only use). */
export function encodeOid(oid: string): Uint8Array {
  const cached = oidCache.get(oid);
  if (cached !== undefined) return cached;
  const encoded = encodeOidUncached(oid);
  if (oidCache.size < 1024) oidCache.set(oid, encoded);
  return encoded;
}

function encodeOidUncached(oid: string): Uint8Array {
  const arcs = oid.split('.').map((a) => {
    if (!/^\d+$/.test(a)) throw new CmsError('ERR_CMS_INPUT', 'malformed object identifier');
    return BigInt(a);
  });
  if (arcs.length < 2) throw new CmsError('ERR_CMS_INPUT', 'malformed object identifier');
  const [a0, a1, ...rest] = arcs as [bigint, bigint, ...bigint[]];
  const out: number[] = [];
  for (const arc of [a0 * 40n + a1, ...rest]) {
    const groups: number[] = [];
    let n = arc;
    do {
      groups.unshift(Number(n & 0x7fn));
      n >>= 7n;
    } while (n > 0n);
    for (let i = 0; i < groups.length - 1; i++) groups[i] = (groups[i] as number) | 0x80;
    out.push(...groups);
  }
  return encodeTlv(tags.oid, Uint8Array.from(out));
}

/** Decodes the content of an OBJECT IDENTIFIER to its dotted form (bounded: at most 64 arcs). */
export function decodeOid(content: Uint8Array): string {
  if (content.length === 0 || content.length > 256) throw new CmsError('ERR_CMS_DER', 'bad object identifier length');
  // Arcs of up to 49 bits (7 octets) in doubles; longer ones (UUID arcs of 2.25) in BigInt.
  const arcs: (number | bigint)[] = [];
  let n = 0;
  let octets = 0;
  let started = false;
  for (let i = 0; i < content.length; i++) {
    const b = content[i] as number;
    if (!started && b === 0x80) throw new CmsError('ERR_CMS_DER', 'non-minimal object identifier arc');
    started = (b & 0x80) !== 0;
    n = n * 128 + (b & 0x7f);
    octets++;
    if (!started) {
      arcs.push(octets <= 7 ? n : decodeArc(content.subarray(i + 1 - octets, i + 1)));
      n = 0;
      octets = 0;
    }
  }
  if (started) throw new CmsError('ERR_CMS_DER', 'truncated object identifier');
  const first = arcs[0] as number | bigint;
  const head =
    typeof first === 'number'
      ? first < 80
        ? [Math.floor(first / 40), first % 40]
        : [2, first - 80]
      : [2n, first - 80n];
  return [...head, ...arcs.slice(1)].join('.');
}

/** One arc's base-128 octets as a BigInt. */
function decodeArc(octets: Uint8Array): bigint {
  let n = 0n;
  for (const b of octets) n = (n << 7n) | BigInt(b & 0x7f);
  return n;
}

/** Reads an OBJECT IDENTIFIER element. */
export function readOid(bytes: Uint8Array, el: DerElement): string {
  if (el.tag !== tags.oid) throw new CmsError('ERR_CMS_STRUCTURE', 'expected an OBJECT IDENTIFIER');
  return decodeOid(contentOf(bytes, el));
}

/** Reads a small non-negative INTEGER element (versions, salt lengths). */
export function readSmallInteger(bytes: Uint8Array, el: DerElement): number {
  const c = contentOf(bytes, el);
  if (el.tag !== tags.integer || c.length === 0 || c.length > 4 || ((c[0] as number) & 0x80) !== 0) {
    throw new CmsError('ERR_CMS_STRUCTURE', 'expected a small INTEGER');
  }
  let v = 0;
  for (const b of c) v = v * 256 + b;
  return v;
}

/** Compares two encodings as X.690 §11.6 orders the components of a SET OF. */
export function compareDer(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** Encodes a DER SET OF (X.690 §11.6: components in ascending order of their encodings). */
export function encodeSetOf(items: readonly Uint8Array[], tag: number = tags.set): Uint8Array {
  return encodeTlv(tag, ...[...items].sort(compareDer));
}
