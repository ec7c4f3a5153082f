/**
 * Where the software keystore keeps its wrapped keys: one envelope per key (the key-file JSON of
 * key-file.ts: public key in clear, PKCS#8 sealed with AES-256-GCM under a data key that a KEK
 * wraps). `FileKeyRecords` keeps one file per key in a directory; the signing service keeps them
 * in its database (src/server/db-key-records.ts), so a node needs no shared file system.
 */
import { statSync, type BigIntStats } from 'node:fs';
import { mkdir, readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { KeyRef } from '../key-backend.js';
import { KeyBackendError } from '../errors.js';
import { assertKeyLabel } from '../key-label.js';
import { createFileAtomic, writeFileAtomic } from './atomic-file.js';
import { decodeKeyFile, maxKeyFileBytes } from './key-file.js';

/** A stored envelope and the identity of that version. */
export interface StoredKeyRecord {
  readonly envelope: Uint8Array;
  /** Changes with every write of the record (a cache and a re-wrap compare it). */
  readonly stamp: string;
}

/** Storage of wrapped keys. Every method is atomic on its own; none sees key material in clear. */
export interface KeyRecords {
  /** Where the records live (for messages; no secret). */
  readonly location: string;
  /** Makes the storage ready (creates a directory); ERR_KEY_BACKEND_UNAVAILABLE when it cannot. */
  prepare(): Promise<void>;
  /** The record of `ref`, or undefined when there is none. */
  read(ref: KeyRef): Promise<StoredKeyRecord | undefined>;
  /** The stamp of `ref`'s current record (cheaper than read), or undefined when there is none. */
  stamp(ref: KeyRef): Promise<string | undefined>;
  /** Stores a new record; false (nothing written) when `ref` already has one. */
  create(ref: KeyRef, envelope: Uint8Array, kekId: string): Promise<boolean>;
  /** Replaces `ref`'s record if its stamp is still `stamp`; false when it changed or is gone. */
  replace(ref: KeyRef, envelope: Uint8Array, kekId: string, stamp: string): Promise<boolean>;
  /** Removes `ref`'s record; false when there was none. */
  remove(ref: KeyRef): Promise<boolean>;
  /** References in ascending order, those after `after` only, at most `limit`. */
  list(after: KeyRef | undefined, limit: number): Promise<readonly KeyRef[]>;
  /** References of records wrapped under a KEK other than `kekId`, at most `limit`. */
  listNotWrappedBy(kekId: string, limit: number): Promise<readonly KeyRef[]>;
  /** The ids of the KEKs that wrap at least one record. */
  kekIds(): Promise<readonly string[]>;
  /** Whether the storage can be reached now. */
  healthy(): Promise<boolean>;
}

const refPrefix = 'keystore:';
const fileSuffix = '.key.json';
const maxCachedPaths = 4096;

/** The label of a `keystore:<label>` reference (ERR_KEY_REF_INVALID otherwise). */
export function keystoreLabelOf(ref: KeyRef): string {
  if (!ref.startsWith(refPrefix)) {
    throw new KeyBackendError('ERR_KEY_REF_INVALID', 'a software keystore reference has the form keystore:<label>');
  }
  const label = ref.slice(refPrefix.length);
  try {
    assertKeyLabel(label);
  } catch (err) {
    throw new KeyBackendError('ERR_KEY_REF_INVALID', 'invalid label in keystore reference', { cause: err });
  }
  return label;
}

/**
 * One JSON file per key (`<label>.key.json`) in a directory (mode 0700), written atomically;
 * the stamp is the file's identity (inode, size, mtime, ctime).
 *
 * @example
 * ```ts
 * const keystore = await SoftwareKeystore.open({ records: new FileKeyRecords('/var/lib/signet/keys'), kek });
 * ```
 */
export class FileKeyRecords implements KeyRecords {
  readonly #dir: string;
  /**
   * The file of each reference seen, its label checked once: the per-signature stamp then costs
   * the stat alone (issue 19: the label check and path join ran on every signature).
   */
  readonly #paths = new Map<KeyRef, string>();

  constructor(dir: string) {
    this.#dir = dir;
  }

  get location(): string {
    return this.#dir;
  }

  async prepare(): Promise<void> {
    try {
      await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw new KeyBackendError('ERR_KEY_BACKEND_UNAVAILABLE', 'cannot create the keystore directory', {
        cause: err,
        detail: { dir: this.#dir },
      });
    }
  }

  #path(ref: KeyRef): string {
    let path = this.#paths.get(ref);
    if (path === undefined) {
      path = join(this.#dir, `${keystoreLabelOf(ref)}${fileSuffix}`);
      // Bounded: references come from the service's own rows, but a caller may try many.
      if (this.#paths.size >= maxCachedPaths) this.#paths.clear();
      this.#paths.set(ref, path);
    }
    return path;
  }

  /**
   * A synchronous stat: one local syscall of a few microseconds, where the promise form costs a
   * thread-pool round trip of ~0.1 ms on every signature.
   */
  stamp(ref: KeyRef): Promise<string | undefined> {
    let s: BigIntStats | undefined;
    try {
      s = statSync(this.#path(ref), { bigint: true, throwIfNoEntry: false });
    } catch (err) {
      if (err instanceof KeyBackendError) return Promise.reject(err);
      return Promise.reject(new KeyBackendError('ERR_KEY_BACKEND_UNAVAILABLE', 'cannot read the key file', { cause: err }));
    }
    return Promise.resolve(s === undefined ? undefined : `${s.ino}/${s.size}/${s.mtimeNs}/${s.ctimeNs}`);
  }

  async read(ref: KeyRef): Promise<StoredKeyRecord | undefined> {
    const path = this.#path(ref);
    try {
      const before = await this.stamp(ref);
      if (before === undefined) return undefined;
      const s = await stat(path);
      if (s.size > maxKeyFileBytes) throw new KeyBackendError('ERR_KEYSTORE_CORRUPT', `key file of ${ref} is too large`);
      const envelope = new Uint8Array(await readFile(path));
      return { envelope, stamp: before };
    } catch (err) {
      if (err instanceof KeyBackendError) throw err;
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new KeyBackendError('ERR_KEY_BACKEND_UNAVAILABLE', 'cannot read the key file', { cause: err });
    }
  }

  async create(ref: KeyRef, envelope: Uint8Array): Promise<boolean> {
    try {
      await createFileAtomic(this.#path(ref), envelope);
      return true;
    } catch (err) {
      if (err instanceof KeyBackendError) throw err;
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw new KeyBackendError('ERR_KEY_BACKEND_UNAVAILABLE', 'cannot write the key file', { cause: err });
    }
  }

  async replace(ref: KeyRef, envelope: Uint8Array, _kekId: string, stamp: string): Promise<boolean> {
    if ((await this.stamp(ref)) !== stamp) return false;
    await writeFileAtomic(this.#path(ref), envelope);
    return true;
  }

  async remove(ref: KeyRef): Promise<boolean> {
    try {
      await unlink(this.#path(ref));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw new KeyBackendError('ERR_KEY_BACKEND_UNAVAILABLE', 'cannot remove the key file', { cause: err });
    }
  }

  async #refs(): Promise<KeyRef[]> {
    let names: string[];
    try {
      names = await readdir(this.#dir);
    } catch (err) {
      throw new KeyBackendError('ERR_KEY_BACKEND_UNAVAILABLE', 'cannot list the keystore directory', { cause: err });
    }
    return names
      .filter((n) => n.endsWith(fileSuffix) && !n.startsWith('.'))
      .map((n) => `${refPrefix}${n.slice(0, -fileSuffix.length)}`)
      .sort();
  }

  async list(after: KeyRef | undefined, limit: number): Promise<readonly KeyRef[]> {
    return (await this.#refs()).filter((r) => after === undefined || r > after).slice(0, limit);
  }

  async #kekIdOf(ref: KeyRef): Promise<string | undefined> {
    const record = await this.read(ref);
    return record === undefined ? undefined : decodeKeyFile(record.envelope).dataKey.kekId;
  }

  async listNotWrappedBy(kekId: string, limit: number): Promise<readonly KeyRef[]> {
    const out: KeyRef[] = [];
    for (const ref of await this.#refs()) {
      if (out.length >= limit) break;
      const id = await this.#kekIdOf(ref);
      if (id !== undefined && id !== kekId) out.push(ref);
    }
    return out;
  }

  async kekIds(): Promise<readonly string[]> {
    const ids = new Set<string>();
    for (const ref of await this.#refs()) {
      const id = await this.#kekIdOf(ref);
      if (id !== undefined) ids.add(id);
    }
    return [...ids].sort();
  }

  async healthy(): Promise<boolean> {
    try {
      return (await stat(this.#dir)).isDirectory();
    } catch {
      return false;
    }
  }
}
