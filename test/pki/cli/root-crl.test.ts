/**
 * Issue 22: the issuing CA certificate names the root's CRL (CDP) and certificate (AIA
 * caIssuers), the root CRL is served under the stored base URL and re-signed by
 * `signet ca crl --root`; key identifiers follow RFC 5280 §4.2.1.2 method (1); a CA directory of an
 * older version is brought up to date (upgradeCaDirectory). Judged by openssl verify -crl_check_all
 * with both CRLs fetched from the certificates' own URLs. Needs `npm run build` (dist/).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { systemClock } from '../../../src/core/clock.js';
import { SoftwareKeystore, loadKek } from '../../../src/keys/index.js';
import { issueCertificate } from '../../../src/pki/ca/issue-certificate.js';
import { profiles, type CertificateProfile } from '../../../src/pki/ca/profiles.js';
import { generateSerialNumber } from '../../../src/pki/ca/serial-number.js';
import { readCaDirectoryConfig, upgradeCaDirectory } from '../../../src/pki/ca/ca-directory.js';
import { derToPem, parseCertificate, pemCertificates, publicKeyBits, spkiDer, subjectKeyIdentifierOf } from '../../../src/pki/certificate.js';
import { crlUrls, caIssuersUrls } from '../../../src/pki/certificate-urls.js';
import { opensslKeyAndCsr, requireTools, runTool } from '../../support/tools.js';
import { tempDir } from '../../support/tmp.js';
import { suiteCleanup } from '../support/pki-fixture.js';
import { runSignet, signetBin } from '../support/signet-cli.js';


function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function certFile(path: string): Uint8Array {
  const [der] = pemCertificates(readFileSync(path, 'utf8'));
  assert.ok(der, path);
  return der;
}

/** Fetches a CRL from a URL and writes it as PEM (what openssl verify -CRLfile reads). */
async function fetchCrlPem(url: string, path: string): Promise<string> {
  const res = await fetch(url);
  assert.equal(res.status, 200, url);
  assert.equal(res.headers.get('content-type'), 'application/pkix-crl');
  writeFileSync(`${path}.der`, new Uint8Array(await res.arrayBuffer()));
  assert.equal(runTool('openssl', ['crl', '-inform', 'DER', '-in', `${path}.der`, '-out', path]).status, 0);
  return path;
}

function crlNumber(pemPath: string): number {
  const text = runTool('openssl', ['crl', '-in', pemPath, '-noout', '-text']).stdout;
  return Number(/X509v3 CRL Number:\s*\n\s*(\d+)/.exec(text)?.[1]);
}

describe('root CRL, issuing CA CDP/AIA and SHA-1 key identifiers (issue 22)', () => {
  const cleanup = suiteCleanup(after);
  let dir: string;
  let ca: string;
  let base: string;
  let serve: ChildProcess | undefined;

  before(async () => {
    dir = tempDir(cleanup);
    ca = join(dir, 'ca');
    assert.ok(existsSync(join(process.cwd(), 'dist', 'cli', 'commands', 'ca.js')), 'run npm run build before the CLI tests');
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const init = await runSignet('ca', 'init', '--dir', ca, '--base-url', base);
    assert.equal(init.status, 0, init.stderr);
    serve = spawn(process.execPath, [signetBin, 'pki', 'serve', '--dir', ca, '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    cleanup.after(() => {
      serve?.kill('SIGTERM');
    });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      serve?.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('listening on')) resolve();
      });
      serve?.on('exit', (code) => reject(new Error(`pki serve exited ${code}`)));
    });
  });

  it('openssl verify -crl_check_all accepts a leaf with both CRLs fetched from the certificates’ own URLs', async (t) => {
    if (!requireTools(t, 'openssl')) return;
    const { csr: req } = opensslKeyAndCsr(dir, 'leaf', '/CN=Root CRL Leaf/C=BE');
    const leaf = join(dir, 'leaf.pem');
    const issued = await runSignet('ca', 'issue', '--dir', ca, '--csr', req, '-o', leaf);
    assert.equal(issued.status, 0, issued.stderr);

    const issuing = parseCertificate(certFile(join(ca, 'issuing.pem')));
    const [rootCrlUrl] = crlUrls(issuing);
    assert.equal(rootCrlUrl, `${base}/ca/root.crl`, 'the issuing CA CDP names the root CRL under the stored base URL');
    assert.deepEqual([...caIssuersUrls(issuing)], [`${base}/ca/root.cer`]);
    const [leafCrlUrl] = crlUrls(parseCertificate(certFile(leaf)));
    assert.equal(leafCrlUrl, `${base}/crl`);

    const rootCrl = await fetchCrlPem(rootCrlUrl, join(dir, 'root-crl.pem'));
    const issuingCrl = await fetchCrlPem(leafCrlUrl, join(dir, 'issuing-crl.pem'));
    const rootText = runTool('openssl', ['crl', '-in', rootCrl, '-noout', '-text']).stdout;
    assert.match(rootText, /Issuer: .*Signet Root CA/);
    const next = /Next Update: (.+)/.exec(rootText)?.[1] ?? '';
    assert.ok(new Date(next).getTime() - Date.now() > 300 * 86_400_000, `a long nextUpdate (${next})`);

    const args = ['verify', '-crl_check_all', '-CAfile', join(ca, 'root.pem'), '-untrusted', join(ca, 'issuing.pem'), '-CRLfile', rootCrl, '-CRLfile', issuingCrl, leaf];
    const v = runTool('openssl', args);
    assert.match(v.stdout, /: OK/, v.stdout + v.stderr);
    // Control: without the root CRL, openssl cannot check the issuing CA.
    const without = runTool('openssl', ['verify', '-crl_check_all', '-CAfile', join(ca, 'root.pem'), '-untrusted', join(ca, 'issuing.pem'), '-CRLfile', issuingCrl, leaf]);
    assert.match(without.stdout + without.stderr, /unable to get certificate CRL/);
    const root = await fetch(caIssuersUrls(issuing)[0] ?? '');
    assert.deepEqual(new Uint8Array(await root.arrayBuffer()), certFile(join(ca, 'root.pem')));
  });

  it('subject and authority key identifiers are RFC 5280 §4.2.1.2 method (1) SHA-1', (t) => {
    if (!requireTools(t, 'openssl')) return;
    const root = parseCertificate(certFile(join(ca, 'root.pem')));
    for (const name of ['root.pem', 'issuing.pem', 'tsa.pem', 'ocsp.pem', join('..', 'leaf.pem')]) {
      const der = certFile(join(ca, name));
      const cert = parseCertificate(der);
      const sha1 = createHash('sha1').update(publicKeyBits(spkiDer(cert))).digest('hex');
      assert.equal(Buffer.from(subjectKeyIdentifierOf(cert) ?? []).toString('hex'), sha1, name);
      const x = new X509Certificate(Buffer.from(der));
      // openssl prints the SKI; it must equal the SHA-1 key hash (what `openssl ocsp` uses for byKey).
      const text = runTool('openssl', ['x509', '-noout', '-ext', 'subjectKeyIdentifier', '-in', join(ca, name)]).stdout;
      assert.match(text.replace(/:/g, '').toLowerCase(), new RegExp(sha1), x.subject);
    }
    assert.ok(root);
  });

  it('`signet ca crl --root` re-signs the root CRL with the next cRLNumber; /pki serves the new one', async (t) => {
    if (!requireTools(t, 'openssl')) return;
    const before = crlNumber(await fetchCrlPem(`${base}/ca/root.crl`, join(dir, 'r1.pem')));
    const out = await runSignet('ca', 'crl', '--root', '--dir', ca, '--days', '400');
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /wrote the root CRL/);
    const after = await fetchCrlPem(`${base}/ca/root.crl`, join(dir, 'r2.pem'));
    assert.equal(crlNumber(after), before + 1);
    const bad = await runSignet('ca', 'crl', '--root', '--dir', ca, '--days', 'x');
    assert.equal(bad.status, 2);
  });

  it('an older CA directory (issuing CA without CDP, no root CRL) is brought up to date for the same key and SKI', async (t) => {
    if (!requireTools(t, 'openssl')) return;
    const old = join(dir, 'old');
    const init = await runSignet('ca', 'init', '--dir', old, '--base-url', 'http://127.0.0.1:9/pki');
    assert.equal(init.status, 0, init.stderr);
    const config = readCaDirectoryConfig(old);
    const keystore = await SoftwareKeystore.open({ dir: join(old, 'keys'), kek: loadKek({ file: join(old, 'kek') }) });
    const rootDer = certFile(join(old, 'root.pem'));
    const current = parseCertificate(certFile(join(old, 'issuing.pem')));
    // What an older version issued: the issuing-ca profile without AIA/CDP.
    const legacy: CertificateProfile = { ...profiles['issuing-ca'], modifiers: profiles['issuing-ca'].modifiers.slice(0, 3) };
    const legacyIssuing = await issueCertificate({
      issuer: { kind: 'ca', key: { backend: keystore, ref: config.keys.root ?? '', algorithm: config.algorithm }, certificate: rootDer },
      subject: current.tbsCertificate.subject,
      subjectPublicKey: spkiDer(current),
      profile: legacy,
      serialNumber: generateSerialNumber(),
      clock: systemClock,
      subjectKeyIdentifier: new Uint8Array(20).fill(7),
    });
    await keystore.close();
    writeFileSync(join(old, 'issuing.pem'), derToPem(legacyIssuing.der, 'CERTIFICATE'));
    rmSync(join(old, 'root.crl'));
    assert.equal(crlUrls(parseCertificate(legacyIssuing.der)).length, 0);

    const first = await upgradeCaDirectory(old, { clock: systemClock, env: {} });
    assert.deepEqual(first, { reissuedIssuing: true, wroteRootCrl: true });
    const upgraded = parseCertificate(certFile(join(old, 'issuing.pem')));
    assert.deepEqual([...crlUrls(upgraded)], ['http://127.0.0.1:9/pki/ca/root.crl']);
    assert.deepEqual(subjectKeyIdentifierOf(upgraded), new Uint8Array(20).fill(7), 'the SKI older certificates name is kept');
    assert.deepEqual(spkiDer(upgraded), spkiDer(current));
    assert.deepEqual(certFile(join(old, 'chain.pem')), certFile(join(old, 'issuing.pem')));
    const crlPem = join(dir, 'old-root-crl.pem');
    assert.equal(runTool('openssl', ['crl', '-inform', 'DER', '-in', join(old, 'root.crl'), '-out', crlPem]).status, 0);
    const v = runTool('openssl', ['verify', '-crl_check', '-CAfile', join(old, 'root.pem'), '-CRLfile', crlPem, join(old, 'issuing.pem')]);
    assert.match(v.stdout, /: OK/, v.stdout + v.stderr);
    assert.deepEqual(await upgradeCaDirectory(old, { clock: systemClock, env: {} }), { reissuedIssuing: false, wroteRootCrl: false }, 'idempotent');
  });
});
