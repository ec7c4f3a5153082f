/**
 * The log's proofs as a server answers them: RFC 9162 §2.1.3.1 inclusion and §2.1.4.1
 * consistency proofs, against tree sizes the log has published a head for or any smaller size,
 * computed from the stored subtree hashes.
 */
import { findLatestTreeHead, type Db } from '../store/index.js';
import { TransparencyError } from './errors.js';
import { withStoredTree } from './log-hash-source.js';
import { consistencyProof, inclusionProof } from './merkle-tree.js';
import type { SignedTreeHead } from './tree-head.js';

/** The latest published head; ERR_TRANSPARENCY_NO_TREE_HEAD before the first one. */
export async function latestTreeHead(db: Db): Promise<SignedTreeHead> {
  const row = await findLatestTreeHead(db);
  if (row === undefined) throw new TransparencyError('ERR_TRANSPARENCY_NO_TREE_HEAD', 'The log has not published a tree head yet');
  return { treeSize: row.tree_size, timestamp: row.timestamp, rootHash: row.root_hash, signature: row.signature, keyId: row.key_id };
}

async function publishedSize(db: Db, treeSize: number): Promise<void> {
  const latest = await latestTreeHead(db);
  if (treeSize > latest.treeSize) {
    throw new TransparencyError('ERR_TRANSPARENCY_RANGE', `Out of range: tree size ${treeSize} is larger than the latest head's ${latest.treeSize}`);
  }
}

/**
 * The audit path of leaf `leafIndex` in the tree of `treeSize` leaves.
 *
 * @example
 * ```ts
 * const path = await proveInclusion(db, 5, head.treeSize);
 * ```
 */
export async function proveInclusion(db: Db, leafIndex: number, treeSize: number): Promise<Uint8Array[]> {
  return (await proveInclusions(db, [leafIndex], treeSize))[0] ?? [];
}

/** The audit paths of several leaves in one tree, read with one query. */
export async function proveInclusions(db: Db, leafIndexes: readonly number[], treeSize: number): Promise<Uint8Array[][]> {
  await publishedSize(db, treeSize);
  return withStoredTree(db, treeSize, (tree) => leafIndexes.map((i) => inclusionProof(tree, i, treeSize)));
}

/** PROOF(first, D[second]): the tree of `first` leaves is a prefix of the tree of `second`. */
export async function proveConsistency(db: Db, first: number, second: number): Promise<Uint8Array[]> {
  await publishedSize(db, second);
  return withStoredTree(db, second, (tree) => consistencyProof(tree, first, second));
}
