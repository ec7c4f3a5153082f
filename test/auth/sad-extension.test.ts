/**
 * CSC credentials/extendTransaction at the SadService (CSC API v2 §11.9; docs/security.md SAD-17,
 * SAD-06, INV-2): a NEW SAD for the next hashes, the old one retired atomically, the remaining
 * count, binding and expiry ceiling inherited, racing extensions yielding one live successor.
 * Runs on SQLite and PostgreSQL.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createAuditKey, verifyAuditLog, type AuditContext } from '../../src/audit/index.js';
import { SadError, SadService, hashSadToken } from '../../src/auth/index.js';
import { setCredentialStatus, type Store } from '../../src/store/index.js';
import { requireStore, storeKinds, testStores } from '../support/stores.js';
import {
  SHA384_OID,
  isSadError,
  sadBinding as binding,
  seedSadAccounts,
  settableClock,
  sha256Of as h,
} from './support/sad-fixtures.js';

const key = createAuditKey(randomBytes(32));

async function setup(store: Store) {
  await seedSadAccounts(store);
  const clock = settableClock('2026-03-01T10:00:00Z');
  const audit: AuditContext = { key, nodeId: 'node-a', clock };
  return { clock, audit, sads: new SadService({ store, clock, audit }) };
}

/** Live (unrevoked, unexpired, count left) SADs in the table. */
async function liveSads(store: Store, now: number): Promise<number> {
  const rows = await store.db.selectFrom('sads').select(['revoked', 'expires_at', 'remaining']).execute();
  return rows.filter((r) => Number(r.revoked) === 0 && Number(r.expires_at) > now && Number(r.remaining) > 0).length;
}

describe('SadService.extend (CSC v2 §11.9 extendTransaction)', () => {
  for (const kind of storeKinds) {
    describe(kind, () => {
      it('SAD-17 the successor signs the new hashes; the old SAD is refused; count is the remaining one; audited', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        const { sads, clock } = await setup(store);
        // A multi-call transaction: authorize n = 3 for the first hash, then the next ones.
        const first = await sads.issue({ ...binding, hashes: [h('1')], numSignatures: 3, lifetimeSeconds: 300 });
        await sads.consume({ ...binding, sad: first.sad, hashes: [h('1')] });
        clock.advance(10_000);
        const next = await sads.extend({ ...binding, sad: first.sad, hashes: [h('2'), h('3')], lifetimeSeconds: 300 });
        assert.notEqual(next.sad, first.sad);
        assert.equal(next.numSignatures, 2);
        assert.equal(next.expiresAt.toISOString(), '2026-03-01T10:05:10.000Z');
        await assert.rejects(sads.consume({ ...binding, sad: first.sad, hashes: [h('2')] }), isSadError('ERR_SAD_REVOKED'));
        await assert.rejects(
          sads.extend({ ...binding, sad: first.sad, hashes: [h('2')], lifetimeSeconds: 300 }),
          isSadError('ERR_SAD_REVOKED'),
        );
        assert.deepEqual(await sads.consume({ ...binding, sad: next.sad, hashes: [h('2')] }), { remaining: 1 });
        // Hashes the first SAD listed are not carried into a successor that names others.
        await assert.rejects(sads.consume({ ...binding, sad: next.sad, hashes: [h('1')] }), isSadError('ERR_SAD_CONSUMED'));
        assert.deepEqual(await sads.consume({ ...binding, sad: next.sad, hashes: [h('3')] }), { remaining: 0 });
        // Used up: nothing left to extend.
        await assert.rejects(
          sads.extend({ ...binding, sad: next.sad, hashes: [h('4')], lifetimeSeconds: 300 }),
          isSadError('ERR_SAD_CONSUMED'),
        );
        const stored = await store.db.selectFrom('sads').select(['id_hash', 'predecessor_id', 'authorized_at', 'num_signatures']).where('id_hash', '=', hashSadToken(next.sad)).executeTakeFirstOrThrow();
        assert.deepEqual(new Uint8Array(stored.predecessor_id!), hashSadToken(first.sad));
        assert.equal(Number(stored.authorized_at), new Date('2026-03-01T10:00:00Z').getTime());
        assert.equal(Number(stored.num_signatures), 2);
        const trail = await store.db.selectFrom('audit_log').select(['event_type', 'outcome', 'details']).orderBy('seq').execute();
        const extended = trail.filter((r) => r.event_type === 'sad.extend');
        assert.deepEqual(extended.map((r) => r.outcome), ['success', 'failure', 'failure']);
        const details = JSON.parse(extended[0]!.details) as Record<string, unknown>;
        assert.equal(details['numSignatures'], 2);
        assert.deepEqual(details['hashes'], [h('2'), h('3')].map((x) => Buffer.from(x).toString('base64')));
        assert.equal(details['sadRef'], Buffer.from(hashSadToken(first.sad).subarray(0, 8)).toString('hex'));
        assert.equal((await verifyAuditLog(store.db, key)).ok, true);
      });

      it('SAD-17 the count cannot be raised: more hashes than remaining are refused and nothing changes', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        const { sads, clock } = await setup(store);
        const first = await sads.issue({ ...binding, hashes: [h('1'), h('2')], numSignatures: 2, lifetimeSeconds: 300 });
        await sads.consume({ ...binding, sad: first.sad, hashes: [h('1')] });
        await assert.rejects(
          sads.extend({ ...binding, sad: first.sad, hashes: [h('3'), h('4')], lifetimeSeconds: 300 }),
          isSadError('ERR_SAD_COUNT_EXCEEDED'),
        );
        // Rolled back: the original SAD still signs its remaining hash.
        assert.equal(await liveSads(store, clock.now().getTime()), 1);
        // SAD-06: a hash already signed in the transaction cannot be named again.
        await assert.rejects(
          sads.extend({ ...binding, sad: first.sad, hashes: [h('1')], lifetimeSeconds: 300 }),
          isSadError('ERR_SAD_CONSUMED'),
        );
        const next = await sads.extend({ ...binding, sad: first.sad, hashes: [h('3')], lifetimeSeconds: 300 });
        assert.equal(next.numSignatures, 1);
        await assert.rejects(sads.consume({ ...binding, sad: next.sad, hashes: [h('1')] }), isSadError('ERR_SAD_CONSUMED'));
        await assert.rejects(sads.consume({ ...binding, sad: next.sad, hashes: [h('2')] }), isSadError('ERR_SAD_HASH_NOT_AUTHORIZED'));
        await sads.consume({ ...binding, sad: next.sad, hashes: [h('3')] });
      });

      it('without hashes (SCAL1 renewal) the unused hashes are carried over', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        const { sads } = await setup(store);
        const first = await sads.issue({ ...binding, hashes: [h('1'), h('2')], numSignatures: 2, lifetimeSeconds: 300 });
        await sads.consume({ ...binding, sad: first.sad, hashes: [h('1')] });
        const next = await sads.extend({ ...binding, sad: first.sad, lifetimeSeconds: 300 });
        await assert.rejects(sads.consume({ ...binding, sad: next.sad, hashes: [h('1')] }), isSadError('ERR_SAD_CONSUMED'));
        assert.deepEqual(await sads.consume({ ...binding, sad: next.sad, hashes: [h('2')] }), { remaining: 0 });
      });

      it('SAD-17 expiry ceiling: extensions never reach past the original authorisation + the maximum lifetime', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        const { sads, clock } = await setup(store);
        const start = clock.now().getTime();
        let { sad } = await sads.issue({ ...binding, hashes: [h('1')], numSignatures: 10, lifetimeSeconds: 300 });
        clock.advance(250_000);
        const a = await sads.extend({ ...binding, sad, hashes: [h('2')], lifetimeSeconds: 300 });
        assert.equal(a.expiresAt.getTime(), start + 550_000);
        clock.advance(250_000);
        // 500 s after authorisation: capped at 600 s (the SadService maximum), not 800 s.
        const b = await sads.extend({ ...binding, sad: a.sad, hashes: [h('3')], lifetimeSeconds: 300 });
        assert.equal(b.expiresAt.getTime(), start + 600_000);
        sad = b.sad;
        clock.advance(99_999);
        await sads.consume({ ...binding, sad, hashes: [h('3')] });
        clock.advance(1);
        await assert.rejects(
          sads.extend({ ...binding, sad, hashes: [h('4')], lifetimeSeconds: 300 }),
          isSadError('ERR_SAD_EXPIRED'),
        );
      });

      it('SAD-17 expired, revoked, foreign, other-client, other-credential, other-algorithm and disabled-credential SADs are refused', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        const { sads, clock } = await setup(store);
        const issue = () => sads.issue({ ...binding, hashes: [h('1')], numSignatures: 2, lifetimeSeconds: 60 });
        const ext = (sad: string, over: Partial<typeof binding> = {}) =>
          sads.extend({ ...binding, ...over, sad, hashes: [h('2')], lifetimeSeconds: 60 });
        const live = await issue();
        await assert.rejects(ext(live.sad, { userId: 'u2', credentialId: 'c3' }), isSadError('ERR_SAD_NOT_FOUND'));
        await assert.rejects(ext(live.sad, { clientId: 'k2' }), isSadError('ERR_SAD_BINDING'));
        await assert.rejects(ext(live.sad, { credentialId: 'c2' }), isSadError('ERR_SAD_BINDING'));
        await assert.rejects(
          sads.extend({ ...binding, hashAlgorithmOid: SHA384_OID, sad: live.sad, hashes: [new Uint8Array(48)], lifetimeSeconds: 60 }),
          isSadError('ERR_SAD_ALGORITHM'),
        );
        await assert.rejects(ext('forged-token'), isSadError('ERR_SAD_NOT_FOUND'));
        await setCredentialStatus(store.db, 'c1', 'disabled');
        await assert.rejects(ext(live.sad), isSadError('ERR_SAD_CREDENTIAL_UNUSABLE'));
        await setCredentialStatus(store.db, 'c1', 'active');
        const revoked = await issue();
        await sads.revoke({ sad: revoked.sad, userId: 'u1' });
        await assert.rejects(ext(revoked.sad), isSadError('ERR_SAD_REVOKED'));
        clock.advance(60_000);
        await assert.rejects(ext(live.sad), isSadError('ERR_SAD_EXPIRED'));
        // Nothing was issued by any refusal.
        assert.equal((await store.db.selectFrom('sads').select('id_hash').execute()).length, 2);
      });

      it('INV-2 racing extensions of one SAD on two connections: at most one live successor, 10 runs', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const test = await testStores(t)[kind]();
        const { sads, clock, audit } = await setup(test.store);
        const other = new SadService({ store: await test.connectAgain(), clock, audit });
        for (let run = 0; run < 10; run++) {
          const { sad } = await sads.issue({ ...binding, hashes: [h(`r${run}`)], numSignatures: 3, lifetimeSeconds: 300 });
          const attempts = Array.from({ length: 8 }, (_, i) =>
            (i % 2 === 0 ? sads : other).extend({ ...binding, sad, hashes: [h(`r${run}-${i}`)], lifetimeSeconds: 300 }),
          );
          const results = await Promise.allSettled(attempts);
          const won = results.filter((r) => r.status === 'fulfilled');
          assert.equal(won.length, 1, `run ${run}: ${results.map((r) => r.status).join(',')}`);
          for (const r of results) {
            if (r.status === 'rejected') {
              assert.ok(r.reason instanceof SadError, String(r.reason));
              assert.ok(['ERR_SAD_REVOKED', 'ERR_SAD_CONSUMED'].includes(r.reason.code), r.reason.code);
            }
          }
          assert.equal(await liveSads(test.store, clock.now().getTime()), 1);
          // The winner signs; the live successor is the only SAD with count left for this run.
          const winner = (won[0] as PromiseFulfilledResult<{ sad: string }>).value.sad;
          await assert.rejects(sads.consume({ ...binding, sad, hashes: [h(`r${run}`)] }), isSadError('ERR_SAD_REVOKED'));
          await sads.revoke({ sad: winner, userId: 'u1' });
        }
      });
    });
  }
});
