/** The hash-chained, HMAC'd audit log on both stores: appends, concurrency, and each tampering kind (docs/security.md AUD-01…06). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { fixedClock } from '../../src/core/clock.js';
import {
  appendAudit,
  appendAuditNow,
  AuditError,
  createAuditKey,
  listUserAudit,
  verifyAuditLog,
  verifyAuditStore,
  type AuditContext,
  type AuditProblemKind,
} from '../../src/audit/index.js';
import type { Store } from '../../src/store/index.js';
import { requireStore, storeKinds, testStores } from '../support/stores.js';

const key = createAuditKey(randomBytes(32));
const context = (nodeId = 'node-a'): AuditContext => ({
  key,
  nodeId,
  clock: fixedClock(new Date('2026-03-01T10:00:00Z')),
});

async function seed(store: Store, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await appendAuditNow(
      store,
      {
        type: 'test.event',
        outcome: 'success',
        actorUserId: i % 2 === 0 ? 'alice' : 'bob',
        subject: `item:${i}`,
        details: { i },
      },
      context(),
    );
  }
}

function kinds(problems: readonly { kind: AuditProblemKind }[]): Set<AuditProblemKind> {
  return new Set(problems.map((p) => p.kind));
}

describe('audit log', () => {
  it('refuses a short key', () => {
    assert.throws(
      () => createAuditKey(new Uint8Array(16)),
      (e: unknown) => e instanceof AuditError && e.code === 'ERR_AUDIT_KEY',
    );
  });

  for (const kind of storeKinds) {
    describe(kind, () => {
      it('passes on an untouched log and on an empty one', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        assert.deepEqual(await verifyAuditLog(store.db, key), {
          ok: true,
          entries: 0,
          lastSeq: 0,
          problems: [],
        });
        await seed(store, 5);
        const report = await verifyAuditLog(store.db, key, { pageSize: 2 });
        assert.equal(report.ok, true, JSON.stringify(report.problems));
        assert.equal(report.entries, 5);
      });

      it('a wrong key fails every entry (AUD-04: the MAC key lives outside the DB)', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        await seed(store, 3);
        const report = await verifyAuditLog(store.db, createAuditKey(randomBytes(32)));
        assert.equal(report.ok, false);
        assert.ok(kinds(report.problems).has('mac-mismatch'));
        assert.ok(kinds(report.problems).has('head-mac-mismatch'));
      });

      it('AUD-01 detects an edited entry and names it', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        await seed(store, 5);
        await store.db
          .updateTable('audit_log')
          .set({ subject: 'item:999' })
          .where('seq', '=', 3)
          .execute();
        const report = await verifyAuditLog(store.db, key);
        assert.equal(report.ok, false);
        assert.deepEqual(
          report.problems.map((p) => [p.kind, p.seq]),
          [['hash-mismatch', 3]],
        );
      });

      it('AUD-02 detects a deleted entry (sequence gap and chain break)', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        await seed(store, 5);
        await store.db.deleteFrom('audit_log').where('seq', '=', 2).execute();
        const report = await verifyAuditLog(store.db, key);
        assert.deepEqual(kinds(report.problems), new Set(['sequence-gap', 'chain-break']));
        assert.ok(report.problems.every((p) => p.seq === 3));
      });

      it('AUD-03 detects two entries with swapped sequence numbers', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        await seed(store, 5);
        await store.transaction(async (trx) => {
          await trx.updateTable('audit_log').set({ seq: 100 }).where('seq', '=', 2).execute();
          await trx.updateTable('audit_log').set({ seq: 2 }).where('seq', '=', 3).execute();
          await trx.updateTable('audit_log').set({ seq: 3 }).where('seq', '=', 100).execute();
        });
        const report = await verifyAuditLog(store.db, key);
        assert.equal(report.ok, false);
        assert.ok(kinds(report.problems).has('hash-mismatch'));
        assert.ok(kinds(report.problems).has('chain-break'));
      });

      it('AUD-04 detects an inserted entry even when every later hash and the head are recomputed', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        await seed(store, 4);
        // The attacker has DB write access but not the key: they re-append from entry 3 on with their own key.
        const attacker = createAuditKey(randomBytes(32));
        const kept = await store.db
          .selectFrom('audit_log')
          .selectAll()
          .where('seq', '>=', 3)
          .orderBy('seq')
          .execute();
        await store.transaction(async (trx) => {
          await trx.deleteFrom('audit_log').where('seq', '>=', 3).execute();
          const prev = await trx
            .selectFrom('audit_log')
            .select(['seq', 'hash'])
            .where('seq', '=', 2)
            .executeTakeFirstOrThrow();
          await trx
            .updateTable('audit_head')
            .set({ seq: 2, head_hash: prev.hash })
            .where('id', '=', 1)
            .execute();
          const forged = {
            key: attacker,
            nodeId: 'node-a',
            clock: fixedClock(new Date('2026-03-01T10:00:00Z')),
          };
          await appendAudit(trx, { type: 'forged.event', outcome: 'success' }, forged);
          for (const row of kept) {
            await appendAudit(
              trx,
              { type: row.event_type, outcome: 'success', subject: row.subject ?? 'x' },
              forged,
            );
          }
        });
        const report = await verifyAuditLog(store.db, key);
        assert.equal(report.ok, false);
        assert.deepEqual([...kinds(report.problems)].sort(), ['head-mac-mismatch', 'mac-mismatch']);
        assert.equal(report.problems.find((p) => p.kind === 'mac-mismatch')?.seq, 3);
      });

      it("AUD-05 detects a truncated tail against the HMAC'd head checkpoint", async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        await seed(store, 60);
        await store.db.deleteFrom('audit_log').where('seq', '>', 10).execute();
        const report = await verifyAuditLog(store.db, key);
        assert.deepEqual(
          report.problems.map((p) => p.kind),
          ['truncated'],
        );
        // Moving the head back without the key is caught too.
        const last = await store.db
          .selectFrom('audit_log')
          .select(['hash'])
          .where('seq', '=', 10)
          .executeTakeFirstOrThrow();
        await store.db
          .updateTable('audit_head')
          .set({ seq: 10, head_hash: last.hash })
          .where('id', '=', 1)
          .execute();
        assert.deepEqual(
          (await verifyAuditLog(store.db, key)).problems.map((p) => p.kind),
          ['head-mac-mismatch'],
        );
        // An external anchor catches a rollback to an older genuine head.
        assert.deepEqual(
          (await verifyAuditLog(store.db, key, { minimumSeq: 60 })).problems.map((p) => p.kind),
          ['head-mac-mismatch', 'below-anchor'],
        );
      });

      it('AUD-06 two connections with 10 workers each appending 300–500 events keep one linear chain', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const test = await testStores(t)[kind]();
        const other = await test.connectAgain();
        const n = kind === 'postgres' ? 500 : 300;
        const append = (s: Store, node: string, i: number): Promise<number> =>
          appendAuditNow(
            s,
            { type: 'race', outcome: 'success', details: { node, i } },
            context(node),
          );
        // Each node runs 10 concurrent workers (a realistic request concurrency), n appends in all.
        const node = async (s: Store, name: string): Promise<number[]> => {
          const out: number[] = [];
          await Promise.all(
            Array.from({ length: 10 }, async (_, w) => {
              for (let i = w; i < n; i += 10) out.push(await append(s, name, i));
            }),
          );
          return out;
        };
        const seqs = (await Promise.all([node(test.store, 'a'), node(other, 'b')])).flat();
        assert.deepEqual(
          [...seqs].sort((a, b) => a - b),
          Array.from({ length: 2 * n }, (_, i) => i + 1),
        );
        const report = await verifyAuditLog(test.store.db, key);
        assert.equal(report.ok, true, JSON.stringify(report.problems.slice(0, 3)));
        assert.equal(report.entries, 2 * n);
      });

      it('verifies a live log on a snapshot while another connection appends', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const test = await testStores(t)[kind]();
        await seed(test.store, 50);
        const other = await test.connectAgain();
        const appends = Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            appendAuditNow(
              other,
              { type: 'live', outcome: 'success', details: { i } },
              context('b'),
            ),
          ),
        );
        const reports = await Promise.all(
          Array.from({ length: 5 }, () => verifyAuditStore(test.store, key, { pageSize: 7 })),
        );
        await appends;
        for (const r of reports) assert.equal(r.ok, true, JSON.stringify(r.problems));
        const final = await verifyAuditStore(test.store, key);
        assert.deepEqual([final.ok, final.entries], [true, 100]);
      });

      it('the audit row commits with the change, or not at all (AUD-07)', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        await assert.rejects(
          store.transaction(async (trx) => {
            await appendAudit(trx, { type: 'x', outcome: 'success' }, context());
            await appendAudit(
              trx,
              { type: 'x', outcome: 'failure', details: { pin: '1234' } },
              context(),
            );
          }),
          (e: unknown) => e instanceof AuditError && e.code === 'ERR_AUDIT_SECRET_FIELD',
        );
        const count = await sql<{ n: number }>`select count(*) as n from audit_log`.execute(
          store.db,
        );
        assert.equal(Number(count.rows[0]?.n), 0);
        assert.equal((await verifyAuditLog(store.db, key)).ok, true);
      });

      it('a user reads only their own entries (AUD-10)', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        await seed(store, 6);
        const alice = await listUserAudit(store.db, 'alice');
        assert.deepEqual(
          alice.map((e) => e.seq),
          [1, 3, 5],
        );
        assert.ok(alice.every((e) => e.actorUserId === 'alice'));
        assert.deepEqual(alice[1]?.details, { i: 2 });
        assert.deepEqual(
          (await listUserAudit(store.db, 'alice', { afterSeq: 3, limit: 1 })).map((e) => e.seq),
          [5],
        );
        assert.deepEqual(await listUserAudit(store.db, 'mallory'), []);
      });
    });
  }
});
