/** The OAuth 2.0 authorization server as one framework-free service object (server/ mounts it). */
import { AuthorizationFlow, type PasskeyLoginStart } from './authorization-flow.js';
import type { AuthorizeResponse } from './authorize-response.js';
import { authorizationServerMetadata, type AuthorizationServerMetadata } from './metadata.js';
import { revokeOAuthToken } from './revocation.js';
import {
  pushAuthorizationRequest,
  type PushedAuthorizationResponse,
} from './pushed-authorization.js';
import {
  defaultConsentDocumentMaxBytes,
  maxBatchDocuments,
  readConsentDocument,
  uploadConsentDocument,
  uploadConsentDocuments,
  type ConsentDocumentBatchItem,
  type ConsentDocumentBytes,
  type ConsentDocumentResponse,
} from './consent-documents.js';
import { TokenEndpoint, type TokenRequest, type TokenResponse } from './token-endpoint.js';
import { currentIssuer, type OAuth2Deps, type Origin, type RawParams } from './types.js';

/** The endpoints' behaviour, independent of HTTP framework. */
export interface OAuth2Service {
  /** GET /oauth2/authorize; `webSession` is the browser's `signet_session` cookie (single sign-on). */
  authorize(params: RawParams, origin: Origin, webSession?: string): Promise<AuthorizeResponse>;
  /** POST /oauth2/login/passkey: password first, then a passkey ceremony (the page's script). */
  startPasskeyLogin?(form: RawParams, session: string | undefined, origin: Origin): Promise<PasskeyLoginStart>;
  /** POST /oauth2/authorize (login and consent forms); `session` is the interaction cookie. */
  submitAuthorization(
    form: RawParams,
    session: string | undefined,
    origin: Origin,
  ): Promise<AuthorizeResponse>;
  /** POST /oauth2/token; throws OAuth2Error. */
  token(request: TokenRequest): Promise<TokenResponse>;
  /**
   * POST /oauth2/pushed_authorize (RFC 9126); throws OAuth2Error. Optional so wrappers built
   * before it existed still type-check; the route is registered when present.
   */
  pushAuthorization?(request: TokenRequest): Promise<PushedAuthorizationResponse>;
  /**
   * POST /oauth2/documents (docs/decisions/0001 contract 3); throws OAuth2Error. Present when the
   * service was built with `documents`.
   */
  uploadDocument?(request: TokenRequest): Promise<ConsentDocumentResponse>;
  /** POST /oauth2/documents/batch: up to 50 documents under one client authentication; throws OAuth2Error for the whole batch. */
  uploadDocuments?(request: TokenRequest, documents: unknown): Promise<{ readonly documents: readonly ConsentDocumentBatchItem[] }>;
  /** The body limit of POST /oauth2/documents/batch. */
  readonly documentBatchBodyLimit?: number;
  /** GET /oauth2/documents/:index under the consent-stage interaction cookie; undefined when not allowed. */
  readDocument?(session: string | undefined, index: number): Promise<ConsentDocumentBytes | undefined>;
  /** The body limit of POST /oauth2/documents (the base64 of the largest document, plus room). */
  readonly documentBodyLimit?: number;
  /** POST /oauth2/revoke; throws OAuth2Error only for client authentication and malformed requests. */
  revoke(request: TokenRequest): Promise<void>;
  /** Releases what the service holds (the document inspector's workers); the routes call it on close. */
  close?(): Promise<void>;
  /** RFC 8414 metadata. */
  metadata(): AuthorizationServerMetadata;
  /** True when the issuer is https (the interaction cookie is then `Secure`). */
  readonly secureCookies: boolean;
}

/**
 * Builds the OAuth2 service.
 *
 * @example
 * ```ts
 * const oauth2 = createOAuth2Service({ store, clock, audit, authenticator, sads, hasher, issuer: 'https://signet.example' });
 * await app.register(oauth2Routes, { oauth2 });
 * ```
 */
export function createOAuth2Service(deps: OAuth2Deps): OAuth2Service {
  // Fail fast on a bad static issuer (a function is read at each use).
  if (typeof deps.issuer === 'string') currentIssuer(deps);
  const flow = new AuthorizationFlow(deps);
  const tokens = new TokenEndpoint(deps);
  const documents = deps.documents;
  const uploads =
    documents === undefined
      ? {}
      : {
          uploadDocument: (request: TokenRequest) => uploadConsentDocument(deps, documents, request),
          uploadDocuments: (request: TokenRequest, items: unknown) => uploadConsentDocuments(deps, documents, request, items),
          documentBatchBodyLimit: Math.ceil((documents.maxBytes ?? defaultConsentDocumentMaxBytes) / 3) * 4 + maxBatchDocuments * 90 * 1024 + 128 * 1024,
          readDocument: (session: string | undefined, index: number) => readConsentDocument(deps, documents, session, index),
          documentBodyLimit:
            Math.ceil((documents.maxBytes ?? defaultConsentDocumentMaxBytes) / 3) * 4 + 128 * 1024,
        };
  return {
    ...uploads,
    close: async () => {
      await documents?.inspector.close?.();
    },
    authorize: (params, origin, webSession) => flow.start(params, origin, webSession),
    ...(deps.passkeys === undefined
      ? {}
      : { startPasskeyLogin: (form: RawParams, session: string | undefined, origin: Origin) => flow.startPasskeyLogin(form, session, origin) }),
    submitAuthorization: (form, session, origin) => flow.submit(form, session, origin),
    token: (request) => tokens.token(request),
    pushAuthorization: (request) => pushAuthorizationRequest(deps, request),
    revoke: (request) => revokeOAuthToken(deps, request),
    metadata: () => authorizationServerMetadata(currentIssuer(deps), { consentDocuments: documents !== undefined, consentDocumentBatches: documents !== undefined, mutualTls: deps.mutualTls === true }),
    get secureCookies() {
      return currentIssuer(deps).startsWith('https://');
    },
  };
}
