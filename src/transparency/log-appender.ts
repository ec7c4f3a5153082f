/**
 * Appending signatures to the transparency log: one queued leaf per signed DTBS/R hash, written
 * in the transaction that consumes the SAD (and appends its audit entry), so no signature is ever
 * released without its leaf. The tree-head publisher gives it its index later.
 */
import { toHex } from '../core/bytes.js';
import { insertLogLeaves, type Db, type NewLogLeaf } from '../store/index.js';
import { logEntryLeafHash, type LogEntry } from './log-entry.js';

/** The signatures of one SAD consumption. */
export interface SignatureLeaves {
  readonly userId: string;
  readonly credentialId: string;
  /** Upper-case hex serial of the certificate of the key chosen to sign ('' when not known). */
  readonly certificateSerial: string;
  readonly hashAlgorithmOid: string;
  readonly hashes: readonly Uint8Array[];
  readonly signedAt: number;
  readonly clientId: string;
  /** SHA-256 of the SAD token. */
  readonly sadIdHash: Uint8Array;
  readonly traceId?: string;
}

/** The log entries of one consumption, in the order of `hashes`. */
export function signatureEntries(s: SignatureLeaves): LogEntry[] {
  const sadId = toHex(s.sadIdHash);
  return s.hashes.map((h) => ({
    credentialId: s.credentialId,
    certificateSerial: s.certificateSerial,
    hashAlgorithmOid: s.hashAlgorithmOid,
    dtbsHash: Buffer.from(h).toString('base64'),
    signedAt: s.signedAt,
    clientId: s.clientId,
    sadId,
    traceId: s.traceId ?? null,
  }));
}

/** The rows that queue the leaves of `s`, in the order of `hashes`. */
export function signatureLeafRows(s: SignatureLeaves): NewLogLeaf[] {
  return signatureEntries(s).map((e) => ({
    user_id: s.userId,
    credential_id: e.credentialId,
    certificate_serial: e.certificateSerial,
    hash_algorithm_oid: e.hashAlgorithmOid,
    dtbs_hash: e.dtbsHash,
    signed_at: e.signedAt,
    client_id: e.clientId,
    sad_id: e.sadId,
    trace_id: e.traceId,
    leaf_hash: logEntryLeafHash(e),
  }));
}

/**
 * Queues the leaves of `s` in `trx` (the SAD's consuming transaction).
 *
 * @example
 * ```ts
 * await store.transaction(async (trx) => { await consume(trx); await appendSignatureLeaves(trx, leaves); });
 * ```
 */
export async function appendSignatureLeaves(trx: Db, s: SignatureLeaves): Promise<void> {
  await insertLogLeaves(trx, signatureLeafRows(s));
}
