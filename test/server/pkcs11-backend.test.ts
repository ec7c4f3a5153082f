/**
 * A PKCS#11 key backend in the services container (issue 6: credentials on a chosen key backend):
 * SIGNET_PKCS11_MODULE/TOKENS/PIN add kind `pkcs11` next to the software keystore; /healthz
 * reports it; an admin-created credential lives on the SoftHSM token and its certificate
 * certifies the token's key.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPublicKey, verify, X509Certificate } from 'node:crypto';
import { buildServer } from '../../src/server/index.js';
import { credentialOperationsFor } from '../../src/server/surfaces.js';
import { credentialCertificates, findCredential } from '../../src/store/index.js';
import { requireTools } from '../support/tools.js';
import { tempDir } from '../support/tmp.js';
import { initSoftHsm, softhsmModule } from '../keys/support/softhsm.js';
import { openServices, serverEnv } from './support/server-fixture.js';

describe('PKCS#11 backend in signet serve (issue 6)', () => {
  it('SoftHSM token as backend `pkcs11`: health, credential creation with certificate, signing', async (t) => {
    if (!requireTools(t, 'softhsm2-util')) return;
    const env = await serverEnv(t, 'sqlite');
    if (!env) return;
    const [token] = initSoftHsm(tempDir(t), ['signet-server']);
    assert.ok(token);
    const services = await openServices(
      t,
      { ...env, env: { ...env.env, SIGNET_PKCS11_MODULE: softhsmModule, SIGNET_PKCS11_TOKENS: token.label, SIGNET_PKCS11_PIN: token.pin } },
      { credentials: credentialOperationsFor },
    );
    assert.deepEqual([...services.backends.keys()].sort(), ['pkcs11', 'software']);
    const app = await buildServer(services);
    t.after(() => app.close());
    const health = await app.inject({ method: 'GET', url: '/healthz' });
    assert.deepEqual(health.json(), { status: 'ok', database: true, keys: { software: true, pkcs11: true } });

    const user = await services.admin.createUser({ username: 'hsm-user', password: 'password-hsm' }, { via: 'cli' });
    const { credentialID } = await services.admin.createCredential(
      { user: user.userId, backend: 'pkcs11', algorithm: 'EC-P256', pin: '135790', commonName: 'HSM User' },
      { via: 'cli' },
    );
    const row = await findCredential(services.store.db, credentialID);
    assert.equal(row?.backend_kind, 'pkcs11');
    assert.match(row?.key_ref ?? '', /^pkcs11:token=signet-server;object=/);
    const leaf = new X509Certificate(Buffer.from(credentialCertificates(row ?? (undefined as never))[0] ?? new Uint8Array()));
    const hsm = services.backends.get('pkcs11');
    assert.ok(hsm);
    assert.deepEqual(
      new Uint8Array(leaf.publicKey.export({ format: 'der', type: 'spki' })),
      await hsm.getPublicKey(row?.key_ref ?? ''),
    );
    const tokenSignatures = async (): Promise<number> => {
      const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
      return Number(/^signet_signatures_total\{backend="pkcs11",algorithm="ECDSA-SHA-256",outcome="success"\} (\d+)$/m.exec(text)?.[1] ?? 0);
    };
    const signaturesBefore = await tokenSignatures();
    const message = Buffer.from('signed on the token');
    const signature = await hsm.sign(row?.key_ref ?? '', {
      scheme: 'ECDSA',
      digestAlgorithm: 'SHA-256',
      digest: new Uint8Array(createHash('sha256').update(message).digest()),
    });
    const key = createPublicKey(leaf.publicKey.export({ format: 'pem', type: 'spki' }));
    const ok = verify('sha256', message, key, Buffer.from(signature)) || verify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature));
    assert.ok(ok, 'the token key signs what the certificate certifies');
    // Issue 17: the token's signature and its session pool show in /metrics.
    assert.equal(await tokenSignatures(), signaturesBefore + 1);
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(metrics, /^signet_pkcs11_sessions\{token="signet-server"\} [1-9]\d*$/m);
    assert.match(metrics, /^signet_pkcs11_session_waiters\{token="signet-server"\} 0$/m);
  });
});
