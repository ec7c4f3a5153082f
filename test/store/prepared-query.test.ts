/** preparedQuery: compiled once per database, then re-run with each call's own arguments in their own places. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { findUserById, insertUser } from '../../src/store/index.js';
import { preparedQuery } from '../../src/store/prepared-query.js';
import type { Db } from '../../src/store/index.js';
import { requireStore, storeKinds, testStores } from '../support/stores.js';

describe('preparedQuery', () => {
  for (const kind of storeKinds) {
    it(`${kind}: arguments land in their slots on every call; constants stay; both databases share one wrapper`, async (t) => {
      if (!(await requireStore(t, kind))) return;
      const { store } = await testStores(t)[kind]();
      for (const [id, username] of [['u1', 'alice'], ['u2', 'bob'], ['u3', 'carol']] as const) {
        await insertUser(store.db, { id, username, passwordHash: 'x', createdAt: 0 });
      }
      // Arguments out of column order, a constant between them, and a computed column.
      const pick = preparedQuery((db: Db, username: string, id: string) =>
        db
          .selectFrom('users')
          .select(['id', 'username', sql<string>`${'!'}`.as('mark')])
          .where('username', '=', username)
          .where('status', '=', 'active')
          .where('id', '=', id),
      );
      assert.deepEqual((await pick(store.db, 'alice', 'u1')).rows, [{ id: 'u1', username: 'alice', mark: '!' }]);
      assert.deepEqual((await pick(store.db, 'bob', 'u2')).rows, [{ id: 'u2', username: 'bob', mark: '!' }]);
      assert.deepEqual((await pick(store.db, 'bob', 'u1')).rows, []);
      // Inside a transaction (another Kysely instance on the same dialect) and for the repository's own use.
      await store.transaction(async (trx) => {
        assert.deepEqual((await pick(trx, 'carol', 'u3')).rows.map((r) => r.id), ['u3']);
      });
      assert.equal((await findUserById(store.db, 'u2'))?.username, 'bob');
      assert.equal(await findUserById(store.db, 'nobody'), undefined);
    });
  }

  it('a query that drops one of its arguments is refused on first use (ERR_STORE_QUERY)', async (t) => {
    if (!(await requireStore(t, 'sqlite'))) return;
    const { store } = await testStores(t).sqlite();
    const broken = preparedQuery((db: Db, id: string, _unused: string) => db.selectFrom('users').selectAll().where('id', '=', id));
    await assert.rejects(() => broken(store.db, 'u1', 'x'), { code: 'ERR_STORE_QUERY' });
  });
});
