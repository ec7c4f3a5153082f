/**
 * The audit observer (what feeds the metrics) hears of an appended event only once its
 * transaction has committed: an audited change that rolls back is not counted (issue 17).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { appendAudit, createAuditKey, type AuditContext, type AuditEvent } from '../../src/audit/index.js';
import { listAuditRows } from '../../src/store/index.js';
import { requireStore, storeKinds, testStores } from '../support/stores.js';

for (const kind of storeKinds) {
  describe(`audit observer (${kind})`, () => {
    it('is told after COMMIT, never for a rolled-back transaction', async (t) => {
      if (!(await requireStore(t, kind))) return;
      const { store } = await testStores(t)[kind]();
      const heard: string[] = [];
      const audit: AuditContext = {
        key: createAuditKey(randomBytes(32)),
        nodeId: 'n',
        clock: { now: () => new Date() },
        observer: { appended: (e) => heard.push(e.type), failed: () => undefined, folded: () => undefined },
      };
      const event = (type: string): AuditEvent => ({ type, outcome: 'success', subject: 'user:1' });

      await assert.rejects(
        store.transaction(async (trx) => {
          await appendAudit(trx, event('user.create'), audit);
          throw new Error('the change fails after its audit row');
        }),
        /the change fails/,
      );
      assert.deepEqual(heard, [], 'a rolled-back append is not counted');

      await store.transaction(async (trx) => {
        await appendAudit(trx, event('user.update'), audit);
        assert.deepEqual(heard, [], 'not before COMMIT');
      });
      assert.deepEqual(heard, ['user.update']);
      const rows = await listAuditRows(store.db, { afterSeq: 0, limit: 10 });
      assert.deepEqual(rows.map((r) => r.event_type), ['user.update']);
    });
  });
}
