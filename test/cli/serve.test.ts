/**
 * `signet serve` as a child process on port 0 (issue 6): the listening line names the port;
 * /healthz and /documentation/json answer; the PKI endpoints are judged by `openssl ocsp` and
 * `openssl ts`; SIGTERM drains and exits 0; a restart reuses the data directory (same CA, no new
 * set-up token); DATABASE_URL switches to PostgreSQL.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { storeKinds } from '../support/stores.js';
import { requireTools, runTool } from '../support/tools.js';
import { tempDir } from '../support/tmp.js';
import { serverEnv } from '../server/support/server-fixture.js';
import { startServe, type ServeProcess } from '../server/support/serve-process.js';

async function serve(t: { after(fn: () => unknown): unknown }, args: readonly string[], env: NodeJS.ProcessEnv): Promise<ServeProcess> {
  const p = await startServe(args, env);
  t.after(() => p.stop());
  return p;
}

describe('signet serve (issue 6)', () => {
  for (const kind of storeKinds) {
    it(`${kind}: healthz, OpenAPI, set-up token once; SIGTERM exits 0; restart reuses the CA`, async (t) => {
      const env = await serverEnv(t, kind);
      if (!env) return;
      const args = ['--data', env.dataDir];
      const first = await serve(t, args, env.env);
      assert.ok(first.port > 0);
      assert.equal(first.url, `http://localhost:${first.port}`, 'the printed URL is the localhost one (WebAuthn needs a domain)');
      const health = await fetch(`${first.url}/healthz`);
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), { status: 'ok', database: true, keys: { software: true } });
      const doc = (await (await fetch(`${first.url}/documentation/json`)).json()) as { openapi: string; paths: Record<string, unknown> };
      assert.match(doc.openapi, /^3\./);
      assert.ok(doc.paths['/healthz']);
      const setup = /one-time administrator set-up token \(shown once\): (\S+)/.exec(first.stdout())?.[1];
      assert.ok(setup, first.stdout());
      const root = Buffer.from(await (await fetch(`${first.url}/pki/ca/root.cer`)).arrayBuffer());
      // Every JSON log line is valid JSON and none holds the set-up token.
      for (const line of first.stdout().split('\n').filter((l) => l.startsWith('{'))) {
        JSON.parse(line);
        assert.ok(!line.includes(setup));
      }
      assert.equal(await first.stop(), 0);
      assert.match(first.stdout(), /signet: stopped/);

      const second = await serve(t, args, env.env);
      assert.doesNotMatch(second.stdout(), /set-up token/);
      const root2 = Buffer.from(await (await fetch(`${second.url}/pki/ca/root.cer`)).arrayBuffer());
      assert.deepEqual(root2, root, 'the CA is reused, never regenerated');
      const exchange = await fetch(`${second.url}/admin/v1/setup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ setupToken: setup }),
      });
      assert.equal(exchange.status, 200, 'the first start’s set-up token is still valid (stored in the database)');
      assert.equal(await second.stop(), 0);
    });
  }

  it('openssl ocsp and openssl ts accept the answers of /pki/ocsp and /pki/tsa', async (t) => {
    if (!requireTools(t, 'openssl')) return;
    const env = await serverEnv(t, 'sqlite');
    if (!env) return;
    const p = await serve(t, ['--data', env.dataDir], env.env);
    const ca = join(env.dataDir, 'ca');
    const ocsp = runTool('openssl', [
      'ocsp', '-issuer', join(ca, 'issuing.pem'), '-cert', join(ca, 'tsa.pem'), '-url', `${p.url}/pki/ocsp`,
      '-CAfile', join(ca, 'root.pem'), '-verify_other', join(ca, 'issuing.pem'),
    ]);
    assert.equal(ocsp.status, 0, ocsp.stderr);
    assert.match(ocsp.stdout, /tsa\.pem: good/);
    assert.match(ocsp.stderr + ocsp.stdout, /Response verify OK/);

    const dir = tempDir(t);
    const data = join(dir, 'data.txt');
    writeFileSync(data, 'timestamp me\n');
    const tsq = join(dir, 'req.tsq');
    assert.equal(runTool('openssl', ['ts', '-query', '-data', data, '-sha256', '-cert', '-out', tsq]).status, 0);
    const reply = await fetch(`${p.url}/pki/tsa`, {
      method: 'POST',
      headers: { 'content-type': 'application/timestamp-query' },
      body: readFileSync(tsq),
    });
    assert.equal(reply.status, 200);
    assert.equal(reply.headers.get('content-type'), 'application/timestamp-reply');
    const tsr = join(dir, 'resp.tsr');
    writeFileSync(tsr, Buffer.from(await reply.arrayBuffer()));
    const verify = runTool('openssl', ['ts', '-verify', '-in', tsr, '-queryfile', tsq, '-CAfile', join(ca, 'root.pem'), '-untrusted', join(ca, 'issuing.pem')]);
    assert.equal(verify.status, 0, verify.stderr + verify.stdout);
    assert.match(verify.stdout, /Verification: OK/);
  });
});
