/**
 * docs/security.md SAD-16 (revoke the certificate after the SAD was issued): a revocation recorded by
 * the built-in CA in the service database — by any node, without the credential revocation path —
 * refuses the next consumption of an already-issued SAD, in the consuming transaction, and audits it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createAuditKey, verifyAuditLog, type AuditContext } from '../../src/audit/index.js';
import { SadService } from '../../src/auth/index.js';
import { DbCaStore } from '../../src/pki/store/db-ca-store.js';
import type { Store } from '../../src/store/index.js';
import { requireStore, storeKinds, testStores } from '../support/stores.js';
import { insertTestCredential, insertTestUser } from './support/credential-rows.js';
import {
  SHA256_OID,
  isSadError,
  sha256Of as h,
} from './support/sad-fixtures.js';

const key = createAuditKey(randomBytes(32));
const clock = { now: () => new Date('2026-03-01T10:00:00Z') };

async function seed(store: Store, caStore: DbCaStore, credentials: Readonly<Record<string, string | undefined>>): Promise<void> {
  await store.transaction(async (trx) => {
    await insertTestUser(trx, 'u1');
    for (const [id, serial] of Object.entries(credentials)) {
      await insertTestCredential(trx, { id, userId: 'u1', certificateSerial: serial });
    }
  });
  for (const serial of Object.values(credentials)) {
    if (serial === undefined) continue;
    await caStore.insertCertificate({
      serialHex: serial,
      issuerId: 'issuing',
      profile: 'signing',
      subject: `CN=${serial}`,
      spkiSha256: randomBytes(32).toString('hex'),
      der: new Uint8Array([0x30, 0]),
      notBefore: new Date('2026-01-01T00:00:00Z'),
      notAfter: new Date('2027-01-01T00:00:00Z'),
    });
  }
}

describe('SadService.consume and revocations at the built-in CA (SAD-16)', () => {
  for (const kind of storeKinds) {
    it(`${kind}: a CA revocation on another node refuses the next consumption (ERR_SAD_CERTIFICATE_REVOKED), audited; other credentials sign on`, async (t) => {
      if (!(await requireStore(t, kind))) return;
      const db = await testStores(t)[kind]();
      const nodeB = await db.connectAgain();
      const caStoreA = new DbCaStore({ store: db.store });
      await seed(db.store, caStoreA, { c1: 'aa01', c2: 'aa02', legacy: undefined });
      const audit: AuditContext = { key, nodeId: 'node-a', clock };
      const sads = new SadService({ store: db.store, clock, audit });
      const binding = (credentialId: string) => ({ userId: 'u1', credentialId, clientId: 'k1', hashAlgorithmOid: SHA256_OID });
      const issued = await Promise.all(
        ['c1', 'c2', 'legacy'].map(async (id) =>
          (await sads.issue({ ...binding(id), hashes: [h('1'), h('2')], numSignatures: 2, lifetimeSeconds: 300 })).sad,
        ),
      );
      const [sad1, sad2, sadLegacy] = issued as [string, string, string];
      assert.deepEqual(await sads.consume({ ...binding('c1'), sad: sad1, hashes: [h('1')] }), { remaining: 1 });

      // Node B revokes c1's certificate at the CA only (the credential row stays 'active').
      await new DbCaStore({ store: nodeB }).revoke('aa01', { time: clock.now(), reason: 'keyCompromise' });

      await assert.rejects(
        sads.consume({ ...binding('c1'), sad: sad1, hashes: [h('2')] }),
        isSadError('ERR_SAD_CERTIFICATE_REVOKED'),
      );
      // Nothing was consumed by the refused call.
      const left = await db.store.db.selectFrom('sads').select(['remaining']).where('credential_id', '=', 'c1').executeTakeFirstOrThrow();
      assert.equal(Number(left.remaining), 1);
      // A credential whose certificate is not revoked, and one from before certificate_serial, still sign.
      assert.deepEqual(await sads.consume({ ...binding('c2'), sad: sad2, hashes: [h('1')] }), { remaining: 1 });
      assert.deepEqual(await sads.consume({ ...binding('legacy'), sad: sadLegacy, hashes: [h('1')] }), { remaining: 1 });

      const trail = await db.store.db
        .selectFrom('audit_log')
        .select(['event_type', 'outcome', 'subject', 'details'])
        .where('event_type', '=', 'sad.consume')
        .where('outcome', '=', 'failure')
        .execute();
      assert.equal(trail.length, 1);
      assert.equal(trail[0]?.subject, 'credential:c1');
      assert.match(trail[0]?.details ?? '', /ERR_SAD_CERTIFICATE_REVOKED/);
      assert.equal((await verifyAuditLog(db.store.db, key)).ok, true);
    });
  }
});
