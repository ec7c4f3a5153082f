/**
 * Issue 16 §1: a key that cannot be reached (missing, not decryptable, token down) is found
 * BEFORE the SAD is consumed and answered 503 ERR_CSC_KEY_UNAVAILABLE; once the key is back the
 * same SAD signs. signHash with and without an Idempotency-Key, and signDoc, on both stores.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { oids } from '../../src/cms/index.js';
import { KeyBackendError, type KeyBackend } from '../../src/keys/index.js';
import { requireStore, storeKinds, testStores } from '../support/stores.js';
import { cscHarness } from './support/csc-harness.js';

const SHA256 = '2.16.840.1.101.3.4.2.1';
const hashOf = (s: string): string => createHash('sha256').update(s).digest('base64');

/** The keystore, with its keys made unreachable while `broken.now` holds (as a missing key file does). */
function breakable(backend: KeyBackend, broken: { now: boolean; signCalls: number }): KeyBackend {
  const gone = (ref: string): KeyBackendError => new KeyBackendError('ERR_KEY_NOT_FOUND', `no key ${ref}`);
  return {
    kind: backend.kind,
    generateKey: (spec, label) => backend.generateKey(spec, label),
    getPublicKey: async (ref) => {
      if (broken.now) throw gone(ref);
      return backend.getPublicKey(ref);
    },
    destroyKey: (ref) => backend.destroyKey(ref),
    health: () => backend.health(),
    close: () => backend.close(),
    sign: async (ref, request) => {
      broken.signCalls++;
      if (broken.now) throw gone(ref);
      return backend.sign(ref, request);
    },
  };
}

for (const kind of storeKinds) {
  describe(`issue 16: a key that cannot be reached leaves the SAD usable (${kind})`, () => {
    it('signHash (without and with an Idempotency-Key) and signDoc answer 503 ERR_CSC_KEY_UNAVAILABLE before consumption; the same SAD signs after the key is back', async (t) => {
      if (!(await requireStore(t, kind))) return;
      const { store } = await testStores(t)[kind]();
      const broken = { now: false, signCalls: 0 };
      const h = await cscHarness(t, store, { wrapBackend: (b) => breakable(b, broken) });
      const user = await h.createUser('kim');
      const credentialID = await h.createCredential(user, { pin: '24680' });
      const token = await h.login('v2', user);
      const hashes = [hashOf('one'), hashOf('two'), hashOf('three')];
      const auth = await h.call('v2', 'credentials/authorize', { credentialID, numSignatures: 3, hashes, hashAlgorithmOID: SHA256, authData: [{ id: 'PIN', value: '24680' }, { id: 'OTP', value: h.nextOtp(user) }] }, { bearer: token });
      assert.equal(auth.status, 200, JSON.stringify(auth.body));
      const SAD = auth.body.SAD as string;
      const signHash = (hash: string, key?: string) =>
        h.call('v2', 'signatures/signHash', { credentialID, SAD, hashes: [hash], hashAlgorithmOID: SHA256, signAlgo: oids.ecdsa_with_SHA256 }, { bearer: token }, key === undefined ? {} : { 'idempotency-key': key });
      const signDoc = (hash: string) =>
        h.call('v2', 'signatures/signDoc', { credentialID, SAD, hashAlgorithmOID: SHA256, documentDigests: [{ hashes: [hash], signature_format: 'P', signAlgo: oids.ecdsa_with_SHA256 }] }, { bearer: token });
      const unavailable = { error: 'temporarily_unavailable', error_description: 'The signing key is not available; the authorization was not used' };

      broken.now = true;
      for (const answer of [await signHash(hashes[0] as string), await signHash(hashes[1] as string, 'k-1'), await signDoc(hashes[2] as string)]) {
        assert.deepEqual([answer.status, answer.body], [503, unavailable]);
      }
      assert.equal(broken.signCalls, 0, 'no key operation was tried');
      const types = await h.auditTypes();
      assert.equal(types.filter((x) => x === 'sad.consume').length, 0, 'nothing consumed');
      assert.equal(types.filter((x) => x === 'signing.started').length, 0, 'nothing reserved');

      broken.now = false;
      const a = await signHash(hashes[0] as string);
      const b = await signHash(hashes[1] as string, 'k-1');
      const c = await signDoc(hashes[2] as string);
      assert.deepEqual([a.status, b.status, c.status], [200, 200, 200], JSON.stringify([a.body, b.body, c.body]));
      assert.equal((a.body.signatures as string[]).length, 1);
      assert.equal((b.body.signatures as string[]).length, 1);
      assert.equal((c.body.SignatureObject as string[]).length, 1);
      // The SAD is used up now: three hashes, three signatures.
      const again = await signHash(hashes[0] as string);
      assert.equal(again.status, 400, JSON.stringify(again.body));
    });
  });
}
