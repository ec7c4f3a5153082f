/**
 * `signet keys generate|list` end to end (spawns bin/signet.js; run `npm run build` first): keys
 * on SoftHSM and in the keystore, PKCS#10 requests (RFC 2986) checked by `openssl req -verify`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hasTool, requireTools, runTool } from '../support/tools.js';
import { initSoftHsm, softhsmModule, type TestToken } from './support/softhsm.js';

function signet(args: readonly string[]): {
  status: number | null;
  stdout: string;
  stderr: string;
} {
  const r = spawnSync(process.execPath, ['bin/signet.js', ...args], {
    encoding: 'utf8',
    env: process.env,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The key is kept in a keystore directory, encrypted under the KEK in kekFile. */
const inKeystore = (keystore: string, kekFile: string): string[] => [
  '--keystore',
  keystore,
  '--kek-file',
  kekFile,
];

/** The key is kept on a SoftHSM token, logged into with the PIN in pinFile. */
const onToken = (hsm: TestToken, pinFile: string): string[] => [
  '--pkcs11-module',
  softhsmModule,
  '--token',
  hsm.label,
  '--pin-file',
  pinFile,
];

/** `signet keys generate` of one key, kept `where`; `more` options follow. */
function generateKey(
  where: readonly string[],
  label: string,
  algorithm: string,
  ...more: string[]
): ReturnType<typeof signet> {
  return signet([
    'keys',
    'generate',
    ...where,
    '--label',
    label,
    '--algorithm',
    algorithm,
    ...more,
  ]);
}

let dir = '';
let token: TestToken | undefined;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'signet-cli-keys-'));
  if (hasTool('softhsm2-util')) token = initSoftHsm(join(dir, 'hsm'), ['cli-token'])[0];
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('signet keys', () => {
  it('generate --keystore --kek-file with --csr-subject writes a request openssl verifies; list shows the key', (t) => {
    if (!requireTools(t, 'openssl')) return;
    const kekFile = join(dir, 'kek');
    writeFileSync(kekFile, randomBytes(32).toString('hex'));
    const keystore = join(dir, 'keystore');
    const req = join(dir, 'ks-req.pem');
    const r = generateKey(
      inKeystore(keystore, kekFile),
      'cli-ec',
      'EC-P256',
      '--csr-subject',
      'CN=Alice Example,O=Signet,C=DE',
      '-o',
      req,
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'keystore:cli-ec\n');
    const check = runTool('openssl', [
      'req',
      '-in',
      req,
      '-verify',
      '-noout',
      '-subject',
      '-nameopt',
      'RFC2253',
    ]);
    assert.equal(check.status, 0, check.stderr);
    assert.match(`${check.stdout}${check.stderr}`, /verify OK/i);
    assert.match(check.stdout, /subject=C=DE,O=Signet,CN=Alice Example/);
    const l = signet(['keys', 'list', ...inKeystore(keystore, kekFile)]);
    assert.equal(l.status, 0, l.stderr);
    assert.equal(l.stdout, 'keystore:cli-ec\n');
    // No plaintext key material anywhere in the keystore directory.
    for (const name of readdirSync(keystore))
      assert.ok(!readFileSync(join(keystore, name), 'latin1').includes('PRIVATE KEY'));
  });

  it('generate --pkcs11-module --token --pin-file writes an RSA request signed on the token', (t) => {
    if (!requireTools(t, 'softhsm2-util', 'openssl') || token === undefined) return;
    const pinFile = join(dir, 'pin');
    writeFileSync(pinFile, `${token.pin}\n`);
    const req = join(dir, 'hsm-req.pem');
    const r = generateKey(
      onToken(token, pinFile),
      'cli-rsa',
      'RSA-2048',
      '--csr-subject',
      'CN=HSM Key',
      '-o',
      req,
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'pkcs11:token=cli-token;object=cli-rsa\n');
    const check = runTool('openssl', ['req', '-in', req, '-verify', '-noout', '-text']);
    assert.equal(check.status, 0, check.stderr);
    // openssl 3.0 exits 0 even on "self-signature verify failure": read its verdict (issue 22:
    // the signature BIT STRING held C_Sign's whole 1,024-byte output buffer).
    assert.match(check.stdout + check.stderr, /self-signature verify OK/, check.stdout + check.stderr);
    assert.doesNotMatch(check.stdout + check.stderr, /verify failure/);
    assert.match(check.stdout, /Public-Key: \(2048 bit\)/);
    assert.match(check.stdout, /sha256WithRSAEncryption/);
    // Every kind of request the token writes verifies: RSA-3072 and the EC curves too.
    for (const algorithm of ['RSA-3072', 'EC-P256', 'EC-P384']) {
      const out = join(dir, `hsm-${algorithm}.pem`);
      const g = generateKey(
        onToken(token, pinFile),
        `cli-${algorithm}`,
        algorithm,
        '--csr-subject',
        `CN=HSM ${algorithm}`,
        '-o',
        out,
      );
      assert.equal(g.status, 0, g.stderr);
      const v = runTool('openssl', ['req', '-in', out, '-verify', '-noout']);
      assert.match(v.stdout + v.stderr, /self-signature verify OK/, `${algorithm}: ${v.stdout}${v.stderr}`);
    }
    const again = generateKey(onToken(token, pinFile), 'cli-rsa', 'EC-P384');
    assert.equal(again.status, 1);
    assert.match(again.stderr, /^error: ERR_KEY_EXISTS: /);
    writeFileSync(pinFile, 'wrong');
    const wrong = signet(['keys', 'list', ...onToken(token, pinFile)]);
    assert.equal(wrong.status, 1);
    assert.match(wrong.stderr, /^error: ERR_KEY_PIN: /);
    assert.ok(!wrong.stderr.includes('wrong'), 'the PIN is not echoed');
  });

  it('refuses bad usage with ERR_CLI_USAGE (exit 2) and bad subjects before generating anything', () => {
    const kekFile = join(dir, 'kek2');
    writeFileSync(kekFile, randomBytes(32).toString('hex'));
    const keystore = join(dir, 'keystore2');
    const bad = generateKey(inKeystore(keystore, kekFile), 'x', 'RSA-1024');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /^error: ERR_CLI_USAGE: /);
    const both = generateKey(
      ['--keystore', keystore, '--pkcs11-module', softhsmModule],
      'x',
      'EC-P256',
    );
    assert.equal(both.status, 2);
    const subject = generateKey(
      inKeystore(keystore, kekFile),
      'y',
      'EC-P256',
      '--csr-subject',
      'XX=nope',
    );
    assert.equal(subject.status, 1);
    assert.match(subject.stderr, /^error: ERR_KEY_SPEC_UNSUPPORTED: invalid subject/);
    const l = signet(['keys', 'list', ...inKeystore(keystore, kekFile)]);
    assert.equal(l.stdout, '', 'no key was generated');
  });
});
