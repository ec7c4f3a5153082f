/** Shared types of the OAuth 2.0 authorization server: its dependencies and the validated authorization request. */
import type { Clock } from '../../core/clock.js';
import type { Store } from '../../store/index.js';
import type { AuditContext } from '../../audit/index.js';
import type { Authenticator } from '../authenticator.js';
import type { SadService, RequestOrigin } from '../sad.js';
import type { SecretHasher } from '../secret-hasher.js';
import { OAuth2Error } from './errors.js';
import type { ConsentDocumentsConfig } from './consent-documents.js';
import type { PasskeyService } from '../webauthn/index.js';
import type { WebSessionService } from '../web-session.js';

/** Request parameters as the HTTP layer parsed them: a repeated parameter arrives as an array. */
export type RawParams = Readonly<Record<string, string | readonly string[] | undefined>>;

/** What the OAuth2 service is built from (server/ wires it at start-up). */
export interface OAuth2Deps {
  readonly store: Store;
  readonly clock: Clock;
  readonly audit: AuditContext;
  /** Password + TOTP (with lockout and throttling) and the credential PIN (SCAL2). */
  readonly authenticator: Authenticator;
  /** Issues the SAD a credential-scope token carries (CSC v2 §8.4; contract 2). */
  readonly sads: SadService;
  /** Verifies client secrets (scrypt, constant time). */
  readonly hasher: SecretHasher;
  /**
   * The issuer identifier (RFC 8414 §2, RFC 9207), e.g. `https://signet.example`; the endpoints
   * are `<issuer>/oauth2/authorize`, `/oauth2/token`, `/oauth2/revoke`. A function is read at
   * each use (a server listening on port 0 learns its base URL late).
   */
  readonly issuer: string | (() => string);
  /** Authorization code lifetime (default 60 s; RFC 6749 §4.1.2 recommends at most 10 minutes, docs/security.md OA-12 ≤ 60 s). */
  readonly codeTtlSeconds?: number;
  /** How long the login/consent pages stay valid (default 600 s). */
  readonly interactionTtlSeconds?: number;
  /** Service-scope access tokens (default 3600 s, CSC v2 §8.4.4). */
  readonly serviceTokenTtlSeconds?: number;
  /** Credential-scope access tokens = their SAD (default 300 s; at most the SadService's maximum). */
  readonly credentialTokenTtlSeconds?: number;
  /** Refresh tokens (default 8 hours); rotated on every use. */
  readonly refreshTokenTtlSeconds?: number;
  /**
   * RFC 9700 §2.1.1: PKCE for confidential clients too (default true, as CSC v2 §8.4.2 lists
   * code_challenge as required). Public clients always need it.
   */
  readonly pkceRequiredForConfidentialClients?: boolean;
  /**
   * Documents at consent (POST /oauth2/documents, `document_refs`): the inspector and the sealing
   * box. Without it the endpoint is absent and `document_refs` is refused.
   */
  readonly documents?: ConsentDocumentsConfig;
  /**
   * Passkeys (docs/decisions/0001 contract 2): login with password + passkey on the sign-in page,
   * and approval with an assertion whose challenge is the approval commitment.
   */
  readonly passkeys?: Pick<PasskeyService, 'startAuthentication' | 'finishAuthentication' | 'listPasskeys'>;
  /**
   * Mutual TLS (RFC 8705): the listener asks for client certificates, so the metadata advertises
   * tls_client_auth, self_signed_tls_client_auth and certificate-bound access tokens.
   */
  readonly mutualTls?: boolean;
  /** First-party web sessions: a browser already signed in to Signet skips the sign-in page (SSO). */
  readonly webSessions?: Pick<WebSessionService, 'resolve'>;
}

/** A document an authorization request shows at consent (its bytes stay sealed in the store). */
export interface ConsentDocument {
  /** Hex SHA-256 of the document_ref (the row's key). */
  readonly refHash: string;
  readonly name: string;
  readonly pages: number;
  /** The DTBS/R hash the AS computed: equal to the request's hash at the same position. */
  readonly hash: string;
}

/** The credential part of a `credential`-scope request (CSC v2 §8.4.2 parameters or RFC 9396 details). */
export interface CredentialAuthorization {
  readonly credentialId: string;
  readonly numSignatures: number;
  readonly hashAlgorithmOid: string;
  /** Standard base64 digests with the labels the client gave them (RAR documentDigests). */
  readonly documentDigests: readonly { readonly hash: string; readonly label?: string }[];
  /** The RAR `type` when the request used authorization_details (echoed at the token endpoint). */
  readonly rarType?: string;
}

/** An authorization request after validation; stored as JSON with the interaction. */
export interface AuthorizationRequest {
  readonly clientId: string;
  readonly clientName: string;
  readonly redirectUri: string;
  readonly state?: string;
  readonly codeChallenge?: string;
  readonly scope: 'service' | 'credential';
  readonly credential?: CredentialAuthorization;
  readonly description?: string;
  readonly lang?: string;
  /** Random id of this authorization request (in the approval commitment; binds its documents). */
  readonly requestId?: string;
  /** The documents shown at consent, in the order of the hashes (document_refs). */
  readonly documents?: readonly ConsentDocument[];
  /** Consent stage: the server nonce of the approval commitment. */
  readonly nonce?: string;
  /**
   * Consent stage: how the user was authenticated in this interaction — a second factor just
   * now (`totp`, `passkey`) or an existing web session (`session`, which needs a fresh factor).
   */
  readonly loginFactor?: 'totp' | 'passkey' | 'session';
}

/** Origin of a request (source address, trace id) for the audit log. */
export type Origin = RequestOrigin;

/** The issuer identifier now: without trailing slash; refused unless an http(s) URL without query or fragment. */
export function currentIssuer(deps: Pick<OAuth2Deps, 'issuer'>): string {
  const issuer = (typeof deps.issuer === 'function' ? deps.issuer() : deps.issuer).replace(
    /\/+$/,
    '',
  );
  if (!/^https?:\/\/[^/?#]+(\/[^?#]*)?$/.test(issuer)) {
    throw new OAuth2Error(
      'ERR_OAUTH2_SERVER_ERROR',
      'the OAuth2 issuer must be an http(s) URL without query or fragment',
    );
  }
  return issuer;
}
