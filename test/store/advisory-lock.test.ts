/**
 * Cluster-wide locks on PostgreSQL advisory locks (store/advisory-lock.ts): one holder at a time
 * across pools (nodes), a try-lock that skips instead of queueing, a bounded wait ending in
 * ERR_STORE_BUSY, and release when the holder's session dies; on SQLite the function just runs.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { StoreError, tryAdvisoryLock, withAdvisoryLock } from '../../src/store/index.js';
import { requireStore, testStores } from '../support/stores.js';

/** A promise with its resolver, to hold a lock until the test says so. */
function gate(): { promise: Promise<void>; open(): void } {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

describe('advisory locks', () => {
  it('postgres: exclusive across pools; try-lock skips; bounded wait; released with a dead session', async (t) => {
    if (!(await requireStore(t, 'postgres'))) return;
    const db = await testStores(t).postgres();
    const nodeA = db.store;
    const nodeB = await db.connectAgain();
    const held = gate();
    const entered = gate();
    const holding = withAdvisoryLock(nodeA, 'test-lock', async () => {
      entered.open();
      await held.promise;
      return 'a';
    });
    await entered.promise;
    assert.deepEqual(await tryAdvisoryLock(nodeB, 'test-lock', () => Promise.resolve('b')), { ran: false });
    assert.deepEqual(await tryAdvisoryLock(nodeB, 'other-lock', () => Promise.resolve('b')), { ran: true, value: 'b' });
    await assert.rejects(withAdvisoryLock(nodeB, 'test-lock', () => Promise.resolve('b'), 200), (e: unknown) => e instanceof StoreError && e.code === 'ERR_STORE_BUSY');
    const waiting = withAdvisoryLock(nodeB, 'test-lock', () => Promise.resolve('b'));
    held.open();
    assert.equal(await holding, 'a');
    assert.equal(await waiting, 'b');

    // A holder whose session is killed (a node that died) loses the lock.
    const stuck = gate();
    const entered2 = gate();
    const dying = withAdvisoryLock(nodeA, 'test-lock', async () => {
      entered2.open();
      await stuck.promise;
    });
    await entered2.promise;
    // Only this test's database: the shared server's other sessions are none of its business.
    // pg_terminate_backend(pid, timeout) waits until the session has ended (PostgreSQL 14+,
    // §9.27.2); without the timeout it returns once the signal is sent, and the lock could still
    // be held when the next line asks for it (the flake of CI runs on busy machines).
    await sql`select pg_terminate_backend(pid, 10000) from pg_locks where locktype = 'advisory' and pid <> pg_backend_pid() and database = (select oid from pg_database where datname = current_database())`.execute(nodeB.db);
    assert.deepEqual(await tryAdvisoryLock(nodeB, 'test-lock', () => Promise.resolve('after')), { ran: true, value: 'after' });
    stuck.open();
    await dying.catch(() => undefined);
  });

  it('sqlite: the function simply runs (one file, one host; the callers’ own atomic steps exclude each other)', async (t) => {
    const db = await testStores(t).sqlite();
    assert.equal(await withAdvisoryLock(db.store, 'x', () => Promise.resolve(1)), 1);
    assert.deepEqual(await tryAdvisoryLock(db.store, 'x', () => Promise.resolve(2)), { ran: true, value: 2 });
  });
});
