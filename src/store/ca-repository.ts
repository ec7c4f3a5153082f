/**
 * The built-in CA's rows (the database CaStore of `signet serve`): issued certificates with their
 * revocation (RFC 5280 §5.3.1) and renewal state, and named counters. Every state change is one
 * conditional statement whose row count decides, so nodes sharing one database agree.
 */
import { sql } from 'kysely';
import type { Db, StoreKind } from './store.js';
import type { CaCertificatesTable } from './schema.js';

/** A stored certificate row. */
export type CaCertificateRow = Readonly<CaCertificatesTable>;

function toRow(row: CaCertificatesTable): CaCertificateRow {
  return {
    ...row,
    der: new Uint8Array(row.der),
    not_before: Number(row.not_before),
    not_after: Number(row.not_after),
    revoked_at: row.revoked_at === null ? null : Number(row.revoked_at),
    claim_until: row.claim_until === null ? null : Number(row.claim_until),
  };
}

/** Advisory-lock namespace of the unique-key rule (PostgreSQL two-key form; the second key is the SPKI hash). */
const keyLockNamespace = 0x5ca0;

/**
 * Serialises issuers of the same public key until the transaction ends, so "no unrevoked
 * certificate of another subject has this key" stays true between the check and the insert. On
 * PostgreSQL a transaction-scoped advisory lock; on SQLite the write transaction (BEGIN IMMEDIATE)
 * already excludes every other writer.
 */
export async function lockCaPublicKey(trx: Db, kind: StoreKind, spkiSha256: string): Promise<void> {
  if (kind !== 'postgres') return;
  await sql`select pg_advisory_xact_lock(${keyLockNamespace}, hashtext(${spkiSha256}))`.execute(trx);
}

/** True when an unrevoked certificate of a subject other than `subject` certifies this key. */
export async function isKeyCertifiedForOtherSubject(
  db: Db,
  spkiSha256: string,
  subject: string,
): Promise<boolean> {
  const row = await db
    .selectFrom('ca_certificates')
    .select('serial_hex')
    .where('spki_sha256', '=', spkiSha256)
    .where('revoked_at', 'is', null)
    .where('subject', '<>', subject)
    .executeTakeFirst();
  return row !== undefined;
}

/** Inserts a certificate; false (nothing written) when the serial number exists. */
export async function insertCaCertificate(trx: Db, row: CaCertificateRow): Promise<boolean> {
  const inserted = await trx
    .insertInto('ca_certificates')
    .values({ ...row })
    .onConflict((oc) => oc.column('serial_hex').doNothing())
    .returning('serial_hex')
    .executeTakeFirst();
  return inserted !== undefined;
}

/** A certificate by serial number. */
export async function findCaCertificate(db: Db, serialHex: string): Promise<CaCertificateRow | undefined> {
  const row = await db
    .selectFrom('ca_certificates')
    .selectAll()
    .where('serial_hex', '=', serialHex)
    .executeTakeFirst();
  return row === undefined ? undefined : toRow(row);
}

/** Unrevoked, not renewed certificates of `issuerId` with notAfter ≤ `before` (epoch ms). */
export async function listExpiringCaCertificates(
  db: Db,
  issuerId: string,
  before: number,
): Promise<readonly CaCertificateRow[]> {
  const rows = await db
    .selectFrom('ca_certificates')
    .selectAll()
    .where('issuer_id', '=', issuerId)
    .where('not_after', '<=', before)
    .where('revoked_at', 'is', null)
    .where('renewed_by', 'is', null)
    .orderBy('not_after')
    .orderBy('serial_hex')
    .execute();
  return rows.map(toRow);
}

/** Every revoked certificate of `issuerId`, in serial order. */
export async function listRevokedCaCertificates(db: Db, issuerId: string): Promise<readonly CaCertificateRow[]> {
  const rows = await db
    .selectFrom('ca_certificates')
    .selectAll()
    .where('issuer_id', '=', issuerId)
    .where('revoked_at', 'is not', null)
    .orderBy('serial_hex')
    .execute();
  return rows.map(toRow);
}

/** Marks an unrevoked certificate revoked; the updated row, or undefined when it is missing or already revoked. */
export async function revokeCaCertificate(
  trx: Db,
  serialHex: string,
  revokedAt: number,
  reason: string,
): Promise<CaCertificateRow | undefined> {
  const row = await trx
    .updateTable('ca_certificates')
    .set({ revoked_at: revokedAt, revocation_reason: reason })
    .where('serial_hex', '=', serialHex)
    .where('revoked_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
  return row === undefined ? undefined : toRow(row);
}

/**
 * Reserves `count` values of a counter in one statement (an upsert whose RETURNING gives the new
 * last value); the first reserved value is returned. Concurrent callers get disjoint blocks: the
 * conflicting row is locked and re-read by the UPDATE arm.
 */
export async function reserveCaCounter(trx: Db, name: string, count: number): Promise<number> {
  const row = await trx
    .insertInto('ca_counters')
    .values({ name, value: count })
    .onConflict((oc) => oc.column('name').doUpdateSet((eb) => ({ value: eb('ca_counters.value', '+', count) })))
    .returning('value')
    .executeTakeFirstOrThrow();
  return Number(row.value) - count + 1;
}

/** Raises a counter to at least `value` (never lowers it): importing a file store's counters. */
export async function raiseCaCounter(trx: Db, name: string, value: number): Promise<void> {
  await trx
    .insertInto('ca_counters')
    .values({ name, value })
    .onConflict((oc) =>
      oc.column('name').doUpdateSet({
        value: sql<number>`case when excluded.value > ca_counters.value then excluded.value else ca_counters.value end`,
      }),
    )
    .execute();
}

/** Every counter (for diagnostics and the import test). */
export async function listCaCounters(db: Db): Promise<Readonly<Record<string, number>>> {
  const rows = await db.selectFrom('ca_counters').selectAll().execute();
  return Object.fromEntries(rows.map((r) => [r.name, Number(r.value)]));
}

/**
 * Claims the renewal of an unrevoked, not yet renewed certificate for `claimant` until `until`,
 * unless another claimant holds an unexpired claim; true when the row changed.
 */
export async function claimCaRenewal(
  trx: Db,
  serialHex: string,
  claimant: string,
  until: number,
  now: number,
): Promise<boolean> {
  const result = await trx
    .updateTable('ca_certificates')
    .set({ claim_claimant: claimant, claim_until: until })
    .where('serial_hex', '=', serialHex)
    .where('revoked_at', 'is', null)
    .where('renewed_by', 'is', null)
    .where((eb) =>
      eb.or([eb('claim_claimant', 'is', null), eb('claim_claimant', '=', claimant), eb('claim_until', '<=', now)]),
    )
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/** Links `successorSerial` as the renewal of a certificate still claimed by `claimant`; true when the row changed. */
export async function linkCaRenewal(
  trx: Db,
  serialHex: string,
  claimant: string,
  successorSerial: string,
): Promise<boolean> {
  const result = await trx
    .updateTable('ca_certificates')
    .set({ renewed_by: successorSerial, claim_claimant: null, claim_until: null })
    .where('serial_hex', '=', serialHex)
    .where('renewed_by', 'is', null)
    .where('claim_claimant', '=', claimant)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/** True when the database holds any CA certificate (a CA was created by some data directory). */
export async function hasCaCertificates(db: Db): Promise<boolean> {
  const row = await db.selectFrom('ca_certificates').select('serial_hex').limit(1).executeTakeFirst();
  return row !== undefined;
}
