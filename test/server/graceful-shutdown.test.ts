/**
 * docs/security.md FLT-19 (graceful shutdown): SIGTERM to a real `signet serve` while a batch of
 * signHash calls is in flight. Readiness turns false first while requests are still served for the
 * drain delay; every request of the batch completes with its signature; a request after the
 * listener closed is refused (503 on a kept-alive connection, or the connection refused); the
 * process exits 0 within a bound; afterwards the database holds exactly the delivered
 * consumptions, the audit chain verifies and SQLite's integrity check is ok (no half-writes).
 */
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { createAuditKey, verifyAuditStore } from '../../src/audit/index.js';
import { decodeBase32, generateTotp } from '../../src/auth/index.js';
import { loadServerConfig, openServerSecrets } from '../../src/server/index.js';
import type { DemoAccount } from '../../src/server/demo.js';
import { connectStore } from '../../src/store/index.js';
import { tempDir } from '../support/tmp.js';
import { ES256, SHA256, auditedConsumptions, post, type CscAnswer } from './support/csc-nodes.js';
import { startServe } from './support/serve-process.js';

const batch = 24;
// Long enough that the second half of the batch reaches the node inside it on a loaded 2-core machine.
const drainDelayMs = 3000;
/** The process must be gone this long after SIGTERM (drain delay + a batch on a loaded 2-core machine). */
const exitBoundMs = 15_000;

/** A `signet serve --demo` process with a SAD for `count` fresh hashes, and a signHash call on it. */
async function servedBatch(t: TestContext, count: number, env: NodeJS.ProcessEnv) {
  const dataDir = join(tempDir(t, 'signet-flt19-'), 'data');
  const server = await startServe(['--data', dataDir, '--demo'], { SIGNET_FAILED_REQUESTS_PER_MINUTE: '0', ...env });
  t.after(() => server.stop());
  const demo = JSON.parse(readFileSync(join(dataDir, 'demo.json'), 'utf8')) as DemoAccount;
  const login = await post(server, 'auth/login', {}, `Basic ${Buffer.from(`${demo.username}:${demo.password}`).toString('base64')}`);
  assert.equal(login.status, 200, JSON.stringify(login.body));
  const bearer = `Bearer ${login.body['access_token'] as string}`;
  const hashes = Array.from({ length: count }, (_, i) => createHash('sha256').update(`flt-19 ${i}`).digest('base64'));
  const authorized = await post(server, 'credentials/authorize', {
    credentialID: demo.credentialID,
    numSignatures: count,
    hashes,
    hashAlgorithmOID: SHA256,
    authData: [
      { id: 'PIN', value: demo.pin },
      { id: 'OTP', value: generateTotp(decodeBase32(demo.totpSecret), new Date()) },
    ],
  }, bearer);
  assert.equal(authorized.status, 200, JSON.stringify(authorized.body));
  const SAD = authorized.body['SAD'] as string;
  assert.equal((await fetch(`${server.url}/health/ready`)).status, 200);
  // SIGHUP without TLS is logged and ignored (issue 17): Node's default action would end the process.
  server.child.kill('SIGHUP');
  for (let i = 0; i < 100 && !/nothing to reload/.test(server.stdout() + server.stderr()); i++) await new Promise((r) => setTimeout(r, 100));
  assert.match(server.stdout() + server.stderr(), /SIGHUP: nothing to reload/);
  assert.equal(server.child.exitCode, null, 'still running after SIGHUP');
  assert.equal((await fetch(`${server.url}/health/live`)).status, 200);
  const exited = new Promise<number | null>((resolve) => server.child.once('exit', (code) => resolve(code)));
  /** signHash of one hash; a refused connection is status 0. */
  const sign = (hash: string): Promise<CscAnswer> =>
    post(server, 'signatures/signHash', { credentialID: demo.credentialID, SAD, hashes: [hash], hashAlgorithmOID: SHA256, signAlgo: ES256 }, bearer).catch(
      (err: unknown) => ({ status: 0, body: { error: String((err as { cause?: { code?: string } }).cause?.code ?? err) }, retryAfter: null }),
    );
  return { dataDir, server, hashes, sign, exited };
}

/** The exit code, or 'still running' after `ms`. */
async function exitWithin(exited: Promise<number | null>, ms: number): Promise<number | null | string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([exited, new Promise<string>((resolve) => (timer = setTimeout(() => resolve('still running'), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** After the process stopped: file intact, audit chain intact; returns how often each hash's consumption is audited. */
async function checkStoppedDatabase(t: TestContext, dataDir: string): Promise<Map<string, number>> {
  const store = await connectStore({ kind: 'sqlite', file: join(dataDir, 'signet.db') });
  t.after(() => store.close());
  const integrity = await sql<{ integrity_check: string }>`pragma integrity_check`.execute(store.db);
  assert.deepEqual(integrity.rows.map((r) => r.integrity_check), ['ok']);
  const secrets = await openServerSecrets(loadServerConfig({ dataDir, env: {} }), store);
  const verified = await verifyAuditStore(store, createAuditKey(secrets.auditKey));
  assert.ok(verified.ok, JSON.stringify(verified.problems));
  return auditedConsumptions(store.db);
}

describe('docs/security.md FLT-19: graceful shutdown', { concurrency: 2 }, () => {
  it('SIGTERM mid-batch with a drain delay: readiness false first, every request of the batch served, then refused, exit 0, no half-writes', async (t) => {
    const { dataDir, server, hashes, sign, exited } = await servedBatch(t, batch, { SIGNET_SHUTDOWN_DELAY_MS: String(drainDelayMs) });
    // Half the batch now, SIGTERM as soon as the first answer is back, the other half during the
    // drain delay (a load balancer has not noticed yet: still served).
    const first = hashes.slice(0, batch / 2).map(sign);
    await Promise.race(first);
    const signalledAt = Date.now();
    server.child.kill('SIGTERM');
    let notReadyAfterMs: number | undefined;
    for (;;) {
      const r = await fetch(`${server.url}/health/ready`);
      if (r.status === 503) {
        const body = (await r.json()) as { draining: boolean };
        assert.equal(body.draining, true);
        notReadyAfterMs = Date.now() - signalledAt;
        break;
      }
      assert.ok(Date.now() - signalledAt < drainDelayMs, 'readiness turned false within the drain delay');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const second = hashes.slice(batch / 2).map(sign);
    const results = await Promise.all([...first, ...second]);
    for (const r of results) assert.equal(r.status, 200, JSON.stringify(r.body));

    // After the drain delay the listener closes: new requests are refused from then on, never half-served.
    let late: number | string = 200;
    while (late === 200 && Date.now() - signalledAt < exitBoundMs) {
      try {
        late = (await fetch(`${server.url}/health/live`)).status;
      } catch (err) {
        late = String((err as { cause?: { code?: string } }).cause?.code ?? err);
      }
      if (late === 200) await new Promise((resolve) => setTimeout(resolve, 25));
    }
    assert.ok(late === 503 || late === 'ECONNREFUSED' || late === 'ECONNRESET' || late === 'UND_ERR_SOCKET', `late request: ${late}`);
    const code = await exitWithin(exited, exitBoundMs);
    const exitMs = Date.now() - signalledAt;
    assert.equal(code, 0, server.stderr());
    assert.match(server.stdout(), /signet: stopped/);
    t.diagnostic(`FLT-19: not ready ${notReadyAfterMs} ms after SIGTERM; exited 0 after ${exitMs} ms (drain delay ${drainDelayMs} ms); late request: ${late}`);
    const audited = await checkStoppedDatabase(t, dataDir);
    assert.deepEqual([...audited.keys()].sort(), [...hashes].sort(), 'every delivered signature is audited');
    assert.ok([...audited.values()].every((n) => n === 1), 'each consumed once');
  });

  it('SIGTERM with no drain delay while a batch is in flight: each request is signed (200) or refused (503 / connection refused), and exactly the signed ones are recorded', async (t) => {
    const count = 40;
    const { dataDir, server, hashes, sign, exited } = await servedBatch(t, count, {});
    const all = hashes.map(sign);
    await Promise.race(all);
    const signalledAt = Date.now();
    server.child.kill('SIGTERM');
    const results = await Promise.all(all);
    const code = await exitWithin(exited, exitBoundMs);
    assert.equal(code, 0, server.stderr());
    const statuses = new Map<number, number>();
    for (const r of results) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    for (const r of results) assert.ok([200, 503, 0].includes(r.status), JSON.stringify(r));
    t.diagnostic(`FLT-19 (no delay): exit after ${Date.now() - signalledAt} ms; answers ${JSON.stringify([...statuses])}`);
    const signed = new Set(hashes.filter((_, i) => results[i]?.status === 200));
    const audited = await checkStoppedDatabase(t, dataDir);
    assert.deepEqual([...audited.keys()].sort(), [...signed].sort(), 'recorded = delivered: no consumption without its answer');
    assert.ok(signed.size > 0, 'requests in flight at SIGTERM were served');
  });
});
