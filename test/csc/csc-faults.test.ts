/**
 * Faults on the signing path (docs/security.md SAD-23 batch atomicity, SAD-24 output self-check) and
 * SAD-22 (consumption before the key operation) and AUD-08 (no secrets in the audit log): a backend that fails on the second hash or returns a
 * corrupted signature yields no signature at all, a 500 server_error without internals, and an
 * audit entry; the reservation stays burned (docs/security.md INV-2).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { oids } from '../../src/cms/index.js';
import { KeyBackendError, type KeyBackend } from '../../src/keys/index.js';
import { testStores } from '../support/stores.js';
import { cscHarness } from './support/csc-harness.js';
import { signThrough } from './support/sign-through.js';

const hashOf = (s: string): string => createHash('sha256').update(s).digest('base64');

type Fault = 'none' | 'throw-second' | 'corrupt';

function faulty(backend: KeyBackend, mode: { current: Fault }): KeyBackend {
  let calls = 0;
  return signThrough(backend, async (ref, request) => {
    calls++;
    if (mode.current === 'throw-second' && calls % 2 === 0) {
      throw new KeyBackendError('ERR_KEY_SIGN_FAILED', 'token error CKR_DEVICE_ERROR at slot 3');
    }
    const sig = await backend.sign(ref, request);
    if (mode.current === 'corrupt') {
      const bad = new Uint8Array(sig);
      bad[bad.length - 1] = (bad[bad.length - 1] as number) ^ 1;
      return bad;
    }
    return sig;
  });
}

describe('SAD-22 check-then-sign gap', () => {
  it('a slow key backend and 10 racing requests on a SAD for one hash: one key operation, one signature', async (t) => {
    const { store } = await testStores(t).sqlite();
    let keyOperations = 0;
    const slow = (b: KeyBackend): KeyBackend =>
      signThrough(b, async (ref, request) => {
        keyOperations++;
        await new Promise((resolve) => setTimeout(resolve, 50));
        return b.sign(ref, request);
      });
    const h = await cscHarness(t, store, { wrapBackend: slow });
    const user = await h.createUser('gus');
    const credentialID = await h.createCredential(user, { pin: '13579' });
    const token = await h.login('v2', user);
    const hash = hashOf('only one');
    const SAD = await h.authorizeHashes(user, token, { credentialID, pin: '13579', hashes: [hash] });
    const results = await Promise.all(
      Array.from({ length: 10 }, () => h.call('v2', 'signatures/signHash', { credentialID, SAD, hashes: [hash], signAlgo: oids.ecdsa_with_SHA256 }, { bearer: token })),
    );
    assert.equal(results.filter((r) => r.status === 200).length, 1);
    assert.equal(keyOperations, 1, 'the SAD is consumed before the key is used');
  });
});

describe('signing faults', () => {
  it('SAD-24 a corrupted ECDSA signature (well-formed DER, one bit of s flipped) is not released; an intact one is', async (t) => {
    const { store } = await testStores(t).sqlite();
    const mode: { current: Fault } = { current: 'corrupt' };
    const h = await cscHarness(t, store, { wrapBackend: (b) => faulty(b, mode) });
    const user = await h.createUser('ezra');
    const credentialID = await h.createCredential(user, { pin: '13579' });
    const token = await h.login('v2', user);
    const hashes = ['e1', 'e2'].map(hashOf);
    const SAD = await h.authorizeHashes(user, token, { credentialID, pin: '13579', hashes });
    const sign = (hash: string) => h.call('v2', 'signatures/signHash', { credentialID, SAD, hashes: [hash], signAlgo: oids.ecdsa_with_SHA256 }, { bearer: token });
    const corrupt = await sign(hashes[0] as string);
    assert.deepEqual([corrupt.status, corrupt.body.error], [500, 'server_error'], JSON.stringify(corrupt.body));
    mode.current = 'none';
    const intact = await sign(hashes[1] as string);
    assert.equal(intact.status, 200, JSON.stringify(intact.body));
  });

  it("SAD-24 the software keystore's own ECDSA check (PreparedKey.signChecked): a credential whose key is not its certificate's releases nothing; its own key signs", async (t) => {
    const { store } = await testStores(t).sqlite();
    // No wrapper: the keystore's prepared key checks its ECDSA output itself (issue 19).
    const h = await cscHarness(t, store);
    const user = await h.createUser('nell');
    const credentialID = await h.createCredential(user, { pin: '13579' });
    const otherID = await h.createCredential(user, { pin: '24680' });
    const token = await h.login('v2', user);
    const keyRefOf = async (id: string): Promise<string> =>
      (await store.db.selectFrom('credentials').select('key_ref').where('id', '=', id).executeTakeFirstOrThrow()).key_ref;
    const own = await keyRefOf(credentialID);
    const hashes = ['n1', 'n2'].map(hashOf);
    const SAD = await h.authorizeHashes(user, token, { credentialID, pin: '13579', hashes });
    const sign = (hash: string) => h.call('v2', 'signatures/signHash', { credentialID, SAD, hashes: [hash], signAlgo: oids.ecdsa_with_SHA256 }, { bearer: token });
    await store.db.updateTable('credentials').set({ key_ref: await keyRefOf(otherID) }).where('id', '=', credentialID).execute();
    const foreign = await sign(hashes[0] as string);
    assert.deepEqual([foreign.status, foreign.body], [500, { error: 'server_error', error_description: 'The signature could not be created' }]);
    await store.db.updateTable('credentials').set({ key_ref: own }).where('id', '=', credentialID).execute();
    const intact = await sign(hashes[1] as string);
    assert.equal(intact.status, 200, JSON.stringify(intact.body));
    assert.equal(intact.body.signatures.length, 1);
  });

  it('SAD-23 a backend failure on the 2nd of 3 hashes and SAD-24 a corrupted RSA signature release nothing; AUD-08 no secret reaches the audit log', async (t) => {
    const { store } = await testStores(t).sqlite();
    const mode: { current: Fault } = { current: 'none' };
    const h = await cscHarness(t, store, { wrapBackend: (b) => faulty(b, mode) });
    const user = await h.createUser('dora');
    const credentialID = await h.createCredential(user, { algorithm: 'RSA-2048', pin: '86420975' });
    const token = await h.login('v2', user);
    const hashes = ['f1', 'f2', 'f3', 'f4'].map(hashOf);
    const SAD = await h.authorizeHashes(user, token, { credentialID, pin: '86420975', hashes });
    const sign = (hs: string[]) => h.call('v2', 'signatures/signHash', { credentialID, SAD, hashes: hs, signAlgo: oids.sha256WithRSAEncryption }, { bearer: token });

    mode.current = 'throw-second';
    const failed = await sign(hashes.slice(0, 3));
    assert.deepEqual(failed.body, { error: 'server_error', error_description: 'The signature could not be created' });
    assert.equal(failed.status, 500);
    mode.current = 'corrupt';
    const corrupt = await sign([hashes[3] as string]);
    assert.deepEqual([corrupt.status, corrupt.body.error], [500, 'server_error']);
    mode.current = 'none';
    // The reservations stay burned: a signature may exist for an ambiguous outcome.
    const again = await sign([hashes[0] as string]);
    assert.equal(again.body.error_description, 'The SAD does not authorize these signatures any more');
    const failures = await store.db.selectFrom('audit_log').select(['details']).where('event_type', '=', 'csc.signatures.signHash').where('outcome', '=', 'failure').execute();
    assert.equal(failures.filter((f) => (JSON.parse(f.details) as { error: string }).error === 'server_error').length, 2);

    // AUD-08: nothing secret in any audit row.
    const rows = await store.db.selectFrom('audit_log').selectAll().execute();
    const dump = JSON.stringify(rows.map((r) => ({ ...r, prev_hash: null, hash: null, mac: null })));
    for (const secret of [SAD, token, user.password, '86420975', 'CKR_DEVICE_ERROR']) {
      assert.ok(!dump.includes(secret), `the audit log does not contain ${secret.slice(0, 6)}…`);
    }
  });
});
