/**
 * Registering OAuth clients (RFC 6749 §2; the admin side): public or confidential, exact redirect
 * URIs, allowed scopes; a confidential client's secret is generated here, returned once and stored
 * only as a scrypt hash — or, for a mutual-TLS client (RFC 8705 §2), no secret at all but the
 * certificate binding it authenticates with.
 */
import { randomUUID, X509Certificate } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import { appendAudit, type AuditContext } from '../../audit/index.js';
import {
  insertOAuthClient,
  type OAuthClientType,
  type Store,
  type TlsClientAuth,
} from '../../store/index.js';
import { certificateThumbprint, registeredSubjectDn } from './client-certificate.js';
import { generateOpaqueToken } from '../opaque-token.js';
import type { SecretHasher } from '../secret-hasher.js';
import { OAuth2Error } from './errors.js';
import { redirectUriProblem } from './redirect-uri.js';
import type { Origin } from './types.js';
import { origin } from './client-authentication.js';

/** What registering a client needs. */
export interface OAuthClientRegistrationDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly audit: AuditContext;
  readonly hasher: SecretHasher;
}

/** A client to register. */
export interface NewOAuthClient extends Origin {
  readonly name: string;
  readonly clientType: OAuthClientType;
  /** Exact redirect URIs (RFC 9700 §4.1.3); may be empty for a client-credentials-only client. */
  readonly redirectUris: readonly string[];
  /** Subset of `service`, `credential` (CSC v2 §8.4.2). */
  readonly allowedScopes: readonly ('service' | 'credential')[];
  /** A chosen client id (default: a random UUID). */
  readonly clientId?: string;
  /** The administrator registering it, for the audit log. */
  readonly actorUserId?: string;
  /** Mutual-TLS client authentication instead of a secret (RFC 8705 §2); confidential clients only. */
  readonly tlsClientAuth?: TlsClientAuthRequest;
}

/**
 * How a mutual-TLS client is registered (RFC 8705 §2.1.2 metadata, one of): the subject DN as an
 * RFC 4514 string (`tls_client_auth_subject_dn`), a dNSName of the subjectAltName
 * (`tls_client_auth_san_dns`), or the PEM of its self-signed certificate
 * (`self_signed_tls_client_auth`, §2.2; stored as its SHA-256 thumbprint).
 */
export type TlsClientAuthRequest =
  | { readonly subjectDn: string }
  | { readonly sanDns: string }
  | { readonly selfSignedCertificatePem: string };

/** Checks a binding request and turns it into what is stored; ERR_OAUTH2_CLIENT_METADATA otherwise. */
function tlsClientAuthBinding(request: TlsClientAuthRequest): TlsClientAuth {
  const fail = (message: string): never => {
    throw new OAuth2Error('ERR_OAUTH2_CLIENT_METADATA', message);
  };
  if ('subjectDn' in request) {
    try {
      if (registeredSubjectDn(request.subjectDn).length === 0) fail('the subject DN is empty');
    } catch (cause) {
      if (cause instanceof OAuth2Error) throw cause;
      fail(`the subject DN is not an RFC 4514 name Signet reads: ${(cause as Error).message}`);
    }
    return { method: 'tls_client_auth', subjectDn: request.subjectDn.trim() };
  }
  if ('sanDns' in request) {
    const name = request.sanDns.trim().toLowerCase();
    // RFC 1035 §2.3.1 preferred name syntax (letters, digits, hyphens; dots between labels).
    if (!/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(name)) {
      fail('the subjectAltName dNSName is not a host name');
    }
    return { method: 'tls_client_auth', sanDns: name };
  }
  let cert: X509Certificate | undefined;
  try {
    cert = new X509Certificate(request.selfSignedCertificatePem);
  } catch {
    cert = undefined;
  }
  if (cert === undefined) return fail('the client certificate is not a PEM certificate');
  // RFC 8705 §2.2: the registered certificate is the client's own, self-signed one.
  if (!cert.checkIssued(cert) || !cert.verify(cert.publicKey)) {
    fail('the client certificate is not self-signed (use a subject DN or dNSName for CA-issued ones)');
  }
  return {
    method: 'self_signed_tls_client_auth',
    x5tS256: certificateThumbprint(new Uint8Array(cert.raw)),
  };
}

/** The registered client: the secret (confidential clients) is shown once and never stored. */
export interface RegisteredOAuthClient {
  readonly clientId: string;
  readonly clientSecret?: string;
}

/**
 * Registers an OAuth client. Refuses (ERR_OAUTH2_CLIENT_METADATA) redirect URIs with fragments,
 * user info, plain http off loopback, and unknown scopes; a taken id is ERR_STORE_CONFLICT. Audited.
 *
 * @example
 * ```ts
 * const { clientId, clientSecret } = await createOAuthClient(deps, {
 *   name: 'Gateway', clientType: 'confidential',
 *   redirectUris: ['https://gw.example/cb'], allowedScopes: ['service', 'credential'],
 * });
 * ```
 */
export async function createOAuthClient(
  deps: OAuthClientRegistrationDeps,
  request: NewOAuthClient,
): Promise<RegisteredOAuthClient> {
  const fail = (message: string): never => {
    throw new OAuth2Error('ERR_OAUTH2_CLIENT_METADATA', message);
  };
  const name = request.name.trim();
  if (name.length === 0 || name.length > 100) fail('the client name must have 1 to 100 characters');
  if (request.clientType !== 'public' && request.clientType !== 'confidential') {
    fail('the client type must be public or confidential');
  }
  const clientId = request.clientId ?? randomUUID();
  if (!/^[A-Za-z0-9._~-]{1,100}$/.test(clientId) || clientId === 'csc-login') {
    fail('the client id must be 1 to 100 unreserved characters');
  }
  if (request.redirectUris.length > 20) fail('at most 20 redirect URIs');
  for (const uri of request.redirectUris) {
    const problem = redirectUriProblem(uri);
    if (problem !== undefined)
      fail(`the redirect URI ${JSON.stringify(uri.slice(0, 100))} ${problem}`);
  }
  const scopes = [...new Set(request.allowedScopes)];
  if (scopes.length === 0 || scopes.some((s) => s !== 'service' && s !== 'credential')) {
    fail('allowed scopes must be service and/or credential');
  }
  const tlsClientAuth =
    request.tlsClientAuth === undefined ? null : tlsClientAuthBinding(request.tlsClientAuth);
  // RFC 8705 §2: a mutual-TLS client is a confidential client whose credential is its certificate.
  if (tlsClientAuth !== null && request.clientType !== 'confidential') {
    fail('mutual-TLS client authentication is for confidential clients');
  }
  const secret =
    request.clientType === 'confidential' && tlsClientAuth === null
      ? generateOpaqueToken().token
      : undefined;
  const secretHash = secret === undefined ? null : await deps.hasher.hash(secret);
  await deps.store.transaction(async (trx) => {
    await insertOAuthClient(trx, {
      id: clientId,
      name,
      clientType: request.clientType,
      secretHash,
      redirectUris: [...request.redirectUris],
      allowedScopes: scopes,
      createdAt: deps.clock.now().getTime(),
      tlsClientAuth,
    });
    await appendAudit(
      trx,
      {
        type: 'oauth2.client.create',
        outcome: 'success',
        ...(request.actorUserId === undefined ? {} : { actorUserId: request.actorUserId }),
        subject: `client:${clientId}`,
        details: {
          clientType: request.clientType,
          redirectUris: [...request.redirectUris],
          allowedScopes: scopes,
          ...(tlsClientAuth === null ? {} : { tlsClientAuth }),
        },
        ...origin(request),
      },
      deps.audit,
    );
  });
  return secret === undefined ? { clientId } : { clientId, clientSecret: secret };
}
