/**
 * docs/security.md FLT-25 across nodes: node A (a real `signet serve` on PostgreSQL) serves RFC
 * 5019 pre-signed OCSP answers over GET; `signet admin credentials revoke` runs as another node
 * on the same database. A's answer turns 'revoked' within SIGNET_OCSP_STATUS_RECHECK_MS of the
 * commit, and the command acknowledges only after that bound, so the first answer after the
 * acknowledgement is already 'revoked' (never 'good' after it). Answers judged by `openssl ocsp`.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { requireTools, runTool } from '../support/tools.js';
import { tempDir } from '../support/tmp.js';
import { post, type Demo } from './support/kill-workload.js';
import { captureIo, serverEnv } from './support/server-fixture.js';
import { startServe } from './support/serve-process.js';

describe('docs/security.md FLT-25 OCSP revocation bound across nodes', () => {
  it("postgres: 'revoked' on node A within the recheck bound after signet admin … revoke on another node; never 'good' after the acknowledgement", async (t) => {
    if (!requireTools(t, 'openssl')) return;
    const env = await serverEnv(t, 'postgres');
    if (env === undefined) return;
    const dir = tempDir(t, 'signet-ocsp-nodes-');
    const recheckMs = 1000;
    const a = await startServe(['--data', env.dataDir, '--demo'], {
      ...env.env,
      SIGNET_NODE_ID: 'A',
      SIGNET_LOG_LEVEL: 'warn',
      SIGNET_OCSP_STATUS_RECHECK_MS: String(recheckMs),
    });
    t.after(() => a.stop());

    const demo = JSON.parse(readFileSync(join(env.dataDir, 'demo.json'), 'utf8')) as Demo;
    const login = await post(
      a.url,
      'auth/login',
      {},
      {
        authorization: `Basic ${Buffer.from(`${demo.username}:${demo.password}`).toString('base64')}`,
      },
    );
    assert.equal(login.status, 200);
    const info = await post(
      a.url,
      'credentials/info',
      { credentialID: demo.credentialID, certificates: 'single' },
      { authorization: `Bearer ${login.body.access_token as string}` },
    );
    const leaf = join(dir, 'leaf.pem');
    writeFileSync(
      leaf,
      new X509Certificate(
        Buffer.from(info.body.cert.certificates[0] as string, 'base64'),
      ).toString(),
    );
    const issuing = join(env.dataDir, 'ca', 'issuing.pem');
    const reqFile = join(dir, 'req.der');
    assert.equal(
      runTool('openssl', [
        'ocsp',
        '-issuer',
        issuing,
        '-cert',
        leaf,
        '-no_nonce',
        '-reqout',
        reqFile,
      ]).status,
      0,
    );
    const url = `${a.url}/pki/ocsp/${encodeURIComponent(readFileSync(reqFile).toString('base64'))}`;
    let n = 0;
    const ask = async (): Promise<{ status: string; etag: string | null }> => {
      const res = await fetch(url);
      assert.equal(res.status, 200);
      const file = join(dir, `resp${n++}.der`);
      writeFileSync(file, new Uint8Array(await res.arrayBuffer()));
      const r = runTool('openssl', [
        'ocsp',
        '-respin',
        file,
        '-issuer',
        issuing,
        '-cert',
        leaf,
        '-CAfile',
        join(env.dataDir, 'ca', 'root.pem'),
        '-verify_other',
        issuing,
      ]);
      assert.match(r.stdout + r.stderr, /Response verify OK/, r.stdout + r.stderr);
      const status = /leaf\.pem: (\w+)/.exec(r.stdout)?.[1];
      assert.ok(status !== undefined, r.stdout);
      return { status, etag: res.headers.get('etag') };
    };

    const first = await ask();
    assert.equal(first.status, 'good');
    assert.equal((await ask()).etag, first.etag, 'the pre-signed answer is served again');

    const io = captureIo();
    const saved = process.env['DATABASE_URL'];
    process.env['DATABASE_URL'] = env.databaseUrl;
    const started = performance.now();
    let code: number;
    try {
      code = await main(
        [
          'admin',
          'credentials',
          'revoke',
          '--data',
          env.dataDir,
          '--credential',
          demo.credentialID,
          '--reason',
          'keyCompromise',
        ],
        io,
      );
    } finally {
      if (saved === undefined) delete process.env['DATABASE_URL'];
      else process.env['DATABASE_URL'] = saved;
    }
    const tookMs = performance.now() - started;
    assert.equal(code, 0, io.stderr.text);
    // Acknowledged: from here on no answer of any node may say 'good'.
    assert.equal((await ask()).status, 'revoked');
    assert.ok(
      tookMs >= recheckMs,
      `the revocation was acknowledged after the bound (${tookMs.toFixed(0)} ms)`,
    );
    t.diagnostic(
      `signet admin credentials revoke acknowledged after ${tookMs.toFixed(0)} ms (bound ${recheckMs} ms)`,
    );
    for (let i = 0; i < 3; i++) assert.equal((await ask()).status, 'revoked');
  });
});
