/** The OAuth 2.0 authorization server's public surface (RFC 6749, 7636, 7009, 9396, 9700; CSC API v2 §8.4). */
export { createOAuth2Service, type OAuth2Service } from './oauth2-service.js';
export type {
  OAuth2Deps,
  RawParams,
  AuthorizationRequest,
  ConsentDocument,
  CredentialAuthorization,
} from './types.js';
export type { AuthorizeResponse, SessionChange } from './authorize-response.js';
export type { TokenRequest, TokenResponse } from './token-endpoint.js';
export type { AuthorizationServerMetadata } from './metadata.js';
export {
  createOAuthClient,
  type NewOAuthClient,
  type TlsClientAuthRequest,
  type RegisteredOAuthClient,
  type OAuthClientRegistrationDeps,
} from './client-registration.js';
export {
  OAuth2Error,
  oauth2WireErrors,
  safeErrorDescription,
  type OAuth2ErrorCode,
} from './errors.js';
export { isRegisteredRedirectUri, redirectUriProblem } from './redirect-uri.js';
export { s256Challenge, verifyPkce } from './pkce.js';
export type { PushedAuthorizationResponse } from './pushed-authorization.js';
export {
  consentDocumentAad,
  defaultConsentDocumentMaxBytes,
  maxBatchDocuments,
  type ConsentDocumentBatchItem,
  type ConsentDocumentInspector,
  type ConsentDocumentResponse,
  type ConsentDocumentsConfig,
  type DocumentFinding,
  type DocumentInspection,
} from './consent-documents.js';
export type { PasskeyLoginStart } from './authorization-flow.js';
export { approvalCommitment, approvedBatchRoot, commitmentText, type CommitmentInput } from './approval-commitment.js';
export {
  certificateMatchesBinding,
  certificateThumbprint,
  registeredSubjectDn,
  type PresentedCertificate,
} from './client-certificate.js';
