/** Shared fixed-window counters on both stores: window rollover and atomic counting across connections (docs/security.md SCA-01/03). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { deleteExpiredRateLimits, hitRateLimit } from '../../src/store/index.js';
import { requireStore, storeKinds, testStores } from '../support/stores.js';

describe('rate limits', () => {
  for (const kind of storeKinds) {
    describe(kind, () => {
      it('counts within a window and restarts when it has ended', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        assert.equal(await hitRateLimit(store.db, 'ip:a', 1000, 10_000), 1);
        assert.equal(await hitRateLimit(store.db, 'ip:a', 1000, 10_500), 2);
        assert.equal(await hitRateLimit(store.db, 'ip:b', 1000, 10_500), 1);
        assert.equal(await hitRateLimit(store.db, 'ip:a', 1000, 10_999), 3);
        assert.equal(await hitRateLimit(store.db, 'ip:a', 1000, 11_000), 1, 'new window');
        assert.equal(await hitRateLimit(store.db, 'ip:a', 1000, 11_001), 2);
        assert.equal(await deleteExpiredRateLimits(store.db, 1000, 11_600), 1);
      });

      it('parallel hits on two connections each get a distinct count', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const test = await testStores(t)[kind]();
        const other = await test.connectAgain();
        const counts = await Promise.all(
          Array.from({ length: 40 }, (_, i) =>
            (i % 2 === 0 ? test.store : other).transaction((trx) =>
              hitRateLimit(trx, 'ip:x', 60_000, 5),
            ),
          ),
        );
        assert.deepEqual(
          [...counts].sort((a, b) => a - b),
          Array.from({ length: 40 }, (_, i) => i + 1),
        );
      });
    });
  }
});
