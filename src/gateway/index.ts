/** The signing gateway: PAdES documents signed through any CSC provider, one or a batch. */
export { signBatch, type BatchSigningOptions } from './sign-batch.js';
export { cscSigner } from './csc-signer.js';
export { cscTimestamper } from './csc-timestamper.js';
export {
  bearerAuthorizer,
  explicitAuthorizer,
  type HashAuthorization,
  type HashAuthorizationRequest,
  type HashAuthorizer,
} from './authorizer.js';
export {
  checkAuthorizationResponse,
  credentialScopeParams,
  discoverOAuthServer,
  oauthCodeFlowAuthorizer,
  redeemAuthorizationCode,
  startAuthorization,
  startPushedAuthorization,
  pushConsentDocument,
  type ConsentDocument,
  type OAuthClientRegistration,
  type OAuthFetch,
  type OAuthServer,
  type OAuthTokenResponse,
  type PendingAuthorization,
} from './oauth-code-flow.js';
export { GatewayError, type GatewayErrorCode } from './errors.js';
export type {
  BatchDocument,
  BatchProgress,
  BatchResult,
  BatchStage,
  DocumentResult,
  DocumentSignOptions,
  DocumentSink,
  DocumentSource,
} from './types.js';
export {
  JobRunner,
  addDocument,
  chunkIdempotencyKey,
  completeAuthorization,
  contentDisposition,
  createJob,
  defaultJobLimits,
  displayName,
  downloadDocument,
  ensureWebClient,
  getJob,
  jobZipEntries,
  listCredentialViews,
  listJobs,
  setDocumentVisible,
  startSigning,
  uniqueEntryNames,
  webClientId,
  writeZip,
  type CredentialView,
  type JobContext,
  type JobDocumentView,
  type JobFaults,
  type JobLimits,
  type JobOptions,
  type JobState,
  type JobView,
  type RequestOrigin,
  type ZipEntry,
} from './jobs/index.js';
