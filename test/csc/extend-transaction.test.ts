/**
 * CSC credentials/extendTransaction over HTTP (CSC API v2 §11.9;
 * docs/security.md SAD-17, INV-2), v2 and v1.0.4 bodies: a NEW SAD for the next hashes of the same
 * transaction whose signatures verify under the credential's key; the old SAD refused; the count
 * inherited; expired, revoked and foreign SADs refused; racing calls on two nodes yield one
 * successor. Every request and response is checked against the CSC specification by the harness.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createHash, verify } from 'node:crypto';
import { oids } from '../../src/cms/index.js';
import { requireStore, storeKinds, testStores } from '../support/stores.js';
import { cscHarness, type CscHarness, type TestUser } from './support/csc-harness.js';

const SHA256 = '2.16.840.1.101.3.4.2.1';
const SHA384 = '2.16.840.1.101.3.4.2.2';
const b64 = (label: string): string => createHash('sha256').update(label).digest('base64');

async function authorizeV2(h: CscHarness, user: TestUser, token: string, credentialID: string, hashes: string[], numSignatures: number) {
  const res = await h.call('v2', 'credentials/authorize', {
    credentialID,
    numSignatures,
    hashes,
    hashAlgorithmOID: SHA256,
    authData: [
      { id: 'PIN', value: '1234' },
      { id: 'OTP', value: h.nextOtp(user) },
    ],
  }, { bearer: token });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.SAD as string;
}

/** node:crypto verifies the ecdsa-with-SHA256 signature of b64(label) = SHA-256(label) with the credential's certificate. */
async function verifiesUnderCredential(h: CscHarness, token: string, credentialID: string, label: string, signatureB64: string): Promise<boolean> {
  const info = await h.call('v2', 'credentials/info', { credentialID, certificates: 'single' }, { bearer: token });
  const cert = new X509Certificate(Buffer.from(info.body.cert.certificates[0] as string, 'base64'));
  return verify('sha256', Buffer.from(label), { key: cert.publicKey, dsaEncoding: 'der' }, Buffer.from(signatureB64, 'base64'));
}

describe('CSC credentials/extendTransaction', () => {
  for (const kind of storeKinds) {
    it(`${kind}: SAD-17 v2 nested-signature flow, refusals, and racing extensions on two nodes`, async (t) => {
      if (!(await requireStore(t, kind))) return;
      const db = await testStores(t)[kind]();
      const h = await cscHarness(t, db.store);
      const alice = await h.createUser('alice');
      const bob = await h.createUser('bob');
      const c1 = await h.createCredential(alice, { pin: '1234', multisign: 5 });
      const c3 = await h.createCredential(bob, { pin: '1234' });
      const aliceToken = await h.login('v2', alice);
      const bobToken = await h.login('v2', bob);
      const extend = (body: Record<string, unknown>, token = aliceToken) => h.call('v2', 'credentials/extendTransaction', body, { bearer: token });
      const signHash = (SAD: string, hashes: string[]) =>
        h.call('v2', 'signatures/signHash', { credentialID: c1, SAD, hashes, signAlgo: oids.ecdsa_with_SHA256 }, { bearer: aliceToken });

      await t.test('the new SAD signs the new hashes (signatures verify); the old SAD is refused; count inherited', async () => {
        const first = await authorizeV2(h, alice, aliceToken, c1, [b64('n1')], 3);
        const s1 = await signHash(first, [b64('n1')]);
        assert.equal(s1.status, 200, JSON.stringify(s1.body));
        const ext = await extend({ credentialID: c1, SAD: first, hashes: [b64('n2'), b64('n3')], hashAlgorithmOID: SHA256, clientData: 'nested' });
        assert.equal(ext.status, 200, JSON.stringify(ext.body));
        assert.notEqual(ext.body.SAD, first);
        assert.ok(ext.body.expiresIn > 0 && ext.body.expiresIn <= 300, String(ext.body.expiresIn));
        const old = await signHash(first, [b64('n2')]);
        assert.deepEqual([old.status, old.body.error, old.body.error_description], [400, 'invalid_request', 'Invalid parameter SAD']);
        const s2 = await signHash(ext.body.SAD as string, [b64('n2'), b64('n3')]);
        assert.equal(s2.status, 200, JSON.stringify(s2.body));
        assert.ok(await verifiesUnderCredential(h, aliceToken, c1, 'n2', s2.body.signatures[0] as string));
        assert.ok(await verifiesUnderCredential(h, aliceToken, c1, 'n3', s2.body.signatures[1] as string));
        // 3 authorised, 3 signed: the successor is used up.
        const more = await extend({ credentialID: c1, SAD: ext.body.SAD, hashes: [b64('n4')], hashAlgorithmOID: SHA256 });
        assert.deepEqual([more.status, more.body.error], [400, 'invalid_request']);
        const audit = await h.auditTypes();
        assert.ok(audit.includes('sad.extend:success'));
        assert.ok(audit.includes('csc.credentials.extendTransaction:failure'));
      });

      await t.test('count cannot exceed the remaining one; digest length and algorithm are checked', async () => {
        const sad = await authorizeV2(h, alice, aliceToken, c1, [b64('c1')], 2);
        const tooMany = await extend({ credentialID: c1, SAD: sad, hashes: [b64('c2'), b64('c3'), b64('c4')], hashAlgorithmOID: SHA256 });
        assert.deepEqual([tooMany.status, tooMany.body.error_description], [400, 'Numbers of signatures is too high']);
        const noAlg = await extend({ credentialID: c1, SAD: sad, hashes: [b64('c2')] });
        assert.deepEqual([noAlg.status, noAlg.body.error_description], [400, 'Missing (or invalid type) string parameter hashAlgorithmOID']);
        const short = await extend({ credentialID: c1, SAD: sad, hashes: [Buffer.alloc(31).toString('base64')], hashAlgorithmOID: SHA256 });
        assert.deepEqual([short.status, short.body.error_description], [400, 'Invalid digest value length']);
        const otherAlg = await extend({ credentialID: c1, SAD: sad, hashes: [Buffer.alloc(48, 1).toString('base64')], hashAlgorithmOID: SHA384 });
        assert.deepEqual([otherAlg.status, otherAlg.body.error_description], [400, 'Invalid parameter hashAlgorithmOID']);
        // None of those refusals retired the SAD.
        assert.equal((await signHash(sad, [b64('c1')])).status, 200);
      });

      await t.test('expired, revoked and foreign SADs are refused', async () => {
        const foreign = await extend({ credentialID: c3, SAD: await authorizeV2(h, alice, aliceToken, c1, [b64('f1')], 2), hashes: [b64('f2')], hashAlgorithmOID: SHA256 }, bobToken);
        assert.deepEqual([foreign.status, foreign.body.error_description], [400, 'Invalid parameter SAD']);
        const revokedSad = await authorizeV2(h, alice, aliceToken, c1, [b64('r1')], 2);
        const revoke = await h.call('v2', 'auth/revoke', { token: revokedSad }, { bearer: aliceToken });
        assert.equal(revoke.status, 204, JSON.stringify(revoke.body));
        const revoked = await extend({ credentialID: c1, SAD: revokedSad, hashes: [b64('r2')], hashAlgorithmOID: SHA256 });
        assert.deepEqual([revoked.status, revoked.body.error_description], [400, 'Invalid parameter SAD']);
        const expiring = await authorizeV2(h, alice, aliceToken, c1, [b64('e1')], 2);
        h.clock.advance(300_000);
        const expired = await extend({ credentialID: c1, SAD: expiring, hashes: [b64('e2')], hashAlgorithmOID: SHA256 });
        assert.deepEqual([expired.status, expired.body.error_description], [400, 'SAD expired']);
      });

      await t.test('INV-2 eight racing extendTransaction calls on two nodes: exactly one successor', async () => {
        const node2 = await h.secondNode(await db.connectAgain());
        const sad = await authorizeV2(h, alice, aliceToken, c1, [b64('x0')], 4);
        const results = await Promise.all(
          Array.from({ length: 8 }, async (_, i) => {
            const res = await (i % 2 === 0 ? h.app : node2).inject({
              method: 'POST',
              url: '/csc/v2/credentials/extendTransaction',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${aliceToken}` },
              payload: JSON.stringify({ credentialID: c1, SAD: sad, hashes: [b64(`x${i + 1}`)], hashAlgorithmOID: SHA256 }),
            });
            return { i, status: res.statusCode, body: JSON.parse(res.body) as { SAD?: string; error?: string } };
          }),
        );
        const ok = results.filter((r) => r.status === 200);
        assert.equal(ok.length, 1, JSON.stringify(results));
        for (const r of results) if (r.status !== 200) assert.deepEqual([r.status, r.body.error], [400, 'invalid_request']);
        const winner = ok[0]!;
        assert.equal((await signHash(winner.body.SAD as string, [b64(`x${winner.i + 1}`)])).status, 200);
        const live = await db.store.db.selectFrom('sads').select(['remaining']).where('revoked', '=', 0).where('expires_at', '>', h.clock.now().getTime()).where('remaining', '>', 0).execute();
        // One live SAD: the winner, inheriting all 4 authorised signatures, 1 of them now used.
        assert.equal(live.length, 1);
        assert.equal(Number(live[0]!.remaining), 3);
      });
    });
  }

  it('v1.0.4 body: extendTransaction with `hash` (algorithm implied by length) returns a SAD that signs it', async (t) => {
    const { store } = await testStores(t).sqlite();
    const h = await cscHarness(t, store);
    const user = await h.createUser('victor');
    const credentialID = await h.createCredential(user, { pin: '1111', multisign: 2 });
    const token = await h.login('v1', user);
    const auth = await h.call('v1', 'credentials/authorize', { credentialID, numSignatures: 2, hash: [b64('v1')], PIN: '1111', OTP: h.nextOtp(user) }, { bearer: token });
    assert.equal(auth.status, 200, JSON.stringify(auth.body));
    const ext = await h.call('v1', 'credentials/extendTransaction', { credentialID, SAD: auth.body.SAD, hash: [b64('v2')] }, { bearer: token });
    assert.equal(ext.status, 200, JSON.stringify(ext.body));
    const sign = await h.call('v1', 'signatures/signHash', { credentialID, SAD: ext.body.SAD, hash: [b64('v2')], hashAlgo: SHA256, signAlgo: oids.ecdsa_with_SHA256 }, { bearer: token });
    assert.equal(sign.status, 200, JSON.stringify(sign.body));
    const old = await h.call('v1', 'signatures/signHash', { credentialID, SAD: auth.body.SAD, hash: [b64('v1')], hashAlgo: SHA256, signAlgo: oids.ecdsa_with_SHA256 }, { bearer: token });
    assert.deepEqual([old.status, old.body.error], [400, 'invalid_request']);
  });
});
