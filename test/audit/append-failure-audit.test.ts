/**
 * Failure auditing under a flood (docs/security.md DOS-20) on both stores: individual entries up to the
 * per-source and total limits of a window, then summaries at the first excess and each doubling,
 * a fresh window starting over, the chain still verifying.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  appendFailureAudit,
  createAuditKey,
  failureSummaryType,
  verifyAuditStore,
  type AuditContext,
} from '../../src/audit/index.js';
import { listAuditRows } from '../../src/store/index.js';
import { requireStore, storeKinds, testStores } from '../support/stores.js';

function movingClock(start: number): { now: () => Date; advance: (ms: number) => void } {
  let t = start;
  return { now: () => new Date(t), advance: (ms) => void (t += ms) };
}

for (const kind of storeKinds) {
  describe(`appendFailureAudit (${kind})`, () => {
    it('DOS-20: per source, the first N failures of a minute one by one, then summaries at excess 1, 2, 4, 8 …; a new minute starts over', async (t) => {
      if (!(await requireStore(t, kind))) return;
      const { store } = await testStores(t)[kind]();
      const clock = movingClock(Date.parse('2026-03-01T10:00:00Z'));
      const audit: AuditContext = { key: createAuditKey(randomBytes(32)), nodeId: 'n', clock, failures: { perSourcePerMinute: 3, totalPerMinute: 1000 } };
      const fail = (source: string, i: number) =>
        appendFailureAudit(store, { type: 'auth.password', outcome: 'failure', sourceAddress: source, traceId: `trace-${i}`, details: { reason: 'wrong' } }, audit);
      const recorded: (number | undefined)[] = [];
      for (let i = 0; i < 20; i++) recorded.push(await fail('192.0.2.1', i));
      // Another source keeps its own budget.
      assert.notEqual(await fail('192.0.2.2', 100), undefined);
      const rows = await listAuditRows(store.db, { afterSeq: 0, limit: 1000 });
      const fromFirst = rows.filter((r) => r.source_address === '192.0.2.1');
      assert.deepEqual(fromFirst.filter((r) => r.event_type === 'auth.password').map((r) => r.trace_id), ['trace-0', 'trace-1', 'trace-2']);
      const summaries = fromFirst.filter((r) => r.event_type === failureSummaryType);
      // Excess 1, 2, 4, 8, 16 → failures 4, 5, 7, 11, 19.
      assert.deepEqual(summaries.map((r) => JSON.parse(r.details).failuresInWindow), [4, 5, 7, 11, 19]);
      assert.deepEqual(JSON.parse(summaries[0]?.details ?? '{}'), { eventType: 'auth.password', failuresInWindow: 4, recordedIndividually: 3, scope: 'source', windowSeconds: 60 });
      assert.equal(recorded.filter((r) => r !== undefined).length, 8);
      clock.advance(61_000);
      assert.notEqual(await fail('192.0.2.1', 200), undefined, 'a new window records again');
      assert.ok((await verifyAuditStore(store, audit.key)).ok);
    });

    it('DOS-20: many sources, one failure each: past the total limit only total summaries are written', async (t) => {
      if (!(await requireStore(t, kind))) return;
      const { store } = await testStores(t)[kind]();
      const clock = movingClock(Date.parse('2026-03-01T10:00:00Z'));
      const audit: AuditContext = { key: createAuditKey(randomBytes(32)), nodeId: 'n', clock, failures: { perSourcePerMinute: 2, totalPerMinute: 10 } };
      for (let i = 0; i < 300; i++) {
        await appendFailureAudit(store, { type: 'csc.auth.login', outcome: 'failure', sourceAddress: `10.0.${i >> 8}.${i & 255}` }, audit);
      }
      const rows = await listAuditRows(store.db, { afterSeq: 0, limit: 1000 });
      assert.equal(rows.filter((r) => r.event_type === 'csc.auth.login').length, 10);
      const summaries = rows.filter((r) => r.event_type === failureSummaryType).map((r) => JSON.parse(r.details) as { scope: string; failuresInWindow: number });
      assert.deepEqual(summaries.map((s) => [s.scope, s.failuresInWindow]), [['total', 11], ['total', 12], ['total', 14], ['total', 18], ['total', 26], ['total', 42], ['total', 74], ['total', 138], ['total', 266]]);
      assert.ok((await verifyAuditStore(store, audit.key)).ok);
    });

    it('without a policy every failure is recorded', async (t) => {
      if (!(await requireStore(t, kind))) return;
      const { store } = await testStores(t)[kind]();
      const audit: AuditContext = { key: createAuditKey(randomBytes(32)), nodeId: 'n', clock: movingClock(0) };
      for (let i = 0; i < 5; i++) assert.equal(await appendFailureAudit(store, { type: 'x', outcome: 'failure', sourceAddress: '192.0.2.9' }, audit), i + 1);
    });
  });
}
