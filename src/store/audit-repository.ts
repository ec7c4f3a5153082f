/** Rows of the audit log and its chain-head checkpoint (the SQL behind src/audit). */
import { isPostgres, preparedQuery } from './prepared-query.js';
import type { Db } from './store.js';
import type { AuditLogTable } from './schema.js';
import { StoreError } from './errors.js';

/** One stored audit row, as read back. */
export type AuditRow = Readonly<AuditLogTable>;

/** The chain-head checkpoint row. */
export interface AuditHeadRow {
  readonly seq: number;
  readonly headHash: Uint8Array;
  readonly mac: Uint8Array;
}

/**
 * Reserves the next sequence number by incrementing the head row, and returns it with the
 * previous entry's hash. The UPDATE locks the head row until the transaction ends (PostgreSQL
 * row lock; SQLite's single writer), so concurrent appenders form one linear chain.
 * Must run inside `Store.transaction()`.
 */
export async function reserveAuditSequence(
  trx: Db,
): Promise<{ seq: number; prevHash: Uint8Array }> {
  const row = (await advanceAuditHead(trx)).rows[0];
  if (row === undefined) {
    throw new StoreError('ERR_STORE_NOT_FOUND', 'the audit chain head is missing');
  }
  return { seq: Number(row.seq), prevHash: new Uint8Array(row.head_hash) };
}

/** Inserts one audit row. */
export async function insertAuditRow(trx: Db, row: AuditRow): Promise<void> {
  await insertAudit(
    trx, row.seq, row.node_id, row.occurred_at, row.event_type, row.outcome, row.actor_user_id,
    row.actor_client_id, row.subject, row.source_address, row.trace_id, row.details,
    row.prev_hash, row.hash, row.mac,
  );
}

/**
 * Inserts one audit row and moves the checkpoint to it: on PostgreSQL one statement (the INSERT
 * as a data-modifying WITH, then the head's UPDATE: one round trip instead of two), on SQLite
 * the two statements. Must run inside `Store.transaction()`, after `reserveAuditSequence`.
 */
export async function insertAuditRowWithHead(trx: Db, row: AuditRow, head: AuditHeadRow): Promise<void> {
  if (!isPostgres(trx)) {
    await insertAuditRow(trx, row);
    await updateAuditHead(trx, head);
    return;
  }
  await insertAuditAndSetHead(
    trx, row.seq, row.node_id, row.occurred_at, row.event_type, row.outcome, row.actor_user_id,
    row.actor_client_id, row.subject, row.source_address, row.trace_id, row.details,
    row.prev_hash, row.hash, row.mac, head.seq, head.headHash, head.mac,
  );
}

/** Moves the checkpoint to `seq` / `headHash` with its MAC. */
export async function updateAuditHead(trx: Db, head: AuditHeadRow): Promise<void> {
  await setAuditHead(trx, head.seq, head.headHash, head.mac);
}

// The append path's three statements, compiled once (prepared-query.ts).
const advanceAuditHead = preparedQuery((trx: Db) =>
  trx
    .updateTable('audit_head')
    .set((eb) => ({ seq: eb('seq', '+', 1) }))
    .where('id', '=', 1)
    .returning(['seq', 'head_hash']),
);
const insertAudit = preparedQuery(
  (
    trx: Db, seq: number, nodeId: string, occurredAt: number, eventType: string, outcome: string,
    actorUserId: string | null, actorClientId: string | null, subject: string | null,
    sourceAddress: string | null, traceId: string | null, details: string,
    prevHash: Uint8Array, hash: Uint8Array, mac: Uint8Array,
  ) =>
    trx.insertInto('audit_log').values({
      seq, node_id: nodeId, occurred_at: occurredAt, event_type: eventType, outcome,
      actor_user_id: actorUserId, actor_client_id: actorClientId, subject,
      source_address: sourceAddress, trace_id: traceId, details, prev_hash: prevHash, hash, mac,
    }),
);
const insertAuditAndSetHead = preparedQuery(
  (
    trx: Db, seq: number, nodeId: string, occurredAt: number, eventType: string, outcome: string,
    actorUserId: string | null, actorClientId: string | null, subject: string | null,
    sourceAddress: string | null, traceId: string | null, details: string,
    prevHash: Uint8Array, hash: Uint8Array, mac: Uint8Array,
    headSeq: number, headHash: Uint8Array, headMac: Uint8Array,
  ) =>
    trx
      .with('appended', (db) =>
        db.insertInto('audit_log').values({
          seq, node_id: nodeId, occurred_at: occurredAt, event_type: eventType, outcome,
          actor_user_id: actorUserId, actor_client_id: actorClientId, subject,
          source_address: sourceAddress, trace_id: traceId, details, prev_hash: prevHash, hash, mac,
        }),
      )
      .updateTable('audit_head')
      .set({ seq: headSeq, head_hash: headHash, mac: headMac })
      .where('id', '=', 1),
);
const setAuditHead = preparedQuery((trx: Db, seq: number, headHash: Uint8Array, mac: Uint8Array) =>
  trx.updateTable('audit_head').set({ seq, head_hash: headHash, mac }).where('id', '=', 1),
);

/** Reads the checkpoint, or undefined when the row was deleted. */
export async function readAuditHead(db: Db): Promise<AuditHeadRow | undefined> {
  const row = await db
    .selectFrom('audit_head')
    .select(['seq', 'head_hash', 'mac'])
    .where('id', '=', 1)
    .executeTakeFirst();
  return row === undefined
    ? undefined
    : {
        seq: Number(row.seq),
        headHash: new Uint8Array(row.head_hash),
        mac: new Uint8Array(row.mac),
      };
}

/**
 * A page of entries in sequence order, strictly after `afterSeq`; with `beforeSeq`, newest first,
 * strictly before it (the last entries of a long log without reading all of it).
 */
export async function listAuditRows(
  db: Db,
  page: { readonly afterSeq: number; readonly limit: number; readonly userId?: string; readonly beforeSeq?: number },
): Promise<readonly AuditRow[]> {
  let query = db.selectFrom('audit_log').selectAll().where('seq', '>', page.afterSeq);
  if (page.beforeSeq !== undefined) query = query.where('seq', '<', page.beforeSeq);
  if (page.userId !== undefined) query = query.where('actor_user_id', '=', page.userId);
  const rows = await query.orderBy('seq', page.beforeSeq === undefined ? 'asc' : 'desc').limit(page.limit).execute();
  return rows.map((r) => ({
    ...r,
    seq: Number(r.seq),
    occurred_at: Number(r.occurred_at),
    prev_hash: new Uint8Array(r.prev_hash),
    hash: new Uint8Array(r.hash),
    mac: new Uint8Array(r.mac),
  }));
}
