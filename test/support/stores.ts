/**
 * Temporary databases for store tests on every StoreKind: a SQLite file in a temp dir, or a fresh
 * PostgreSQL database (`signet_test_<random>`) copied from a migrated template via the maintenance
 * DB and dropped after.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import pg from 'pg';
import {
  connectStore,
  type Store,
  type StoreConfig,
  type StoreKind,
} from '../../src/store/index.js';
import { tempDir } from './tmp.js';
import { repoPath } from './repo-path.js';

/** The maintenance database URL (override with SIGNET_TEST_PG). */
export const pgAdminUrl =
  process.env['SIGNET_TEST_PG'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A fresh, migrated database, and a way to open more independent connections to it (other "nodes"). */
export interface TestDatabase {
  readonly store: Store;
  /** The configuration it was opened with (to open it again with other options). */
  readonly config: StoreConfig;
  /** Opens another Store on the same database (a second node / pool). Closed after the test. */
  connectAgain(): Promise<Store>;
}

type Hooks = Pick<TestContext, 'after'>;

let pgReachable: Promise<boolean> | undefined;
/** True when the test PostgreSQL answers (checked once per process). */
export async function isPgReachable(): Promise<boolean> {
  // A loaded machine can take seconds to accept a connection: three tries, 10 s each, before a
  // verdict that skips (or, in CI, fails) every PostgreSQL test of the process.
  pgReachable ??= (async () => {
    for (let attempt = 1; attempt <= 3; attempt++) {
      const client = new pg.Client({ connectionString: pgAdminUrl, connectionTimeoutMillis: 10_000 });
      try {
        await client.connect();
        await client.query('select 1');
        return true;
      } catch {
        if (attempt === 3) return false;
      } finally {
        await client.end().catch(() => undefined);
      }
    }
    return false;
  })();
  return pgReachable;
}

/**
 * Checks PostgreSQL before a test: skips locally when unreachable, fails with CI=true (a judge
 * that did not run must not look like a pass).
 */
export async function requireStore(t: TestContext, kind: StoreKind): Promise<boolean> {
  if (kind === 'sqlite' || (await isPgReachable())) return true;
  if (process.env['CI'] === 'true')
    throw new Error(`PostgreSQL is unreachable at ${pgAdminUrl} (required in CI)`);
  t.skip('PostgreSQL unreachable');
  return false;
}

async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: pgAdminUrl });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

async function openSqlite(t: Hooks): Promise<TestDatabase> {
  const file = join(tempDir(t, 'signet-store-'), 'signet.db');
  const opened: Store[] = [];
  t.after(async () => {
    for (const s of opened) await s.close();
  });
  const config: StoreConfig = { kind: 'sqlite', file };
  const open = async (): Promise<Store> => {
    const s = await connectStore(config);
    opened.push(s);
    return s;
  };
  return { store: await open(), config, connectAgain: open };
}

/** The store code's fingerprint: a template is migrated once per version of src/store. */
function storeCodeFingerprint(): string {
  const dir = repoPath('src', 'store');
  const hash = createHash('sha256');
  for (const name of readdirSync(dir).sort()) hash.update(name).update(readFileSync(join(dir, name)));
  return hash.digest('hex').slice(0, 16);
}

let migratedTemplate: Promise<string> | undefined;

/**
 * A migrated template database for this version of the store code, made once for every test
 * process (copying it is a file copy; migrating a fresh database costs about a second each). It
 * is built under another name and renamed when complete, under an advisory lock, so processes
 * running side by side never copy a half-migrated template.
 */
function postgresTemplate(): Promise<string> {
  migratedTemplate ??= (async () => {
    const name = `signet_tmpl_${storeCodeFingerprint()}`;
    const client = new pg.Client({ connectionString: pgAdminUrl });
    await client.connect();
    try {
      await client.query(`select pg_advisory_lock(hashtext('signet test template'))`);
      const found = await client.query('select 1 from pg_database where datname = $1', [name]);
      if (found.rowCount === 0) {
        const building = `${name}_building`;
        await client.query(`drop database if exists ${building} with (force)`);
        await client.query(`create database ${building}`);
        const url = new URL(pgAdminUrl);
        url.pathname = `/${building}`;
        const store = await connectStore({ kind: 'postgres', url: url.toString() });
        await store.close();
        await client.query(`alter database ${building} rename to ${name}`);
      }
      return name;
    } finally {
      await client.end();
    }
  })();
  return migratedTemplate;
}

async function openPostgres(t: Hooks): Promise<TestDatabase> {
  const name = `signet_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(`create database ${name} template ${await postgresTemplate()}`);
  const url = new URL(pgAdminUrl);
  url.pathname = `/${name}`;
  const opened: Store[] = [];
  t.after(async () => {
    for (const s of opened) await s.close();
    await adminQuery(`drop database if exists ${name} with (force)`);
  });
  const config: StoreConfig = { kind: 'postgres', url: url.toString() };
  const open = async (): Promise<Store> => {
    const s = await connectStore(config);
    opened.push(s);
    return s;
  };
  return { store: await open(), config, connectAgain: open };
}

/** One factory per StoreKind: a missing kind is a compile error where tests loop over it. */
export function testStores(t: Hooks): Record<StoreKind, () => Promise<TestDatabase>> {
  return { sqlite: () => openSqlite(t), postgres: () => openPostgres(t) };
}

/** The kinds in a stable order, typed from the Record so none can be forgotten. */
export const storeKinds: readonly StoreKind[] = Object.keys({
  sqlite: 0,
  postgres: 0,
} satisfies Record<StoreKind, 0>) as StoreKind[];
