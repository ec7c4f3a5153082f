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
export { batchProofs, batchRoot, batchTree, isBatchMember, type BatchProof } from './batch-tree.js';
export {
  RECEIPT_TYPE,
  parseReceipt,
  receiptSignedBytes,
  signReceipt,
  verifyReceipt,
  type Receipt,
  type ReceiptExpectations,
  type ReceiptFacts,
  type ReceiptStatement,
} from './receipt.js';
export {
  deriveTransparencyKey,
  readTransparencyPublicKey,
  verifyTransparencySignature,
  type TransparencyKey,
  type TransparencyPublicKey,
} from './transparency-key.js';
