/**
 * The web gateway's jobs and documents (migration 0011). State changes are conditional UPDATEs
 * whose row count decides (two nodes may race on one job), never an earlier read; byte columns
 * hold what the gateway sealed and are returned as they are.
 */
import type { Db } from './store.js';
import type { GatewayJobDocumentsTable, GatewayJobsTable } from './schema.js';

/** A stored job. */
export type GatewayJobRow = Readonly<GatewayJobsTable>;

/** A document without its byte columns (listing and progress). */
export type GatewayDocumentSummary = Readonly<
  Pick<GatewayJobDocumentsTable, 'id' | 'job_id' | 'position' | 'name' | 'size' | 'pages' | 'visible' | 'dtbs_hash' | 'state' | 'error_code' | 'error_message' | 'signed_size'>
>;

/** A document with the byte column asked for. */
export type GatewayDocumentBlob = GatewayDocumentSummary & { readonly blob: Uint8Array | null };

/** Which sealed column to read. */
export type GatewayDocumentColumn = 'original' | 'prepared' | 'signed';

const bytesOf = (v: Uint8Array | null): Uint8Array | null => (v === null ? null : new Uint8Array(v));
const numOf = (v: number | null): number | null => (v === null ? null : Number(v));

function jobFromDb(row: GatewayJobsTable): GatewayJobRow {
  return {
    ...row,
    total: Number(row.total),
    signed_count: Number(row.signed_count),
    failed_count: Number(row.failed_count),
    state_hash: bytesOf(row.state_hash),
    oauth_pending: bytesOf(row.oauth_pending),
    approved: bytesOf(row.approved),
    access_token: bytesOf(row.access_token),
    token_expires_at: numOf(row.token_expires_at),
    lease_until: numOf(row.lease_until),
    created_at: Number(row.created_at),
    updated_at: Number(row.updated_at),
    purge_at: Number(row.purge_at),
  };
}

const summaryColumns = ['id', 'job_id', 'position', 'name', 'size', 'pages', 'visible', 'dtbs_hash', 'state', 'error_code', 'error_message', 'signed_size'] as const;

function summaryFromDb(row: GatewayDocumentSummary): GatewayDocumentSummary {
  return { ...row, position: Number(row.position), size: Number(row.size), pages: Number(row.pages), signed_size: numOf(row.signed_size) };
}

/** Inserts a new job. */
export async function insertGatewayJob(trx: Db, row: GatewayJobRow): Promise<void> {
  await trx.insertInto('gateway_jobs').values(row).execute();
}

/** The job `id`, if any. */
export async function findGatewayJob(db: Db, id: string): Promise<GatewayJobRow | undefined> {
  const row = await db.selectFrom('gateway_jobs').selectAll().where('id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : jobFromDb(row);
}

/** The job whose pending OAuth state hashes to `stateHash`, if any. */
export async function findGatewayJobByStateHash(db: Db, stateHash: Uint8Array): Promise<GatewayJobRow | undefined> {
  const row = await db.selectFrom('gateway_jobs').selectAll().where('state_hash', '=', stateHash).executeTakeFirst();
  return row === undefined ? undefined : jobFromDb(row);
}

/** A user's jobs, newest first (at most `limit`). */
export async function listUserGatewayJobs(db: Db, userId: string, limit: number): Promise<readonly GatewayJobRow[]> {
  const rows = await db
    .selectFrom('gateway_jobs')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map(jobFromDb);
}

/**
 * `UPDATE gateway_jobs SET … WHERE id = ? AND state IN (…)`: true when the job was in one of
 * `from` and is now changed.
 */
export async function updateGatewayJob(
  trx: Db,
  id: string,
  from: readonly string[],
  patch: Partial<Omit<GatewayJobsTable, 'id' | 'user_id' | 'credential_id' | 'options' | 'created_at'>>,
): Promise<boolean> {
  const result = await trx.updateTable('gateway_jobs').set(patch).where('id', '=', id).where('state', 'in', [...from]).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Takes or renews the lease of a job in `signing`: when nobody holds it, it expired, or `owner`
 * holds it already. True when `owner` holds it until `until` now.
 */
export async function acquireGatewayJobLease(trx: Db, id: string, owner: string, now: number, until: number): Promise<boolean> {
  const result = await trx
    .updateTable('gateway_jobs')
    .set({ lease_owner: owner, lease_until: until, updated_at: now })
    .where('id', '=', id)
    .where('state', '=', 'signing')
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now), eb('lease_owner', '=', owner)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Takes the job for Sign (phase one and the authorization request) while it is `draft` or
 * `authorizing` and nobody else prepares it: one Sign at a time per job. True when taken.
 */
export async function lockGatewayJobForSign(trx: Db, id: string, owner: string, now: number, until: number): Promise<boolean> {
  const result = await trx
    .updateTable('gateway_jobs')
    .set({ lease_owner: owner, lease_until: until, updated_at: now })
    .where('id', '=', id)
    .where('state', 'in', ['draft', 'authorizing'])
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Releases the Sign lock of `owner` (no-op when it is not theirs any more). */
export async function unlockGatewayJobForSign(trx: Db, id: string, owner: string): Promise<void> {
  await trx.updateTable('gateway_jobs').set({ lease_owner: null, lease_until: null }).where('id', '=', id).where('lease_owner', '=', owner).execute();
}

/** Ids of jobs in `signing` whose lease is free or expired at `now` (at most `limit`). */
export async function listResumableGatewayJobs(db: Db, now: number, limit: number): Promise<readonly string[]> {
  const rows = await db
    .selectFrom('gateway_jobs')
    .select('id')
    .where('state', '=', 'signing')
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
    .orderBy('updated_at')
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

/** True when some job is past its `purge_at` (a read, so sweeps that find nothing take no write lock). */
export async function hasPurgeableGatewayJobs(db: Db, now: number): Promise<boolean> {
  const row = await db.selectFrom('gateway_jobs').select('id').where('purge_at', '<', now).where('state', '!=', 'signing').limit(1).executeTakeFirst();
  return row !== undefined;
}

/** Deletes every job (and its documents) whose `purge_at` has passed; returns the number of jobs. */
export async function purgeGatewayJobs(trx: Db, now: number): Promise<number> {
  const ids = (await trx.selectFrom('gateway_jobs').select('id').where('purge_at', '<', now).where('state', '!=', 'signing').execute()).map((r) => r.id);
  if (ids.length === 0) return 0;
  await trx.deleteFrom('gateway_job_documents').where('job_id', 'in', ids).execute();
  await trx.deleteFrom('gateway_jobs').where('id', 'in', ids).execute();
  return ids.length;
}

/** Inserts a document. */
export async function insertGatewayDocument(trx: Db, row: Readonly<GatewayJobDocumentsTable>): Promise<void> {
  await trx.insertInto('gateway_job_documents').values(row).execute();
}

/** Count and next position of a job's documents. */
export async function gatewayDocumentSlots(db: Db, jobId: string): Promise<{ readonly count: number; readonly nextPosition: number }> {
  const row = await db
    .selectFrom('gateway_job_documents')
    .select((eb) => [eb.fn.countAll().as('n'), eb.fn.max('position').as('last')])
    .where('job_id', '=', jobId)
    .executeTakeFirst();
  const count = Number(row?.n ?? 0);
  return { count, nextPosition: count === 0 ? 0 : Number(row?.last ?? -1) + 1 };
}

/** Bytes of documents a user holds in jobs not yet purged (the per-user quota). */
export async function userGatewayBytes(db: Db, userId: string): Promise<number> {
  const row = await db
    .selectFrom('gateway_job_documents')
    .innerJoin('gateway_jobs', 'gateway_jobs.id', 'gateway_job_documents.job_id')
    .select((eb) => eb.fn.sum<number | string | null>('gateway_job_documents.size').as('total'))
    .where('gateway_jobs.user_id', '=', userId)
    .executeTakeFirst();
  return Number(row?.total ?? 0);
}

/** A job's documents in position order, without byte columns. */
export async function listGatewayDocuments(db: Db, jobId: string): Promise<readonly GatewayDocumentSummary[]> {
  const rows = await db.selectFrom('gateway_job_documents').select(summaryColumns).where('job_id', '=', jobId).orderBy('position').execute();
  return rows.map(summaryFromDb);
}

/** One document of a job with one byte column. */
export async function findGatewayDocument(db: Db, jobId: string, id: string, column: GatewayDocumentColumn): Promise<GatewayDocumentBlob | undefined> {
  const row = await db
    .selectFrom('gateway_job_documents')
    .select([...summaryColumns, `${column} as blob`])
    .where('job_id', '=', jobId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  const { blob, ...summary } = row as GatewayDocumentSummary & { blob: Uint8Array | null };
  return { ...summaryFromDb(summary), blob: bytesOf(blob) };
}

/** A job's documents with one byte column, in position order, from `position` on (at most `limit`). */
export async function listGatewayDocumentBlobs(
  db: Db,
  jobId: string,
  column: GatewayDocumentColumn,
  fromPosition: number,
  limit: number,
): Promise<readonly GatewayDocumentBlob[]> {
  const rows = await db
    .selectFrom('gateway_job_documents')
    .select([...summaryColumns, `${column} as blob`])
    .where('job_id', '=', jobId)
    .where('position', '>=', fromPosition)
    .orderBy('position')
    .limit(limit)
    .execute();
  return rows.map((row) => {
    const { blob, ...summary } = row as GatewayDocumentSummary & { blob: Uint8Array | null };
    return { ...summaryFromDb(summary), blob: bytesOf(blob) };
  });
}

/** Sets or clears the visible signature of a document still `uploaded`; true when changed. */
export async function setGatewayDocumentVisible(trx: Db, jobId: string, id: string, visible: string | null, now: number): Promise<boolean> {
  const result = await trx
    .updateTable('gateway_job_documents')
    .set({ visible, updated_at: now })
    .where('job_id', '=', jobId)
    .where('id', '=', id)
    .where('state', '=', 'uploaded')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Records phase one of a document. */
export async function setGatewayDocumentPrepared(trx: Db, id: string, prepared: Uint8Array, dtbsHash: string, now: number): Promise<void> {
  await trx
    .updateTable('gateway_job_documents')
    .set({ prepared, dtbs_hash: dtbsHash, state: 'prepared', error_code: null, error_message: null, updated_at: now })
    .where('id', '=', id)
    .execute();
}

/** Records a document's failure unless it is signed already; true when recorded. */
export async function setGatewayDocumentFailed(trx: Db, id: string, code: string, message: string, now: number): Promise<boolean> {
  const result = await trx
    .updateTable('gateway_job_documents')
    .set({ state: 'failed', error_code: code, error_message: message, updated_at: now })
    .where('id', '=', id)
    .where('state', '!=', 'signed')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Stores a document's signed bytes unless it is signed already; true when stored. */
export async function setGatewayDocumentSigned(trx: Db, id: string, signed: Uint8Array, size: number, now: number): Promise<boolean> {
  const result = await trx
    .updateTable('gateway_job_documents')
    .set({ state: 'signed', signed, signed_size: size, prepared: null, error_code: null, error_message: null, updated_at: now })
    .where('id', '=', id)
    .where('state', '=', 'prepared')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Recounts a job's signed and failed documents into its row; returns them. */
export async function recountGatewayJob(trx: Db, id: string, now: number): Promise<{ readonly signed: number; readonly failed: number; readonly total: number }> {
  const rows = await trx
    .selectFrom('gateway_job_documents')
    .select((eb) => ['state', eb.fn.countAll().as('n')])
    .where('job_id', '=', id)
    .groupBy('state')
    .execute();
  const count = (state: string): number => Number(rows.find((r) => r.state === state)?.n ?? 0);
  const total = rows.reduce((sum, r) => sum + Number(r.n), 0);
  const signed = count('signed');
  const failed = count('failed');
  await trx.updateTable('gateway_jobs').set({ signed_count: signed, failed_count: failed, total, updated_at: now }).where('id', '=', id).execute();
  return { signed, failed, total };
}

/** The sealed secret of a gateway OAuth client, if registered. */
export async function findGatewayClientSecret(db: Db, clientId: string): Promise<Uint8Array | undefined> {
  const row = await db.selectFrom('gateway_clients').select('secret').where('client_id', '=', clientId).executeTakeFirst();
  return row === undefined ? undefined : new Uint8Array(row.secret);
}

/** Stores the sealed secret of a gateway OAuth client (a second insert is a unique violation). */
export async function insertGatewayClientSecret(trx: Db, clientId: string, secret: Uint8Array, now: number): Promise<void> {
  await trx.insertInto('gateway_clients').values({ client_id: clientId, secret, created_at: now }).execute();
}

/** A signed document of a person's job, as the signature log's page names it (issue 21). */
export interface SignedDocumentRef {
  readonly job_id: string;
  readonly id: string;
  readonly name: string;
  /** Base64 DTBS/R digest: the hash the transparency log's leaf names. */
  readonly dtbs_hash: string;
  readonly credential_id: string;
  /** Null when the job signed through this Signet (only then does it hold a batch receipt here). */
  readonly provider_credential: string | null;
}

/** The signed documents of `userId`'s jobs whose DTBS/R hash is one of `hashes` (base64). */
export async function findSignedDocumentsByHash(db: Db, userId: string, hashes: readonly string[]): Promise<SignedDocumentRef[]> {
  if (hashes.length === 0) return [];
  const rows = await db
    .selectFrom('gateway_job_documents as d')
    .innerJoin('gateway_jobs as j', 'j.id', 'd.job_id')
    .select(['d.job_id', 'd.id', 'd.name', 'd.dtbs_hash', 'j.credential_id', 'j.provider_credential'])
    .where('j.user_id', '=', userId)
    .where('d.state', '=', 'signed')
    .where('d.dtbs_hash', 'in', [...hashes])
    .execute();
  return rows.map((r) => ({ ...r, dtbs_hash: r.dtbs_hash as string }));
}
