/**
 * `signet ca …` and `signet pki serve` end to end (run `npm run build` first): the exact forms of
 * issue 4, judged by openssl ocsp / crl / verify / ts.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasTool, opensslKeyAndCsr, requireTools, runTool } from '../../support/tools.js';
import { tempDir } from '../../support/tmp.js';
import { suiteCleanup } from '../support/pki-fixture.js';
import { runSignet, signetBin } from '../support/signet-cli.js';


describe('signet ca / signet pki serve (issue 4 command forms)', () => {
  const cleanup = suiteCleanup(after);
  let dir: string;
  let ca: string;
  let serve: ChildProcess | undefined;
  let url = '';

  before(async () => {
    if (!hasTool('openssl')) return;
    assert.ok(existsSync(join(process.cwd(), 'dist', 'cli', 'commands', 'ca.js')), 'run npm run build before the CLI tests');
    dir = tempDir(cleanup);
    ca = join(dir, 'ca');
    const init = await runSignet('ca', 'init', '--dir', ca);
    assert.equal(init.status, 0, init.stderr);
    assert.match(init.stderr, /production must keep the KEK elsewhere/);
    serve = spawn(process.execPath, [signetBin, 'pki', 'serve', '--dir', ca, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    cleanup.after(() => {
      serve?.kill('SIGTERM');
    });
    url = await new Promise<string>((resolve, reject) => {
      let out = '';
      serve?.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m?.[1]) resolve(m[1]);
      });
      serve?.on('exit', (code) => reject(new Error(`serve exited ${code}`)));
    });
  });

  const csr = (name: string, keyArgs: string[], subj: string): string => opensslKeyAndCsr(dir, name, subj, keyArgs).csr;

  it('init writes root.pem, issuing.pem, chain.pem (issuing then root) and keeps keys encrypted', (t) => {
    if (!requireTools(t, 'openssl')) return;
    for (const f of ['root.pem', 'issuing.pem', 'chain.pem', 'tsa.pem', 'ocsp.pem']) assert.ok(existsSync(join(ca, f)), f);
    const chain = readFileSync(join(ca, 'chain.pem'), 'utf8');
    assert.equal(chain, readFileSync(join(ca, 'issuing.pem'), 'utf8') + readFileSync(join(ca, 'root.pem'), 'utf8'));
    assert.equal(statSync(join(ca, 'kek')).mode & 0o777, 0o600);
    const keyFiles = runTool('sh', ['-c', `cat ${join(ca, 'keys')}/*`]).stdout;
    assert.doesNotMatch(keyFiles, /PRIVATE KEY/);
    const again = runTool(process.execPath, [signetBin, 'ca', 'init', '--dir', ca]);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /^error: ERR_PKI_CA_DIR_EXISTS: /);
  });

  it('issue → OCSP good → revoke → OCSP revoked and CRL lists the serial; openssl verify -crl_check agrees', async (t) => {
    if (!requireTools(t, 'openssl')) return;
    const req = csr('user', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'], '/CN=Cli User/C=BE');
    const cert = join(dir, 'user.pem');
    const issued = await runSignet('ca', 'issue', '--dir', ca, '--csr', req, '-o', cert, '--profile', 'signing');
    assert.equal(issued.status, 0, issued.stderr);
    const text = runTool('openssl', ['x509', '-in', cert, '-noout', '-text', '-serial']).stdout;
    assert.match(text, new RegExp(`OCSP - URI:${url}/ocsp`));
    const serial = /serial=([0-9A-F]+)/.exec(text)?.[1] ?? '';

    const ocspArgs = ['ocsp', '-issuer', join(ca, 'issuing.pem'), '-cert', cert, '-url', `${url}/ocsp`, '-CAfile', join(ca, 'chain.pem')];
    const good = runTool('openssl', ocspArgs);
    assert.match(good.stdout + good.stderr, /Response verify OK/);
    assert.match(good.stdout, /: good/);

    const revoked = await runSignet('ca', 'revoke', '--dir', ca, '--cert', cert, '--reason', 'keyCompromise');
    assert.equal(revoked.status, 0, revoked.stderr);
    const bad = runTool('openssl', ocspArgs);
    assert.match(bad.stdout, /: revoked/);
    assert.match(bad.stdout, /Reason: keyCompromise/);

    const crlFile = join(dir, 'ca.crl');
    assert.equal((await runSignet('ca', 'crl', '--dir', ca, '-o', crlFile)).status, 0);
    const crlText = runTool('openssl', ['crl', '-inform', 'DER', '-in', crlFile, '-noout', '-text']).stdout;
    assert.match(crlText, new RegExp(`Serial Number: ${serial}`));
    const crlPem = join(dir, 'ca-crl.pem');
    assert.equal(runTool('openssl', ['crl', '-inform', 'DER', '-in', crlFile, '-out', crlPem]).status, 0);
    const v = runTool('openssl', ['verify', '-crl_check', '-CRLfile', crlPem, '-CAfile', join(ca, 'root.pem'), '-untrusted', join(ca, 'issuing.pem'), cert]);
    assert.match(v.stdout + v.stderr, /certificate revoked/);

    const served = await fetch(`${url}/crl`);
    const servedFile = join(dir, 'served.crl');
    writeFileSync(servedFile, new Uint8Array(await served.arrayBuffer()));
    assert.match(runTool('openssl', ['crl', '-inform', 'DER', '-in', servedFile, '-noout', '-text']).stdout, new RegExp(serial));

    const bySerial = await runSignet('ca', 'revoke', '--dir', ca, '--serial', serial, '--reason', 'keyCompromise');
    assert.equal(bySerial.status, 1);
    assert.match(bySerial.stderr, /^error: ERR_PKI_ALREADY_REVOKED: /);
  });

  it('the served TSA answers openssl ts queries that openssl ts -verify accepts', async (t) => {
    if (!requireTools(t, 'openssl')) return;
    const data = join(dir, 'doc.txt');
    writeFileSync(data, 'document');
    const q = join(dir, 'q.tsq');
    assert.equal(runTool('openssl', ['ts', '-query', '-data', data, '-sha256', '-cert', '-out', q]).status, 0);
    const res = await fetch(`${url}/tsa`, { method: 'POST', headers: { 'content-type': 'application/timestamp-query' }, body: readFileSync(q) });
    const r = join(dir, 'q.tsr');
    writeFileSync(r, new Uint8Array(await res.arrayBuffer()));
    assert.match(runTool('openssl', ['ts', '-reply', '-in', r, '-text']).stdout, /Status: Granted/);
    const v = runTool('openssl', ['ts', '-verify', '-data', data, '-in', r, '-CAfile', join(ca, 'root.pem'), '-untrusted', join(ca, 'chain.pem')]);
    assert.match(v.stdout, /Verification: OK/, v.stderr);
  });

  it('two concurrent `ca renew` processes issue one successor per certificate', async (t) => {
    if (!requireTools(t, 'openssl')) return;
    const req = csr('renew', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'], '/CN=Renew Me');
    assert.equal((await runSignet('ca', 'issue', '--dir', ca, '--csr', req, '-o', join(dir, 'renew.pem'))).status, 0);
    const [a, b] = await Promise.all([runSignet('ca', 'renew', '--dir', ca, '--within', '800'), runSignet('ca', 'renew', '--dir', ca, '--within', '800')]);
    assert.equal(a.status, 0, a.stderr);
    assert.equal(b.status, 0, b.stderr);
    const froms = [...(a.stdout + b.stdout).matchAll(/renewed ([0-9a-f]+) -> ([0-9a-f]+)/g)].map((m) => m[1]);
    assert.ok(froms.length >= 1);
    assert.equal(new Set(froms).size, froms.length, 'no certificate renewed twice');
    const again = await runSignet('ca', 'renew', '--dir', ca, '--within', '800');
    const secondRound = [...again.stdout.matchAll(/renewed ([0-9a-f]+)/g)].map((m) => m[1]);
    assert.ok(secondRound.every((s) => !froms.includes(s)), 'a renewed certificate is not renewed again');
  });

  it('rejects an RSA-1024 CSR and a CSR with a bad signature with typed errors', async (t) => {
    if (!requireTools(t, 'openssl')) return;
    const weak = csr('weak', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024'], '/CN=Weak');
    const r = await runSignet('ca', 'issue', '--dir', ca, '--csr', weak, '-o', join(dir, 'weak.pem'));
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^error: ERR_PKI_WEAK_KEY: /);
    assert.ok(!existsSync(join(dir, 'weak.pem')));
    const good = readFileSync(csr('tamper', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'], '/CN=Tamper'), 'utf8');
    const der = Buffer.from(good.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
    der[der.length - 3] = (der[der.length - 3] ?? 0) ^ 1;
    const tampered = join(dir, 'tampered.der');
    writeFileSync(tampered, der);
    const r2 = await runSignet('ca', 'issue', '--dir', ca, '--csr', tampered, '-o', join(dir, 'tampered.pem'));
    assert.equal(r2.status, 1);
    assert.match(r2.stderr, /^error: ERR_PKI_CSR_(BAD_POP|MALFORMED): /);
    const usage = await runSignet('ca', 'issue', '--dir', ca);
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /ERR_CLI_USAGE/);
  });
});
