/**
 * The approved batch's Merkle tree of a SAD (issue 21), kept per SAD so that a signHash of one
 * hash does not read every approved hash and rebuild the RFC 9162 §2.1 tree of up to 1000 leaves
 * for its receipt: the leaves are fixed when the SAD is issued and never change, so the tree read
 * once serves every later consumption of the same SAD. A tree is used only while its root equals
 * the root the SAD row binds.
 */
import { toHex } from '../core/bytes.js';
import { listSadLeaves, type Db } from '../store/index.js';
import {
  batchTree,
  inclusionProof,
  type BatchProof,
  type MemoryMerkleTree,
} from '../transparency/index.js';
import { SadError } from './errors.js';

/** One SAD's approved batch: its tree and each hash's leaf index. */
interface BatchEntry {
  readonly root: Uint8Array;
  readonly tree: MemoryMerkleTree;
  readonly leafIndex: ReadonlyMap<string, number>;
}

/** SADs whose tree is kept at most (least recently used first out); a 1000-leaf tree is ~130 KB. */
const defaultEntries = 32;

/**
 * Inclusion proofs of a SAD's hashes against its batch root, from a bounded cache of trees.
 *
 * @example
 * ```ts
 * const trees = new SadBatchTrees();
 * const proofs = await trees.proofs(trx, row.id_hash, row.batch_root, request.hashes);
 * ```
 */
export class SadBatchTrees {
  readonly #entries = new Map<string, BatchEntry>();
  readonly #max: number;

  constructor(maxEntries: number = defaultEntries) {
    this.#max = Math.max(1, maxEntries);
  }

  /** The proof of each of `hashes` (all approved by the SAD) against `root`, in their order. */
  async proofs(
    trx: Db,
    sadId: Uint8Array,
    root: Uint8Array,
    hashes: readonly Uint8Array[],
  ): Promise<BatchProof[]> {
    const entry = await this.#entry(trx, sadId, root);
    return hashes.map((h) => {
      const leafIndex = entry.leafIndex.get(toHex(h));
      if (leafIndex === undefined)
        throw new SadError('ERR_SAD_HASH_NOT_AUTHORIZED', 'a hash is not authorised by the SAD');
      return { leafIndex, path: inclusionProof(entry.tree, leafIndex) };
    });
  }

  async #entry(trx: Db, sadId: Uint8Array, root: Uint8Array): Promise<BatchEntry> {
    const key = toHex(sadId);
    const hit = this.#entries.get(key);
    if (hit !== undefined && Buffer.compare(hit.root, root) === 0) {
      // Map order is insertion order: re-inserting makes the first entry the least recently used.
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit;
    }
    const leaves = await listSadLeaves(trx, sadId);
    const tree = batchTree(leaves);
    // The stored leaves must give the root the SAD binds, or no receipt could ever verify.
    if (Buffer.compare(tree.rootHash(), root) !== 0) {
      throw new SadError(
        'ERR_SAD_BATCH_PROOF',
        'the stored batch does not match the SAD’s batch root',
      );
    }
    const entry: BatchEntry = {
      root: new Uint8Array(root),
      tree,
      leafIndex: new Map(leaves.map((h, i) => [toHex(h), i])),
    };
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    while (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
    return entry;
  }
}
