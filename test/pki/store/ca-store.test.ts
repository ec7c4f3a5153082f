/**
 * The CaStore contract (src/pki/store/ca-store.ts) on every implementation: the file store and the
 * database store on SQLite and PostgreSQL. Atomicity is shown with two handles racing, as two
 * processes or two nodes would.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { PkiError } from '../../../src/pki/errors.js';
import type { CertificateRecord } from '../../../src/pki/store/ca-store.js';
import { DbCaStore } from '../../../src/pki/store/db-ca-store.js';
import { FileCaStore } from '../../../src/pki/store/file-ca-store.js';
import { listCaCounters } from '../../../src/store/index.js';
import { caStoreKinds, openTestCaStore, requireCaStore } from '../support/ca-stores.js';
import { requireStore, storeKinds, testStores } from '../../support/stores.js';
import { tempDir } from '../../support/tmp.js';

const day = 86_400_000;
const t0 = Date.UTC(2026, 0, 1);

function record(over: Partial<CertificateRecord> = {}): CertificateRecord {
  return {
    serialHex: randomBytes(16).toString('hex'),
    issuerId: 'issuing',
    profile: 'signing',
    subject: 'CN=Alice',
    spkiSha256: randomBytes(32).toString('hex'),
    der: new Uint8Array(randomBytes(64)),
    notBefore: new Date(t0),
    notAfter: new Date(t0 + 365 * day),
    ...over,
  };
}

function isPki(code: string) {
  return (e: unknown) => e instanceof PkiError && e.code === code;
}

describe('CaStore contract', () => {
  for (const kind of caStoreKinds) {
    describe(kind, () => {
      it('stores and returns every field, and answers undefined for an unknown serial', async (t) => {
        if (!(await requireCaStore(t, kind))) return;
        const { store } = await openTestCaStore(t, kind);
        const full = record({
          keyRef: 'software:key-1',
          qcStatements: { qcCompliance: true, qcSSCD: false, qcTypeESign: true },
          profile: 'tsa',
        });
        const plain = record({ subject: 'CN=Bob' });
        await store.insertCertificate(full);
        await store.insertCertificate(plain);
        assert.deepEqual(await store.getCertificate(full.serialHex), full);
        assert.deepEqual(await store.getCertificate(plain.serialHex), plain);
        assert.equal(await store.getCertificate('00ff'), undefined);
      });

      it('refuses a serial collision (ERR_PKI_SERIAL_COLLISION) and keeps the first record', async (t) => {
        if (!(await requireCaStore(t, kind))) return;
        const { store } = await openTestCaStore(t, kind);
        const first = record();
        await store.insertCertificate(first);
        await assert.rejects(
          store.insertCertificate(record({ serialHex: first.serialHex, subject: 'CN=Other' })),
          isPki('ERR_PKI_SERIAL_COLLISION'),
        );
        assert.deepEqual(await store.getCertificate(first.serialHex), first);
      });

      it('unique key rule: another subject may not certify an unrevoked key; the same subject may; revocation frees it', async (t) => {
        if (!(await requireCaStore(t, kind))) return;
        const { store } = await openTestCaStore(t, kind);
        const first = record({ subject: 'CN=Alice' });
        await store.insertCertificate(first);
        const taken = record({ subject: 'CN=Mallory', spkiSha256: first.spkiSha256 });
        await assert.rejects(store.insertCertificate(taken), isPki('ERR_PKI_KEY_ALREADY_CERTIFIED'));
        assert.equal(await store.getCertificate(taken.serialHex), undefined);
        await store.insertCertificate(record({ subject: 'CN=Alice', spkiSha256: first.spkiSha256 }));
        await store.revoke(first.serialHex, { time: new Date(t0 + day), reason: 'keyCompromise' });
        // Still one unrevoked certificate of Alice with this key.
        await assert.rejects(store.insertCertificate(taken), isPki('ERR_PKI_KEY_ALREADY_CERTIFIED'));
      });

      it('unique key rule holds under concurrent inserts from two handles (exactly one subject wins)', async (t) => {
        if (!(await requireCaStore(t, kind))) return;
        const test = await openTestCaStore(t, kind);
        const other = await test.openAgain();
        for (let round = 0; round < 5; round++) {
          const spki = randomBytes(32).toString('hex');
          const results = await Promise.allSettled(
            Array.from({ length: 6 }, (_, i) =>
              (i % 2 === 0 ? test.store : other).insertCertificate(record({ subject: `CN=Racer ${i}`, spkiSha256: spki })),
            ),
          );
          assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1, `round ${round}`);
          for (const r of results) {
            if (r.status === 'rejected') assert.ok(isPki('ERR_PKI_KEY_ALREADY_CERTIFIED')(r.reason), String(r.reason));
          }
        }
      });

      it('revokes at once; unknown and repeated revocations are refused; listRevoked and listExpiring filter', async (t) => {
        if (!(await requireCaStore(t, kind))) return;
        const { store } = await openTestCaStore(t, kind);
        const soon = record({ notAfter: new Date(t0 + 10 * day) });
        const later = record({ notAfter: new Date(t0 + 100 * day) });
        const revokedSoon = record({ notAfter: new Date(t0 + 5 * day) });
        const otherIssuer = record({ issuerId: 'other', notAfter: new Date(t0 + 5 * day) });
        for (const r of [soon, later, revokedSoon, otherIssuer]) await store.insertCertificate(r);
        const revocation = { time: new Date(t0 + day), reason: 'affiliationChanged' } as const;
        const revoked = await store.revoke(revokedSoon.serialHex, revocation);
        assert.deepEqual(revoked, { ...revokedSoon, revocation });
        assert.deepEqual((await store.getCertificate(revokedSoon.serialHex))?.revocation, revocation);
        await assert.rejects(store.revoke(revokedSoon.serialHex, revocation), isPki('ERR_PKI_ALREADY_REVOKED'));
        await assert.rejects(store.revoke('0abc', revocation), isPki('ERR_PKI_CERT_NOT_FOUND'));

        assert.deepEqual((await store.listRevoked('issuing')).map((r) => r.serialHex), [revokedSoon.serialHex]);
        assert.deepEqual(await store.listRevoked('nobody'), []);
        const expiring = (await store.listExpiring('issuing', new Date(t0 + 30 * day))).map((r) => r.serialHex);
        assert.deepEqual(expiring, [soon.serialHex]);
        assert.deepEqual(
          (await store.listExpiring('issuing', new Date(t0 + 10 * day))).map((r) => r.serialHex),
          [soon.serialHex],
          'notAfter ≤ before is included',
        );
      });

      it('a revocation through another handle is seen by the next read of a handle that has read before (issue 19: reads from memory)', async (t) => {
        if (!(await requireCaStore(t, kind))) return;
        const test = await openTestCaStore(t, kind);
        const other = await test.openAgain();
        const cert = record();
        await test.store.insertCertificate(cert);
        for (let i = 0; i < 3; i++) assert.equal((await test.store.getCertificate(cert.serialHex))?.revocation, undefined);
        const revocation = { time: new Date(t0 + day), reason: 'keyCompromise' } as const;
        if (test.store.certificateStatus) assert.deepEqual(await test.store.certificateStatus(cert.serialHex), { issuerId: 'issuing' });
        await other.revoke(cert.serialHex, revocation);
        if (test.store.certificateStatus) {
          // The narrow read the OCSP responder makes sees it too.
          assert.deepEqual(await test.store.certificateStatus(cert.serialHex), { issuerId: 'issuing', revocation });
          assert.equal(await test.store.certificateStatus('0abc'), undefined);
        }
        assert.deepEqual((await test.store.getCertificate(cert.serialHex))?.revocation, revocation);
        // Records handed out are copies: changing one changes nothing stored.
        const read = await test.store.getCertificate(cert.serialHex);
        read?.der.fill(0);
        assert.deepEqual((await test.store.getCertificate(cert.serialHex))?.der, cert.der);
      });

      it('nextCounter starts at 1, reserves blocks, and never hands out a value twice across two handles', async (t) => {
        if (!(await requireCaStore(t, kind))) return;
        const test = await openTestCaStore(t, kind);
        const other = await test.openAgain();
        assert.equal(await test.store.nextCounter('crl:issuing'), 1n);
        assert.equal(await test.store.nextCounter('crl:issuing'), 2n);
        assert.equal(await test.store.nextCounter('tsa', 10), 1n);
        assert.equal(await other.nextCounter('tsa', 5), 11n);
        await assert.rejects(test.store.nextCounter('tsa', 0), isPki('ERR_PKI_STORE_CORRUPT'));
        await assert.rejects(test.store.nextCounter('tsa', 1.5), isPki('ERR_PKI_STORE_CORRUPT'));

        const sizes = Array.from({ length: 40 }, (_, i) => 1 + (i % 7));
        const firsts = await Promise.all(sizes.map((n, i) => (i % 2 === 0 ? test.store : other).nextCounter('race', n)));
        const values = firsts.flatMap((first, i) => Array.from({ length: sizes[i] ?? 0 }, (_, j) => first + BigInt(j)));
        const total = sizes.reduce((a, b) => a + b, 0);
        assert.equal(new Set(values).size, total, 'disjoint blocks');
        assert.deepEqual(
          [...values].sort((a, b) => (a < b ? -1 : 1)),
          Array.from({ length: total }, (_, i) => BigInt(i + 1)),
          'contiguous from 1',
        );
      });

      it('renewal: one claimant at a time until the claim expires; completion links atomically, a lost claim conflicts', async (t) => {
        if (!(await requireCaStore(t, kind))) return;
        const test = await openTestCaStore(t, kind);
        const { store } = test;
        const old = record();
        await store.insertCertificate(old);
        const now = new Date(t0);
        const until = new Date(t0 + 60_000);
        assert.equal(await store.claimRenewal(old.serialHex, 'node-a', until, now), true);
        assert.equal(await store.claimRenewal(old.serialHex, 'node-b', until, now), false, 'held by node-a');
        assert.equal(await store.claimRenewal(old.serialHex, 'node-a', until, now), true, 'the holder may renew its claim');
        assert.equal(await store.claimRenewal(old.serialHex, 'node-b', new Date(t0 + 120_000), until), true, 'expired claim taken over');
        await assert.rejects(
          store.completeRenewal(old.serialHex, 'node-a', record({ subject: old.subject, spkiSha256: old.spkiSha256 })),
          isPki('ERR_PKI_RENEWAL_CONFLICT'),
        );
        await assert.rejects(store.completeRenewal('0abc', 'node-b', record()), isPki('ERR_PKI_CERT_NOT_FOUND'));
        const successor = record({ subject: old.subject, spkiSha256: old.spkiSha256, notAfter: new Date(t0 + 730 * day) });
        await store.completeRenewal(old.serialHex, 'node-b', successor);
        assert.equal((await store.getCertificate(old.serialHex))?.renewedBy, successor.serialHex);
        assert.deepEqual(await store.getCertificate(successor.serialHex), successor);
        assert.equal(await store.claimRenewal(old.serialHex, 'node-b', until, now), false, 'renewed');
        assert.deepEqual(
          (await store.listExpiring('issuing', new Date(t0 + 400 * day))).map((r) => r.serialHex),
          [],
          'a renewed certificate is no longer expiring',
        );

        const revoked = record();
        await store.insertCertificate(revoked);
        await store.revoke(revoked.serialHex, { time: now, reason: 'superseded' });
        assert.equal(await store.claimRenewal(revoked.serialHex, 'node-a', until, now), false, 'revoked');

        // A successor that breaks the unique-key rule rolls the link back.
        const victim = record();
        await store.insertCertificate(victim);
        assert.equal(await store.claimRenewal(victim.serialHex, 'node-a', until, now), true);
        await assert.rejects(
          store.completeRenewal(victim.serialHex, 'node-a', record({ subject: 'CN=Else', spkiSha256: old.spkiSha256 })),
          isPki('ERR_PKI_KEY_ALREADY_CERTIFIED'),
        );
        assert.equal((await store.getCertificate(victim.serialHex))?.renewedBy, undefined);
      });

      it('claimRenewal is atomic across two handles: exactly one of many racing claimants wins', async (t) => {
        if (!(await requireCaStore(t, kind))) return;
        const test = await openTestCaStore(t, kind);
        const other = await test.openAgain();
        const old = record();
        await test.store.insertCertificate(old);
        const wins = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            (i % 2 === 0 ? test.store : other).claimRenewal(old.serialHex, `node-${i}`, new Date(t0 + 60_000), new Date(t0)),
          ),
        );
        assert.equal(wins.filter(Boolean).length, 1);
      });
    });
  }
});

describe('DbCaStore.importRecords (a file CA store moved into the database)', () => {
  for (const kind of storeKinds) {
    it(`${kind}: copies certificates and counters once; a second run writes nothing`, async (t) => {
      if (!(await requireStore(t, kind))) return;
      const file = new FileCaStore(tempDir(t, 'signet-ca-import-'));
      const a = record();
      const b = record({ subject: 'CN=Bob' });
      await file.insertCertificate(a);
      await file.insertCertificate(b);
      await file.revoke(b.serialHex, { time: new Date(t0), reason: 'keyCompromise' });
      await file.nextCounter('tsa', 41);
      await file.nextCounter('crl:issuing');
      const { records, counters } = await file.exportRecords();

      const { store } = await testStores(t)[kind]();
      const imported: number[] = [];
      const db = new DbCaStore({ store });
      await db.nextCounter('crl:issuing', 5); // a counter already ahead in the database stays
      const first = await db.importRecords(records, counters, async () => {
        imported.push(1);
      });
      assert.deepEqual(first, { certificates: 2, counters: 1 });
      assert.deepEqual(await db.getCertificate(a.serialHex), a);
      assert.deepEqual((await db.getCertificate(b.serialHex))?.revocation, { time: new Date(t0), reason: 'keyCompromise' });
      assert.deepEqual(await listCaCounters(store.db), { tsa: 41, 'crl:issuing': 5 });
      assert.equal(await db.nextCounter('tsa'), 42n);

      const second = await db.importRecords(records, counters, async () => {
        imported.push(2);
      });
      assert.deepEqual(second, { certificates: 0, counters: 0 });
      assert.deepEqual(imported, [1], 'the hook runs only when something was written');
    });
  }
});
