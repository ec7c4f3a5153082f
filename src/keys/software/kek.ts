/**
 * The key-encryption key (KEK) of the software keystore: AES-256 (FIPS 197) used with GCM
 * (SP 800-38D) to wrap per-key data keys, loaded from a file or an environment variable.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createSecretKey,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { fromHex } from '../../core/bytes.js';
import { KeyBackendError } from '../errors.js';
import { readSecretFile, readSecretFromEnv } from '../secret-source.js';

/** Where the KEK comes from. `env` follows the `*_FILE` convention (`SIGNET_KEK_FILE` wins). */
export type KekSource =
  { readonly file: string } | { readonly env: string; readonly environment?: NodeJS.ProcessEnv };

/** An AES-GCM ciphertext with its 96-bit IV; the 128-bit tag is appended to `ciphertext`. */
export interface SealedBox {
  readonly iv: Uint8Array;
  readonly ciphertext: Uint8Array;
}

/** Seals `plaintext` under `key` with AES-256-GCM and the given AAD (SP 800-38D, 96-bit IV). */
export function sealGcm(
  key: KeyObject | Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array,
): SealedBox {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return { iv: new Uint8Array(iv), ciphertext: new Uint8Array(body) };
}

/** Opens a SealedBox; returns undefined when the tag does not verify (wrong key, AAD or bytes). */
export function openGcm(
  key: KeyObject | Uint8Array,
  box: SealedBox,
  aad: Uint8Array,
): Buffer | undefined {
  if (box.iv.length !== 12 || box.ciphertext.length < 16) return undefined;
  const tag = box.ciphertext.subarray(box.ciphertext.length - 16);
  const body = box.ciphertext.subarray(0, box.ciphertext.length - 16);
  // docs/security.md KEY-04: the plaintext may be key material; the pieces it is assembled from are
  // zeroed, so only the returned Buffer (which the caller zeroes) ever holds it.
  let head: Buffer | undefined;
  let tail: Buffer | undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, box.iv);
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    head = decipher.update(body);
    tail = decipher.final();
    return Buffer.concat([head, tail]);
  } catch {
    return undefined;
  } finally {
    head?.fill(0);
    tail?.fill(0);
  }
}

/**
 * A 256-bit key-encryption key. Its bytes stay inside a `KeyObject`; `id` is a public
 * fingerprint (HMAC of a fixed label) stored next to each wrapped data key to pick the KEK.
 *
 * @example
 * ```ts
 * const kek = loadKek({ env: 'SIGNET_KEK' }); // reads SIGNET_KEK_FILE or SIGNET_KEK
 * ```
 */
export class Kek {
  readonly id: string;
  readonly #key: KeyObject;

  private constructor(bytes: Uint8Array) {
    this.#key = createSecretKey(bytes);
    this.id = createHmac('sha256', this.#key).update('signet-kek-id-v1').digest('hex').slice(0, 16);
  }

  /** A KEK from exactly 32 bytes. */
  static fromBytes(bytes: Uint8Array): Kek {
    if (bytes.length !== 32) {
      throw new KeyBackendError('ERR_KEYSTORE_KEK', 'a KEK must be 32 bytes (AES-256)');
    }
    return new Kek(bytes);
  }

  /** A fresh random KEK (for tests and `signet keys kek`). */
  static generate(): Kek {
    const bytes = randomBytes(32);
    const kek = new Kek(bytes);
    bytes.fill(0);
    return kek;
  }

  /** Low level: wraps a data key under this KEK, binding `aad`. */
  wrap(dataKey: Uint8Array, aad: Uint8Array): SealedBox {
    return sealGcm(this.#key, dataKey, aad);
  }

  /** Low level: unwraps a data key; undefined when this KEK or the AAD does not match. */
  unwrap(box: SealedBox, aad: Uint8Array): Buffer | undefined {
    return openGcm(this.#key, box, aad);
  }
}

/**
 * Decodes KEK text or bytes: 32 raw bytes, 64 hex digits, or base64 of 32 bytes (surrounding
 * whitespace ignored).
 */
export function parseKek(material: Uint8Array): Kek {
  if (material.length === 32) return Kek.fromBytes(material);
  const text = new TextDecoder().decode(material).trim();
  const hex = /^[0-9a-fA-F]{64}$/.test(text) ? fromHex(text) : undefined;
  if (hex !== undefined) return Kek.fromBytes(hex);
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(text)) {
    const bytes = Buffer.from(
      text,
      text.includes('-') || text.includes('_') ? 'base64url' : 'base64',
    );
    if (bytes.length === 32) return Kek.fromBytes(bytes);
  }
  throw new KeyBackendError(
    'ERR_KEYSTORE_KEK',
    'KEK must be 32 raw bytes, 64 hex digits or base64 of 32 bytes',
  );
}

/**
 * Loads the KEK from a file or from an environment variable (`NAME_FILE` first, then `NAME`).
 *
 * @example
 * ```ts
 * const kek = loadKek({ file: '/run/secrets/signet-kek' });
 * ```
 */
export function loadKek(source: KekSource): Kek {
  const material =
    'file' in source
      ? readSecretFile(source.file)
      : readSecretFromEnv(source.env, source.environment);
  try {
    return parseKek(material);
  } finally {
    material.fill(0);
  }
}
