/** SAD issue and atomic consumption on both stores (docs/security.md SAD-02, 05, 06, 08–11, 14–16, 18, 20, 21; INV-1, INV-2). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createAuditKey, verifyAuditLog, type AuditContext } from '../../src/audit/index.js';
import { SadService, hashSadToken } from '../../src/auth/index.js';
import { setCredentialStatus, setUserStatus, type Store } from '../../src/store/index.js';
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

async function setup(store: Store, clock = settableClock('2026-03-01T10:00:00Z')) {
  await seedSadAccounts(store);
  const audit: AuditContext = { key, nodeId: 'node-a', clock };
  return { clock, audit, sads: new SadService({ store, clock, audit }) };
}

/** Issues a SAD under `binding` for these hashes, one signature each. */
function issueFor(sads: SadService, hashes: Uint8Array[], lifetimeSeconds: number) {
  return sads.issue({ ...binding, hashes, numSignatures: hashes.length, lifetimeSeconds });
}

describe('SadService', () => {
  for (const kind of storeKinds) {
    describe(kind, () => {
      it('SAD-01 baseline: issue for {h1,h2}, n=2, consume both; only the SHA-256 of the SAD is stored (SAD-20)', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        const { sads } = await setup(store);
        const { sad, expiresAt } = await issueFor(sads, [h('1'), h('2')], 300);
        assert.equal(expiresAt.toISOString(), '2026-03-01T10:05:00.000Z');
        assert.equal(Buffer.from(sad, 'base64url').length, 32);
        const stored = await store.db.selectFrom('sads').select('id_hash').execute();
        assert.deepEqual(
          stored.map((r) => Buffer.from(r.id_hash).toString('hex')),
          [Buffer.from(hashSadToken(sad)).toString('hex')],
        );
        assert.deepEqual(await sads.consume({ ...binding, sad, hashes: [h('1')] }), {
          remaining: 1,
        });
        assert.deepEqual(await sads.consume({ ...binding, sad, hashes: [h('2')] }), {
          remaining: 0,
        });
        await assert.rejects(
          sads.consume({ ...binding, sad, hashes: [h('1')] }),
          isSadError('ERR_SAD_CONSUMED'),
        );
        const trail = await store.db
          .selectFrom('audit_log')
          .select(['event_type', 'outcome'])
          .orderBy('seq')
          .execute();
        assert.deepEqual(
          trail.map((r) => `${r.event_type}:${r.outcome}`),
          [
            'sad.issue:success',
            'sad.consume:success',
            'sad.consume:success',
            'sad.consume:failure',
          ],
        );
        assert.equal((await verifyAuditLog(store.db, key)).ok, true);
      });

      it('SAD-02 a request with one unlisted hash is refused whole: the listed hash stays unused', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        const { sads } = await setup(store);
        const { sad } = await issueFor(sads, [h('1'), h('2')], 300);
        await assert.rejects(
          sads.consume({ ...binding, sad, hashes: [h('1'), h('3')] }),
          isSadError('ERR_SAD_HASH_NOT_AUTHORIZED'),
        );
        assert.deepEqual(await sads.consume({ ...binding, sad, hashes: [h('1'), h('2')] }), {
          remaining: 0,
        });
      });

      it('SAD-06/12 the same hash twice, malformed hashes and an unknown algorithm are refused', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        const { sads } = await setup(store);
        const { sad } = await issueFor(sads, [h('1')], 300);
        await assert.rejects(
          sads.consume({ ...binding, sad, hashes: [h('1'), h('1')] }),
          isSadError('ERR_SAD_HASH_INVALID'),
        );
        for (const len of [0, 31, 33]) {
          await assert.rejects(
            sads.consume({ ...binding, sad, hashes: [new Uint8Array(len)] }),
            isSadError('ERR_SAD_HASH_INVALID'),
          );
        }
        await assert.rejects(
          sads.consume({ ...binding, sad, hashes: [] }),
          isSadError('ERR_SAD_HASH_INVALID'),
        );
        await assert.rejects(
          sads.consume({
            ...binding,
            hashAlgorithmOid: '1.3.14.3.2.26',
            sad,
            hashes: [h('1').subarray(0, 20)],
          }),
          isSadError('ERR_SAD_ALGORITHM'),
        );
        await sads.consume({ ...binding, sad, hashes: [h('1')] });
        await assert.rejects(
          sads.consume({ ...binding, sad, hashes: [h('1')] }),
          isSadError('ERR_SAD_CONSUMED'),
        );
      });

      it('SAD-08/09/10/11 binding: other credential, other user, other client, other algorithm', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        const { sads } = await setup(store);
        const { sad } = await issueFor(sads, [h('1')], 300);
        await assert.rejects(
          sads.consume({ ...binding, credentialId: 'c2', sad, hashes: [h('1')] }),
          isSadError('ERR_SAD_BINDING'),
        );
        // Another user's SAD is indistinguishable from an unknown one.
        await assert.rejects(
          sads.consume({ ...binding, userId: 'u2', credentialId: 'c3', sad, hashes: [h('1')] }),
          isSadError('ERR_SAD_NOT_FOUND'),
        );
        await assert.rejects(
          sads.consume({ ...binding, clientId: 'k2', sad, hashes: [h('1')] }),
          isSadError('ERR_SAD_BINDING'),
        );
        const h384 = new Uint8Array(createHash('sha384').update('1').digest());
        await assert.rejects(
          sads.consume({ ...binding, hashAlgorithmOid: SHA384_OID, sad, hashes: [h384] }),
          isSadError('ERR_SAD_ALGORITHM'),
        );
        await assert.rejects(
          sads.consume({
            ...binding,
            sad: randomBytes(32).toString('base64url'),
            hashes: [h('1')],
          }),
          isSadError('ERR_SAD_NOT_FOUND'),
        );
        await assert.rejects(
          sads.consume({ ...binding, sad: sad.slice(0, -2), hashes: [h('1')] }),
          isSadError('ERR_SAD_NOT_FOUND'),
        );
        // None of the refusals consumed anything.
        assert.deepEqual(await sads.consume({ ...binding, sad, hashes: [h('1')] }), {
          remaining: 0,
        });
      });

      it('SAD-14 expiry: usable 1 ms before, refused at and after expiry; extend cannot revive it', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        const { sads, clock } = await setup(store);
        const { sad } = await issueFor(sads, [h('1'), h('2')], 60);
        clock.advance(59_999);
        await sads.consume({ ...binding, sad, hashes: [h('1')] });
        clock.advance(1);
        await assert.rejects(
          sads.consume({ ...binding, sad, hashes: [h('2')] }),
          isSadError('ERR_SAD_EXPIRED'),
        );
        await assert.rejects(
          sads.extend({ ...binding, sad, lifetimeSeconds: 60 }),
          isSadError('ERR_SAD_EXPIRED'),
        );
      });

      it('SAD-17 extend: same binding only, bounded lifetime, a successor SAD', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        const { sads, clock } = await setup(store);
        const { sad } = await issueFor(sads, [h('1')], 60);
        await assert.rejects(
          sads.extend({ ...binding, clientId: 'k2', sad, lifetimeSeconds: 60 }),
          isSadError('ERR_SAD_BINDING'),
        );
        await assert.rejects(
          sads.extend({ ...binding, sad, lifetimeSeconds: 601 }),
          isSadError('ERR_SAD_REQUEST_INVALID'),
        );
        clock.advance(50_000);
        const next = await sads.extend({ ...binding, sad, lifetimeSeconds: 60 });
        assert.equal(next.expiresAt.getTime(), clock.now().getTime() + 60_000);
        clock.advance(50_000);
        // The successor signs; the old SAD was retired (sad-extension.test.ts covers the rest).
        await sads.consume({ ...binding, sad: next.sad, hashes: [h('1')] });
      });

      it('SAD-15 revoked SAD is refused; revoking a foreign SAD does nothing', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        const { sads } = await setup(store);
        const { sad } = await issueFor(sads, [h('1')], 60);
        await sads.revoke({ sad, userId: 'u2' });
        await sads.revoke({ sad: 'nonsense', userId: 'u1' });
        const { sad: other } = await issueFor(sads, [h('1')], 60);
        await sads.consume({ ...binding, sad: other, hashes: [h('1')] });
        await sads.revoke({ sad, userId: 'u1' });
        await assert.rejects(
          sads.consume({ ...binding, sad, hashes: [h('1')] }),
          isSadError('ERR_SAD_REVOKED'),
        );
      });

      it('SAD-16 a disabled credential or user cannot sign with an earlier SAD', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        const { sads } = await setup(store);
        const { sad } = await issueFor(sads, [h('1')], 60);
        await setCredentialStatus(store.db, 'c1', 'disabled');
        await assert.rejects(
          sads.consume({ ...binding, sad, hashes: [h('1')] }),
          isSadError('ERR_SAD_CREDENTIAL_UNUSABLE'),
        );
        await setCredentialStatus(store.db, 'c1', 'active');
        await setUserStatus(store.db, 'u1', 'disabled');
        await assert.rejects(
          sads.consume({ ...binding, sad, hashes: [h('1')] }),
          isSadError('ERR_SAD_CREDENTIAL_UNUSABLE'),
        );
        await setUserStatus(store.db, 'u1', 'active');
        await sads.consume({ ...binding, sad, hashes: [h('1')] });
      });

      it('a SAD for the maximum number of SHA-512 hashes is issued, audited with every hash, and consumed in one call', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        const { sads } = await setup(store);
        const sha512 = '2.16.840.1.101.3.4.2.3';
        const hashes = Array.from(
          { length: 1000 },
          (_, i) => new Uint8Array(createHash('sha512').update(`${i}`).digest()),
        );
        const { sad } = await sads.issue({
          ...binding,
          hashAlgorithmOid: sha512,
          hashes,
          numSignatures: 1000,
          lifetimeSeconds: 60,
        });
        assert.deepEqual(
          await sads.consume({ ...binding, hashAlgorithmOid: sha512, sad, hashes }),
          { remaining: 0 },
        );
        const issued = await store.db
          .selectFrom('audit_log')
          .select('details')
          .where('event_type', '=', 'sad.issue')
          .executeTakeFirstOrThrow();
        assert.equal(
          (JSON.parse(issued.details) as { hashes: string[] }).hashes[999],
          Buffer.from(hashes[999]!).toString('base64'),
        );
        await assert.rejects(
          sads.issue({
            ...binding,
            hashAlgorithmOid: sha512,
            hashes: [...hashes, new Uint8Array(64)],
            numSignatures: 1001,
            lifetimeSeconds: 60,
          }),
          isSadError('ERR_SAD_HASH_INVALID'),
        );
      });

      it("AC-02 a SAD is issued only for the user's own, usable credential", async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        const { sads } = await setup(store);
        const base = { ...binding, hashes: [h('1')], numSignatures: 1, lifetimeSeconds: 60 };
        await assert.rejects(
          sads.issue({ ...base, credentialId: 'c3' }),
          isSadError('ERR_SAD_BINDING'),
        );
        await assert.rejects(
          sads.issue({ ...base, credentialId: 'nope' }),
          isSadError('ERR_SAD_BINDING'),
        );
        await setCredentialStatus(store.db, 'c1', 'revoked');
        await assert.rejects(sads.issue(base), isSadError('ERR_SAD_CREDENTIAL_UNUSABLE'));
        assert.equal((await store.db.selectFrom('sads').selectAll().execute()).length, 0);
        await sads.issue({ ...base, credentialId: 'c2' });
      });

      it('SAD-18 inconsistent authorizations issue nothing', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        const { sads } = await setup(store);
        const base = { ...binding, hashes: [h('1'), h('2')], lifetimeSeconds: 60 };
        for (const numSignatures of [1, 0, -1, 1.5, 1e9]) {
          await assert.rejects(
            sads.issue({ ...base, numSignatures }),
            isSadError('ERR_SAD_REQUEST_INVALID'),
          );
        }
        await assert.rejects(
          sads.issue({ ...base, numSignatures: 2, lifetimeSeconds: 0 }),
          isSadError('ERR_SAD_REQUEST_INVALID'),
        );
        await assert.rejects(
          sads.issue({ ...base, hashes: [h('1'), h('1')], numSignatures: 2 }),
          isSadError('ERR_SAD_HASH_INVALID'),
        );
        await assert.rejects(
          sads.issue({ ...base, hashAlgorithmOid: SHA384_OID, numSignatures: 2 }),
          isSadError('ERR_SAD_HASH_INVALID'),
        );
        assert.equal((await store.db.selectFrom('sads').selectAll().execute()).length, 0);
      });

      it('SAD-21 100 concurrent consumers on two connections, n = 10 over 10 hashes, 5 runs: exactly 10 succeed each run, each hash once', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const test = await testStores(t)[kind]();
        const { clock, audit, sads } = await setup(test.store);
        const other = new SadService({ store: await test.connectAgain(), clock, audit });
        const runs = 5;
        for (let run = 0; run < runs; run++) {
          const hashes = Array.from({ length: 10 }, (_, i) => h(`doc-${run}-${i}`));
          const { sad } = await issueFor(sads, hashes, 300);
          const results = await Promise.allSettled(
            Array.from({ length: 100 }, (_, i) =>
              (i % 2 === 0 ? sads : other).consume({ ...binding, sad, hashes: [hashes[i % 10]!] }),
            ),
          );
          const wins = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i % 10] : []));
          assert.deepEqual(
            [...wins].sort((a, b) => a - b),
            [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
          );
          for (const r of results) {
            if (r.status === 'rejected') isSadError('ERR_SAD_CONSUMED')(r.reason);
          }
          const row = await test.store.db
            .selectFrom('sads')
            .select('remaining')
            .where('id_hash', '=', hashSadToken(sad))
            .executeTakeFirstOrThrow();
          assert.equal(row.remaining, 0);
        }
        const report = await verifyAuditLog(test.store.db, key);
        assert.equal(report.ok, true, JSON.stringify(report.problems.slice(0, 3)));
        assert.equal(report.entries, runs * 101);
      });

      it('SAD-21 overlapping multi-hash requests racing never sign a hash twice nor exceed n', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const test = await testStores(t)[kind]();
        const { clock, audit, sads } = await setup(test.store);
        const other = new SadService({ store: await test.connectAgain(), clock, audit });
        const hs = [h('a'), h('b'), h('c'), h('d')];
        const { sad } = await issueFor(sads, hs, 300);
        const pairs = [
          [0, 1],
          [1, 2],
          [2, 3],
          [0, 3],
          [0, 2],
          [1, 3],
          [0, 1],
          [2, 3],
        ] as const;
        const results = await Promise.allSettled(
          pairs.map(([a, b], i) =>
            (i % 2 === 0 ? sads : other).consume({ ...binding, sad, hashes: [hs[a]!, hs[b]!] }),
          ),
        );
        const signed = results.flatMap((r, i) => (r.status === 'fulfilled' ? [...pairs[i]!] : []));
        assert.equal(new Set(signed).size, signed.length, 'a hash was signed twice');
        assert.ok(signed.length >= 2 && signed.length <= 4);
        const used = await test.store.db
          .selectFrom('sad_hashes')
          .select('used')
          .where('used', '=', 1)
          .execute();
        assert.equal(used.length, signed.length);
        const row = await test.store.db
          .selectFrom('sads')
          .select('remaining')
          .executeTakeFirstOrThrow();
        assert.equal(row.remaining, 4 - signed.length);
      });
    });
  }
});
