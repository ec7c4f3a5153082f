/**
 * Checks, in the browser with WebCrypto, what the service says about the person's signatures
 * (issue 21, docs/transparency.md): the signed tree head's signature with the published log key
 * (RFC 9162 §4.10 TreeHeadDataV2, ECDSA P-256 with SHA-256), and each signature's inclusion proof
 * (RFC 9162 §2.1.3.2) from a leaf hash recomputed here from the entry — so an entry edited in the
 * database, a proof that leads elsewhere or a forged head all fail in the page, not only in
 * `signet transparency monitor`. The server's own code (src/transparency) is Node-only; this is
 * the same arithmetic over `crypto.subtle`.
 */

/** A log entry as GET /api/v1/me/signatures serves it. */
export interface LogEntry {
  readonly credentialId: string;
  readonly certificateSerial: string;
  readonly hashAlgorithmOid: string;
  readonly dtbsHash: string;
  readonly signedAt: number;
  readonly clientId: string;
  readonly sadId: string;
  readonly traceId: string | null;
}

/** A signed tree head as the service serves it (bytes in base64). */
export interface TreeHead {
  readonly treeSize: number;
  readonly timestamp: number;
  readonly rootHash: string;
  readonly signature: string;
  readonly keyId: string;
}

/** The leaf encoding this page knows (the answer's `format`). */
export const logEntryFormat = 'signet-log-entry-v1';

/** Bytes WebCrypto accepts (backed by an ArrayBuffer). */
type Bytes = Uint8Array<ArrayBuffer>;

export function fromBase64(text: string): Bytes {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

async function sha256(...parts: readonly Uint8Array[]): Promise<Bytes> {
  const data = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    data.set(p, at);
    at += p.length;
  }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', data));
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

const leafPrefix = new Uint8Array([0]);
const nodePrefix = new Uint8Array([1]);

/**
 * RFC 9162 §2.1.1 leaf hash of an entry: SHA-256(0x00 || UTF-8 of the JSON array
 * `["signet-log-entry-v1", credentialId, certificateSerial, hashAlgorithmOid, dtbsHash, signedAt,
 * clientId, sadId, traceId]`), the server's encodeLogEntry.
 */
export async function entryLeafHash(entry: LogEntry): Promise<Bytes> {
  const data = new TextEncoder().encode(
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
  return sha256(leafPrefix, data);
}

/** RFC 9162 §2.1.3.2: verifies that `leafHash` is leaf `index` of the tree of `size` leaves with root `root`. */
export async function verifyInclusion(
  leafHash: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): Promise<boolean> {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size)
    return false;
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  for (const p of proof) {
    if (p.length !== 32 || sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = await sha256(nodePrefix, p, r);
      // Step 4.b.ii: right-shift both until fn is odd or zero.
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = await sha256(nodePrefix, r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalBytes(r, root);
}

/** RFC 9162 §4.10 TreeHeadDataV2 in TLS encoding: uint64 timestamp, uint64 tree_size, opaque root_hash<32..255>, empty extensions. */
function treeHeadData(head: TreeHead, rootHash: Uint8Array): Bytes {
  const out = new Uint8Array(8 + 8 + 1 + rootHash.length + 2);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(head.timestamp));
  view.setBigUint64(8, BigInt(head.treeSize));
  out[16] = rootHash.length;
  out.set(rootHash, 17);
  return out;
}

/**
 * A DER ECDSA-Sig-Value (RFC 3279 §2.2.3: SEQUENCE { r INTEGER, s INTEGER }) as WebCrypto's
 * fixed-size r || s (each `size` bytes); undefined when it is not one.
 */
function derToRaw(der: Uint8Array, size: number): Bytes | undefined {
  let at = 0;
  const length = (): number | undefined => {
    const first = der[at++];
    if (first === undefined) return undefined;
    if (first < 0x80) return first;
    if (first !== 0x81) return undefined;
    return der[at++];
  };
  if (der[at++] !== 0x30) return undefined;
  const seqLength = length();
  if (seqLength === undefined || at + seqLength !== der.length) return undefined;
  const out = new Uint8Array(2 * size);
  for (const half of [0, 1]) {
    if (der[at++] !== 0x02) return undefined;
    const n = length();
    if (n === undefined || n === 0 || at + n > der.length) return undefined;
    let value = der.subarray(at, at + n);
    at += n;
    while (value.length > 1 && value[0] === 0) value = value.subarray(1);
    if (value.length > size) return undefined;
    out.set(value, half * size + size - value.length);
  }
  return at === der.length ? out : undefined;
}

/**
 * True when `head` names the key `spki` (its id is the hex SHA-256 of the SubjectPublicKeyInfo)
 * and its signature over TreeHeadDataV2 verifies with it.
 */
export async function verifyTreeHead(spki: Bytes, head: TreeHead): Promise<boolean> {
  if (
    !Number.isSafeInteger(head.treeSize) ||
    head.treeSize < 0 ||
    !Number.isSafeInteger(head.timestamp) ||
    head.timestamp < 0
  )
    return false;
  if (toHex(await sha256(spki)) !== head.keyId) return false;
  const rootHash = fromBase64(head.rootHash);
  const signature = derToRaw(fromBase64(head.signature), 32);
  if (rootHash.length !== 32 || signature === undefined) return false;
  try {
    const key = await crypto.subtle.importKey(
      'spki',
      spki,
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['verify'],
    );
    return await crypto.subtle.verify(
      { name: 'ECDSA', hash: 'SHA-256' },
      key,
      signature,
      treeHeadData(head, rootHash),
    );
  } catch {
    return false;
  }
}
