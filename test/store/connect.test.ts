/** connectStore and the migrations on SQLite and PostgreSQL: WAL, foreign keys, idempotent migrations. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import pg from 'pg';
import { connectStore, migrateToLatest, StoreError } from '../../src/store/index.js';
import { requireStore, storeKinds, testStores } from '../support/stores.js';

describe('connectStore', () => {
  for (const kind of storeKinds) {
    describe(kind, () => {
      it('creates every table and the genesis audit head', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        const head = await store.db.selectFrom('audit_head').selectAll().executeTakeFirstOrThrow();
        assert.equal(Number(head.seq), 0);
        for (const table of [
          'users',
          'credentials',
          'oauth_clients',
          'authorization_codes',
          'tokens',
          'sads',
          'sad_hashes',
          'audit_log',
        ] as const) {
          const rows = await store.db.selectFrom(table).selectAll().execute();
          // Migration 0004 seeds the built-in `csc-login` client (CSC auth/login tokens).
          const expected = table === 'oauth_clients' ? ['csc-login'] : [];
          assert.deepEqual(
            rows.map((r) => ('id' in r ? r.id : r)),
            expected,
            table,
          );
        }
      });

      it('migrations are idempotent: a second run and a second connection apply nothing', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const test = await testStores(t)[kind]();
        assert.deepEqual(await migrateToLatest(test.store.db, kind), []);
        const again = await test.connectAgain();
        assert.deepEqual(await migrateToLatest(again.db, kind), []);
        const heads = await again.db.selectFrom('audit_head').selectAll().execute();
        assert.equal(heads.length, 1);
      });

      it('enforces foreign keys', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        await assert.rejects(
          store.db
            .insertInto('credentials')
            .values({
              id: 'c1',
              user_id: 'nobody',
              key_ref: 'k',
              backend_kind: 'software',
              certificate_chain: '[]',
              status: 'active',
              pin_hash: null,
              pin_failures: 0,
              locked: 0,
              multisign: 1,
              scal: 'SCAL2',
              created_at: 0,
            })
            .execute(),
        );
      });

      it('rolls a failed transaction back completely', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        await assert.rejects(
          store.transaction(async (trx) => {
            await trx
              .insertInto('users')
              .values({
                id: 'u1',
                username: 'alice',
                password_hash: 'x',
                totp_secret: null,
                totp_last_step: null,
                status: 'active',
                failed_attempts: 0,
                locked_until: null,
                created_at: 1,
              })
              .execute();
            throw new Error('boom');
          }),
          /boom/,
        );
        assert.equal((await store.db.selectFrom('users').selectAll().execute()).length, 0);
      });

      it('keeps the original error when the transaction was already ended, and stays usable', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        await assert.rejects(
          store.transaction(async (trx) => {
            await sql`rollback`.execute(trx);
            throw new Error('original failure');
          }),
          /original failure/,
        );
        await assert.rejects(
          store.transaction(
            async (trx) => void (await sql`select nonsense from nowhere`.execute(trx)),
          ),
        );
        assert.equal(
          await store.transaction(
            async (trx) => (await trx.selectFrom('users').selectAll().execute()).length,
          ),
          0,
        );
        assert.equal(
          await store.snapshot(
            async (trx) => (await trx.selectFrom('users').selectAll().execute()).length,
          ),
          0,
        );
      });
    });
  }

  it('SQLite runs in WAL mode', async (t) => {
    const { store } = await testStores(t).sqlite();
    const r = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(store.db);
    assert.equal(r.rows[0]?.journal_mode, 'wal');
  });

  it('an unreachable PostgreSQL gives ERR_STORE_CONNECT, a bad URL ERR_STORE_CONFIG', async () => {
    await assert.rejects(
      connectStore({ kind: 'postgres', url: 'postgres://postgres@127.0.0.1:1/none' }),
      (e: unknown) => e instanceof StoreError && e.code === 'ERR_STORE_CONNECT',
    );
    await assert.rejects(
      connectStore({ kind: 'postgres', url: 'mysql://x' }),
      (e: unknown) => e instanceof StoreError && e.code === 'ERR_STORE_CONFIG',
    );
  });

  it('an unopenable SQLite path gives ERR_STORE_CONNECT', async () => {
    await assert.rejects(
      connectStore({ kind: 'sqlite', file: '/nonexistent-dir/x/signet.db' }),
      (e: unknown) => e instanceof StoreError && e.code === 'ERR_STORE_CONNECT',
    );
  });
});

describe('FLT-08/09 lock contention ends in ERR_STORE_BUSY, not a hang', () => {
  it('PostgreSQL: a statement blocked by another session fails after statement_timeout', async (t) => {
    if (!(await requireStore(t, 'postgres'))) return;
    const test = await testStores(t).postgres();
    if (test.config.kind !== 'postgres') return;
    const store = await connectStore({ ...test.config, statementTimeoutMs: 200 });
    const blocker = new pg.Client({ connectionString: test.config.url });
    blocker.on('error', () => undefined);
    await blocker.connect();
    await blocker.query('begin');
    await blocker.query('lock table users in access exclusive mode');
    await assert.rejects(
      store.transaction((trx) => trx.selectFrom('users').selectAll().execute()),
      (e: unknown) => e instanceof StoreError && e.code === 'ERR_STORE_BUSY',
    );
    await blocker.query('rollback');
    await blocker.end();
    assert.deepEqual(
      await store.transaction((trx) => trx.selectFrom('users').selectAll().execute()),
      [],
    );
    await store.close();
  });

  it('SQLite: a writer holding the lock makes another connection give up after busyTimeoutMs', async (t) => {
    const test = await testStores(t).sqlite();
    if (test.config.kind !== 'sqlite') return;
    const other = await connectStore({ ...test.config, busyTimeoutMs: 50 });
    t.after(() => other.close());
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let started: () => void = () => undefined;
    const isHolding = new Promise<void>((resolve) => (started = resolve));
    const holder = test.store.transaction(async () => {
      started();
      await held;
    });
    await isHolding;
    await assert.rejects(
      other.transaction(async () => undefined),
      (e: unknown) => e instanceof StoreError && e.code === 'ERR_STORE_BUSY',
    );
    release();
    await holder;
    await other.transaction(async () => undefined);
  });
});

describe('FLT-14 a full PostgreSQL pool is a bounded wait, then ERR_STORE_BUSY', () => {
  it('a waiter that gets no connection within connectTimeoutMs fails with ERR_STORE_BUSY', async (t) => {
    if (!(await requireStore(t, 'postgres'))) return;
    const test = await testStores(t).postgres();
    if (test.config.kind !== 'postgres') return;
    const store = await connectStore({ ...test.config, poolSize: 1, connectTimeoutMs: 100 });
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let started: () => void = () => undefined;
    const isHolding = new Promise<void>((resolve) => (started = resolve));
    const holder = store.transaction(async () => {
      started();
      await held;
    });
    await isHolding;
    await assert.rejects(
      store.transaction(async () => undefined),
      (e: unknown) => e instanceof StoreError && e.code === 'ERR_STORE_BUSY',
    );
    release();
    await holder;
    await store.transaction(async () => undefined);
    await store.close();
  });
});
