/** The database clock (docs/security.md FLT-15): the database's time, sampled, carried by the monotonic clock, never backwards. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { databaseTime, startDatabaseClock } from '../../src/store/index.js';
import { requireStore, storeKinds, testStores } from '../support/stores.js';

for (const kind of storeKinds) {
  describe(`startDatabaseClock (${kind})`, () => {
    it('tells the database time, moves with the monotonic clock between samples, and never runs backwards when a sample is behind', async (t) => {
      if (!(await requireStore(t, kind))) return;
      const { store } = await testStores(t)[kind]();
      let mono = 1_000_000;
      // Samples are taken only when the test says so (a long interval), so the injected monotonic clock rules.
      const clock = await startDatabaseClock(store, { monotonic: () => mono, sampleEveryMs: 3_600_000 });
      t.after(() => clock.stop());
      const reference = (await databaseTime(store)).getTime();
      const first = clock.now().getTime();
      assert.ok(Math.abs(first - reference) < 5_000, `the clock starts at the database's time: ${first} vs ${reference}`);
      mono += 90_000;
      assert.equal(clock.now().getTime(), first + 90_000, 'between samples it follows the monotonic clock, not the wall clock');
      mono -= 60_000; // a monotonic clock cannot go back; a sample behind the time given out is the same case
      assert.equal(clock.now().getTime(), first + 90_000, 'the time given out never decreases');
    });
  });
}

describe('startDatabaseClock: PostgreSQL is the reference for every node', () => {
  it('two clocks on one PostgreSQL agree whatever the monotonic origins of their processes', async (t) => {
    if (!(await requireStore(t, 'postgres'))) return;
    const { store } = await testStores(t).postgres();
    const a = await startDatabaseClock(store, { monotonic: () => 5, sampleEveryMs: 3_600_000 });
    const b = await startDatabaseClock(store, { monotonic: () => 9_999_999, sampleEveryMs: 3_600_000 });
    t.after(() => {
      a.stop();
      b.stop();
    });
    assert.ok(Math.abs(a.now().getTime() - b.now().getTime()) < 5_000);
  });
});
