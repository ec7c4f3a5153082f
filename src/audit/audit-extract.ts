/**
 * A user's verifiable extract of the audit log (docs/security.md AUD-10, AC-03): the user's own entries
 * in their stored form with each entry's hash and previous hash, so the holder can recompute every
 * entry hash (audit-key.ts `signet-audit-entry-v1`: SHA-256 over the fields, the canonical details
 * text and the previous hash) and check the link between entries with consecutive sequence
 * numbers, without the MAC key (which never leaves the server).
 */
import { bytesEqual, toHex } from '../core/bytes.js';
import { listAuditRows, type AuditRow, type Db } from '../store/index.js';
import type { AuditJson } from './audit-event.js';
import { auditHashInput, hashAuditEntry, type AuditHashInput } from './audit-key.js';

/** One entry of an extract: every hashed field as stored (details as the exact canonical JSON text), hashes in lowercase hex. */
export type AuditExtractEntry = Omit<AuditHashInput, 'prevHash'> & {
  readonly prevHash: string;
  readonly hash: string;
};

/** The most entries one page returns. */
export const maxAuditExtractPage = 500;

function extractEntry(row: AuditRow): AuditExtractEntry {
  return { ...auditHashInput(row), prevHash: toHex(row.prev_hash), hash: toHex(row.hash) };
}

/**
 * Up to `limit` (1…500, default 100) of the user's own entries after `afterSeq`, oldest first.
 * Only entries whose actor is `userId` are ever read (the filter is in the query).
 *
 * @example
 * ```ts
 * const page = await listUserAuditExtract(store.db, userId, { afterSeq: 0, limit: 100 });
 * ```
 */
export async function listUserAuditExtract(
  db: Db,
  userId: string,
  page: { readonly afterSeq?: number; readonly limit?: number; readonly beforeSeq?: number } = {},
): Promise<readonly AuditExtractEntry[]> {
  const limit = Math.max(1, Math.min(page.limit ?? 100, maxAuditExtractPage));
  // With beforeSeq: newest first, strictly before it.
  const rows = await listAuditRows(db, { afterSeq: page.afterSeq ?? 0, limit, userId, ...(page.beforeSeq !== undefined ? { beforeSeq: page.beforeSeq } : {}) });
  return rows.map(extractEntry);
}

/** The user's own entry `seq`, or undefined when it does not exist or belongs to someone else. */
export async function findUserAuditEntry(
  db: Db,
  userId: string,
  seq: number,
): Promise<AuditExtractEntry | undefined> {
  if (!Number.isSafeInteger(seq) || seq < 1) return undefined;
  const [row] = await listAuditRows(db, { afterSeq: seq - 1, limit: 1, userId });
  return row?.seq === seq ? extractEntry(row) : undefined;
}

/** The details of an extract entry as JSON. */
export function extractDetails(entry: AuditExtractEntry): { readonly [key: string]: AuditJson } {
  return JSON.parse(entry.details) as { readonly [key: string]: AuditJson };
}

/** What checking an extract found. */
export interface AuditExtractReport {
  readonly ok: boolean;
  /** Entries whose hash does not match their fields. */
  readonly hashMismatches: readonly number[];
  /** Entries that do not link to the entry before them although both are in the extract. */
  readonly brokenLinks: readonly number[];
  /** Links checked (pairs of consecutive sequence numbers in the extract). */
  readonly linksChecked: number;
}

function fromHex(hex: string): Uint8Array {
  return /^(?:[0-9a-f]{2})*$/.test(hex) ? new Uint8Array(Buffer.from(hex, 'hex')) : new Uint8Array(0);
}

/**
 * Checks an extract as its holder can: every entry's hash recomputed from its fields, and every
 * link between entries with consecutive sequence numbers. Gaps (other users' entries) are not
 * errors: those links can only be checked by the operator (verifyAuditLog).
 *
 * @example
 * ```ts
 * const report = verifyAuditExtract(entries);
 * if (!report.ok) console.error(report.hashMismatches, report.brokenLinks);
 * ```
 */
export function verifyAuditExtract(entries: readonly AuditExtractEntry[]): AuditExtractReport {
  const hashMismatches: number[] = [];
  const brokenLinks: number[] = [];
  let linksChecked = 0;
  const sorted = [...entries].sort((a, b) => a.seq - b.seq);
  for (const [i, e] of sorted.entries()) {
    const hash = hashAuditEntry({ ...e, prevHash: fromHex(e.prevHash) });
    if (!bytesEqual(hash, fromHex(e.hash))) hashMismatches.push(e.seq);
    const before = i > 0 ? sorted[i - 1] : undefined;
    if (before !== undefined && before.seq === e.seq - 1) {
      linksChecked++;
      if (before.hash !== e.prevHash) brokenLinks.push(e.seq);
    }
  }
  return { ok: hashMismatches.length === 0 && brokenLinks.length === 0, hashMismatches, brokenLinks, linksChecked };
}
