/**
 * CSC auth/login (HTTP Basic → service access token, CSC API v2 §11.2) and auth/revoke (§11.3,
 * RFC 7009 semantics). Basic login "SHOULD NOT be used" for qualified signatures (v2 Note 23):
 * it only yields a `service` token; signing still needs the PIN + OTP of credentials/authorize.
 */
import { appendAudit } from '../audit/index.js';
import { hashOpaqueToken, issueAccessToken } from '../auth/index.js';
import { findToken, revokeToken, revokeTokenFamily } from '../store/index.js';
import { CscError, invalidParameter } from './errors.js';
import type { CscDeps, CscRequestContext } from './csc-deps.js';
import { asBody, optionalBoolean, optionalString, requiredString } from './request-params.js';
import { requireBearer, type RequestTrail } from './request-scope.js';

/** The built-in client of auth/login tokens (seeded by store migration 0004). */
export const cscLoginClientId = 'csc-login';

/** RFC 7617 §2: `Basic base64(user-id ":" password)`. */
function parseBasic(header: string | undefined): { username: string; password: string } {
  const match = /^Basic ([A-Za-z0-9+/]+=*)$/i.exec(header ?? '');
  if (match?.[1] === undefined) {
    throw new CscError('ERR_CSC_INVALID_TOKEN', 'Missing or malformed Authorization header');
  }
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0 || decoded.length > 1024) {
    throw new CscError('ERR_CSC_INVALID_REQUEST', 'Malformed HTTP Basic credentials');
  }
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** auth/login: password → `{access_token, expires_in}` for the `csc-login` client, audited with the grant. */
export async function authLogin(
  deps: CscDeps,
  rawBody: unknown,
  ctx: CscRequestContext,
  trail: RequestTrail,
): Promise<{ access_token: string; expires_in: number }> {
  const body = asBody(rawBody);
  trail.clientId = cscLoginClientId;
  if (optionalString(body, 'refresh_token') !== undefined) {
    // Refresh tokens are only issued by the OAuth 2.0 token endpoint.
    throw invalidParameter('refresh_token');
  }
  optionalBoolean(body, 'rememberMe');
  optionalString(body, 'clientData', 4096);
  const { username, password } = parseBasic(ctx.authorization);
  const userId = await deps.authenticator.verifyPassword({
    username,
    password,
    // SCA-08: a password-only login must not wipe the count of wrong one-time codes or passkeys
    // made elsewhere, or "right password, wrong code" could be repeated without ever locking.
    keepFailures: 'when-second-factor',
    clientId: cscLoginClientId,
    ...origin(ctx),
  });
  trail.userId = userId;
  const ttl = deps.limits?.loginTokenSeconds ?? 3600;
  const now = deps.clock.now().getTime();
  const issued = await deps.store.transaction(async (trx) => {
    const token = await issueAccessToken(trx, {
      userId,
      clientId: cscLoginClientId,
      scope: 'service',
      ttlSeconds: ttl,
      now,
    });
    await appendAudit(
      trx,
      {
        type: 'csc.auth.login',
        outcome: 'success',
        actorUserId: userId,
        actorClientId: cscLoginClientId,
        subject: `user:${userId}`,
        details: { scope: 'service', expiresIn: token.expiresIn },
        ...origin(ctx),
      },
      deps.audit,
    );
    return token;
  });
  return { access_token: issued.value, expires_in: issued.expiresIn };
}

/**
 * auth/revoke: revokes one of the caller's own tokens (a refresh token takes its whole grant with
 * it; an access token leaves refresh tokens alone, CSC v2 §11.3) or SADs. Unknown or foreign
 * tokens are ignored silently (RFC 7009 §2.2).
 */
export async function authRevoke(
  deps: CscDeps,
  rawBody: unknown,
  ctx: CscRequestContext,
  trail: RequestTrail,
): Promise<void> {
  const body = asBody(rawBody);
  const caller = await requireBearer(deps, ctx, trail);
  const token = requiredString(body, 'token', 512);
  const hint = optionalString(body, 'token_type_hint');
  if (hint !== undefined && hint !== 'access_token' && hint !== 'refresh_token') {
    throw invalidParameter('token_type_hint');
  }
  optionalString(body, 'clientData', 4096);
  const hash = hashOpaqueToken(token);
  await deps.store.transaction(async (trx) => {
    const row = await findToken(trx, hash);
    if (row === undefined || row.user_id !== caller.info.userId) return;
    const revoked =
      row.kind === 'refresh' ? (await revokeTokenFamily(trx, row.family_id)) > 0 : await revokeToken(trx, hash);
    if (!revoked) return;
    await appendAudit(
      trx,
      {
        type: 'csc.auth.revoke',
        outcome: 'success',
        actorUserId: caller.info.userId,
        actorClientId: caller.info.clientId,
        subject: `user:${caller.info.userId}`,
        details: { kind: row.kind },
        ...origin(ctx),
      },
      deps.audit,
    );
  });
  // A credential-scope token is also its SAD (contract 2): revoke that too (docs/security.md SAD-15).
  await deps.sads.revoke({ sad: token, userId: caller.info.userId, ...origin(ctx) });
}

/** The request origin for audit entries. */
export function origin(ctx: CscRequestContext): { sourceAddress?: string; traceId?: string } {
  return {
    ...(ctx.sourceAddress === undefined ? {} : { sourceAddress: ctx.sourceAddress }),
    ...(ctx.traceId === undefined ? {} : { traceId: ctx.traceId }),
  };
}
