/**
 * Offline verification of the audit log: recomputes every entry hash, checks the chain links,
 * the sequence, each entry's HMAC and the HMAC'd head checkpoint (docs/security.md AUD-01…05).
 */
import { timingSafeEqual } from 'node:crypto';
import { bytesEqual } from '../core/bytes.js';
import { listAuditRows, readAuditHead, type Db, type Store } from '../store/index.js';
import { auditHashInput, hashAuditEntry, macAuditEntry, macAuditHead, type AuditKey } from './audit-key.js';

/** What was found wrong, and where. */
export type AuditProblemKind =
  | 'sequence-gap'
  | 'chain-break'
  | 'hash-mismatch'
  | 'mac-mismatch'
  | 'head-missing'
  | 'head-mac-mismatch'
  | 'head-mismatch'
  | 'truncated'
  | 'below-anchor';

/** One problem found by verification. */
export interface AuditProblem {
  readonly kind: AuditProblemKind;
  /** The entry where it was detected (the head's sequence number for head problems). */
  readonly seq: number;
  readonly message: string;
}

/** The verification report; `ok` only when no problem was found. */
export interface AuditVerifyReport {
  readonly ok: boolean;
  readonly entries: number;
  readonly lastSeq: number;
  readonly problems: readonly AuditProblem[];
}

/** Options: an externally kept anchor (a sequence number known to exist) detects head rollback. */
export interface AuditVerifyOptions {
  readonly minimumSeq?: number;
  /** Page size while streaming entries (default 1000). */
  readonly pageSize?: number;
  /** Stop collecting after this many problems (default 100). */
  readonly maxProblems?: number;
}

function macEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Verifies a live log on one consistent snapshot, so appends running meanwhile on other
 * connections are neither half-seen nor reported as truncation.
 */
export function verifyAuditStore(
  store: Store,
  key: AuditKey,
  options: AuditVerifyOptions = {},
): Promise<AuditVerifyReport> {
  return store.snapshot((trx) => verifyAuditLog(trx, key, options));
}

/**
 * Verifies the whole log with the MAC key. Streams entries in pages, so memory stays bounded.
 * `db` must be quiescent or a snapshot (see verifyAuditStore).
 *
 * @example
 * ```ts
 * const report = await verifyAuditLog(store.db, auditKey);
 * if (!report.ok) console.error(report.problems);
 * ```
 */
export async function verifyAuditLog(
  db: Db,
  key: AuditKey,
  options: AuditVerifyOptions = {},
): Promise<AuditVerifyReport> {
  const pageSize = options.pageSize ?? 1000;
  const maxProblems = options.maxProblems ?? 100;
  const problems: AuditProblem[] = [];
  const report = (p: AuditProblem): void => {
    if (problems.length < maxProblems) problems.push(p);
  };

  let expectedSeq = 1;
  let prevHash: Uint8Array = new Uint8Array(32);
  let lastSeq = 0;
  let entries = 0;
  for (;;) {
    const rows = await listAuditRows(db, { afterSeq: lastSeq, limit: pageSize });
    for (const row of rows) {
      entries++;
      if (row.seq !== expectedSeq) {
        report({
          kind: 'sequence-gap',
          seq: row.seq,
          message: `expected entry ${expectedSeq}, found ${row.seq}`,
        });
      }
      if (!bytesEqual(row.prev_hash, prevHash)) {
        report({
          kind: 'chain-break',
          seq: row.seq,
          message: `entry ${row.seq} does not link to the entry before it`,
        });
      }
      const hash = hashAuditEntry(auditHashInput(row));
      if (!bytesEqual(hash, row.hash)) {
        report({ kind: 'hash-mismatch', seq: row.seq, message: `entry ${row.seq} was modified` });
      }
      if (!macEqual(macAuditEntry(key, row.hash), row.mac)) {
        report({
          kind: 'mac-mismatch',
          seq: row.seq,
          message: `entry ${row.seq} has an invalid MAC (forged or recomputed)`,
        });
      }
      prevHash = row.hash;
      expectedSeq = row.seq + 1;
      lastSeq = row.seq;
    }
    if (rows.length < pageSize) break;
  }

  const head = await readAuditHead(db);
  if (head === undefined) {
    report({ kind: 'head-missing', seq: 0, message: 'the audit chain head checkpoint is missing' });
  } else {
    const isGenesis =
      head.seq === 0 && head.mac.length === 0 && bytesEqual(head.headHash, new Uint8Array(32));
    if (!isGenesis && !macEqual(macAuditHead(key, head.seq, head.headHash), head.mac)) {
      report({
        kind: 'head-mac-mismatch',
        seq: head.seq,
        message: 'the chain head checkpoint has an invalid MAC',
      });
    }
    if (head.seq > lastSeq) {
      report({
        kind: 'truncated',
        seq: head.seq,
        message: `entries ${lastSeq + 1}…${head.seq} are missing (tail truncated)`,
      });
    } else if (head.seq < lastSeq || !bytesEqual(head.headHash, prevHash)) {
      report({
        kind: 'head-mismatch',
        seq: head.seq,
        message: 'the last entry does not match the chain head checkpoint',
      });
    }
  }
  if (options.minimumSeq !== undefined && lastSeq < options.minimumSeq) {
    report({
      kind: 'below-anchor',
      seq: lastSeq,
      message: `the log ends at ${lastSeq}, before the anchored entry ${options.minimumSeq}`,
    });
  }
  return { ok: problems.length === 0, entries, lastSeq, problems };
}
