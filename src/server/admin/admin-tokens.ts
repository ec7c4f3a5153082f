/**
 * Administrator tokens: the one-time set-up token printed at first start (stored hashed, single
 * use) and the admin bearer tokens (scope `admin`) it is exchanged for. They live in the tokens
 * table under their own kinds (`admin-setup`, `admin`), issued to the built-in client
 * `signet-admin`, so no CSC or OAuth check that looks for kind `access` can ever accept them
 * (docs/security.md OA-28: audience restriction). Opaque values, SHA-256 at rest (RFC 6749 §10.10).
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import { appendAudit, type AuditContext, type AuditEvent, type AuditJson } from '../../audit/index.js';
import { generateOpaqueToken, hashOpaqueToken } from '../../auth/index.js';
import {
  countTokensOfKinds,
  findOAuthClient,
  findToken,
  insertOAuthClient,
  insertToken,
  redeemSingleUseToken,
  type Db,
  type Store,
} from '../../store/index.js';
import { ServerError } from '../errors.js';

/** The built-in OAuth client that owns admin tokens. */
export const adminClientId = 'signet-admin';
/** Token kind of the one-time set-up token. */
export const setupTokenKind = 'admin-setup';
/** Token kind of admin bearer tokens. */
export const adminTokenKind = 'admin';
/** Lifetime of the set-up token: 7 days. */
export const setupTokenTtlSeconds = 7 * 24 * 3600;
/** Default lifetime of an admin bearer token: 12 hours. */
export const defaultAdminTokenTtlSeconds = 12 * 3600;

/** Where an admin request came from (for the audit log). */
export interface AdminOrigin {
  readonly sourceAddress?: string;
  readonly traceId?: string;
  /** `api` or `cli`. */
  readonly via: 'api' | 'cli';
  /** The admin session (token family id) of an API request. */
  readonly session?: string;
  /** The administrator's user id when the request came with an admin's web session (issue 12). */
  readonly actorUserId?: string;
}

/** What the token functions need. */
export interface AdminTokenDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly audit: AuditContext;
}

/** A verified admin bearer token. */
export interface AdminSession {
  /** The token family id: a public session id for the audit log (never the token). */
  readonly session: string;
  readonly expiresAt: number;
}

/** Creates the `signet-admin` client row when missing (tokens reference their client). */
export async function ensureAdminClient(trx: Db, now: number): Promise<void> {
  if ((await findOAuthClient(trx, adminClientId)) !== undefined) return;
  await insertOAuthClient(trx, {
    id: adminClientId,
    name: 'Signet administration (built-in)',
    clientType: 'confidential',
    secretHash: null,
    redirectUris: [],
    allowedScopes: ['admin'],
    createdAt: now,
  });
}

function originFields(origin: AdminOrigin): { sourceAddress?: string; traceId?: string } {
  return {
    ...(origin.sourceAddress !== undefined ? { sourceAddress: origin.sourceAddress } : {}),
    ...(origin.traceId !== undefined ? { traceId: origin.traceId } : {}),
  };
}

/** An audit event of the built-in admin client; `session` names the admin token family it concerns. */
function adminEvent(
  type: string,
  outcome: 'success' | 'failure',
  origin: AdminOrigin | undefined,
  details: { readonly [key: string]: AuditJson },
  session?: string,
): AuditEvent {
  return {
    type,
    outcome,
    actorClientId: adminClientId,
    ...(session !== undefined ? { subject: `admin-session:${session}` } : {}),
    ...(origin !== undefined ? originFields(origin) : {}),
    details: origin !== undefined ? { via: origin.via, ...details } : details,
  };
}

async function insertAdminKindToken(
  trx: Db,
  kind: string,
  ttlSeconds: number,
  now: number,
): Promise<{ value: string; family: string; expiresAt: number }> {
  const { token, hash } = generateOpaqueToken();
  const family = randomUUID();
  const expiresAt = now + ttlSeconds * 1000;
  await insertToken(trx, {
    token_hash: hash,
    kind,
    client_id: adminClientId,
    user_id: null,
    scope: 'admin',
    family_id: family,
    credential_id: null,
    expires_at: expiresAt,
    revoked: 0,
    used: 0,
    created_at: now,
  });
  return { value: token, family, expiresAt };
}

/**
 * On the very first start (no set-up or admin token was ever issued), creates the one-time set-up
 * token and returns it for printing; afterwards returns undefined (never regenerated). Audited.
 */
export async function ensureSetupToken(deps: AdminTokenDeps): Promise<string | undefined> {
  return deps.store.transaction(async (trx) => {
    const now = deps.clock.now().getTime();
    await ensureAdminClient(trx, now);
    if ((await countTokensOfKinds(trx, [setupTokenKind, adminTokenKind])) > 0) return undefined;
    const issued = await insertAdminKindToken(trx, setupTokenKind, setupTokenTtlSeconds, now);
    await appendAudit(trx, adminEvent('admin.setup.create', 'success', undefined, { expiresAt: issued.expiresAt }, issued.family), deps.audit);
    return issued.value;
  });
}

/**
 * Redeems the one-time set-up token (atomically: one winner) for an admin bearer token. A wrong,
 * used or expired value is refused with ERR_SERVER_SETUP_TOKEN and audited.
 */
export async function exchangeSetupToken(
  deps: AdminTokenDeps,
  setupToken: string,
  origin: AdminOrigin,
  ttlSeconds = defaultAdminTokenTtlSeconds,
): Promise<{ readonly value: string; readonly expiresAt: number }> {
  const result = await deps.store.transaction(async (trx) => {
    const now = deps.clock.now().getTime();
    const row = await redeemSingleUseToken(trx, hashOpaqueToken(setupToken), setupTokenKind, now);
    if (row === undefined) return undefined;
    const issued = await insertAdminKindToken(trx, adminTokenKind, ttlSeconds, now);
    await appendAudit(trx, adminEvent('admin.setup.redeem', 'success', origin, { expiresAt: issued.expiresAt }, issued.family), deps.audit);
    return { value: issued.value, expiresAt: issued.expiresAt };
  });
  if (result === undefined) {
    await deps.store.transaction((trx) =>
      appendAudit(trx, adminEvent('admin.setup.redeem', 'failure', origin, { reason: 'unknown-used-or-expired' }), deps.audit),
    );
    throw new ServerError('ERR_SERVER_SETUP_TOKEN', 'the set-up token is unknown, expired or already used');
  }
  return result;
}

/**
 * Issues an admin bearer token directly (operator with access to the data directory / database:
 * `signet admin token create`). Audited.
 */
export async function issueAdminToken(
  deps: AdminTokenDeps,
  origin: AdminOrigin,
  ttlSeconds = defaultAdminTokenTtlSeconds,
): Promise<{ readonly value: string; readonly expiresAt: number }> {
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0 || ttlSeconds > 366 * 24 * 3600) {
    throw new ServerError('ERR_SERVER_INVALID_REQUEST', 'the admin token lifetime must be 1 s to 366 days');
  }
  return deps.store.transaction(async (trx) => {
    const now = deps.clock.now().getTime();
    await ensureAdminClient(trx, now);
    const issued = await insertAdminKindToken(trx, adminTokenKind, ttlSeconds, now);
    await appendAudit(trx, adminEvent('admin.token.create', 'success', origin, { expiresAt: issued.expiresAt }, issued.family), deps.audit);
    return { value: issued.value, expiresAt: issued.expiresAt };
  });
}

/** Verifies an admin bearer token: kind `admin`, not revoked, not expired. Undefined otherwise. */
export async function verifyAdminToken(
  db: Db,
  value: string,
  now: number,
): Promise<AdminSession | undefined> {
  const row = await findToken(db, hashOpaqueToken(value));
  if (row === undefined || row.kind !== adminTokenKind || row.revoked !== 0 || row.expires_at <= now) {
    return undefined;
  }
  return { session: row.family_id, expiresAt: row.expires_at };
}
