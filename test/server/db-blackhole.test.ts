/**
 * docs/security.md FLT-21 (network blackhole to the database): a node reaches PostgreSQL through a
 * loopback proxy that then stops forwarding without closing anything. Requests end within the
 * configured bounds (statement and connect timeouts plus the client-side margin) with 503,
 * Retry-After and `temporarily_unavailable`, none hangs; /health/ready turns false within its
 * probe timeout; once the proxy forwards again the node recovers without a restart, and no SAD
 * signed more than its n, no hash was consumed twice, the audit chain verifies.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { verifyAuditStore } from '../../src/audit/index.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import { auditedConsumptions, demoSession, sharedClock, startNode, type CscAnswer } from './support/csc-nodes.js';
import { serverEnv } from './support/server-fixture.js';

const statementTimeoutMs = 1000;
const connectTimeoutMs = 1000;
/** statement + client margin (2 s) for the stuck query, a connect timeout for the refusal's audit, and slack for a loaded machine. */
const answerBoundMs = statementTimeoutMs + 2000 + connectTimeoutMs + 4000;

describe('docs/security.md FLT-21: network blackhole to the database', () => {
  it('requests end within the bounds with 503 + Retry-After, readiness goes false, and the node recovers when the network does', async (t) => {
    const env = await serverEnv(t, 'postgres');
    if (!env?.databaseUrl) return;
    const target = new URL(env.databaseUrl);
    const proxy = await startTcpProxy(t, target.hostname, Number(target.port || 5432));
    const viaProxy = new URL(env.databaseUrl);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    const clock = sharedClock();
    const node = await startNode(t, { ...env, env: { DATABASE_URL: viaProxy.toString() } }, 'node-bh', clock, {
      SIGNET_DB_STATEMENT_TIMEOUT_MS: String(statementTimeoutMs),
      SIGNET_DB_CONNECT_TIMEOUT_MS: String(connectTimeoutMs),
    });
    const session = await demoSession(node, node, clock);
    const hashes = Array.from({ length: 6 }, (_, i) => createHash('sha256').update(`blackhole ${i}`).digest('base64'));
    const SAD = await session.authorize(node, hashes);
    assert.equal((await session.signHash(node, SAD, hashes[0] as string)).status, 200);

    proxy.blackhole();
    const timed = async (hash: string): Promise<CscAnswer & { ms: number }> => {
      const started = Date.now();
      const r = await session.signHash(node, SAD, hash);
      return { ...r, ms: Date.now() - started };
    };
    const readyStarted = Date.now();
    const [ready, ...answers] = await Promise.all([
      fetch(`${node.url}/health/ready`).then((r) => ({ status: r.status, ms: Date.now() - readyStarted })),
      ...hashes.slice(1, 5).map(timed),
    ]);
    t.diagnostic(`FLT-21: during the blackhole readiness ${ready.status} after ${ready.ms} ms; signHash ${JSON.stringify(answers.map((a) => [a.status, a.ms]))} (bound ${answerBoundMs} ms)`);
    assert.equal(ready.status, 503);
    assert.ok(ready.ms < 2000 + 1000, 'the readiness probe is bounded');
    for (const a of answers) {
      assert.equal(a.status, 503, JSON.stringify(a.body));
      assert.equal(a.retryAfter, '1');
      assert.equal(a.body['error'], 'temporarily_unavailable');
      assert.ok(a.ms < answerBoundMs, `answered in ${a.ms} ms`);
    }

    proxy.restore();
    const restoredAt = Date.now();
    let readyAgain = false;
    while (!readyAgain && Date.now() - restoredAt < 10_000) {
      readyAgain = (await fetch(`${node.url}/health/ready`)).status === 200;
      if (!readyAgain) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(readyAgain, 'ready again after the network returns');
    t.diagnostic(`FLT-21: ready again ${Date.now() - restoredAt} ms after the proxy forwards again`);
    // Each interrupted hash is signed on retry, or refused when its consumption had committed
    // before the answer was lost (an unknown outcome), never signed twice.
    const delivered = [hashes[0] as string];
    for (const hash of hashes.slice(1)) {
      let r = await session.signHash(node, SAD, hash);
      for (let i = 0; i < 20 && r.status === 503; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        r = await session.signHash(node, SAD, hash);
      }
      assert.ok(r.status === 200 || r.status === 400, JSON.stringify(r.body));
      if (r.status === 200) delivered.push(hash);
    }
    assert.ok(delivered.includes(hashes[5] as string), 'a hash untouched by the blackhole signs normally');
    const audited = await auditedConsumptions(node.services.store.db);
    for (const h of hashes) assert.ok((audited.get(h) ?? 0) <= 1, 'no hash consumed twice');
    for (const h of delivered) assert.equal(audited.get(h), 1, 'every delivered signature is audited');
    const verified = await verifyAuditStore(node.services.store, node.services.auditKey);
    assert.ok(verified.ok, JSON.stringify(verified.problems));
  });
});
