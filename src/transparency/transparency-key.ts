/**
 * The key that signs batch receipts: the transparency log's own ECDSA P-256 key (log-key.ts), kept
 * in the CA's keystore next to the TSA and OCSP keys — not a key derived from a server secret, so
 * rotating the audit secret leaves every receipt verifiable, and a copy of that secret cannot sign
 * one. Verifiers also accept an Ed25519 key: receipts made before this change were signed with an
 * Ed25519 key (RFC 8032) derived from the audit secret, and verify with that key's PEM.
 */
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { namedCurveOf } from '../cms/algorithms.js';
import { TransparencyError } from './errors.js';
import type { LogSigner } from './log-key.js';

/** A verifying key: the public half and its id. */
export interface TransparencyPublicKey {
  /** Hex SHA-256 of the SubjectPublicKeyInfo DER (the RFC 6962 §3.2 LogID construction). */
  readonly keyId: string;
  readonly publicKey: KeyObject;
  /** The public key as PEM (SPKI), what `GET /api/v1/transparency/receipt-key` answers. */
  readonly publicKeyPem: string;
  /** `ecdsa-p256-sha256` (the log key) or `ed25519` (receipts made before the log key signed them). */
  readonly algorithm: 'ecdsa-p256-sha256' | 'ed25519';
}

/** What signs receipts: the log key, made ready before the consuming transaction. */
export interface ReceiptSigner {
  /** Hex SHA-256 of the key's SubjectPublicKeyInfo. */
  readonly keyId: string;
  /** A DER ECDSA-Sig-Value (RFC 3279 §2.2.3) over SHA-256 of `message`. */
  sign(message: Uint8Array): Promise<Uint8Array>;
}

/**
 * The receipt signer of a log key: found (and a software key decrypted) now, so receipts can be
 * signed inside the transaction that consumes the SAD (the keystore may live in that database).
 *
 * @example
 * ```ts
 * const receipts = await openReceiptSigner(await openLogSigner(caKeystore, keystoreRef(logKeyLabel)));
 * ```
 */
export async function openReceiptSigner(log: LogSigner): Promise<ReceiptSigner> {
  return { keyId: log.keyId, sign: await log.prepareMessages() };
}

/** The verifying key of a SubjectPublicKeyInfo (DER), e.g. the log key's. */
export function transparencyPublicKeyFromSpki(spki: Uint8Array): TransparencyPublicKey {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  } catch (cause) {
    throw new TransparencyError('ERR_TRANSPARENCY_KEY', 'the transparency public key is not a SubjectPublicKeyInfo', { cause });
  }
  return publicKeyOf(key);
}

/** Reads a PEM (SPKI) public key, as a verifier given `--key KEY.pem` does: ECDSA P-256 or Ed25519. */
export function readTransparencyPublicKey(pem: string): TransparencyPublicKey {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (cause) {
    throw new TransparencyError('ERR_TRANSPARENCY_KEY', 'the transparency public key is not a PEM public key', { cause });
  }
  return publicKeyOf(key);
}

/**
 * Verifies a receipt signature over `data`: ECDSA P-256 with SHA-256 (DER signature) for the log
 * key, Ed25519 (RFC 8032 §5.1.7) for a receipt made before the log key signed receipts.
 */
export function verifyTransparencySignature(key: TransparencyPublicKey, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    if (key.algorithm === 'ed25519') return signature.length === 64 && verify(null, data, key.publicKey, signature);
    return verify('sha256', data, { key: key.publicKey, dsaEncoding: 'der' }, signature);
  } catch {
    return false;
  }
}

function publicKeyOf(publicKey: KeyObject): TransparencyPublicKey {
  const type = publicKey.asymmetricKeyType;
  const curve = publicKey.asymmetricKeyDetails?.namedCurve;
  let algorithm: TransparencyPublicKey['algorithm'];
  if (type === 'ec' && namedCurveOf(curve) === 'P-256') algorithm = 'ecdsa-p256-sha256';
  else if (type === 'ed25519') algorithm = 'ed25519';
  else {
    throw new TransparencyError(
      'ERR_TRANSPARENCY_KEY',
      `the transparency key must be ECDSA P-256 (or Ed25519 for older receipts), not ${String(type)}${curve === undefined ? '' : ` ${curve}`}`,
    );
  }
  const der = publicKey.export({ format: 'der', type: 'spki' });
  return {
    keyId: createHash('sha256').update(der).digest('hex'),
    publicKey,
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    algorithm,
  };
}
