/**
 * Merkle tree hashing, inclusion and consistency proofs exactly as RFC 9162 (Certificate
 * Transparency 2.0) §2.1 defines them, with SHA-256. Pure functions over leaf hashes: the
 * transparency log and the verifiable batches both build on them, and a verifier (the CLI, a
 * monitor) needs nothing else.
 *
 * RFC 9162 §2.1.1: MTH({}) = SHA-256(), MTH({d0}) = SHA-256(0x00 || d0), and for n > 1 with k the
 * largest power of two smaller than n, MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n])).
 * The 0x00 / 0x01 prefixes keep a leaf from ever being read as an inner node (second preimages).
 */
import { createHash } from 'node:crypto';
import { TransparencyError } from './errors.js';

export const MERKLE_HASH_SIZE = 32;

const LEAF_PREFIX = new Uint8Array([0x00]);
const NODE_PREFIX = new Uint8Array([0x01]);

/** RFC 9162 §2.1.1: the hash of one leaf's data, `SHA-256(0x00 || data)`. */
export function hashLeaf(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(LEAF_PREFIX).update(data).digest());
}

/** RFC 9162 §2.1.1: an inner node, `SHA-256(0x01 || left || right)`. */
export function hashChildren(left: Uint8Array, right: Uint8Array): Uint8Array {
  return new Uint8Array(
    createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest(),
  );
}

/** RFC 9162 §2.1.1: the hash of the empty tree, `SHA-256()`. */
export function emptyTreeHash(): Uint8Array {
  return new Uint8Array(createHash('sha256').digest());
}

/** The largest power of two strictly smaller than `n` (n ≥ 2): the split point k of §2.1.1. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * Where the hashes of complete subtrees come from. A log held in a database answers from stored
 * nodes; {@link MemoryMerkleTree} computes them from the leaf hashes it holds.
 */
export interface MerkleHashSource {
  /** Number of leaves. */
  readonly size: number;
  /** MTH(D[start:end]) for 0 ≤ start < end ≤ size. */
  subtreeHash(start: number, end: number): Uint8Array;
}

/** An in-memory tree over leaf hashes (already `hashLeaf`ed), caching every subtree it computes. */
export class MemoryMerkleTree implements MerkleHashSource {
  private readonly leaves: Uint8Array[];
  private readonly cache = new Map<string, Uint8Array>();

  constructor(leafHashes: readonly Uint8Array[] = []) {
    this.leaves = [...leafHashes];
  }

  get size(): number {
    return this.leaves.length;
  }

  /** Appends one leaf hash; cached subtrees stay valid (they never include later leaves). */
  append(leafHash: Uint8Array): void {
    this.leaves.push(leafHash);
  }

  leafHash(index: number): Uint8Array {
    const leaf = this.leaves[index];
    if (leaf === undefined) throw outOfRange(`leaf ${index} of a tree of ${this.leaves.length}`);
    return leaf;
  }

  subtreeHash(start: number, end: number): Uint8Array {
    if (end - start === 1) return this.leafHash(start);
    const key = `${start}:${end}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const k = splitPoint(end - start);
    const hash = hashChildren(this.subtreeHash(start, start + k), this.subtreeHash(start + k, end));
    // Only complete (power-of-two) subtrees are final; the right edge changes as leaves arrive.
    if (((end - start) & (end - start - 1)) === 0) this.cache.set(key, hash);
    return hash;
  }

  rootHash(size = this.leaves.length): Uint8Array {
    return treeHead(this, size);
  }
}

/** MTH(D[0:size]) of a source, `emptyTreeHash()` for size 0. */
export function treeHead(source: MerkleHashSource, size = source.size): Uint8Array {
  if (size < 0 || size > source.size) throw outOfRange(`tree size ${size} of ${source.size}`);
  return size === 0 ? emptyTreeHash() : source.subtreeHash(0, size);
}

/**
 * RFC 9162 §2.1.3.1: PATH(m, D[n]), the audit path of leaf `index` in the tree of the first
 * `size` leaves, ordered from the leaf upwards.
 */
export function inclusionProof(
  source: MerkleHashSource,
  index: number,
  size = source.size,
): Uint8Array[] {
  if (!Number.isInteger(index) || index < 0 || index >= size || size > source.size) {
    throw outOfRange(`leaf ${index} in a tree of ${size}`);
  }
  const path: Uint8Array[] = [];
  let start = 0;
  let end = size;
  let m = index;
  const stack: Uint8Array[] = [];
  while (end - start > 1) {
    const k = splitPoint(end - start);
    if (m < k) {
      stack.push(source.subtreeHash(start + k, end));
      end = start + k;
    } else {
      stack.push(source.subtreeHash(start, start + k));
      start += k;
      m -= k;
    }
  }
  // The recursion of §2.1.3.1 appends the sibling after the deeper path: reverse the descent.
  for (let i = stack.length - 1; i >= 0; i--) path.push(stack[i]!);
  return path;
}

/**
 * RFC 9162 §2.1.4.1: PROOF(m, D[n]), proving that the tree of the first `oldSize` leaves is a
 * prefix of the tree of the first `newSize`. Empty when the sizes are equal or `oldSize` is 0.
 */
export function consistencyProof(
  source: MerkleHashSource,
  oldSize: number,
  newSize = source.size,
): Uint8Array[] {
  if (!Number.isInteger(oldSize) || oldSize < 0 || oldSize > newSize || newSize > source.size) {
    throw outOfRange(`consistency from ${oldSize} to ${newSize} of ${source.size}`);
  }
  if (oldSize === 0 || oldSize === newSize) return [];
  const out: Uint8Array[] = [];
  subproof(source, oldSize, 0, newSize, true, out);
  return out;
}

/** SUBPROOF(m, D[start:end], b) of §2.1.4.1, written iteratively-by-recursion over offsets. */
function subproof(
  source: MerkleHashSource,
  m: number,
  start: number,
  end: number,
  isOriginalTree: boolean,
  out: Uint8Array[],
): void {
  const n = end - start;
  if (m === n) {
    if (!isOriginalTree) out.push(source.subtreeHash(start, end));
    return;
  }
  const k = splitPoint(n);
  if (m <= k) {
    subproof(source, m, start, start + k, isOriginalTree, out);
    out.push(source.subtreeHash(start + k, end));
  } else {
    subproof(source, m - k, start + k, end, false, out);
    out.push(source.subtreeHash(start, start + k));
  }
}

/**
 * RFC 9162 §2.1.3.2: verifies an inclusion proof. Returns true only when `proof` leads from
 * `leafHash` at `index` to `rootHash` for a tree of `size` leaves, using every proof element.
 */
export function verifyInclusion(
  leafHash: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  rootHash: Uint8Array,
): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size)
    return false;
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  for (const p of proof) {
    if (p.length !== MERKLE_HASH_SIZE || sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = hashChildren(p, r);
      if (fn % 2 === 0) {
        // Right-shift both until fn is odd or zero (§2.1.3.2 step 4.b.ii).
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = hashChildren(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalBytes(r, rootHash);
}

/**
 * RFC 9162 §2.1.4.2: verifies that the tree of `oldSize` leaves with head `oldRoot` is a prefix
 * of the tree of `newSize` leaves with head `newRoot`.
 */
export function verifyConsistency(
  oldSize: number,
  newSize: number,
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (
    !Number.isSafeInteger(oldSize) ||
    !Number.isSafeInteger(newSize) ||
    oldSize < 0 ||
    oldSize > newSize
  ) {
    return false;
  }
  if (oldSize === newSize) return proof.length === 0 && equalBytes(oldRoot, newRoot);
  if (oldSize === 0) return proof.length === 0;
  if (proof.some((p) => p.length !== MERKLE_HASH_SIZE) || proof.length === 0) return false;
  // Step 1: when the first tree is a complete subtree, its head is the proof's implicit first node.
  const path = isPowerOfTwo(oldSize) ? [oldRoot, ...proof] : [...proof];
  let fn = oldSize - 1;
  let sn = newSize - 1;
  // Step 3: right-shift both while fn is odd.
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = hashChildren(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalBytes(fr, oldRoot) && equalBytes(sr, newRoot);
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

function outOfRange(what: string): TransparencyError {
  return new TransparencyError('ERR_TRANSPARENCY_RANGE', `Out of range: ${what}`);
}
