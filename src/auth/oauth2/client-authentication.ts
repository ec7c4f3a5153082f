/**
 * Client authentication at the token and revocation endpoints (RFC 6749 §2.3.1):
 * client_secret_basic or client_secret_post — never both — with the secret verified by the scrypt
 * hasher in constant time; public clients identify themselves with client_id alone (RFC 6749 §2.1);
 * a client registered for mutual TLS (RFC 8705 §2) authenticates with the certificate of the TLS
 * connection instead of a secret, and its tokens are bound to that certificate (§3).
 */
import { appendFailureAudit } from '../../audit/index.js';
import { findOAuthClient, type OAuthClient } from '../../store/index.js';
import {
  certificateMatchesBinding,
  certificateThumbprint,
  type PresentedCertificate,
} from './client-certificate.js';
import { OAuth2Error } from './errors.js';
import { single } from './params.js';
import type { OAuth2Deps, Origin, RawParams } from './types.js';

/** The client that made a token or revocation request, and how it authenticated. */
export interface AuthenticatedClient {
  readonly client: OAuthClient;
  /** True when it used the Authorization header (a 401 then carries WWW-Authenticate, RFC 6749 §5.2). */
  readonly usedBasic: boolean;
  /**
   * RFC 8705 §3.1: the `x5t#S256` of the certificate the client authenticated with (mutual TLS),
   * which its access tokens are bound to; undefined for other methods.
   */
  readonly certificateThumbprint?: string;
}

/** RFC 6749 §2.3.1: `Basic base64(urlencode(client_id) ":" urlencode(client_secret))`. */
function parseBasic(header: string): { id: string; secret: string } {
  const m = /^Basic ([A-Za-z0-9+/]+={0,2})$/i.exec(header.trim());
  const decoded = m?.[1] === undefined ? '' : Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 1) {
    throw new OAuth2Error(
      'ERR_OAUTH2_INVALID_CLIENT',
      'the Authorization header is not valid Basic client authentication',
    );
  }
  try {
    const form = (s: string): string => decodeURIComponent(s.replace(/\+/g, ' '));
    return { id: form(decoded.slice(0, colon)), secret: form(decoded.slice(colon + 1)) };
  } catch {
    throw new OAuth2Error(
      'ERR_OAUTH2_INVALID_CLIENT',
      'the Authorization header is not valid Basic client authentication',
    );
  }
}

/**
 * Authenticates the client of a token/revocation request. Failures are invalid_client (401),
 * except malformed requests (invalid_request); each failure is audited.
 */
export async function authenticateClient(
  deps: Pick<OAuth2Deps, 'store' | 'hasher' | 'audit'>,
  request: {
    readonly params: RawParams;
    readonly authorization?: string | undefined;
    /** The client certificate of the TLS connection (mutual TLS), if one was presented. */
    readonly clientCertificate?: PresentedCertificate | undefined;
  } & Origin,
): Promise<AuthenticatedClient> {
  const bodyId = single(request.params, 'client_id');
  const bodySecret = single(request.params, 'client_secret');
  if (single(request.params, 'client_assertion') !== undefined) {
    throw new OAuth2Error('ERR_OAUTH2_INVALID_CLIENT', 'client assertions are not supported');
  }
  let id = bodyId;
  let secret = bodySecret;
  const usedBasic =
    request.authorization !== undefined && /^basic /i.test(request.authorization.trim());
  if (usedBasic) {
    // RFC 6749 §2.3: a client MUST NOT use more than one authentication method per request.
    if (bodySecret !== undefined) {
      throw new OAuth2Error(
        'ERR_OAUTH2_INVALID_REQUEST',
        'use one client authentication method, not two',
      );
    }
    const basic = parseBasic(request.authorization ?? '');
    if (bodyId !== undefined && bodyId !== basic.id) {
      throw new OAuth2Error(
        'ERR_OAUTH2_INVALID_REQUEST',
        'client_id differs from the authenticated client',
      );
    }
    id = basic.id;
    // Public clients that still send Basic carry an empty password: that is no secret.
    secret = basic.secret === '' ? undefined : basic.secret;
  }
  if (id === undefined)
    throw new OAuth2Error('ERR_OAUTH2_INVALID_REQUEST', 'the client_id parameter is missing');
  const client = id.length > 200 ? undefined : await findOAuthClient(deps.store.db, id);
  const refuse = async (reason: string): Promise<never> => {
    await appendFailureAudit(
      deps.store,
      {
        type: 'oauth2.client_auth',
        outcome: 'failure',
        ...(client === undefined ? {} : { actorClientId: client.id }),
        details: { reason },
        ...origin(request),
      },
      deps.audit,
    );
    throw new OAuth2Error('ERR_OAUTH2_INVALID_CLIENT', 'client authentication failed');
  };
  if (client === undefined) {
    // The same KDF work as for a known client, so timing does not reveal registered ids.
    if (secret !== undefined) await deps.hasher.verifyDummy(secret);
    return refuse('unknown-client');
  }
  if (client.tlsClientAuth !== null) {
    // RFC 8705 §2: the certificate is this client's authentication; a secret too would be a
    // second method (RFC 6749 §2.3), and a registered client has none to compare.
    if (secret !== undefined) return refuse('secret-for-mtls-client');
    const presented = request.clientCertificate;
    if (presented === undefined) return refuse('no-client-certificate');
    if (!certificateMatchesBinding(client.tlsClientAuth, presented)) {
      return refuse(
        client.tlsClientAuth.method === 'tls_client_auth' && !presented.chainsToClientCa
          ? 'certificate-not-from-client-ca'
          : 'certificate-mismatch',
      );
    }
    return { client, usedBasic, certificateThumbprint: certificateThumbprint(presented.der) };
  }
  if (client.clientType === 'public') {
    if (secret !== undefined) return refuse('secret-for-public-client');
    return { client, usedBasic };
  }
  if (secret === undefined) return refuse('missing-secret');
  if (client.secretHash === null) {
    await deps.hasher.verifyDummy(secret);
    return refuse('no-secret-registered');
  }
  if (!(await deps.hasher.verify(secret, client.secretHash))) return refuse('wrong-secret');
  return { client, usedBasic };
}

/** The audit origin fields of a request. */
export function origin(request: Origin): { sourceAddress?: string; traceId?: string } {
  return {
    ...(request.sourceAddress === undefined ? {} : { sourceAddress: request.sourceAddress }),
    ...(request.traceId === undefined ? {} : { traceId: request.traceId }),
  };
}
