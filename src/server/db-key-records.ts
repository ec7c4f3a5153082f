/**
 * The software keystore's records in the service database (issue 16): one `wrapped_keys` row per
 * key, holding the same envelope a key file holds (AES-256-GCM under a data key the KEK wraps),
 * so every node on one database serves every credential and the CA with nothing but the KEK.
 * Each envelope's stamp is a hash of its bytes: every wrap draws a fresh IV, so every write
 * changes it.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import type { KeyRecords, StoredKeyRecord } from '../keys/index.js';
import {
  deleteWrappedKey,
  findWrappedKey,
  findWrappedKeyStamp,
  insertWrappedKey,
  listWrappedKeyKekIds,
  listWrappedKeyRefs,
  listWrappedKeysNotUnder,
  replaceWrappedKey,
  type Store,
} from '../store/index.js';

/** The keystores of the service: the credentials' keys and the CA's (CA, TSA, OCSP) keys. */
export type ServiceKeystore = 'credentials' | 'ca';

/** The stamp of an envelope. */
export function envelopeStamp(envelope: Uint8Array): string {
  return createHash('sha256').update(envelope).digest('hex').slice(0, 32);
}

/**
 * KeyRecords on the service database.
 *
 * @example
 * ```ts
 * const keystore = await SoftwareKeystore.open({ records: new DbKeyRecords(store, 'credentials', clock), kek });
 * ```
 */
export class DbKeyRecords implements KeyRecords {
  readonly #store: Store;
  readonly #keystore: ServiceKeystore;
  readonly #clock: Clock;

  constructor(store: Store, keystore: ServiceKeystore, clock: Clock) {
    this.#store = store;
    this.#keystore = keystore;
    this.#clock = clock;
  }

  get location(): string {
    return `the database (${this.#keystore} keystore)`;
  }

  async prepare(): Promise<void> {
    await Promise.resolve();
  }

  read(ref: string): Promise<StoredKeyRecord | undefined> {
    return findWrappedKey(this.#store.db, this.#keystore, ref);
  }

  stamp(ref: string): Promise<string | undefined> {
    return findWrappedKeyStamp(this.#store.db, this.#keystore, ref);
  }

  create(ref: string, envelope: Uint8Array, kekId: string): Promise<boolean> {
    const now = this.#clock.now().getTime();
    // Writes go through a transaction: on SQLite that waits for the write lock (BEGIN IMMEDIATE
    // with retries) instead of failing at once when another process writes.
    return this.#store.transaction((trx) => insertWrappedKey(trx, {
      keystore: this.#keystore,
      ref,
      kek_id: kekId,
      stamp: envelopeStamp(envelope),
      envelope,
      created_at: now,
      updated_at: now,
    }));
  }

  replace(ref: string, envelope: Uint8Array, kekId: string, stamp: string): Promise<boolean> {
    return this.#store.transaction((trx) =>
      replaceWrappedKey(trx, this.#keystore, ref, stamp, {
        envelope,
        kekId,
        stamp: envelopeStamp(envelope),
        updatedAt: this.#clock.now().getTime(),
      }),
    );
  }

  remove(ref: string): Promise<boolean> {
    return this.#store.transaction((trx) => deleteWrappedKey(trx, this.#keystore, ref));
  }

  list(after: string | undefined, limit: number): Promise<readonly string[]> {
    return listWrappedKeyRefs(this.#store.db, this.#keystore, after, limit);
  }

  listNotWrappedBy(kekId: string, limit: number): Promise<readonly string[]> {
    return listWrappedKeysNotUnder(this.#store.db, this.#keystore, kekId, limit);
  }

  kekIds(): Promise<readonly string[]> {
    return listWrappedKeyKekIds(this.#store.db, this.#keystore);
  }

  /** The database's reachability is the readiness probe's own check; the table is always there. */
  healthy(): Promise<boolean> {
    return Promise.resolve(true);
  }
}
