/**
 * Issue 17 (Metrics): `GET /metrics` in the Prometheus text format. A signHash, a failed login and
 * an OCSP request each move their counters between two scrapes, on SQLite and on PostgreSQL;
 * Prometheus's own `promtool check metrics` accepts the output; no label carries a user,
 * credential or hash; the bearer token and the separate listener refuse what they must.
 */
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OcspClient } from '../../../src/pki/index.js';
import Fastify from 'fastify';
import {
  SignetMetrics,
  loadMetricsConfig,
  registerMetricsRoute,
  startMetricsListener,
} from '../../../src/server/metrics/index.js';
import type { StoreKind } from '../../../src/store/index.js';
import { requireTools, runTool } from '../../support/tools.js';
import { tempDir } from '../../support/tmp.js';
import { demoSession, post, sharedClock, startNode } from '../support/csc-nodes.js';
import { serverEnv } from '../support/server-fixture.js';
import { parseSamples, totalOf, valueOf, type Sample } from './prometheus-text.js';

async function scrape(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string; type: string | null }> {
  const res = await fetch(`${url}/metrics`, { headers });
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
}

const stores: Record<StoreKind, true> = { sqlite: true, postgres: true };

async function countersMove(t: TestContext, kind: StoreKind): Promise<void> {
  const env = await serverEnv(t, kind);
  if (!env) return;
  const clock = sharedClock();
  const node = await startNode(t, env, 'node-metrics', clock);
  node.services.metrics.collectProcessMetrics();
  const session = await demoSession(node, node, clock);
  const hash = createHash('sha256').update(`metrics ${kind}`).digest('base64');
  const SAD = await session.authorize(node, [hash]);
  const info = await post(
    node,
    'credentials/info',
    { credentialID: session.credentialID, certInfo: true, certificates: 'single' },
    session.bearer,
  );
  const leaf = new Uint8Array(
    Buffer.from(info.body['cert']['certificates'][0] as string, 'base64'),
  );

  const first = await scrape(node.url);
  assert.equal(first.status, 200);
  assert.match(first.type ?? '', /^text\/plain; version=0\.0\.4/);
  const before = parseSamples(first.text);

  const signed = await session.signHash(node, SAD, hash);
  assert.equal(signed.status, 200, JSON.stringify(signed.body));
  const refused = await post(
    node,
    'auth/login',
    {},
    `Basic ${Buffer.from('demo:not-the-password').toString('base64')}`,
  );
  assert.notEqual(refused.status, 200);
  const ocsp = await new OcspClient({ clock, url: `${node.url}/pki/ocsp` }).check(
    leaf,
    node.services.ca.certificate,
  );
  assert.equal(ocsp.status, 'good');

  const second = await scrape(node.url);
  const after = parseSamples(second.text);
  const moved = (name: string, labels: Record<string, string> = {}): number =>
    valueOf(after, name, labels) - valueOf(before, name, labels);
  // The signHash: its HTTP request, the SAD, the key operation and the signature.
  assert.equal(
    moved('signet_http_request_duration_seconds_count', {
      method: 'POST',
      route: '/csc/v2/signatures/signHash',
      status_class: '2xx',
    }),
    1,
  );
  assert.equal(moved('signet_sads_consumed_total'), 1);
  assert.equal(
    moved('signet_signatures_total', {
      backend: 'software',
      algorithm: 'ECDSA-SHA-256',
      outcome: 'success',
    }),
    1,
  );
  assert.equal(
    moved('signet_key_operation_duration_seconds_count', {
      backend: 'software',
      operation: 'sign',
    }),
    1,
  );
  // The failed login: a refused password, and a 4xx on the login route.
  assert.equal(
    moved('signet_auth_factor_results_total', { factor: 'password', outcome: 'failure' }),
    1,
  );
  assert.equal(
    moved('signet_http_request_duration_seconds_count', {
      method: 'POST',
      route: '/csc/v2/auth/login',
      status_class: '4xx',
    }),
    1,
  );
  // The OCSP request: one answer 'good'.
  assert.equal(moved('signet_ocsp_responses_total', { status: 'good' }), 1);
  // What was audited and stored meanwhile.
  assert.ok(
    totalOf(after, 'signet_audit_appends_total') >=
      totalOf(before, 'signet_audit_appends_total') + 2,
  );
  assert.ok(moved('signet_store_transaction_duration_seconds_count', { kind: 'write' }) >= 2);
  // Earlier in the flow: the demo login and the SAD issued for the hash.
  assert.ok(
    valueOf(after, 'signet_auth_logins_total', { channel: 'csc', outcome: 'success' }) >= 1,
  );
  assert.ok(valueOf(after, 'signet_sads_issued_total') >= 1);
  // Store pool gauges exist exactly when there is a pool (PostgreSQL).
  const poolSamples = after.filter((s) => s.name === 'signet_store_pool_connections');
  if (kind === 'postgres')
    assert.ok((poolSamples[0]?.value ?? 0) >= 1 && poolSamples[0]?.labels['store'] === 'postgres');
  else assert.deepEqual(poolSamples, []);
  // The document workers (serverSurfaces: two by default) and the signing pool are watched.
  assert.equal(valueOf(after, 'signet_pdf_workers'), 2);
  assert.ok(after.some((s) => s.name === 'signet_signing_pool_queued_jobs'));
  // Process metrics from prom-client's defaults.
  assert.ok(valueOf(after, 'signet_process_resident_memory_bytes') > 0);
  assert.ok(after.some((s) => s.name.startsWith('signet_nodejs_eventloop_lag')));

  // Bounded labels: no user, credential, client or hash anywhere in the exposition.
  checkBoundedLabels(after, [
    session.credentialID,
    hash,
    Buffer.from(hash, 'base64').toString('hex'),
    'demo',
  ]);

  if (requireTools(t, 'promtool')) {
    const checked = runTool('promtool', ['check', 'metrics'], { input: second.text });
    assert.equal(checked.status, 0, `promtool check metrics:\n${checked.stdout}${checked.stderr}`);
  }
}

function checkBoundedLabels(samples: readonly Sample[], secrets: readonly string[]): void {
  assert.ok(
    samples.every((s) => s.name.startsWith('signet_')),
    'every metric is prefixed signet_',
  );
  for (const sample of samples) {
    for (const value of Object.values(sample.labels)) {
      for (const secret of secrets)
        assert.ok(!value.includes(secret), `${sample.name} has a label carrying ${secret}`);
      assert.ok(value.length <= 64, `${sample.name}: label value too long: ${value}`);
    }
  }
}

describe('issue 17 metrics: GET /metrics (Prometheus text format)', () => {
  for (const kind of Object.keys(stores) as StoreKind[]) {
    it(`${kind}: a signHash, a failed login and an OCSP request move their counters; promtool check metrics accepts the output`, (t) =>
      countersMove(t, kind));
  }

  it('docs/security.md AC-10: on the main listener, /metrics with a token answers 401 without it and 200 with it', async (t) => {
    const metrics = new SignetMetrics();
    const app = Fastify();
    t.after(() => app.close());
    registerMetricsRoute(app, metrics, 'b'.repeat(20));
    const refused = await app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: `Bearer ${'c'.repeat(20)}` },
    });
    assert.equal(refused.statusCode, 401);
    assert.equal(refused.headers['www-authenticate'], 'Bearer realm="metrics"');
    assert.equal((await app.inject({ method: 'GET', url: '/metrics' })).statusCode, 401);
    const ok = await app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: `Bearer ${'b'.repeat(20)}` },
    });
    assert.equal(ok.statusCode, 200);
    assert.ok(parseSamples(ok.body).some((s) => s.name === 'signet_sads_issued_total'));
  });

  it('docs/security.md AC-10: the separate listener (SIGNET_METRICS_ADDRESS) serves only /metrics, and only with the bearer token (SIGNET_METRICS_TOKEN_FILE)', async (t) => {
    const dir = tempDir(t, 'signet-metrics-');
    const tokenFile = join(dir, 'metrics-token');
    const token = 'a'.repeat(8) + createHash('sha256').update(dir).digest('hex').slice(0, 24);
    writeFileSync(tokenFile, `${token}\n`);
    const config = loadMetricsConfig({
      SIGNET_METRICS_ADDRESS: '127.0.0.1:0',
      SIGNET_METRICS_TOKEN_FILE: tokenFile,
    });
    assert.deepEqual(config, { address: { host: '127.0.0.1', port: 0 }, token });
    const metrics = new SignetMetrics();
    metrics.sadsIssued.inc();
    const listener = await startMetricsListener(
      config.address as { host: string; port: number },
      metrics,
      config.token,
    );
    t.after(() => listener.close());
    const base = listener.url.replace(/\/metrics$/, '');
    const none = await scrape(base);
    assert.equal(none.status, 401);
    assert.doesNotMatch(none.text, /signet_/);
    assert.equal((await scrape(base, { authorization: `Bearer ${token}x` })).status, 401);
    const ok = await scrape(base, { authorization: `Bearer ${token}` });
    assert.equal(ok.status, 200);
    assert.equal(valueOf(parseSamples(ok.text), 'signet_sads_issued_total'), 1);
    assert.equal((await fetch(`${base}/health/live`)).status, 404);
  });

  it('refuses a malformed SIGNET_METRICS_ADDRESS and a short token with ERR_SERVER_CONFIG', (t) => {
    for (const address of ['9464', 'host:', 'host:99999', '::1:9464']) {
      assert.throws(
        () => loadMetricsConfig({ SIGNET_METRICS_ADDRESS: address }),
        { code: 'ERR_SERVER_CONFIG' },
        address,
      );
    }
    assert.deepEqual(loadMetricsConfig({ SIGNET_METRICS_ADDRESS: '[::1]:9464' }).address, {
      host: '::1',
      port: 9464,
    });
    const tokenFile = join(tempDir(t, 'signet-metrics-'), 'short');
    writeFileSync(tokenFile, 'short');
    assert.throws(() => loadMetricsConfig({ SIGNET_METRICS_TOKEN_FILE: tokenFile }), {
      code: 'ERR_SERVER_CONFIG',
    });
  });
});
