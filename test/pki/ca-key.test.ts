/**
 * signWithCaKey (pki/ca-key.ts): the TBS bytes of a certificate, CRL, OCSP response or time-stamp
 * token are signed by the backend's signMessage when it has one (issue 19: one node:crypto call
 * for a software EC key instead of ECDSA over a bare digest in BigInt), else hashed and signed as
 * a digest; both signatures verify over the TBS bytes.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { isSignetError } from '../../src/core/errors.js';
import { Kek, SoftwareKeystore, type KeyBackend } from '../../src/keys/index.js';
import { signWithCaKey } from '../../src/pki/index.js';
import { tempDir } from '../support/tmp.js';

const tbs = new TextEncoder().encode('a TBSCertificate, ResponseData or SignedAttributes');

describe('signWithCaKey', () => {
  it('signs the TBS bytes with signMessage when the backend has it, else hashes them and signs the digest', async (t) => {
    const keystore = await SoftwareKeystore.open({ dir: tempDir(t), kek: Kek.generate(), signingThreads: 1 });
    t.after(() => keystore.close());
    const calls = { sign: 0, signMessage: 0 };
    const counted = (withMessages: boolean): KeyBackend => ({
      kind: keystore.kind,
      generateKey: (spec, label) => keystore.generateKey(spec, label),
      getPublicKey: (ref) => keystore.getPublicKey(ref),
      sign: (ref, request) => (calls.sign++, keystore.sign(ref, request)),
      destroyKey: (ref) => keystore.destroyKey(ref),
      health: () => keystore.health(),
      close: () => keystore.close(),
      ...(withMessages ? { signMessage: (ref: string, request: Parameters<NonNullable<KeyBackend['signMessage']>>[1]) => (calls.signMessage++, keystore.signMessage(ref, request)) } : {}),
    });
    const ec = await keystore.generateKey({ type: 'EC', curve: 'P-256' }, 'ocsp-signer');
    const rsa = await keystore.generateKey({ type: 'RSA', bits: 2048 }, 'ca');
    const cases = [
      { ref: ec.ref, publicKey: ec.publicKey, algorithm: { scheme: 'ECDSA', digest: 'SHA-256' }, hash: 'sha256' },
      { ref: rsa.ref, publicKey: rsa.publicKey, algorithm: { scheme: 'RSASSA-PKCS1-v1_5', digest: 'SHA-384' }, hash: 'sha384' },
    ] as const;
    for (const withMessages of [true, false]) {
      for (const c of cases) {
        calls.sign = calls.signMessage = 0;
        const signature = await signWithCaKey({ backend: counted(withMessages), ref: c.ref, algorithm: c.algorithm }, tbs);
        const key = createPublicKey({ key: Buffer.from(c.publicKey), format: 'der', type: 'spki' });
        assert.ok(verify(c.hash, tbs, key, signature), `${c.algorithm.scheme} ${withMessages}`);
        assert.deepEqual(calls, withMessages ? { sign: 0, signMessage: 1 } : { sign: 1, signMessage: 0 });
      }
    }
    // The keystore finds and checks the key per message as it does per digest: a destroyed key is gone.
    await keystore.destroyKey(ec.ref);
    await assert.rejects(
      keystore.signMessage(ec.ref, { scheme: 'ECDSA', digestAlgorithm: 'SHA-256', message: tbs }),
      (e) => isSignetError(e, 'ERR_KEY_NOT_FOUND'),
    );
  });
});
