/** Authorization server metadata (RFC 8414 §2), advertised at /.well-known/oauth-authorization-server. */
import { credentialRarTypes } from './authorization-request.js';

/** The metadata document. */
export interface AuthorizationServerMetadata {
  readonly issuer: string;
  readonly authorization_endpoint: string;
  readonly token_endpoint: string;
  readonly revocation_endpoint: string;
  readonly pushed_authorization_request_endpoint: string;
  readonly require_pushed_authorization_requests: boolean;
  readonly response_types_supported: readonly string[];
  readonly response_modes_supported: readonly string[];
  readonly grant_types_supported: readonly string[];
  readonly scopes_supported: readonly string[];
  readonly code_challenge_methods_supported: readonly string[];
  readonly token_endpoint_auth_methods_supported: readonly string[];
  readonly revocation_endpoint_auth_methods_supported: readonly string[];
  readonly authorization_details_types_supported: readonly string[];
  readonly authorization_response_iss_parameter_supported: boolean;
  /** RFC 8705 §3.3: access tokens of mutual-TLS clients are bound to their certificate. */
  readonly tls_client_certificate_bound_access_tokens?: boolean;
  /**
   * Signet's consent-documents endpoint (docs/decisions/0001 Contract 3), an additional metadata
   * value as RFC 8414 §2 allows: a client finds there whether prepared documents may be pushed
   * for the consent page (a provider without it gets the hashes alone, CSC v2 §8.4.2).
   */
  readonly signet_consent_documents_endpoint?: string;
  /**
   * Its batch form: up to 50 documents (together within the single-document size limit) under
   * one client authentication, each answered with its reference or its refusal.
   */
  readonly signet_consent_documents_batch_endpoint?: string;
}

/** Builds the metadata for `issuer` (no trailing slash). */
export function authorizationServerMetadata(issuer: string, options: { readonly consentDocuments?: boolean; readonly consentDocumentBatches?: boolean; readonly mutualTls?: boolean } = {}): AuthorizationServerMetadata {
  const authMethods = [
    'client_secret_basic',
    'client_secret_post',
    'none',
    // RFC 8705 §2.1.1, §2.2.1: the values registered for mutual-TLS client authentication.
    ...(options.mutualTls === true ? ['tls_client_auth', 'self_signed_tls_client_auth'] : []),
  ];
  return {
    issuer,
    authorization_endpoint: `${issuer}/oauth2/authorize`,
    token_endpoint: `${issuer}/oauth2/token`,
    revocation_endpoint: `${issuer}/oauth2/revoke`,
    // RFC 9126 §5; CSC v2 §8.4.3 names the endpoint pushed_authorize.
    pushed_authorization_request_endpoint: `${issuer}/oauth2/pushed_authorize`,
    require_pushed_authorization_requests: false,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'client_credentials', 'refresh_token'],
    scopes_supported: ['service', 'credential'],
    // RFC 9700 §2.1.1: S256 only.
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: authMethods,
    revocation_endpoint_auth_methods_supported: authMethods,
    authorization_details_types_supported: credentialRarTypes,
    // RFC 9207 §3: `iss` on every authorization response (mix-up defence).
    authorization_response_iss_parameter_supported: true,
    ...(options.mutualTls === true ? { tls_client_certificate_bound_access_tokens: true } : {}),
    ...(options.consentDocuments === true ? { signet_consent_documents_endpoint: `${issuer}/oauth2/documents` } : {}),
    ...(options.consentDocumentBatches === true ? { signet_consent_documents_batch_endpoint: `${issuer}/oauth2/documents/batch` } : {}),
  };
}
