/**
 * The encrypted software keystore: keys generated with node:crypto, each PKCS#8 (RFC 5208)
 * sealed with AES-256-GCM (SP 800-38D) under its own data key, the data key wrapped by a KEK.
 * One envelope per key, in a directory (one JSON file each, written atomically) or in the
 * service's database (key-records.ts); KEK rotation re-wraps data keys only, in batches.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPair, randomBytes, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { digestAlgorithms, namedCurveOf, type KeyType } from '../../cms/algorithms.js';
import { systemClock, type Clock } from '../../core/clock.js';
import type { BackendHealth, GeneratedKey, KeyRef, KeySpec, MessageSignRequest, PreparedKey, SignRequest } from '../key-backend.js';
import type { ListingKeyBackend } from '../key-listing.js';
import { KeyBackendError } from '../errors.js';
import { assertKeyLabel, randomKeyLabel } from '../key-label.js';
import type { Kek } from './kek.js';
import { FileKeyRecords, keystoreLabelOf, type KeyRecords } from './key-records.js';
import {
  dataKeyAad,
  decodeKeyFile,
  encodeKeyFile,
  privateKeyAad,
  type KeyFileV1,
} from './key-file.js';
import { openGcm, sealGcm } from './kek.js';
import { signDigest, type SoftwareSignRequest } from './sign-digest.js';
import { outputCheckFailed, publicPointOf } from './ecdsa-prehash.js';
import { verifySignatureOverDigest } from '../../cms/verify-signature.js';
import { signMessage } from './sign-message.js';
import { SigningPool } from './signing-pool.js';

const generateKeyPairAsync = promisify(generateKeyPair);

/** Options of `SoftwareKeystore.open`. */
export interface SoftwareKeystoreOptions {
  /** The keystore directory (created with mode 0700 when missing); or give `records`. */
  readonly dir?: string;
  /** Where the wrapped keys live (e.g. the service database); default: files in `dir`. */
  readonly records?: KeyRecords;
  /** The current KEK: wraps new data keys; rotation targets it. */
  readonly kek: Kek;
  /** Older KEKs still accepted for unwrapping (during or after an interrupted rotation). */
  readonly previousKeks?: readonly Kek[];
  /** Time source for `createdAt` and the key cache's lifetime. */
  readonly clock?: Clock;
  /**
   * How long a decrypted key may stay in memory after its last use, in seconds (default 30; 0
   * turns the cache off). Each use re-checks the key's record (its stamp), so a destroyed,
   * replaced or re-wrapped key is never used from the cache.
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

/** A decrypted key held by the cache, valid while its record is unchanged. */
interface CachedKey {
  readonly key: KeyObject;
  readonly stamp: string;
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

/** Options of `rotateKek`. */
export interface RotateKekOptions {
  /** Called after each key has been re-wrapped (progress reporting). */
  readonly onRewrapped?: (ref: KeyRef) => void;
  /** Keys read per batch (default 100). */
  readonly batchSize?: number;
}

const refPrefix = 'keystore:';
const listPage = 500;

/** `keystore:<label>` for a label. */
export function keystoreRef(label: string): KeyRef {
  assertKeyLabel(label);
  return `${refPrefix}${label}`;
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
  readonly #records: KeyRecords;
  #kek: Kek;
  readonly #keks: Map<string, Kek>;
  readonly #clock: Clock;
  readonly #cacheMs: number;
  readonly #cacheEntries: number;
  // Map iteration order is insertion order: re-inserting on use makes the first entry the LRU.
  readonly #cache = new Map<KeyRef, CachedKey>();
  /** The reference last put at the end of #cache (a hit on it needs no move). */
  #newestRef: KeyRef | undefined;
  /** Reads and decryptions in flight, by reference: concurrent misses share one (#privateKey). */
  readonly #loading = new Map<KeyRef, Promise<CachedKey>>();
  #closed = false;
  readonly #pool: SigningPool | undefined;

  private constructor(options: SoftwareKeystoreOptions, records: KeyRecords) {
    this.#records = records;
    this.#kek = options.kek;
    this.#keks = new Map([options.kek, ...(options.previousKeks ?? [])].map((k) => [k.id, k]));
    this.#clock = options.clock ?? systemClock;
    this.#cacheMs = Math.max(0, options.keyCacheSeconds ?? 30) * 1000;
    this.#cacheEntries = Math.max(1, options.keyCacheEntries ?? 128);
    const threads = options.signingThreads ?? 0;
    this.#pool = threads > 0 ? SigningPool.shared(threads) : undefined;
  }

  /** The signing threads' figures (SigningPool.stats); undefined when signing on the event loop. */
  signingPoolStats(): { readonly threads: number; readonly busy: number; readonly queued: number } | undefined {
    return this.#pool?.stats();
  }

  /**
   * Opens (creating if needed) the keystore in `dir` or on `records`. Refuses with
   * `ERR_KEYSTORE_KEK` when a key present was wrapped by none of the given KEKs, so a wrong KEK
   * fails at start, not at the first signature.
   */
  static async open(options: SoftwareKeystoreOptions): Promise<SoftwareKeystore> {
    const records = options.records ?? (options.dir !== undefined ? new FileKeyRecords(options.dir) : undefined);
    if (records === undefined) throw new KeyBackendError('ERR_KEY_BACKEND_UNAVAILABLE', 'a software keystore needs a directory or a record store');
    await records.prepare();
    const keystore = new SoftwareKeystore(options, records);
    keystore.assertKeks(await records.kekIds(), records.location);
    return keystore;
  }

  /** Throws ERR_KEYSTORE_KEK naming the first of `kekIds` that no configured KEK matches. */
  assertKeks(kekIds: readonly string[], where: string): void {
    const missing = kekIds.filter((id) => !this.#keks.has(id));
    if (missing.length > 0) {
      throw new KeyBackendError(
        'ERR_KEYSTORE_KEK',
        `keys in ${where} are wrapped under KEK ${missing.join(', ')}, which is not configured (configured: ${[...this.#keks.keys()].join(', ')})`,
        { detail: { kekIds: missing } },
      );
    }
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
    const curve = namedCurveOf(details.namedCurve);
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
    if (!(await this.#records.create(ref, encodeKeyFile(file), this.#kek.id))) {
      throw new KeyBackendError('ERR_KEY_EXISTS', `a key labelled ${label} already exists`);
    }
    return { ref, publicKey: spki, keyType: spec.type };
  }

  async getPublicKey(ref: KeyRef): Promise<Uint8Array> {
    this.#assertOpen();
    return (await this.#read(ref)).file.publicKey;
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
      sign: async (request: SignRequest) => {
        this.#assertOpen();
        return this.#signDigest(key, request);
      },
      signMessage: async (request: MessageSignRequest) => {
        this.#assertOpen();
        return this.#signMessage(key, request);
      },
      signChecked: async (request: SignRequest, publicKey: KeyObject) => {
        this.#assertOpen();
        return this.#signChecked(key, request, publicKey);
      },
    };
  }

  /**
   * Signs and checks the result against `publicKey` before it leaves (PreparedKey.signChecked):
   * ECDSA in the signer itself (on whichever thread signs), the other schemes by verifying the
   * signature over the digest here.
   */
  async #signChecked(key: KeyObject, request: SignRequest, publicKey: KeyObject): Promise<Uint8Array> {
    if (request.scheme === 'ECDSA') {
      const expectedPoint = publicPointOf(publicKey);
      if (expectedPoint === undefined) throw outputCheckFailed();
      return this.#signDigest(key, { ...request, expectedPoint });
    }
    const signature = await this.#signDigest(key, request);
    const algorithm = { scheme: request.scheme, digest: request.digestAlgorithm, ...(request.saltLength === undefined ? {} : { saltLength: request.saltLength }) };
    if (!verifySignatureOverDigest(publicKey, algorithm, request.digest, signature)) throw outputCheckFailed();
    return signature;
  }

  /** Signs a message with the key `ref` (found and checked as `sign` finds it): see #signMessage. */
  async signMessage(ref: KeyRef, request: MessageSignRequest): Promise<Uint8Array> {
    this.#assertOpen();
    return this.#signMessage(await this.#privateKey(ref), request);
  }

  #signDigest(key: KeyObject, request: SoftwareSignRequest): Promise<Uint8Array> | Uint8Array {
    return this.#pool === undefined ? signDigest(key, request) : this.#pool.sign(key, request);
  }

  /**
   * An EC key signs a message with one OpenSSL call on this thread (tens of µs for P-256: less than
   * ECDSA over a bare digest in BigInt, and than the hop to a signing thread); RSA keeps to the
   * pool, hashed here (signing-pool.ts).
   */
  #signMessage(key: KeyObject, request: MessageSignRequest): Promise<Uint8Array> | Uint8Array {
    if (key.asymmetricKeyType === 'ec') return signMessage(key, request);
    const { digestAlgorithm, scheme, message, saltLength } = request;
    const digest = new Uint8Array(createHash(digestAlgorithms[digestAlgorithm].nodeName).update(message).digest());
    return this.#signDigest(key, { scheme, digestAlgorithm, digest, ...(saltLength === undefined ? {} : { saltLength }) });
  }

  /**
   * The decrypted key of `ref`: from the cache when its record is unchanged (same stamp) and the
   * entry has not expired; otherwise read, decrypted and (if caching) remembered. Measured in
   * bench/keys.bench.ts: reading and decrypting the key costs several times the RSA-2048
   * signature itself. Misses while a read of the same key is in flight wait for it instead of
   * decrypting the key again (cold start: a signHash of 50 hashes decrypted it 50 times), and
   * then use it only if the record still has the stamp that read saw — the check a cache hit
   * makes, since that read may have begun before they were called.
   */
  async #privateKey(ref: KeyRef): Promise<KeyObject> {
    if (this.#cacheMs === 0) return this.#decrypt((await this.#read(ref)).file);
    const now = this.#clock.now().getTime();
    const hit = this.#cache.get(ref);
    if (hit !== undefined && hit.expiresAt > now) {
      // The entry stays in the cache while its stamp is read (issue 19: it was taken out first, so
      // every signature with the same key started while one check was pending missed and
      // decrypted the key again — a signHash of 50 hashes decrypted it up to 50 times).
      const stamp = await this.#records.stamp(ref);
      if (stamp === undefined) {
        if (this.#cache.get(ref) === hit) this.#cache.delete(ref);
        throw new KeyBackendError('ERR_KEY_NOT_FOUND', `no key ${ref}`);
      }
      if (stamp === hit.stamp) {
        hit.expiresAt = now + this.#cacheMs;
        // Most recently used last (eviction takes the first).
        if (this.#newestRef !== ref && this.#cache.get(ref) === hit) {
          this.#cache.delete(ref);
          this.#cache.set(ref, hit);
          this.#newestRef = ref;
        }
        return hit.key;
      }
    }
    const shared = this.#loading.get(ref);
    if (shared !== undefined) {
      const loaded = await shared.catch(() => undefined);
      if (loaded !== undefined && (await this.#records.stamp(ref)) === loaded.stamp) return loaded.key;
    }
    return (await this.#load(ref, now)).key;
  }

  /** Reads and decrypts `ref`, caches it, and lets concurrent misses share the work (#loading). */
  #load(ref: KeyRef, now: number): Promise<CachedKey> {
    const flight = (async () => {
      const { file, stamp } = await this.#read(ref);
      const loaded: CachedKey = { key: this.#decrypt(file), stamp, expiresAt: now + this.#cacheMs };
      if (this.#closed) return loaded;
      // Deleted first so that a re-read key goes to the end, as a hit does.
      this.#cache.delete(ref);
      this.#cache.set(ref, loaded);
      this.#newestRef = ref;
      for (const [oldest, entry] of this.#cache) {
        if (this.#cache.size <= this.#cacheEntries && entry.expiresAt > now) break;
        this.#cache.delete(oldest);
      }
      return loaded;
    })();
    this.#loading.set(ref, flight);
    const settled = (): void => {
      if (this.#loading.get(ref) === flight) this.#loading.delete(ref);
    };
    flight.then(settled, settled);
    return flight;
  }

  async destroyKey(ref: KeyRef): Promise<void> {
    this.#assertOpen();
    await this.#read(ref);
    this.#cache.delete(ref);
    await this.#records.remove(ref);
  }

  /** Every key in the keystore (public data only), sorted by reference. */
  async listKeys(): Promise<readonly KeystoreEntry[]> {
    this.#assertOpen();
    const out: KeystoreEntry[] = [];
    for (const ref of await this.listKeyRefs()) {
      let file: KeyFileV1;
      try {
        file = (await this.#read(ref)).file;
      } catch (err) {
        if (err instanceof KeyBackendError && err.code === 'ERR_KEY_NOT_FOUND') continue;
        throw err;
      }
      out.push({ ref: file.ref, keyType: file.keyType, spec: file.spec, publicKey: file.publicKey, createdAt: file.createdAt });
    }
    return out;
  }

  /** The references of every key, sorted (the listing capability). */
  async listKeyRefs(): Promise<readonly KeyRef[]> {
    this.#assertOpen();
    const refs: KeyRef[] = [];
    for (;;) {
      const page = await this.#records.list(refs.at(-1), listPage);
      refs.push(...page);
      if (page.length < listPage) return refs;
    }
  }

  /**
   * Re-wraps every data key under `newKek`, a batch of keys at a time; each key is replaced only
   * if it did not change meanwhile (its stamp), so a key destroyed or re-wrapped by another
   * process during the rotation is left to it, and a crash leaves every key readable with the
   * old or the new KEK. Private keys are not decrypted. The KEK of a key that is wrapped under
   * none of this keystore's KEKs stops the rotation (ERR_KEYSTORE_KEK). Afterwards `newKek` is
   * current and the old KEKs remain accepted by this instance.
   */
  async rotateKek(newKek: Kek, options: RotateKekOptions = {}): Promise<{ readonly rewrapped: number }> {
    this.#assertOpen();
    this.#keks.set(newKek.id, newKek);
    const batchSize = Math.max(1, options.batchSize ?? 100);
    let rewrapped = 0;
    let idle = 0;
    for (;;) {
      const batch = await this.#records.listNotWrappedBy(newKek.id, batchSize);
      let progress = 0;
      for (const ref of batch) {
        let current: { file: KeyFileV1; stamp: string };
        try {
          current = await this.#read(ref);
        } catch (err) {
          if (err instanceof KeyBackendError && err.code === 'ERR_KEY_NOT_FOUND') continue;
          throw err;
        }
        const { file, stamp } = current;
        if (file.dataKey.kekId === newKek.id) continue;
        const dataKey = this.#unwrap(file);
        const wrapped = newKek.wrap(dataKey, dataKeyAad(file.ref));
        dataKey.fill(0);
        const envelope = encodeKeyFile({ ...file, dataKey: { kekId: newKek.id, ...wrapped } });
        if (await this.#records.replace(ref, envelope, newKek.id, stamp)) {
          rewrapped++;
          progress++;
          options.onRewrapped?.(ref);
        }
      }
      if (batch.length < batchSize) break;
      // A full batch of which nothing was replaced: each key changed meanwhile (re-wrapped by
      // another process, or destroyed) and is listed again only if it still needs it.
      idle = progress === 0 ? idle + 1 : 0;
      if (idle > 3) throw new KeyBackendError('ERR_KEY_BACKEND_UNAVAILABLE', 'the re-wrap makes no progress (the keys keep changing)');
    }
    this.#kek = newKek;
    return { rewrapped };
  }

  async health(): Promise<BackendHealth> {
    if (this.#closed) return { ok: false, detail: { closed: true } };
    return (await this.#records.healthy().catch(() => false))
      ? { ok: true, detail: { kekId: this.#kek.id } }
      : { ok: false, detail: { reason: 'keystore unreachable' } };
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

  async #read(ref: KeyRef): Promise<{ file: KeyFileV1; stamp: string }> {
    keystoreLabelOf(ref);
    const record = await this.#records.read(ref);
    if (record === undefined) {
      this.#cache.delete(ref);
      throw new KeyBackendError('ERR_KEY_NOT_FOUND', `no key ${ref}`);
    }
    const file = decodeKeyFile(record.envelope);
    // The storage name is not trusted: the reference inside (bound in both AADs) must match it.
    if (file.ref !== ref)
      throw new KeyBackendError('ERR_KEYSTORE_KEK', `key file of ${ref} does not belong to it`);
    return { file, stamp: record.stamp };
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
