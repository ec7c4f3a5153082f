/** Signature validation (ETSI EN 319 102-1): reports with indications, never exceptions for verdicts. */
export { FindingList } from './report-findings.js';
export { unreadableDocument, verifyPdfSignatures, type VerifyOptions } from './verify-pdf-signatures.js';
export {
  defaultValidationPolicy,
  digestRefusal,
  publicKeyRefusal,
  readValidationPolicy,
  type DigestAcceptance,
  type KeySizeAcceptance,
  type PublicKeyAlgorithm,
  type PublicKeyFacts,
  type ValidationPolicy,
} from './validation-policy.js';
export { acceptanceRefusals, publicKeyFacts, type AlgorithmFacts } from './signature-acceptance.js';
export { buildCertificatePath, type PathResult } from './certificate-path.js';
export { addLongTermFacts, verifyPdfLongTerm, type LongTermInput, type LongTermOptions, type RevocationMode } from './long-term.js';
export {
  cachedRevocationSource,
  fetchRevocationEvidence,
  fetchWantedRevocation,
  revocationWanted,
  type FetchRevocationOptions,
  type FetchedRevocation,
  type RevocationLookup,
  type WantedRevocation,
} from './online-revocation.js';
export { verifyTimestampToken, type TimestampCheck, type VerifiedTimestamp } from './timestamp-token.js';
export { revocationFromDss } from './dss-revocation.js';
export type {
  ChainStatus,
  DocumentReport,
  Finding,
  FindingSeverity,
  Indication,
  RevocationFinding,
  SignatureReport,
  SubIndication,
  TimestampReport,
  ValidationCheck,
  ValidationFindingCode,
} from './types.js';
export {
  checkPreparedDocument,
  type PreparedDocumentCheck,
  type PreparedDocumentInput,
  type PreparedDocumentProblem,
  type SignaturePlacement,
} from './prepared-document.js';
export { preSigningFindings, type PreSigningFinding, type PreSigningInput } from './pre-signing-findings.js';
