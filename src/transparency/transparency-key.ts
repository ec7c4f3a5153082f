/**
 * The service's transparency key: an Ed25519 key (RFC 8032) that signs batch receipts (and, for
 * the signature log, signed tree heads). It is derived with HKDF-SHA-256 (RFC 5869) from a server
 * secret every node already shares, under its own `info` label, so every node of a cluster signs
 * with the same key without a new secret to distribute, and the derived key says nothing about
 * the secret (RFC 5869 §3.2: distinct `info` values give independent keys).
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  hkdfSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { TransparencyError } from './errors.js';

/** A verifying key: the public half and its id. */
export interface TransparencyPublicKey {
  /** Hex SHA-256 of the SubjectPublicKeyInfo DER (the RFC 6962 §3.2 LogID construction). */
  readonly keyId: string;
  readonly publicKey: KeyObject;
  /** The public key as PEM (SPKI), what `GET /api/v1/transparency/key` answers. */
  readonly publicKeyPem: string;
}

/** The signing key: the public half and a way to sign, never the private bytes. */
export interface TransparencyKey extends TransparencyPublicKey {
  /** Ed25519 signature (RFC 8032 §5.1.6, 64 bytes) over `data`. */
  sign(data: Uint8Array): Uint8Array;
}

/** RFC 8410 §7: the PKCS#8 prefix of an Ed25519 private key, followed by the 32-byte seed. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const HKDF_INFO = 'signet-transparency-key-v1';

/**
 * Derives the transparency key from a server secret of at least 32 bytes (HKDF-SHA-256, empty
 * salt, info `signet-transparency-key-v1`).
 */
export function deriveTransparencyKey(secret: Uint8Array): TransparencyKey {
  if (secret.length < 32) {
    throw new TransparencyError(
      'ERR_TRANSPARENCY_KEY',
      'the transparency key secret must be at least 32 bytes',
    );
  }
  const seed = Buffer.from(hkdfSync('sha256', secret, new Uint8Array(0), HKDF_INFO, 32));
  const privateKey = createPrivateKey({
    key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  const pub = publicKeyOf(createPublicKey(privateKey));
  return {
    ...pub,
    sign: (data) => new Uint8Array(sign(null, data, privateKey)),
  };
}

/** Reads a PEM (SPKI) Ed25519 public key, as a verifier given `--key KEY.pem` does. */
export function readTransparencyPublicKey(pem: string): TransparencyPublicKey {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (cause) {
    throw new TransparencyError(
      'ERR_TRANSPARENCY_KEY',
      'the transparency public key is not a PEM public key',
      { cause },
    );
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new TransparencyError(
      'ERR_TRANSPARENCY_KEY',
      `the transparency key must be Ed25519, not ${String(key.asymmetricKeyType)}`,
    );
  }
  return publicKeyOf(key);
}

/** Verifies an Ed25519 signature with a transparency public key. */
export function verifyTransparencySignature(
  key: TransparencyPublicKey,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (signature.length !== 64) return false;
  return verify(null, data, key.publicKey, signature);
}

function publicKeyOf(publicKey: KeyObject): TransparencyPublicKey {
  const der = publicKey.export({ format: 'der', type: 'spki' });
  return {
    keyId: createHash('sha256').update(der).digest('hex'),
    publicKey,
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
}
