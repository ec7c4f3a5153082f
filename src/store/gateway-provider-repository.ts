/**
 * The web gateway's service-scope authorizations at its CSC provider, one row per web session
 * (migration 0012). Byte columns hold what the gateway sealed and are returned as they are.
 */
import type { Db } from './store.js';
import type { GatewayProviderSessionsTable } from './schema.js';

/** A stored provider session. */
export type GatewayProviderSessionRow = Readonly<GatewayProviderSessionsTable>;

const bytesOf = (v: Uint8Array | null): Uint8Array | null => (v === null ? null : new Uint8Array(v));

function fromDb(row: GatewayProviderSessionsTable): GatewayProviderSessionRow {
  return {
    ...row,
    state_hash: bytesOf(row.state_hash),
    oauth_pending: bytesOf(row.oauth_pending),
    access_token: bytesOf(row.access_token),
    expires_at: Number(row.expires_at),
    created_at: Number(row.created_at),
  };
}

/** The provider session of web session `sessionId`, if any. */
export async function findGatewayProviderSession(db: Db, sessionId: string): Promise<GatewayProviderSessionRow | undefined> {
  const row = await db.selectFrom('gateway_provider_sessions').selectAll().where('session_id', '=', sessionId).executeTakeFirst();
  return row === undefined ? undefined : fromDb(row);
}

/** The provider session whose pending `state` hashes to `stateHash`, if any. */
export async function findGatewayProviderSessionByState(db: Db, stateHash: Uint8Array): Promise<GatewayProviderSessionRow | undefined> {
  const row = await db.selectFrom('gateway_provider_sessions').selectAll().where('state_hash', '=', stateHash).executeTakeFirst();
  return row === undefined ? undefined : fromDb(row);
}

/** Starts (or restarts) the code flow of a web session: the pending state replaces any earlier row. */
export async function putGatewayProviderPending(trx: Db, row: GatewayProviderSessionRow): Promise<void> {
  await trx.deleteFrom('gateway_provider_sessions').where('session_id', '=', row.session_id).execute();
  await trx.insertInto('gateway_provider_sessions').values(row).execute();
}

/**
 * Spends the pending state of `sessionId` (true once: a second callback with it finds nothing)
 * — the conditional UPDATE decides when two arrive at once.
 */
export async function spendGatewayProviderState(trx: Db, sessionId: string, stateHash: Uint8Array): Promise<boolean> {
  const result = await trx
    .updateTable('gateway_provider_sessions')
    .set({ state_hash: null, oauth_pending: null })
    .where('session_id', '=', sessionId)
    .where('state_hash', '=', stateHash)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Stores the sealed service token of `sessionId` until `expiresAt`. */
export async function setGatewayProviderToken(trx: Db, sessionId: string, accessToken: Uint8Array, expiresAt: number): Promise<void> {
  await trx.updateTable('gateway_provider_sessions').set({ access_token: accessToken, expires_at: expiresAt }).where('session_id', '=', sessionId).execute();
}

/** Forgets the provider session of `sessionId` (sign-out, or a token the provider no longer takes). */
export async function deleteGatewayProviderSession(trx: Db, sessionId: string): Promise<void> {
  await trx.deleteFrom('gateway_provider_sessions').where('session_id', '=', sessionId).execute();
}

/** Provider sessions that hold a service token, oldest first (the sweeper checks their web sessions). */
export async function listGatewayProviderTokens(db: Db, limit: number): Promise<readonly GatewayProviderSessionRow[]> {
  const rows = await db.selectFrom('gateway_provider_sessions').selectAll().where('access_token', 'is not', null).orderBy('created_at').limit(limit).execute();
  return rows.map(fromDb);
}

/** True when some provider session has expired (the sweeper writes only then). */
export async function hasExpiredGatewayProviderSessions(db: Db, now: number): Promise<boolean> {
  const row = await db.selectFrom('gateway_provider_sessions').select('session_id').where('expires_at', '<', now).limit(1).executeTakeFirst();
  return row !== undefined;
}

/** Deletes expired provider sessions; returns how many. */
export async function purgeGatewayProviderSessions(trx: Db, now: number): Promise<number> {
  const result = await trx.deleteFrom('gateway_provider_sessions').where('expires_at', '<', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}
