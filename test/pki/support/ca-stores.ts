/**
 * Every CaStore implementation for store-generic PKI tests: the file store (CLI) and the database
 * store on each StoreKind. `openAgain` gives an independent handle on the same state, as a second
 * process or node would have.
 */
import type { TestContext } from 'node:test';
import type { StoreKind } from '../../../src/store/index.js';
import type { CaStore } from '../../../src/pki/store/ca-store.js';
import { DbCaStore, type DbCaStoreOptions } from '../../../src/pki/store/db-ca-store.js';
import { FileCaStore } from '../../../src/pki/store/file-ca-store.js';
import { isPgReachable, requireStore, storeKinds, testStores, type TestDatabase } from '../../support/stores.js';
import { tempDir } from '../../support/tmp.js';

/** The file store, or the database store on one database kind. */
export type CaStoreKind = 'file' | StoreKind;

/** Every kind, typed so a new StoreKind is covered at once. */
export const caStoreKinds: readonly CaStoreKind[] = ['file', ...storeKinds];

/** An opened CaStore and a way to open another handle on the same state. */
export interface TestCaStore {
  readonly kind: CaStoreKind;
  readonly store: CaStore;
  openAgain(): Promise<CaStore>;
  /** The database behind a DbCaStore (undefined for the file store). */
  readonly database?: TestDatabase;
}

type Hooks = Pick<TestContext, 'after'>;

/** Skips (locally) or fails (CI) when the kind's database is unreachable; true when it can run. */
export async function requireCaStore(t: TestContext, kind: CaStoreKind): Promise<boolean> {
  return kind === 'file' ? true : requireStore(t, kind);
}

/**
 * The kinds for suite-level fixtures (describe + before), each with the `skip` option of its
 * describe: PostgreSQL unreachable skips locally and fails with CI=true, as requireStore does.
 */
export async function caStoreSuites(): Promise<readonly { readonly kind: CaStoreKind; readonly skip: string | false }[]> {
  const reachable = await isPgReachable();
  if (!reachable && process.env['CI'] === 'true') throw new Error('PostgreSQL is unreachable (required in CI)');
  return caStoreKinds.map((kind) => ({ kind, skip: kind === 'postgres' && !reachable ? 'PostgreSQL unreachable' : false }));
}

/**
 * Opens a fresh CaStore of `kind`; the file store lives in `dir` (a temp dir when absent).
 * `onChange` is passed to database stores.
 */
export async function openTestCaStore(
  t: Hooks,
  kind: CaStoreKind,
  options: { readonly dir?: string; readonly onChange?: DbCaStoreOptions['onChange'] } = {},
): Promise<TestCaStore> {
  if (kind === 'file') {
    const dir = options.dir ?? tempDir(t, 'signet-ca-store-');
    return { kind, store: new FileCaStore(dir), openAgain: () => Promise.resolve(new FileCaStore(dir)) };
  }
  const database = await testStores(t)[kind]();
  const make = (store: TestDatabase['store']): DbCaStore =>
    new DbCaStore({ store, ...(options.onChange !== undefined ? { onChange: options.onChange } : {}) });
  return {
    kind,
    store: make(database.store),
    openAgain: async () => make(await database.connectAgain()),
    database,
  };
}
