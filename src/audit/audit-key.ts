/**
 * The audit MAC key and the entry/head digests: SHA-256 chains the entries, HMAC-SHA-256 (RFC 2104)
 * under a key kept outside the database makes a recomputed chain detectable (docs/security.md AUD-04).
 */
import { createHash, createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { toHex } from '../core/bytes.js';
import type { AuditRow } from '../store/index.js';
import { AuditError } from './errors.js';

/** An HMAC key for the audit log (at least 32 bytes), held by the server's secrets, never stored in the DB. */
export interface AuditKey {
  readonly key: KeyObject;
}

/** Wraps raw key bytes (≥ 32 bytes) as an AuditKey. */
export function createAuditKey(bytes: Uint8Array): AuditKey {
  if (bytes.length < 32) {
    throw new AuditError('ERR_AUDIT_KEY', 'the audit key must be at least 32 bytes');
  }
  return { key: createSecretKey(Buffer.from(bytes)) };
}

/** The fields covered by an entry's hash, in their stored form. */
export interface AuditHashInput {
  readonly seq: number;
  readonly nodeId: string;
  readonly occurredAt: number;
  readonly type: string;
  readonly outcome: string;
  readonly actorUserId: string | null;
  readonly actorClientId: string | null;
  readonly subject: string | null;
  readonly sourceAddress: string | null;
  readonly traceId: string | null;
  /** The stored canonical JSON text. */
  readonly details: string;
  readonly prevHash: Uint8Array;
}

/** A stored row's hashed fields (the one mapping from the table's columns). */
export function auditHashInput(row: AuditRow): AuditHashInput {
  return {
    seq: row.seq,
    nodeId: row.node_id,
    occurredAt: row.occurred_at,
    type: row.event_type,
    outcome: row.outcome,
    actorUserId: row.actor_user_id,
    actorClientId: row.actor_client_id,
    subject: row.subject,
    sourceAddress: row.source_address,
    traceId: row.trace_id,
    details: row.details,
    prevHash: row.prev_hash,
  };
}

/** SHA-256 over a versioned JSON array of every field, including the sequence number and the previous hash. */
export function hashAuditEntry(e: AuditHashInput): Uint8Array {
  const encoded = JSON.stringify([
    'signet-audit-entry-v1',
    e.seq,
    e.nodeId,
    e.occurredAt,
    e.type,
    e.outcome,
    e.actorUserId,
    e.actorClientId,
    e.subject,
    e.sourceAddress,
    e.traceId,
    e.details,
    toHex(e.prevHash),
  ]);
  return new Uint8Array(createHash('sha256').update(encoded, 'utf8').digest());
}

/** HMAC of an entry hash. */
export function macAuditEntry(key: AuditKey, hash: Uint8Array): Uint8Array {
  return new Uint8Array(
    createHmac('sha256', key.key).update('signet-audit-entry-mac-v1:').update(hash).digest(),
  );
}

/** HMAC of the chain-head checkpoint (sequence number and head hash). */
export function macAuditHead(key: AuditKey, seq: number, headHash: Uint8Array): Uint8Array {
  return new Uint8Array(
    createHmac('sha256', key.key)
      .update(JSON.stringify(['signet-audit-head-v1', seq, toHex(headHash)]), 'utf8')
      .digest(),
  );
}
