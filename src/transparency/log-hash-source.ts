/**
 * A MerkleHashSource over the subtree hashes the log stores. RFC 9162 §2.1's proofs only ever ask
 * for nodes of the tree: complete subtrees aligned on their size, or right-edge subtrees made of
 * a few of them. A first pass over a recording source lists the complete subtrees a computation
 * needs (the proofs' control flow never depends on hash values), one query reads them, and the
 * second pass computes from them: O(log² n) rows for a proof whatever the log's size.
 */
import type { Db } from '../store/index.js';
import { findLogNodes } from '../store/index.js';
import { TransparencyError } from './errors.js';
import { hashChildren, splitPoint, type MerkleHashSource } from './merkle-tree.js';

/** A complete subtree: leaves [index·2^level, (index+1)·2^level). */
export interface NodeId {
  readonly level: number;
  readonly index: number;
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

function levelOf(size: number): number {
  return Math.round(Math.log2(size));
}

/** Where [start, end) is a complete aligned subtree, its id; else undefined. */
function completeNode(start: number, end: number): NodeId | undefined {
  const size = end - start;
  if (!isPowerOfTwo(size) || start % size !== 0) return undefined;
  return { level: levelOf(size), index: start / size };
}

const keyOf = (level: number, index: number): string => `${level}:${index}`;

/** A source answering from a map of complete subtree hashes, splitting right-edge subtrees (§2.1.1). */
export class StoredHashSource implements MerkleHashSource {
  readonly #nodes: ReadonlyMap<string, Uint8Array>;
  constructor(
    readonly size: number,
    nodes: ReadonlyMap<string, Uint8Array>,
  ) {
    this.#nodes = nodes;
  }

  subtreeHash(start: number, end: number): Uint8Array {
    const node = completeNode(start, end);
    if (node !== undefined) {
      const hash = this.#nodes.get(keyOf(node.level, node.index));
      if (hash === undefined) {
        throw new TransparencyError('ERR_TRANSPARENCY_LOG_INCOMPLETE', 'The log is missing a subtree hash it published', {
          detail: { level: node.level, index: node.index },
        });
      }
      return hash;
    }
    const k = splitPoint(end - start);
    return hashChildren(this.subtreeHash(start, start + k), this.subtreeHash(start + k, end));
  }
}

/** Records the complete subtrees a computation asks for, answering zeros. */
class RecordingSource implements MerkleHashSource {
  readonly wanted = new Map<string, NodeId>();
  constructor(readonly size: number) {}
  subtreeHash(start: number, end: number): Uint8Array {
    const node = completeNode(start, end);
    if (node !== undefined) {
      this.wanted.set(keyOf(node.level, node.index), node);
    } else {
      const k = splitPoint(end - start);
      this.subtreeHash(start, start + k);
      this.subtreeHash(start + k, end);
    }
    return new Uint8Array(32);
  }
}

/**
 * Runs `compute` against the stored tree of `size` leaves: once to learn which subtree hashes it
 * needs, then, after one read, for real. `compute` must not branch on hash values (RFC 9162's
 * PATH, PROOF and MTH do not).
 *
 * @example
 * ```ts
 * const proof = await withStoredTree(db, 1000, (tree) => inclusionProof(tree, 7));
 * ```
 */
export async function withStoredTree<T>(db: Db, size: number, compute: (tree: MerkleHashSource) => T): Promise<T> {
  const recorder = new RecordingSource(size);
  compute(recorder);
  const nodes = new Map<string, Uint8Array>();
  for (const n of await findLogNodes(db, [...recorder.wanted.values()])) nodes.set(keyOf(n.level, n.index), n.hash);
  return compute(new StoredHashSource(size, nodes));
}
