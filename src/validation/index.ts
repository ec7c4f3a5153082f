/** Signature validation (ETSI EN 319 102-1): reports with indications, never exceptions for verdicts. */
export { verifyPdfSignatures, type VerifyOptions } from './verify-pdf-signatures.js';
export { buildCertificatePath, type PathResult } from './certificate-path.js';
export type { ChainStatus, DocumentReport, Indication, SignatureReport, SubIndication } from './types.js';
