/** The CSC domain's public surface: the RSSP service (CSC API v2 and v1.0.4) and credential lifecycle. */
export { createCscService, cscOperations, type CscService } from './csc-service.js';
export type {
  CscDeps,
  CscInfoMetadata,
  CscLimits,
  CscRequestContext,
  CscResponse,
  CscVersion,
  DocumentPreparer,
  SigningOptions,
} from './csc-deps.js';
export { CscError, cscErrorWire, type CscErrorCode, type CscWireError } from './errors.js';
export { toCscError } from './error-mapping.js';
export { cscLoginClientId } from './auth-operations.js';
export {
  createCredential,
  disableCredential,
  enableCredential,
  revokeCredential,
  type CreateCredentialRequest,
  type CredentialAlgorithm,
  type CredentialLifecycleDeps,
  type LifecycleOrigin,
} from './credential-lifecycle.js';
export {
  addCredentialKey,
  maxCredentialKeys,
  type AddCredentialKeyRequest,
  type AddedCredentialKey,
} from './credential-key-addition.js';
export {
  KeyPool,
  keyRetryAfterMs,
  maxKeyRetryAfterMs,
  type PoolKey,
  type PoolKeyState,
} from './key-pool.js';
export { parseIdempotencyKey, maxIdempotencyKeyLength } from './idempotency-key.js';
export { defaultAbandonAfterMs, requestFingerprint } from './idempotent-signing.js';
export {
  sweepSigningRequests,
  startSigningRequestSweeper,
  type SigningRequestSweeper,
  type SweepReport,
  type SweeperDeps,
} from './signing-request-sweeper.js';
export {
  signingFaultPoints,
  type SigningFaultHooks,
  type SigningFaultPoint,
  type SigningFaultContext,
} from './signing-faults.js';
export { enrollCredential, externalBackendKind } from './credential-enrollment.js';
export type { EnrollCredentialRequest } from './credential-enrollment.js';
export { completeExternalSignature, prepareExternalSignature, refuseExternalCredential } from './external-signing.js';
export type { ExternalSigningDeps } from './external-signing.js';
