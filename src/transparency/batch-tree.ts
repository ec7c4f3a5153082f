/**
 * Verifiable batches (issue 21): the Merkle tree a person's approval commits to, over the ORDERED
 * DTBS/R hashes of the batch. Each leaf's data is the hash bytes themselves, hashed with the
 * RFC 9162 §2.1.1 leaf prefix (0x00) and combined with the node prefix (0x01), so a position, a
 * hash and the batch's size are all fixed by the root: the same hashes in another order give
 * another root.
 */
import { MemoryMerkleTree, hashLeaf, inclusionProof, verifyInclusion } from './merkle-tree.js';
import { TransparencyError } from './errors.js';

/** A hash's place in its batch: the leaf index and the RFC 9162 §2.1.3.1 audit path. */
export interface BatchProof {
  readonly leafIndex: number;
  readonly path: readonly Uint8Array[];
}

/** The tree of an ordered batch of DTBS/R hashes (at least one). */
export function batchTree(hashes: readonly Uint8Array[]): MemoryMerkleTree {
  if (hashes.length === 0) {
    throw new TransparencyError(
      'ERR_TRANSPARENCY_RANGE',
      'Out of range: a batch holds at least one hash',
    );
  }
  return new MemoryMerkleTree(hashes.map((h) => hashLeaf(h)));
}

/** MTH of the ordered batch: the root the approval commits to and the SAD binds. */
export function batchRoot(hashes: readonly Uint8Array[]): Uint8Array {
  return batchTree(hashes).rootHash();
}

/** The inclusion proof of every hash of the batch, in batch order (one tree, shared subtrees). */
export function batchProofs(hashes: readonly Uint8Array[]): BatchProof[] {
  const tree = batchTree(hashes);
  return hashes.map((_, leafIndex) => ({ leafIndex, path: inclusionProof(tree, leafIndex) }));
}

/**
 * True when `hash` is leaf `proof.leafIndex` of the batch of `size` hashes whose root is `root`
 * (RFC 9162 §2.1.3.2 with the leaf hash of `hash`).
 */
export function isBatchMember(
  hash: Uint8Array,
  proof: BatchProof,
  size: number,
  root: Uint8Array,
): boolean {
  return verifyInclusion(hashLeaf(hash), proof.leafIndex, size, proof.path, root);
}
