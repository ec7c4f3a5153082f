/** The transparency domain: RFC 9162 Merkle trees for verifiable batches and the signature log. */
export {
  MERKLE_HASH_SIZE,
  MemoryMerkleTree,
  consistencyProof,
  emptyTreeHash,
  hashChildren,
  hashLeaf,
  inclusionProof,
  splitPoint,
  treeHead,
  verifyConsistency,
  verifyInclusion,
  type MerkleHashSource,
} from './merkle-tree.js';
export { TransparencyError, type TransparencyErrorCode } from './errors.js';
