/**
 * Issue 14, "Done means": a certificate revoked (keyCompromise) before signing, in a file that
 * carries no revocation data, judged by `signet verify` against the PKI that `signet pki serve`
 * runs from a `signet ca` directory (run `npm run build` first) — every process the operator would
 * run, nothing in this one. Offline it is INDETERMINATE / TRY_LATER; online the signer's OCSP
 * answer (from its AIA) and the root's CRL for the issuing CA (from its CDP) make it TOTAL-FAILED
 * / REVOKED (EN 319 102-1 §5.2.6, §5.5.4: revoked before the claimed signing time).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultValidationPolicy, type DocumentReport } from '../../src/validation/index.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { freePort } from '../support/pg-cluster.js';
import { tempDir } from '../support/tmp.js';
import { opensslKeyAndCsr, requireTools } from '../support/tools.js';
import { runToolAsync } from '../pki/support/pki-server.js';

const bin = join(process.cwd(), 'bin', 'signet.js');
const signet = (...args: string[]) => runToolAsync(process.execPath, [bin, ...args]);

describe('issue 14: a signer revoked before signing, judged against `signet pki serve`', () => {
  const cleanups: (() => unknown)[] = [];
  let dir: string;
  let signed: string;
  let root: string;
  let serve: ChildProcess | undefined;

  before(async () => {
    if (!existsSync(join(process.cwd(), 'dist', 'cli', 'commands', 'verify.js'))) {
      throw new Error('run npm run build before the CLI tests');
    }
    dir = tempDir({ after: (fn) => cleanups.push(fn) });
    const ca = join(dir, 'ca');
    root = join(ca, 'root.pem');
    // The certificates' AIA/CDP name the base URL given at init: serve on that port.
    const port = await freePort();
    const init = await signet('ca', 'init', '--dir', ca, '--base-url', `http://127.0.0.1:${port}`);
    assert.equal(init.status, 0, init.stderr);
    serve = spawn(process.execPath, [bin, 'pki', 'serve', '--dir', ca, '--port', String(port)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanups.push(() => serve?.kill('SIGTERM'));
    await new Promise<void>((resolve, reject) => {
      let out = '';
      serve?.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('listening on')) resolve();
      });
      serve?.on('exit', (code) => reject(new Error(`pki serve exited ${code}`)));
    });

    const { key, csr } = opensslKeyAndCsr(dir, 'mallory', '/CN=Mallory');
    const cert = join(dir, 'mallory.pem');
    const issued = await signet(
      'ca',
      'issue',
      '--dir',
      ca,
      '--csr',
      csr,
      '-o',
      cert,
      '--profile',
      'signing',
    );
    assert.equal(issued.status, 0, issued.stderr);
    const revoked = await signet(
      'ca',
      'revoke',
      '--dir',
      ca,
      '--cert',
      cert,
      '--reason',
      'keyCompromise',
    );
    assert.equal(revoked.status, 0, revoked.stderr);
    // /M has whole seconds: sign in a later second than the revocation's.
    await new Promise((resolve) => setTimeout(resolve, 1_050 - (Date.now() % 1_000)));
    const input = join(dir, 'in.pdf');
    signed = join(dir, 'signed.pdf');
    writeFileSync(input, makeBasePdf());
    const sign = await signet(
      'sign',
      input,
      '-o',
      signed,
      '--key',
      key,
      '--cert',
      cert,
      '--chain',
      join(ca, 'issuing.pem'),
    );
    assert.equal(sign.status, 0, sign.stderr);
  });
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });

  it('online: TOTAL-FAILED / REVOKED from the OCSP responder, the issuing CA good by the root CRL; exit 1', async (t) => {
    if (!requireTools(t, 'openssl')) return;
    const online = await signet('verify', signed, '--trust', root, '--json');
    assert.equal(online.status, 1, online.stderr);
    const report = JSON.parse(online.stdout) as DocumentReport;
    const s = report.signatures[0];
    assert.equal(s?.indication, 'TOTAL-FAILED', JSON.stringify(s?.findings));
    assert.equal(s?.subIndication, 'REVOKED');
    assert.equal(s?.isIntact, true);
    assert.deepEqual(
      s?.revocation && [s.revocation.status, s.revocation.source, s.revocation.origin],
      ['revoked', 'ocsp', 'online'],
    );
    assert.deepEqual(
      report.revocationLookups?.map((l) => [l.subject, l.outcome, l.ocspResponses, l.crls]),
      [
        ['Mallory', 'evidence', 1, 0],
        ['Signet Issuing CA', 'evidence', 0, 1],
      ],
    );
    assert.ok(
      s?.findings?.some(
        (f) =>
          f.code === 'ERR_VALIDATION_REVOKED' &&
          f.severity === 'error' &&
          /before the claimed signing time/.test(f.message),
      ),
    );
  });

  it('--policy: an operator tightens the policy (EC from 384 bits): the P-256 signer is CRYPTO_CONSTRAINTS_FAILURE_NO_POE under its name; a policy that does not fit is refused', async (t) => {
    if (!requireTools(t, 'openssl')) return;
    const strict = {
      ...defaultValidationPolicy,
      name: 'operator-strict',
      signatureAcceptance: {
        ...defaultValidationPolicy.signatureAcceptance,
        publicKeys: { EC: [{ minBits: 384 }] },
      },
    };
    const policyFile = join(dir, 'strict.json');
    writeFileSync(policyFile, JSON.stringify(strict));
    const judged = await signet(
      'verify',
      signed,
      '--trust',
      root,
      '--offline',
      '--json',
      '--policy',
      policyFile,
    );
    assert.equal(judged.status, 1, judged.stderr);
    const s = (JSON.parse(judged.stdout) as DocumentReport).signatures[0];
    assert.equal(s?.indication, 'INDETERMINATE', JSON.stringify(s?.findings));
    assert.equal(s?.subIndication, 'CRYPTO_CONSTRAINTS_FAILURE_NO_POE');
    assert.ok(
      s?.findings?.some(
        (f) => f.code === 'ERR_VALIDATION_WEAK_ALGORITHM' && /operator-strict/.test(f.message),
      ),
    );
    const badFile = join(dir, 'bad.json');
    writeFileSync(
      badFile,
      JSON.stringify({ ...strict, revocation: { ...strict.revocation, requireEvidense: false } }),
    );
    const bad = await signet('verify', signed, '--trust', root, '--offline', '--policy', badFile);
    assert.equal(bad.status, 1);
    assert.match(
      bad.stderr,
      /^error: ERR_CLI_INPUT: the validation policy '.*bad\.json' does not fit: revocation: unknown key "requireEvidense"/,
    );
  });

  it('offline: INDETERMINATE / TRY_LATER with ERR_VALIDATION_NO_REVOCATION; exit 1', async (t) => {
    if (!requireTools(t, 'openssl')) return;
    const offline = await signet('verify', signed, '--trust', root, '--offline');
    assert.equal(offline.status, 1, offline.stderr);
    assert.match(offline.stdout, /INDETERMINATE \/ TRY_LATER/);
    assert.match(offline.stdout, /ERR_VALIDATION_NO_REVOCATION, revocation/);
    assert.doesNotMatch(offline.stdout, /revocation lookup:/);
  });
});
