/**
 * The encrypted software keystore: keys generated with node:crypto, each PKCS#8 (RFC 5208)
 * sealed with AES-256-GCM (SP 800-38D) under its own data key, the data key wrapped by a KEK.
 * One JSON file per key, written atomically; KEK rotation re-wraps data keys only.
 */
import { createPrivateKey, createPublicKey, generateKeyPair, randomBytes, type KeyObject } from 'node:crypto';
import { statSync, type BigIntStats } from 'node:fs';
import { mkdir, readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { KeyType, NamedCurve } from '../../cms/algorithms.js';
import { systemClock, type Clock } from '../../core/clock.js';
import type { BackendHealth, GeneratedKey, KeyRef, KeySpec, PreparedKey, SignRequest } from '../key-backend.js';
import type { ListingKeyBackend } from '../key-listing.js';
import { KeyBackendError } from '../errors.js';
import { assertKeyLabel, randomKeyLabel } from '../key-label.js';
import type { Kek } from './kek.js';
import { createFileAtomic, writeFileAtomic } from './atomic-file.js';
import {
  dataKeyAad,
  decodeKeyFile,
  encodeKeyFile,
  maxKeyFileBytes,
  privateKeyAad,
  type KeyFileV1,
} from './key-file.js';
import { openGcm, sealGcm } from './kek.js';
import { signDigest } from './sign-digest.js';
import { SigningPool } from './signing-pool.js';

const generateKeyPairAsync = promisify(generateKeyPair);

/** Options of `SoftwareKeystore.open`. */
export interface SoftwareKeystoreOptions {
  /** The keystore directory (created with mode 0700 when missing). */
  readonly dir: string;
  /** The current KEK: wraps new data keys; rotation targets it. */
  readonly kek: Kek;
  /** Older KEKs still accepted for unwrapping (during or after an interrupted rotation). */
  readonly previousKeks?: readonly Kek[];
  /** Time source for `createdAt` and the key cache's lifetime. */
  readonly clock?: Clock;
  /**
   * How long a decrypted key may stay in memory after its last use, in seconds (default 30; 0
   * turns the cache off). Each use re-checks the key file (`stat`), so a destroyed, replaced or
   * re-wrapped key is never used from the cache.
   */
  readonly keyCacheSeconds?: number;
  /** At most this many decrypted keys are held (default 128, least recently used evicted). */
  readonly keyCacheEntries?: number;
  /**
   * Sign on this many worker threads (the process-wide SigningPool of that size) instead of the
   * calling thread; default 0, on the calling thread. A server sets it so that signatures neither
   * stall its event loop nor stay on one core.
   */
  readonly signingThreads?: number;
}

/** A decrypted key held by the cache, valid while its file is unchanged. */
interface CachedKey {
  readonly key: KeyObject;
  readonly fileId: string;
  expiresAt: number;
}

/** A key listed by `listKeys`. */
export interface KeystoreEntry {
  readonly ref: KeyRef;
  readonly keyType: KeyType;
  readonly spec: KeySpec;
  readonly publicKey: Uint8Array;
  readonly createdAt: string;
}

const refPrefix = 'keystore:';
const fileSuffix = '.key.json';

/** `keystore:<label>` for a label. */
export function keystoreRef(label: string): KeyRef {
  assertKeyLabel(label);
  return `${refPrefix}${label}`;
}

function labelOf(ref: KeyRef): string {
  if (!ref.startsWith(refPrefix)) {
    throw new KeyBackendError(
      'ERR_KEY_REF_INVALID',
      'a software keystore reference has the form keystore:<label>',
    );
  }
  const label = ref.slice(refPrefix.length);
  try {
    assertKeyLabel(label);
  } catch (err) {
    throw new KeyBackendError('ERR_KEY_REF_INVALID', 'invalid label in keystore reference', {
      cause: err,
    });
  }
  return label;
}

/**
 * The encrypted software keystore (a `KeyBackend` of kind `software`). Private keys exist in
 * clear only inside `sign`, as a `KeyObject` decrypted for that one call; the decrypted PKCS#8
 * buffer is zeroed at once. Nothing returns or logs key material.
 *
 * @example
 * ```ts
 * const keystore = await SoftwareKeystore.open({
 *   dir: '/var/lib/signet/keys',
 *   kek: loadKek({ env: 'SIGNET_KEK' }),
 * });
 * const { ref, publicKey } = await keystore.generateKey({ type: 'EC', curve: 'P-256' }, 'ca-root');
 * const signature = await keystore.sign(ref, { scheme: 'ECDSA', digestAlgorithm: 'SHA-256', digest });
 * ```
 */
export class SoftwareKeystore implements ListingKeyBackend {
  readonly kind = 'software';
  readonly #dir: string;
  #kek: Kek;
  readonly #keks: Map<string, Kek>;
  readonly #clock: Clock;
  readonly #cacheMs: number;
  readonly #cacheEntries: number;
  // Map iteration order is insertion order: re-inserting on use makes the first entry the LRU.
  readonly #cache = new Map<KeyRef, CachedKey>();
  #closed = false;
  readonly #pool: SigningPool | undefined;

  private constructor(options: SoftwareKeystoreOptions) {
    this.#dir = options.dir;
    this.#kek = options.kek;
    this.#keks = new Map([options.kek, ...(options.previousKeks ?? [])].map((k) => [k.id, k]));
    this.#clock = options.clock ?? systemClock;
    this.#cacheMs = Math.max(0, options.keyCacheSeconds ?? 30) * 1000;
    this.#cacheEntries = Math.max(1, options.keyCacheEntries ?? 128);
    const threads = options.signingThreads ?? 0;
    this.#pool = threads > 0 ? SigningPool.shared(threads) : undefined;
  }

  /**
   * Opens (creating if needed) the keystore in `dir`. Refuses with `ERR_KEYSTORE_KEK` when a key
   * file present was wrapped by none of the given KEKs, so a wrong KEK fails at start, not at the
   * first signature.
   */
  static async open(options: SoftwareKeystoreOptions): Promise<SoftwareKeystore> {
    try {
      await mkdir(options.dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw new KeyBackendError(
        'ERR_KEY_BACKEND_UNAVAILABLE',
        'cannot create the keystore directory',
        {
          cause: err,
          detail: { dir: options.dir },
        },
      );
    }
    const keystore = new SoftwareKeystore(options);
    for (const file of await keystore.#readAll()) {
      if (!keystore.#keks.has(file.dataKey.kekId)) {
        throw new KeyBackendError('ERR_KEYSTORE_KEK', `no configured KEK can unwrap ${file.ref}`, {
          detail: { kekId: file.dataKey.kekId },
        });
      }
    }
    return keystore;
  }

  /** The id of the current KEK (a public fingerprint). */
  get kekId(): string {
    return this.#kek.id;
  }

  async generateKey(spec: KeySpec, label: string = randomKeyLabel()): Promise<GeneratedKey> {
    this.#assertOpen();
    const ref = keystoreRef(label);
    const { publicKey, privateKey } = await generate(spec);
    return this.#store(ref, label, spec, publicKey, privateKey);
  }

  /**
   * Imports an existing private key (e.g. an external CA's) into the keystore, encrypted like a
   * generated one. Only the sizes and curves a generated key may have are accepted.
   */
  async importKey(privateKey: KeyObject, label: string = randomKeyLabel()): Promise<GeneratedKey> {
    this.#assertOpen();
    const ref = keystoreRef(label);
    if (privateKey.type !== 'private') throw new KeyBackendError('ERR_KEY_MECHANISM_UNSUPPORTED', 'not a private key');
    const details = privateKey.asymmetricKeyDetails ?? {};
    const curve = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' }[details.namedCurve ?? ''] as NamedCurve | undefined;
    const bits = details.modulusLength;
    const spec: KeySpec | undefined =
      privateKey.asymmetricKeyType === 'rsa' && (bits === 2048 || bits === 3072 || bits === 4096)
        ? { type: 'RSA', bits }
        : privateKey.asymmetricKeyType === 'ec' && curve !== undefined
          ? { type: 'EC', curve }
          : undefined;
    if (spec === undefined) {
      throw new KeyBackendError('ERR_KEY_MECHANISM_UNSUPPORTED', 'only RSA 2048/3072/4096 and EC P-256/P-384/P-521 keys can be imported');
    }
    return this.#store(ref, label, spec, createPublicKey(privateKey), privateKey);
  }

  async #store(ref: KeyRef, label: string, spec: KeySpec, publicKey: KeyObject, privateKey: KeyObject): Promise<GeneratedKey> {
    const spki = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
    const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' });
    const dataKey = randomBytes(32);
    let sealed;
    try {
      sealed = sealGcm(dataKey, pkcs8, privateKeyAad(ref, spki));
    } finally {
      pkcs8.fill(0);
    }
    const wrapped = this.#kek.wrap(dataKey, dataKeyAad(ref));
    dataKey.fill(0);
    const file: KeyFileV1 = {
      format: 'signet-keystore-key',
      version: 1,
      ref,
      keyType: spec.type,
      spec,
      publicKey: spki,
      createdAt: this.#clock.now().toISOString(),
      dataKey: { kekId: this.#kek.id, ...wrapped },
      privateKey: sealed,
    };
    try {
      await createFileAtomic(this.#path(label), encodeKeyFile(file));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new KeyBackendError('ERR_KEY_EXISTS', `a key labelled ${label} already exists`);
      }
      throw new KeyBackendError('ERR_KEY_BACKEND_UNAVAILABLE', 'cannot write the key file', {
        cause: err,
      });
    }
    return { ref, publicKey: spki, keyType: spec.type };
  }

  async getPublicKey(ref: KeyRef): Promise<Uint8Array> {
    this.#assertOpen();
    return (await this.#read(ref)).publicKey;
  }

  async sign(ref: KeyRef, request: SignRequest): Promise<Uint8Array> {
    this.#assertOpen();
    const key = await this.#privateKey(ref);
    return this.#pool === undefined ? signDigest(key, request) : this.#pool.sign(key, request);
  }

  /**
   * Reads and decrypts the key now: a missing, undecryptable or malformed key fails here, and
   * the signatures that follow use the decrypted key without reading it again.
   */
  async prepareKey(ref: KeyRef): Promise<PreparedKey> {
    this.#assertOpen();
    const key = await this.#privateKey(ref);
    return {
      sign: async (request) => {
        this.#assertOpen();
        return this.#pool === undefined ? signDigest(key, request) : this.#pool.sign(key, request);
      },
    };
  }

  /**
   * The decrypted key of `ref`: from the cache when its file is unchanged (same inode, size and
   * mtime) and the entry has not expired; otherwise read, decrypted and (if caching) remembered.
   * Measured in bench/keys.bench.ts: reading and decrypting the file costs several times the
   * RSA-2048 signature itself.
   */
  async #privateKey(ref: KeyRef): Promise<KeyObject> {
    if (this.#cacheMs === 0) return this.#decrypt(await this.#read(ref));
    const now = this.#clock.now().getTime();
    const fileId = this.#fileId(ref);
    const hit = this.#cache.get(ref);
    this.#cache.delete(ref);
    if (hit !== undefined && hit.fileId === fileId && hit.expiresAt > now) {
      hit.expiresAt = now + this.#cacheMs;
      this.#cache.set(ref, hit);
      return hit.key;
    }
    const key = this.#decrypt(await this.#read(ref));
    this.#cache.set(ref, { key, fileId, expiresAt: now + this.#cacheMs });
    for (const [oldest, entry] of this.#cache) {
      if (this.#cache.size <= this.#cacheEntries && entry.expiresAt > now) break;
      this.#cache.delete(oldest);
    }
    return key;
  }

  /**
   * Identity of the key file's current version; `ERR_KEY_NOT_FOUND` when it is gone. A
   * synchronous stat: one local syscall of a few microseconds, where the promise form costs a
   * thread-pool round trip of ~0.1 ms on every signature.
   */
  #fileId(ref: KeyRef): string {
    let s: BigIntStats | undefined;
    try {
      s = statSync(this.#path(labelOf(ref)), { bigint: true, throwIfNoEntry: false });
    } catch (err) {
      this.#cache.delete(ref);
      throw new KeyBackendError('ERR_KEY_BACKEND_UNAVAILABLE', 'cannot read the key file', { cause: err });
    }
    if (s === undefined) {
      this.#cache.delete(ref);
      throw new KeyBackendError('ERR_KEY_NOT_FOUND', `no key ${ref}`);
    }
    return `${s.ino}/${s.size}/${s.mtimeNs}/${s.ctimeNs}`;
  }

  async destroyKey(ref: KeyRef): Promise<void> {
    this.#assertOpen();
    const label = labelOf(ref);
    await this.#read(ref);
    this.#cache.delete(ref);
    await unlink(this.#path(label));
  }

  /** Every key in the keystore (public data only), sorted by reference. */
  async listKeys(): Promise<readonly KeystoreEntry[]> {
    this.#assertOpen();
    const files = await this.#readAll();
    return files
      .map((f) => ({
        ref: f.ref,
        keyType: f.keyType,
        spec: f.spec,
        publicKey: f.publicKey,
        createdAt: f.createdAt,
      }))
      .sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0));
  }

  /** The references of every key, sorted (the listing capability). */
  async listKeyRefs(): Promise<readonly KeyRef[]> {
    return (await this.listKeys()).map((k) => k.ref);
  }

  /**
   * Re-wraps every data key under `newKek` (one atomic file replacement per key, so a crash
   * leaves each key readable with the old or the new KEK). Private keys are not decrypted.
   * Afterwards `newKek` is current and the old KEKs remain accepted by this instance.
   * `onRewrapped` is called after each key file has been replaced (progress reporting).
   */
  async rotateKek(
    newKek: Kek,
    options: { readonly onRewrapped?: (ref: KeyRef) => void } = {},
  ): Promise<{ readonly rewrapped: number }> {
    this.#assertOpen();
    this.#keks.set(newKek.id, newKek);
    let rewrapped = 0;
    for (const file of await this.#readAll()) {
      if (file.dataKey.kekId === newKek.id) continue;
      const dataKey = this.#unwrap(file);
      const wrapped = newKek.wrap(dataKey, dataKeyAad(file.ref));
      dataKey.fill(0);
      await writeFileAtomic(
        this.#path(labelOf(file.ref)),
        encodeKeyFile({ ...file, dataKey: { kekId: newKek.id, ...wrapped } }),
      );
      rewrapped++;
      options.onRewrapped?.(file.ref);
    }
    this.#kek = newKek;
    return { rewrapped };
  }

  async health(): Promise<BackendHealth> {
    if (this.#closed) return { ok: false, detail: { closed: true } };
    try {
      const s = await stat(this.#dir);
      return { ok: s.isDirectory(), detail: { kekId: this.#kek.id } };
    } catch {
      return { ok: false, detail: { reason: 'keystore directory unreachable' } };
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#cache.clear();
    await Promise.resolve();
  }

  #assertOpen(): void {
    if (this.#closed)
      throw new KeyBackendError('ERR_KEY_BACKEND_CLOSED', 'the software keystore is closed');
  }

  #path(label: string): string {
    return join(this.#dir, `${label}${fileSuffix}`);
  }

  async #read(ref: KeyRef): Promise<KeyFileV1> {
    const label = labelOf(ref);
    let bytes: Buffer;
    try {
      const s = await stat(this.#path(label));
      if (s.size > maxKeyFileBytes)
        throw new KeyBackendError('ERR_KEYSTORE_CORRUPT', `key file of ${ref} is too large`);
      bytes = await readFile(this.#path(label));
    } catch (err) {
      if (err instanceof KeyBackendError) throw err;
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new KeyBackendError('ERR_KEY_NOT_FOUND', `no key ${ref}`);
      }
      throw new KeyBackendError('ERR_KEY_BACKEND_UNAVAILABLE', 'cannot read the key file', {
        cause: err,
      });
    }
    const file = decodeKeyFile(bytes);
    // The file name is not trusted: the reference inside (bound in both AADs) must match it.
    if (file.ref !== ref)
      throw new KeyBackendError('ERR_KEYSTORE_KEK', `key file of ${ref} does not belong to it`);
    return file;
  }

  async #readAll(): Promise<KeyFileV1[]> {
    let names: string[];
    try {
      names = await readdir(this.#dir);
    } catch (err) {
      throw new KeyBackendError(
        'ERR_KEY_BACKEND_UNAVAILABLE',
        'cannot list the keystore directory',
        { cause: err },
      );
    }
    const out: KeyFileV1[] = [];
    for (const name of names.sort()) {
      if (!name.endsWith(fileSuffix) || name.startsWith('.')) continue;
      out.push(await this.#read(keystoreRef(name.slice(0, -fileSuffix.length))));
    }
    return out;
  }

  #unwrap(file: KeyFileV1): Buffer {
    const kek = this.#keks.get(file.dataKey.kekId);
    const dataKey = kek?.unwrap(file.dataKey, dataKeyAad(file.ref));
    if (dataKey === undefined || dataKey.length !== 32) {
      throw new KeyBackendError('ERR_KEYSTORE_KEK', `cannot unwrap the data key of ${file.ref}`, {
        detail: { kekId: file.dataKey.kekId },
      });
    }
    return dataKey;
  }

  #decrypt(file: KeyFileV1): KeyObject {
    const dataKey = this.#unwrap(file);
    const pkcs8 = openGcm(dataKey, file.privateKey, privateKeyAad(file.ref, file.publicKey));
    dataKey.fill(0);
    if (pkcs8 === undefined) {
      throw new KeyBackendError(
        'ERR_KEYSTORE_KEK',
        `cannot decrypt the private key of ${file.ref}`,
      );
    }
    try {
      return createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
    } catch (err) {
      throw new KeyBackendError('ERR_KEYSTORE_CORRUPT', `private key of ${file.ref} is malformed`, {
        cause: err,
      });
    } finally {
      pkcs8.fill(0);
    }
  }
}

async function generate(spec: KeySpec): Promise<{ publicKey: KeyObject; privateKey: KeyObject }> {
  if (spec.type === 'RSA' && [2048, 3072, 4096].includes(spec.bits)) {
    return generateKeyPairAsync('rsa', { modulusLength: spec.bits, publicExponent: 0x10001 });
  }
  if (spec.type === 'EC' && ['P-256', 'P-384', 'P-521'].includes(spec.curve)) {
    return generateKeyPairAsync('ec', { namedCurve: spec.curve });
  }
  throw new KeyBackendError('ERR_KEY_SPEC_UNSUPPORTED', 'unsupported key specification');
}
