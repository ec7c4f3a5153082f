/**
 * Issue 22: the server serves its root CRL at /pki/ca/root.crl, names it (and the root
 * certificate) in the issuing CA certificate under the stored base URL, puts it into the CSC
 * B-LT/B-LTA validation data for the issuing CA, and a certificate made by another process on the
 * same data directory (`signet admin credentials create`) names the serving instance's URLs.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { buildServer } from '../../src/server/index.js';
import { crlUrls, parseCertificate, readCaDirectoryConfig, verifyCrl } from '../../src/pki/index.js';
import { cscDepsFor } from '../../src/server/surfaces.js';
import { main } from '../../src/cli/main.js';
import { captureIo, openServices, serverEnv } from './support/server-fixture.js';

describe('server root CRL (issue 22)', () => {
  it('serves the root CRL the issuing CA names, gives it to B-LT validation data, and keeps certificate URLs on the stored base URL', async (t) => {
    const env = await serverEnv(t, 'sqlite');
    if (!env) return;
    const services = await openServices(t, env);
    const app = await buildServer(services);
    t.after(() => app.close());
    services.baseUrl.set('https://sign.example.test');
    assert.equal(readCaDirectoryConfig(services.layout.caDir).baseUrl, 'https://sign.example.test/pki', 'stored in ca.json');

    const res = await app.inject({ method: 'GET', url: '/pki/ca/root.crl' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'application/pkix-crl');
    const rootCrl = new Uint8Array(res.rawPayload);
    const verified = verifyCrl(rootCrl, services.rootCertificate, services.clock);
    assert.ok((verified.nextUpdate?.getTime() ?? 0) - Date.now() > 300 * 86_400_000, 'a long nextUpdate');

    const issuing = services.ca.certificate;
    const [cdp] = crlUrls(parseCertificate(issuing));
    assert.match(cdp ?? '', /\/pki\/ca\/root\.crl$/);

    // The CSC service's revocation source (B-LT/B-LTA, validationInfo) covers the issuing CA with it.
    const revocation = cscDepsFor(services).pades?.revocation;
    assert.ok(revocation);
    const evidence = await revocation.fetch(issuing, services.rootCertificate);
    assert.deepEqual(evidence.crls.map((c) => Buffer.from(c).toString('hex')), [Buffer.from(rootCrl).toString('hex')]);

    // `signet ca crl --root` names what to do on the server's CA directory (its keys are in the database).
    const io = captureIo();
    const code = await main(['ca', 'crl', '--root', '--dir', services.layout.caDir, '--kek-file', services.layout.kekFile], io);
    assert.equal(code, 1);
    assert.match(io.stderr.text, /^error: ERR_PKI_CA_DIR_INVALID: .*re-signs its root CRL itself at start/);

    // Another process on the same data directory (signet admin …) with its default port: URLs
    // come from ca.json, not from that process's own configuration.
    const other = await openServices(t, env);
    assert.notEqual(other.baseUrl.get(), 'https://sign.example.test');
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const record = await other.ca.issue({
      subject: { commonName: 'URL Probe', country: 'BE' },
      subjectPublicKey: new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })),
      profile: 'signing',
    });
    const x = new X509Certificate(Buffer.from(record.der));
    assert.match(x.infoAccess ?? '', /OCSP - URI:https:\/\/sign\.example\.test\/pki\/ocsp/);
    assert.deepEqual([...crlUrls(parseCertificate(record.der))], ['https://sign.example.test/pki/crl']);
  });
});
