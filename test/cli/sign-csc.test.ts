/**
 * `signet sign-remote` as a user runs it, against a CSC provider on loopback (port 0): one file
 * with -o, a folder with --out-dir, TOTP codes from a secret file, and the usage errors.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { encodeBase32, generateTotp, generateTotpSecret } from '../../src/auth/index.js';
import { oids } from '../../src/cms/index.js';
import { main } from '../../src/cli/main.js';
import { cscBaseUrl } from '../../src/cli/commands/sign-csc.js';
import { verifyPdfSignatures } from '../../src/validation/index.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { buildTestPki, type TestPki } from '../support/pki.js';
import { tempDir } from '../support/tmp.js';
import { startMiniRssp, type MiniRssp } from '../csc/client/support/mini-rssp.js';

async function signet(argv: readonly string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (c: Buffer) => (stdout += c.toString()));
  err.on('data', (c: Buffer) => (stderr += c.toString()));
  const status = await main(argv, { stdout: out, stderr: err });
  return { status, stdout, stderr };
}

describe('signet sign-remote (CLI)', () => {
  let pki: TestPki<'rsa'>;
  let rssp: MiniRssp;
  const secret = generateTotpSecret();
  const dir = tempDir({ after });
  const files = { password: join(dir, 'password'), pin: join(dir, 'pin'), totp: join(dir, 'totp') };

  before(async () => {
    pki = await buildTestPki({ leaves: ['rsa'] });
    rssp = await startMiniRssp({
      username: 'demo',
      password: 'demo-password',
      // The code and its check may fall on either side of a 30 s step on a loaded machine (RFC 6238 §5.2 allows one step back).
      otp: () => [generateTotp(secret, new Date()), generateTotp(secret, new Date(Date.now() - 30_000))],
      credentials: [{ id: 'cred-1', privateKey: pki.leaves.rsa.privateKey, chain: pki.chain('rsa'), algos: [oids.sha256WithRSAEncryption], multisign: 20, pin: '4321' }],
    });
    writeFileSync(files.password, 'demo-password\n');
    writeFileSync(files.pin, '4321\n');
    writeFileSync(files.totp, `${encodeBase32(secret)}\n`);
  });
  after(() => rssp.close());

  const base = (): string[] => ['--csc-url', rssp.url.replace(/\/csc\/v2$/, ''), '--username', 'demo', '--password-file', files.password, '--pin-file', files.pin];
  const valid = (path: string): void => {
    const report = verifyPdfSignatures(new Uint8Array(readFileSync(path)), { trustAnchors: [pki.root.der] });
    assert.equal(report.signatures[0]?.indication, 'TOTAL-PASSED', JSON.stringify(report.signatures[0]?.problems));
  };

  it('signs one file with -o and --otp; the only credential is chosen', async () => {
    const input = join(dir, 'one.pdf');
    writeFileSync(input, makeBasePdf());
    const out = join(dir, 'one-signed.pdf');
    const r = await signet(['sign-remote', input, '-o', out, ...base(), '--otp', generateTotp(secret, new Date()), '--reason', 'Approved']);
    assert.equal(r.status, 0, r.stderr);
    valid(out);
  });

  it('signs a folder with --out-dir and a TOTP secret file; one authorization for the batch', async () => {
    const inDir = join(dir, 'in');
    const outDir = join(dir, 'out');
    mkdirSync(inDir);
    mkdirSync(outDir);
    for (let i = 0; i < 5; i++) writeFileSync(join(inDir, `f${i}.pdf`), makeBasePdf({ text: `file ${i}` }));
    const before = rssp.calls['credentials/authorize'] ?? 0;
    const r = await signet(['sign-remote', inDir, '--out-dir', outDir, ...base(), '--totp-secret-file', files.totp, '--credential', 'cred-1', '--hashes-per-call', '2']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /signed 5 of 5 files in [\d.]+ s with credential cred-1 \(1 authorization, 3 signHash calls\)/);
    assert.equal((rssp.calls['credentials/authorize'] ?? 0) - before, 1);
    assert.deepEqual(readdirSync(outDir).sort(), ['f0.pdf', 'f1.pdf', 'f2.pdf', 'f3.pdf', 'f4.pdf']);
    for (const f of readdirSync(outDir)) valid(join(outDir, f));
  });

  it('exits 1 with one error line per failed file; the others are signed', async () => {
    const outDir = join(dir, 'out-partial');
    mkdirSync(outDir);
    const good = join(dir, 'good.pdf');
    const bad = join(dir, 'bad.pdf');
    writeFileSync(good, makeBasePdf({ text: 'good' }));
    writeFileSync(bad, 'not a pdf');
    const r = await signet(['sign-remote', good, bad, '--out-dir', outDir, ...base(), '--totp-secret-file', files.totp]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /bad\.pdf: error: ERR_PDF_[A-Z_]+: /);
    assert.match(r.stdout, /signed 1 of 2 files .*, 1 failed/);
    valid(join(outDir, 'good.pdf'));
  });

  it('refuses a wrong PIN with the provider error, and bad command lines with usage errors', async () => {
    const input = join(dir, 'one.pdf');
    const wrongPin = join(dir, 'wrong-pin');
    writeFileSync(wrongPin, '0000');
    const r = await signet(['sign-remote', input, '-o', join(dir, 'x.pdf'), ...base().slice(0, -1), wrongPin, '--totp-secret-file', files.totp]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /ERR_CSC_CLIENT_REMOTE: credentials\/authorize: invalid_authentication_data/);
    const noUrl = await signet(['sign-remote', input, '-o', join(dir, 'x.pdf'), '--username', 'demo']);
    assert.equal(noUrl.status, 2);
    assert.match(noUrl.stderr, /ERR_CLI_USAGE: --csc-url is required/);
    const noAuth = await signet(['sign-remote', input, '-o', join(dir, 'x.pdf'), '--csc-url', rssp.url]);
    assert.equal(noAuth.status, 2);
    const both = await signet(['sign-remote', input, '-o', join(dir, 'x.pdf'), ...base(), '--otp', '1', '--totp-secret-file', files.totp]);
    assert.equal(both.status, 2);
    const help = await signet(['help', 'sign-remote']);
    assert.match(help.stdout, /--totp-secret-file F/);
  });

  it('runs the line signet serve --demo prints: sign-csc --service URL --demo demo.json IN OUT', async () => {
    const demo = join(dir, 'demo.json');
    writeFileSync(demo, JSON.stringify({ username: 'demo', password: 'demo-password', totpSecret: encodeBase32(secret), credentialID: 'cred-1', pin: '4321' }));
    const input = join(dir, 'demo-in.pdf');
    writeFileSync(input, makeBasePdf({ text: 'demo' }));
    const out = join(dir, 'demo-out.pdf');
    const r = await signet(['sign-csc', '--service', rssp.url, '--demo', demo, input, out]);
    assert.equal(r.status, 0, r.stderr);
    valid(out);
    // OUT exists now: the two-positional form refuses to overwrite it.
    const again = await signet(['sign-csc', '--service', rssp.url, '--demo', demo, input, out]);
    assert.equal(again.status, 2);
    assert.match(again.stderr, /ERR_CLI_USAGE/);
  });

  it('appends /csc/v2 to a bare server URL only', () => {
    assert.equal(cscBaseUrl('http://127.0.0.1:8080'), 'http://127.0.0.1:8080/csc/v2');
    assert.equal(cscBaseUrl('https://rssp.example/prefix/'), 'https://rssp.example/prefix/csc/v2');
    assert.equal(cscBaseUrl('https://rssp.example/csc/v1'), 'https://rssp.example/csc/v1');
  });
});
