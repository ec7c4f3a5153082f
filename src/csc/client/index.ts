/** The CSC API v2 client: typed calls, credential resolution, algorithm choice (any CSC provider). */
export { CscClient, type CscClientOptions, type CscServiceAuth } from './csc-client.js';
export { CscClientError, type CscClientErrorCode, type CscRemoteError } from './errors.js';
export {
  chooseSignAlgorithm,
  normalizeSignatureValue,
  type CscSignAlgorithm,
  type SignAlgorithmPreference,
} from './sign-algorithm.js';
export {
  checkRemoteSignature,
  explicitAuthData,
  loadRemoteCredential,
  remoteCredentialFromInfo,
  type ExplicitSecrets,
  type RemoteCredential,
} from './remote-credential.js';
export type * from './types.js';
