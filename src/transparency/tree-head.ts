/**
 * Signed tree heads of the signature transparency log. The signed bytes are RFC 9162 §4.10's
 * TreeHeadDataV2 in the TLS presentation language of RFC 8446 §3: `uint64 timestamp; uint64
 * tree_size; opaque root_hash<32..2^8-1>; Extension sth_extensions<0..2^16-1>` (no extensions).
 * The log key is ECDSA P-256; signatures are DER ECDSA-Sig-Value over SHA-256 of those bytes
 * (RFC 9162 §4.10 leaves the algorithm to the log's parameters, §4.1).
 */
import { createHash, createPublicKey, verify } from 'node:crypto';
import { toHex } from '../core/bytes.js';
import { MERKLE_HASH_SIZE } from './merkle-tree.js';

/** A signed tree head. */
export interface SignedTreeHead {
  readonly treeSize: number;
  /** Epoch ms (RFC 9162 §4.10: milliseconds since the epoch, leap seconds ignored). */
  readonly timestamp: number;
  readonly rootHash: Uint8Array;
  /** DER ECDSA-Sig-Value. */
  readonly signature: Uint8Array;
  /** Hex SHA-256 of the log key's SubjectPublicKeyInfo. */
  readonly keyId: string;
}

/** The JSON form served and kept by monitors (base64 bytes). */
export interface SignedTreeHeadJson {
  readonly treeSize: number;
  readonly timestamp: number;
  readonly rootHash: string;
  readonly signature: string;
  readonly keyId: string;
}

/** RFC 9162 §4.10 TreeHeadDataV2, TLS-encoded: the bytes the log key signs. */
export function encodeTreeHeadData(treeSize: number, timestamp: number, rootHash: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + 8 + 1 + rootHash.length + 2);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(timestamp));
  view.setBigUint64(8, BigInt(treeSize));
  out[16] = rootHash.length;
  out.set(rootHash, 17);
  // sth_extensions: an empty vector, its two-byte length 0.
  return out;
}

/** SHA-256 of the bytes to sign (the log key signs a digest through its KeyBackend). */
export function treeHeadDigest(treeSize: number, timestamp: number, rootHash: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(encodeTreeHeadData(treeSize, timestamp, rootHash)).digest());
}

/** The log's key id: hex SHA-256 of its SubjectPublicKeyInfo DER. */
export function logKeyId(spki: Uint8Array): string {
  return toHex(new Uint8Array(createHash('sha256').update(spki).digest()));
}

/** True when `head` is signed by the key `spki` (and names that key). */
export function verifyTreeHead(spki: Uint8Array, head: SignedTreeHead): boolean {
  if (head.rootHash.length !== MERKLE_HASH_SIZE || head.keyId !== logKeyId(spki)) return false;
  if (!Number.isSafeInteger(head.treeSize) || head.treeSize < 0 || !Number.isSafeInteger(head.timestamp) || head.timestamp < 0) return false;
  try {
    const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
    return verify('sha256', encodeTreeHeadData(head.treeSize, head.timestamp, head.rootHash), { key, dsaEncoding: 'der' }, head.signature);
  } catch {
    return false;
  }
}

/** The JSON form of a head. */
export function treeHeadToJson(head: SignedTreeHead): SignedTreeHeadJson {
  return {
    treeSize: head.treeSize,
    timestamp: head.timestamp,
    rootHash: Buffer.from(head.rootHash).toString('base64'),
    signature: Buffer.from(head.signature).toString('base64'),
    keyId: head.keyId,
  };
}

/** A head from its JSON form; undefined when the shape is wrong. */
export function treeHeadFromJson(value: unknown): SignedTreeHead | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v['treeSize'] !== 'number' || typeof v['timestamp'] !== 'number') return undefined;
  if (typeof v['rootHash'] !== 'string' || typeof v['signature'] !== 'string' || typeof v['keyId'] !== 'string') return undefined;
  return {
    treeSize: v['treeSize'],
    timestamp: v['timestamp'],
    rootHash: new Uint8Array(Buffer.from(v['rootHash'], 'base64')),
    signature: new Uint8Array(Buffer.from(v['signature'], 'base64')),
    keyId: v['keyId'],
  };
}
