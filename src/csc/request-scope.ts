/**
 * Per-request checks read top to bottom ("policies as values"): the bearer token
 * (RFC 6750 §2.1), the caller's own credential (docs/security.md AC-01: foreign = unknown), and whether
 * that credential may authorise or sign right now (SAD-16: checked at use time).
 */
import { accessTokenInfo, isAccessTokenValueShape, verifyAccessToken, type AccessTokenInfo } from '../auth/index.js';
import { findCredential, type CredentialRow, type TokenWithUserRow } from '../store/index.js';
import { CscError, invalidParameter } from './errors.js';
import { credentialCertificate, type CredentialCertificate } from './credential-certificate.js';
import type { CscDeps, CscRequestContext } from './csc-deps.js';

/** Who is calling, filled as the request is understood (for the audit entry of a failure). */
export interface RequestTrail {
  userId?: string;
  clientId?: string;
  credentialId?: string;
}

/** A verified bearer token of an active user. */
export interface Caller {
  readonly token: string;
  readonly info: AccessTokenInfo & { readonly userId: string };
}

const bearerPattern = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i;

/** The bearer value of `Authorization: Bearer <token>` (RFC 6750 §2.1), undefined for anything else. */
export function bearerTokenOf(ctx: CscRequestContext): string | undefined {
  return bearerPattern.exec(ctx.authorization ?? '')?.[1];
}

/** RFC 6750 §2.1: `Authorization: Bearer <token>`; anything else is invalid_token. */
export async function requireBearer(
  deps: CscDeps,
  ctx: CscRequestContext,
  trail: RequestTrail,
  /**
   * The token's row read ahead by its hash (signHash reads it with the credential in one
   * statement: store/bearer-and-credential.ts), else read here. Only for a value that passed
   * isAccessTokenValueShape.
   */
  tokenRead?: () => Promise<TokenWithUserRow | undefined>,
): Promise<Caller> {
  const token = bearerTokenOf(ctx);
  if (token === undefined) {
    throw new CscError('ERR_CSC_INVALID_TOKEN', 'Missing or invalid access token');
  }
  // RFC 8705 §3.1: a certificate-bound token is invalid_token on a connection without its certificate.
  const now = deps.clock.now().getTime();
  const info =
    tokenRead !== undefined && isAccessTokenValueShape(token)
      ? accessTokenInfo(await tokenRead(), now, ctx.clientCertificateThumbprint)
      : await verifyAccessToken(deps.store.db, token, now, ctx.clientCertificateThumbprint);
  if (info === undefined) throw new CscError('ERR_CSC_INVALID_TOKEN', 'The access token is not valid');
  trail.clientId = info.clientId;
  const userId = info.userId;
  // Client-credentials tokens (no user) cannot reach user credentials (e-seals are not served yet).
  if (userId === null) throw new CscError('ERR_CSC_ACCESS_DENIED', 'The access token has no user');
  trail.userId = userId;
  if (!info.userActive) {
    throw new CscError('ERR_CSC_INVALID_TOKEN', 'The access token is not valid');
  }
  return { token, info: { ...info, userId } };
}

/**
 * The caller's credential, or `Invalid parameter credentialID` exactly as for an unknown id
 * (docs/security.md AC-01, SAD-09). A credential-scope token is good for its own credential only.
 */
export async function requireOwnCredential(
  deps: CscDeps,
  caller: Caller,
  credentialId: string,
  trail: RequestTrail,
  /** The row read ahead (signHash reads it while the token is checked), else read here. */
  readAhead?: Promise<CredentialRow | undefined>,
): Promise<CredentialRow> {
  trail.credentialId = credentialId;
  const row = await (readAhead ?? findCredential(deps.store.db, credentialId));
  if (row === undefined || row.user_id !== caller.info.userId) throw invalidParameter('credentialID');
  if (caller.info.scope === 'credential' && caller.info.credentialId !== credentialId) {
    throw invalidParameter('credentialID');
  }
  return row;
}

/** CSC `cert.status` (v2 §11.5). */
export type CertificateStatus = 'valid' | 'expired' | 'revoked';

/** The certificate's status now: revoked (credential or CA record), expired / not yet valid, or valid. */
export async function certificateStatus(
  deps: CscDeps,
  row: CredentialRow,
  cert: CredentialCertificate,
  options: { readonly consultCa?: boolean } = {},
): Promise<CertificateStatus> {
  if (row.status === 'revoked') return 'revoked';
  const now = deps.clock.now().getTime();
  if (now < cert.notBefore.getTime() || now > cert.notAfter.getTime()) return 'expired';
  if (deps.ca !== undefined && options.consultCa !== false) {
    const record = await deps.ca.store.getCertificate(cert.serialHex);
    if (record?.revocation !== undefined && record.revocation.time.getTime() <= now) {
      return 'revoked';
    }
  }
  return 'valid';
}

/**
 * Refuses a credential that cannot sign now: disabled, locked, revoked, certificate expired or
 * revoked (CSC v2 §11.6/§11.10 descriptions; docs/security.md SAD-16). The CA store is consulted at
 * authorize, info and extendTransaction; at signHash/signDoc (`consultCa: false`) SadService
 * re-checks the credential row and the CA's revocation record (any node, any revocation path) in
 * the conditions of the consuming UPDATE (store/sads-repository.ts consumeSadHashes), so no extra round
 * trip is on the signing path.
 */
export async function requireUsableCredential(
  deps: CscDeps,
  row: CredentialRow,
  options: { readonly consultCa?: boolean } = {},
): Promise<CredentialCertificate> {
  if (row.locked !== 0) throw new CscError('ERR_CSC_INVALID_REQUEST', 'Credential locked');
  if (row.status === 'disabled') {
    throw new CscError(
      'ERR_CSC_INVALID_REQUEST',
      'The credential identified by credentialID is disabled',
    );
  }
  const cert = credentialCertificate(row);
  const status = await certificateStatus(deps, row, cert, options);
  if (status === 'expired') throw new CscError('ERR_CSC_INVALID_REQUEST', 'Signing certificate is expired');
  if (status !== 'valid') throw new CscError('ERR_CSC_INVALID_REQUEST', 'Signing certificate is revoked');
  return cert;
}

/**
 * Starts a read now and gives back its promise for later: its failure is kept for whoever awaits
 * it (never an unhandled rejection when an earlier check refuses the request first).
 */
export function readAhead<T>(read: () => Promise<T>): Promise<T> {
  const promise = read();
  promise.catch(() => undefined);
  return promise;
}
