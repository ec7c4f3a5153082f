/**
 * Verification of the PKI's structures — certificates, CRLs, OCSP responses, time-stamp replies
 * and tokens — used by validation; pki issues, serves and fetches them. A module of its own, not
 * re-exported by cms/index.ts: signing at B-B (`signet sign`) loads cms without the OCSP and TSP schemas
 * (test/cli/startup-imports).
 */
export { PkiError, type PkiErrorCode } from './pki-errors.js';
export {
  derToPem,
  keyIdentifier,
  nameToString,
  normaliseSerialHex,
  parseCertificate,
  pemCertificates,
  pemToDer,
  serialToHex,
  spkiDer,
  subjectKeyIdentifierOf,
} from './certificate.js';
export { verifyCrl, type CrlResult } from './crl/verify-crl.js';
export { verifyOcspEvidence, type OcspEvidence } from './ocsp/ocsp-evidence.js';
export { defaultOcspMaxSkewMs } from './ocsp/ocsp-response.js';
export {
  readTimestampReply,
  verifyTimestampReply,
  type TimestampReply,
  type TimestampRequestMatch,
  type TimestampResult,
} from './tsa/timestamp-reply.js';
export {
  checkTimestampingEku,
  parseTimestampToken,
  readTstInfo,
  timestampSigner,
  verifyTimestampSignature,
  type TimestampTokenView,
  type TstInfoView,
} from './tsa/timestamp-token.js';
export { parseRevocationReason, revocationReasonCodes, type RevocationReason } from './revocation-reason.js';
