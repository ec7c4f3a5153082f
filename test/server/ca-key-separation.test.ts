/**
 * docs/security.md KEY-12, CA key separation, through the server as `signet serve` assembles it on
 * both stores: a CSC credentialID naming a CA key (its key reference, its label, the CA's id or
 * certificate serial) is answered exactly like an unknown credential on every credential
 * operation; the credentials' key backends do not hold the CA keys at all, so even a credential
 * row pointed at a CA key reference (a tampered database) signs nothing.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { serialToHex, parseCertificate } from '../../src/pki/index.js';
import { isSignetError } from '../../src/core/errors.js';
import { storeKinds } from '../support/stores.js';
import { ECDSA_SHA256_OID, SHA256_OID, apiServer, someHashes } from './support/api-fixture.js';

/** Status, error and description: what a caller can tell apart. */
function answer(r: LightMyRequestResponse): string {
  const body = r.json<{ error?: string; error_description?: string }>();
  return `${r.statusCode} ${body.error ?? ''} ${body.error_description ?? ''}`;
}

for (const kind of storeKinds) {
  describe(`docs/security.md KEY-12: CA keys are not addressable through CSC (${kind})`, () => {
    it('credentialIDs naming CA keys are answered like unknown ones; the credential backends hold no CA key; a row pointed at one signs nothing', async (t) => {
      const s = await apiServer(t, kind);
      if (!s) return;
      const alice = await s.addSigner('kira');
      const token = await s.login(alice);
      const { caDirectory } = s.services;
      const caRefs = Object.values(caDirectory.config.keys).filter((r): r is string => typeof r === 'string');
      assert.ok(caRefs.length >= 3, `CA key references: ${caRefs.join(', ')}`);
      const candidates = [
        ...caRefs,
        ...caRefs.map((r) => r.replace(/^keystore:/, '')),
        'root',
        'issuing',
        'tsa',
        'ocsp',
        serialToHex(parseCertificate(caDirectory.ca.certificate).tbsCertificate.serialNumber),
        serialToHex(parseCertificate(caDirectory.tsaCertificate).tbsCertificate.serialNumber),
      ];

      // The CA keys exist, in the CA directory's keystore only.
      for (const ref of caRefs) {
        assert.ok((await caDirectory.keystore.getPublicKey(ref)).length > 0, ref);
        for (const [name, backend] of s.services.backends) {
          assert.notEqual(backend, caDirectory.keystore, `backend ${name} is not the CA keystore`);
          await assert.rejects(backend.getPublicKey(ref), (e: unknown) => isSignetError(e), `${name} does not hold ${ref}`);
        }
      }

      const unknown = randomUUID();
      const info = (credentialID: string) => s.csc('credentials/info', { credentialID }, { bearer: token });
      const authorize = (credentialID: string) =>
        s.csc(
          'credentials/authorize',
          {
            credentialID,
            numSignatures: 1,
            hashes: someHashes(1),
            hashAlgorithmOID: SHA256_OID,
            authData: [
              { id: 'PIN', value: alice.pin },
              { id: 'OTP', value: s.nextOtp(alice) },
            ],
          },
          { bearer: token },
        );
      const hashes = someHashes(1);
      const sad = await s.authorize(alice, token, hashes);
      const signHash = (credentialID: string) =>
        s.csc('signatures/signHash', { credentialID, SAD: sad, hashes, hashAlgorithmOID: SHA256_OID, signAlgo: ECDSA_SHA256_OID }, { bearer: token });

      const expected = { info: answer(await info(unknown)), authorize: answer(await authorize(unknown)), signHash: answer(await signHash(unknown)) };
      assert.match(expected.info, /^400 invalid_request/);
      for (const id of candidates) {
        assert.equal(answer(await info(id)), expected.info, `credentials/info ${id}`);
        assert.equal(answer(await authorize(id)), expected.authorize, `credentials/authorize ${id}`);
        assert.equal(answer(await signHash(id)), expected.signHash, `signatures/signHash ${id}`);
      }
      const list = await s.csc('credentials/list', {}, { bearer: token });
      assert.equal(list.statusCode, 200);
      assert.deepEqual(list.json<{ credentialIDs: string[] }>().credentialIDs, [alice.credentialId]);
      // Control: her own credential signs with a fresh SAD (authorize moved the clock past the first).
      const hashes1 = someHashes(1);
      const sad1 = await s.authorize(alice, token, hashes1);
      const ok = await s.csc('signatures/signHash', { credentialID: alice.credentialId, SAD: sad1, hashes: hashes1, hashAlgorithmOID: SHA256_OID, signAlgo: ECDSA_SHA256_OID }, { bearer: token });
      assert.equal(ok.statusCode, 200, ok.body);

      // Defence in depth: a credential row pointed at the issuing CA's key reference.
      const issuingRef = caDirectory.config.keys.issuing;
      await s.services.store.db.updateTable('credentials').set({ key_ref: issuingRef }).where('id', '=', alice.credentialId).execute();
      const hashes2 = someHashes(1);
      const sad2 = await s.authorize(alice, token, hashes2);
      const r = await s.csc('signatures/signHash', { credentialID: alice.credentialId, SAD: sad2, hashes: hashes2, hashAlgorithmOID: SHA256_OID, signAlgo: ECDSA_SHA256_OID }, { bearer: token });
      // The credential keystore has no such key: refused before the SAD is consumed (issue 16),
      // never a CA signature.
      assert.equal(answer(r), '503 temporarily_unavailable The signing key is not available; the authorization was not used');
      assert.equal(r.json<{ signatures?: unknown }>().signatures, undefined);
    });
  });
}
