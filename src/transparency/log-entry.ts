/**
 * The signature transparency log's entry: what one signature appends (credential, certificate
 * serial, DTBS/R hash, time, client, SAD id, trace id) and its canonical encoding, whose RFC 9162
 * §2.1.1 leaf hash the log's Merkle tree is built over. A monitor re-encodes the entry it is
 * served and checks the hash, so a row edited in the database no longer proves its inclusion.
 */
import { hashLeaf } from './merkle-tree.js';

/** One signature as the log records it. */
export interface LogEntry {
  readonly credentialId: string;
  /** The signing certificate's serial number, upper-case hex. */
  readonly certificateSerial: string;
  /** The digest algorithm OID of the DTBS/R hash (CSC `hashAlgorithmOID`). */
  readonly hashAlgorithmOid: string;
  /** The DTBS/R hash that was signed, base64. */
  readonly dtbsHash: string;
  /** When the signature was authorised (the SAD consumed), epoch ms. */
  readonly signedAt: number;
  readonly clientId: string;
  /** Hex SHA-256 of the SAD token (the token is never stored). */
  readonly sadId: string;
  readonly traceId: string | null;
}

/** The name of the encoding, served with every entry so a holder knows how to recompute it. */
export const logEntryFormat = 'signet-log-entry-v1';

/**
 * The entry's leaf data: UTF-8 of the JSON array `["signet-log-entry-v1", credentialId,
 * certificateSerial, hashAlgorithmOid, dtbsHash, signedAt, clientId, sadId, traceId]` (a fixed
 * order, so the encoding is canonical without a canonical-JSON library).
 */
export function encodeLogEntry(entry: LogEntry): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify([
      logEntryFormat,
      entry.credentialId,
      entry.certificateSerial,
      entry.hashAlgorithmOid,
      entry.dtbsHash,
      entry.signedAt,
      entry.clientId,
      entry.sadId,
      entry.traceId,
    ]),
  );
}

/** RFC 9162 §2.1.1: the leaf hash of an entry, `SHA-256(0x00 || encodeLogEntry(entry))`. */
export function logEntryLeafHash(entry: LogEntry): Uint8Array {
  return hashLeaf(encodeLogEntry(entry));
}
