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
  RECEIPT_FIELDS,
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
  openReceiptSigner,
  readTransparencyPublicKey,
  transparencyPublicKeyFromSpki,
  verifyTransparencySignature,
  type ReceiptSigner,
  type TransparencyPublicKey,
} from './transparency-key.js';
export { encodeLogEntry, logEntryFormat, logEntryLeafHash, type LogEntry } from './log-entry.js';
export { appendSignatureLeaves, signatureEntries, signatureLeafRows, type SignatureLeaves } from './log-appender.js';
export { StoredHashSource, withStoredTree, type NodeId } from './log-hash-source.js';
export { latestTreeHead, proveConsistency, proveInclusion, proveInclusions } from './log-proofs.js';
export { logKeyLabel, openLogSigner, type LogSigner } from './log-key.js';
export { TreeHeadPublisher, treeHeadLock, type TreeHeadPublisherOptions } from './tree-head-publisher.js';
export {
  encodeTreeHeadData,
  logKeyId,
  treeHeadDigest,
  treeHeadFromJson,
  treeHeadToJson,
  verifyTreeHead,
  type SignedTreeHead,
  type SignedTreeHeadJson,
} from './tree-head.js';
export {
  describeSignature,
  isKnown,
  parseKnownSignatures,
  parseMonitorState,
  defaultMaxFutureSkewMs,
  runMonitor,
  type MonitorFinding,
  type MonitorOptions,
  type MonitorReport,
  type MonitorSource,
  type MonitorState,
  type ServedSignature,
} from './monitor.js';
export { httpMonitorSource, type MonitorFetch } from './monitor-http.js';
