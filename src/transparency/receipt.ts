/**
 * Batch receipts (issue 21): the service's signed statement that one DTBS/R hash was signed as
 * leaf `leafIndex` of the batch whose RFC 9162 Merkle root the person approved, under one SAD, at
 * one time. A signer checks it offline: the hash (recomputed from the signed document), the
 * inclusion proof up to the root, and the log key's signature over the other fields.
 */
import { isBatchMember, type BatchProof } from './batch-tree.js';
import { TransparencyError } from './errors.js';
import { MERKLE_HASH_SIZE } from './merkle-tree.js';
import {
  verifyTransparencySignature,
  type ReceiptSigner,
  type TransparencyPublicKey,
} from './transparency-key.js';

/** The receipt format's name and version, part of the signed text. */
export const RECEIPT_TYPE = 'signet-batch-receipt-v1';

/** Every field of a receipt, in its documented order: a receipt has exactly these (default-deny). */
export const RECEIPT_FIELDS = [
  'type',
  'hash',
  'hashAlgorithmOID',
  'leafIndex',
  'batchSize',
  'batchRoot',
  'proof',
  'sadId',
  'credentialID',
  'signedAt',
  'keyId',
  'signature',
] as const;

/** What a receipt states (bytes in base64, as CSC clients send hashes). */
export interface ReceiptStatement {
  readonly type: typeof RECEIPT_TYPE;
  /** The DTBS/R hash that was signed. */
  readonly hash: string;
  /** CSC `hashAlgorithmOID` of `hash`. */
  readonly hashAlgorithmOID: string;
  readonly leafIndex: number;
  /** The number of hashes in the approved batch. */
  readonly batchSize: number;
  /** MTH of the ordered batch (RFC 9162 §2.1.1), the root shown at approval. */
  readonly batchRoot: string;
  /** PATH(leafIndex, batch), RFC 9162 §2.1.3.1, from the leaf upwards. */
  readonly proof: readonly string[];
  /** Hex SHA-256 of the SAD (the SAD's stored id; never the SAD itself). */
  readonly sadId: string;
  readonly credentialID: string;
  /** When the SAD was consumed for this hash (ISO 8601, UTC). */
  readonly signedAt: string;
  /** The signing key's id (hex SHA-256 of its SubjectPublicKeyInfo): the transparency log key's. */
  readonly keyId: string;
}

/**
 * A statement and the service's signature over it (base64): the log key's DER ECDSA P-256
 * signature over SHA-256 of the signed bytes (an Ed25519 signature in receipts made before).
 */
export interface Receipt extends ReceiptStatement {
  readonly signature: string;
}

const utf8 = new TextEncoder();

/**
 * What is signed: the statement's fields (every receipt field but `signature`) as JSON with sorted
 * keys and no white space, UTF-8. One object literal with the keys written in sorted order (UTF-16
 * code units, the order `Array.prototype.sort` gave the receipts signed so far), serialised once:
 * no copy of the statement and no sort per receipt. The type makes a field missing from the
 * literal a compile error; test/transparency/receipt-bytes pins the bytes and the key order.
 */
export function receiptSignedBytes(statement: ReceiptStatement): Uint8Array {
  const sorted: ReceiptStatement = {
    batchRoot: statement.batchRoot,
    batchSize: statement.batchSize,
    credentialID: statement.credentialID,
    hash: statement.hash,
    hashAlgorithmOID: statement.hashAlgorithmOID,
    keyId: statement.keyId,
    leafIndex: statement.leafIndex,
    proof: statement.proof,
    sadId: statement.sadId,
    signedAt: statement.signedAt,
    type: statement.type,
  };
  return utf8.encode(JSON.stringify(sorted));
}

/** The facts of one signed hash, as the service knows them at consumption. */
export interface ReceiptFacts {
  readonly hash: Uint8Array;
  readonly hashAlgorithmOid: string;
  readonly proof: BatchProof;
  readonly batchSize: number;
  readonly batchRoot: Uint8Array;
  readonly sadId: Uint8Array;
  readonly credentialId: string;
  readonly signedAt: Date;
}

/**
 * Builds and signs a receipt with the log key. The same key signs tree heads, whose signed bytes
 * (TreeHeadDataV2, tree-head.ts) begin with a uint64 timestamp — a zero byte for any date before
 * the year 2^56 ms — while these begin with `{`: no receipt can be read as a tree head.
 */
export async function signReceipt(key: ReceiptSigner, facts: ReceiptFacts): Promise<Receipt> {
  const statement: ReceiptStatement = {
    type: RECEIPT_TYPE,
    hash: b64(facts.hash),
    hashAlgorithmOID: facts.hashAlgorithmOid,
    leafIndex: facts.proof.leafIndex,
    batchSize: facts.batchSize,
    batchRoot: b64(facts.batchRoot),
    proof: facts.proof.path.map(b64),
    sadId: Buffer.from(facts.sadId).toString('hex'),
    credentialID: facts.credentialId,
    signedAt: facts.signedAt.toISOString(),
    keyId: key.keyId,
  };
  return { ...statement, signature: b64(await key.sign(receiptSignedBytes(statement))) };
}

/** What a verifier holds besides the receipt. */
export interface ReceiptExpectations {
  /** The hash recomputed from the signed document; it must be the receipt's. */
  readonly hash?: Uint8Array;
  /** The root the person saw when approving; the receipt's must equal it. */
  readonly batchRoot?: Uint8Array;
}

/**
 * Checks a receipt (parsed JSON) and returns it typed: well formed, signed by `key`, its hash leaf
 * → proof → root verifying (RFC 9162 §2.1.3.2), and agreeing with what the verifier holds. Throws a
 * TransparencyError whose message says which check failed.
 */
export function verifyReceipt(
  value: unknown,
  key: TransparencyPublicKey,
  expected: ReceiptExpectations = {},
): Receipt {
  const receipt = parseReceipt(value);
  if (receipt.keyId !== key.keyId) {
    throw new TransparencyError(
      'ERR_TRANSPARENCY_RECEIPT_KEY',
      `the receipt names key ${receipt.keyId}, not the service key ${key.keyId}`,
    );
  }
  if (!verifyTransparencySignature(key, receiptSignedBytes(receipt), fromB64(receipt.signature))) {
    throw new TransparencyError(
      'ERR_TRANSPARENCY_RECEIPT_SIGNATURE',
      "the receipt's signature does not verify: the receipt was altered or not signed by this service",
    );
  }
  const hash = fromB64(receipt.hash);
  const proof = { leafIndex: receipt.leafIndex, path: receipt.proof.map(fromB64) };
  if (!isBatchMember(hash, proof, receipt.batchSize, fromB64(receipt.batchRoot))) {
    throw new TransparencyError(
      'ERR_TRANSPARENCY_BATCH_PROOF',
      `the hash is not leaf ${receipt.leafIndex} of the approved batch of ${receipt.batchSize}: its inclusion proof does not lead to the batch root`,
    );
  }
  if (expected.hash !== undefined && !sameBytes(expected.hash, hash)) {
    throw new TransparencyError(
      'ERR_TRANSPARENCY_RECEIPT_HASH',
      `the document's signed-attributes hash ${b64(expected.hash)} is not the receipt's hash ${receipt.hash}: the receipt is for another signature`,
    );
  }
  if (
    expected.batchRoot !== undefined &&
    !sameBytes(expected.batchRoot, fromB64(receipt.batchRoot))
  ) {
    throw new TransparencyError(
      'ERR_TRANSPARENCY_BATCH_ROOT',
      `the receipt's batch root ${receipt.batchRoot} is not the approved root ${b64(expected.batchRoot)}: the batch was changed (another order or other documents)`,
    );
  }
  return receipt;
}

/** Reads the receipt's fields, refusing anything missing, extra or of the wrong shape (default-deny). */
export function parseReceipt(value: unknown): Receipt {
  const bad = (what: string): TransparencyError =>
    new TransparencyError(
      'ERR_TRANSPARENCY_RECEIPT_MALFORMED',
      `the receipt is malformed: ${what}`,
    );
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw bad('not a JSON object');
  const o = value as Record<string, unknown>;
  const allowed: ReadonlySet<string> = new Set(RECEIPT_FIELDS);
  for (const k of Object.keys(o)) if (!allowed.has(k)) throw bad(`unknown field ${k}`);
  if (o['type'] !== RECEIPT_TYPE) throw bad(`type is not ${RECEIPT_TYPE}`);
  const str = (k: string, pattern: RegExp): string => {
    const v = o[k];
    if (typeof v !== 'string' || !pattern.test(v)) throw bad(`${k} is missing or invalid`);
    return v;
  };
  const int = (k: string, min: number): number => {
    const v = o[k];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min)
      throw bad(`${k} is missing or invalid`);
    return v;
  };
  const base64 = /^[A-Za-z0-9+/]+={0,2}$/;
  const hex64 = /^[0-9a-f]{64}$/;
  const proof = o['proof'];
  if (!Array.isArray(proof) || proof.length > 64) throw bad('proof is missing or invalid');
  for (const p of proof) {
    if (typeof p !== 'string' || !base64.test(p) || fromB64(p).length !== MERKLE_HASH_SIZE) {
      throw bad('a proof element is not a base64 SHA-256 value');
    }
  }
  const receipt: Receipt = {
    type: RECEIPT_TYPE,
    hash: str('hash', base64),
    hashAlgorithmOID: str('hashAlgorithmOID', /^[0-9]+(\.[0-9]+)+$/),
    leafIndex: int('leafIndex', 0),
    batchSize: int('batchSize', 1),
    batchRoot: str('batchRoot', base64),
    proof: proof as string[],
    sadId: str('sadId', hex64),
    credentialID: str('credentialID', /^.{1,255}$/),
    signedAt: str('signedAt', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/),
    keyId: str('keyId', hex64),
    signature: str('signature', base64),
  };
  if (fromB64(receipt.batchRoot).length !== MERKLE_HASH_SIZE)
    throw bad('batchRoot is not a SHA-256 value');
  return receipt;
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

function fromB64(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'base64'));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}
