/** The web gateway's signing jobs (docs/decisions/0001 Contract 4): storage, authorization, the resumable signing run, downloads. */
export { defaultJobLimits, type ForeignProvider, type JobContext, type JobDocumentWork, type JobFaults, type JobLimits } from './job-context.js';
export {
  addDocument,
  createJob,
  documentReceipt,
  downloadDocument,
  getJob,
  jobZipEntries,
  listCredentialViews,
  listJobs,
  setDocumentVisible,
  type CredentialView,
  type JobDocumentView,
  type JobOptions,
  type JobState,
  type JobView,
} from './job-service.js';
export { completeAuthorization, startSigning, type RequestOrigin } from './job-authorization.js';
export { JobRunner, chunkIdempotencyKey } from './job-runner.js';
export { contentDisposition, displayName, uniqueEntryNames } from './file-name.js';
export { writeZip, type ZipEntry } from './zip-writer.js';
export { ensureWebClient, webClientId } from './web-client.js';
export {
  completeProviderConnection,
  listProviderCredentials,
  providerStatus,
  startProviderConnection,
  type ProviderCredentialView,
  type ProviderStatus,
} from './provider-connection.js';
