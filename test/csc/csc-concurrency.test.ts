/**
 * docs/security.md SAD-21/22 (INV-2): many parallel signHash calls on one SAD, over two "nodes" (two
 * Fastify apps on two database connections), never yield more than numSignatures signatures, and
 * each hash is signed once. SQLite and PostgreSQL.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { oids } from '../../src/cms/index.js';
import { requireStore, storeKinds, testStores } from '../support/stores.js';
import { cscHarness } from './support/csc-harness.js';

const SHA256 = '2.16.840.1.101.3.4.2.1';

describe('SAD-21 parallel consumption', () => {
  for (const kind of storeKinds) {
    it(`${kind}: 50 parallel signHash calls (2 nodes) on a SAD for 5 hashes, numSignatures 5 → exactly 5 signatures, one per hash`, async (t) => {
      if (!(await requireStore(t, kind))) return;
      const db = await testStores(t)[kind]();
      const h = await cscHarness(t, db.store);
      const node2 = await h.secondNode(await db.connectAgain());
      const user = await h.createUser('carol');
      const credentialID = await h.createCredential(user, { pin: '1234' });
      const token = await h.login('v2', user);
      const hashes = Array.from({ length: 5 }, (_, i) => createHash('sha256').update(`doc ${i}`).digest('base64'));
      const auth = await h.call('v2', 'credentials/authorize', {
        credentialID,
        numSignatures: 5,
        hashes,
        hashAlgorithmOID: SHA256,
        authData: [
          { id: 'PIN', value: '1234' },
          { id: 'OTP', value: h.nextOtp(user) },
        ],
      }, { bearer: token });
      assert.equal(auth.status, 200, JSON.stringify(auth.body));
      const results = await Promise.all(
        Array.from({ length: 50 }, async (_, i) => {
          const hash = hashes[i % 5] as string;
          const app = i % 2 === 0 ? h.app : node2;
          const res = await app.inject({
            method: 'POST',
            url: '/csc/v2/signatures/signHash',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            payload: JSON.stringify({ credentialID, SAD: auth.body.SAD, hashes: [hash], signAlgo: oids.ecdsa_with_SHA256 }),
          });
          return { hash, status: res.statusCode, body: JSON.parse(res.body) as { error?: string } };
        }),
      );
      const ok = results.filter((r) => r.status === 200);
      assert.equal(ok.length, 5, JSON.stringify(results.filter((r) => r.status !== 200 && r.status !== 400)));
      assert.deepEqual(new Set(ok.map((r) => r.hash)).size, 5, 'each hash signed once');
      for (const r of results) if (r.status !== 200) assert.deepEqual([r.status, r.body.error], [400, 'invalid_request']);
      const consumed = await db.store.db.selectFrom('audit_log').select('event_type').where('event_type', '=', 'sad.consume').where('outcome', '=', 'success').execute();
      assert.equal(consumed.length, 5);
      const failures = await db.store.db.selectFrom('audit_log').select('event_type').where('event_type', '=', 'csc.signatures.signHash').where('outcome', '=', 'failure').execute();
      assert.equal(failures.length, 45, 'every refusal audited');
    });
  }
});
