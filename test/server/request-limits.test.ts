/**
 * Request limits and CORS on the API surfaces of the assembled server: docs/security.md DOS-17 (floods
 * of invalid calls get 429 per source address and per client while other clients' valid work goes
 * on; the default never slows a batch client) and AC-07 (no credentialed cross-origin access).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import type { LightMyRequestResponse } from 'fastify';
import { listAuditRows } from '../../src/store/index.js';
import { storeKinds } from '../support/stores.js';
import { ECDSA_SHA256_OID, SHA256_OID, apiServer, someHashes } from './support/api-fixture.js';

function p99(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)] as number;
}

for (const kind of storeKinds) {
  describe(`request limits (${kind})`, () => {
    it('DOS-17: 1000 concurrent invalid signHash calls from one source get 429 (CSC error body, Retry-After) while another client keeps signing', async (t) => {
      const s = await apiServer(t, kind, { SIGNET_FAILED_REQUESTS_PER_MINUTE: '20' });
      if (!s) return;
      const flooder = await s.addSigner('flo');
      const worker = await s.addSigner('wim');
      const floodToken = await s.login(flooder, { remoteAddress: '198.51.100.7' });
      const workToken = await s.login(worker, { remoteAddress: '203.0.113.9' });
      const before = process.memoryUsage().rss;

      const invalid = (i: number): Promise<LightMyRequestResponse> =>
        s.csc(
          'signatures/signHash',
          { credentialID: flooder.credentialId, SAD: `not-a-sad-${i}`, hashes: someHashes(1), hashAlgorithmOID: SHA256_OID, signAlgo: ECDSA_SHA256_OID },
          { bearer: floodToken, remoteAddress: '198.51.100.7' },
        );
      const latencies: number[] = [];
      const validWork = async (): Promise<number[]> => {
        const statuses: number[] = [];
        for (let round = 0; round < 5; round++) {
          const hashes = someHashes(4);
          const sad = await s.authorize(worker, workToken, hashes, { remoteAddress: '203.0.113.9' });
          const started = performance.now();
          const r = await s.csc('signatures/signHash', { credentialID: worker.credentialId, SAD: sad, hashes, hashAlgorithmOID: SHA256_OID, signAlgo: ECDSA_SHA256_OID }, { bearer: workToken, remoteAddress: '203.0.113.9' });
          latencies.push(performance.now() - started);
          statuses.push(r.statusCode);
        }
        return statuses;
      };
      const floodStarted = performance.now();
      const [flood, work] = await Promise.all([Promise.all(Array.from({ length: 1000 }, (_, i) => invalid(i))), validWork()]);
      const floodMs = performance.now() - floodStarted;

      assert.deepEqual(work, [200, 200, 200, 200, 200], 'the other client signs throughout');
      const refused = flood.filter((r) => r.statusCode === 429);
      const processed = flood.filter((r) => r.statusCode !== 429);
      assert.ok(processed.length <= 20, `at most the failure budget is processed (${processed.length})`);
      assert.ok(processed.every((r) => r.statusCode === 400), 'the processed ones are CSC refusals');
      assert.equal(refused.length + processed.length, 1000);
      const first = refused[0] as LightMyRequestResponse;
      assert.deepEqual(Object.keys(first.json<object>()).sort(), ['error', 'error_description']);
      assert.equal(first.json<{ error: string }>().error, 'temporarily_unavailable');
      assert.match(String(first.headers['retry-after']), /^[1-9]\d*$/);
      // The refusal is audited once per limited key and minute, not once per refused call.
      const rows = await listAuditRows(s.services.store.db, { afterSeq: 0, limit: 100_000 });
      const limitRows = rows.filter((r) => r.event_type === 'server.rate_limit');
      assert.ok(limitRows.length >= 1 && limitRows.length <= 2, `${limitRows.length} rate-limit entries`);
      assert.equal(limitRows[0]?.source_address, '198.51.100.7');
      const growth = (process.memoryUsage().rss - before) / 2 ** 20;
      t.diagnostic(`flood of 1000 + valid work: ${floodMs.toFixed(0)} ms; valid signHash p99 under the flood: ${p99(latencies).toFixed(1)} ms; RSS growth ${growth.toFixed(0)} MiB`);
      assert.ok(growth < 512, `RSS grew by ${growth.toFixed(0)} MiB`);
      // Another source is not affected by the flooder's address…
      const other = await s.csc('credentials/list', {}, { bearer: workToken, remoteAddress: '198.51.100.8' });
      assert.equal(other.statusCode, 200);
    });

    it('DOS-17: the same client token spread over many source addresses is limited per client', async (t) => {
      const s = await apiServer(t, kind, { SIGNET_FAILED_REQUESTS_PER_MINUTE: '10' });
      if (!s) return;
      const flooder = await s.addSigner('fay');
      const token = await s.login(flooder);
      const statuses: number[] = [];
      for (let i = 0; i < 40; i++) {
        const r = await s.csc('credentials/info', { credentialID: `nope-${i}` }, { bearer: token, remoteAddress: `192.0.2.${i + 1}` });
        statuses.push(r.statusCode);
      }
      assert.deepEqual(statuses.slice(0, 10), Array.from({ length: 10 }, () => 400));
      assert.ok(statuses.slice(10).every((c) => c === 429), statuses.join(','));
    });

    it('DOS-17: OAuth2 floods get 429 with the RFC 6749 §5.2 error shape', async (t) => {
      const s = await apiServer(t, kind, { SIGNET_FAILED_REQUESTS_PER_MINUTE: '5' });
      if (!s) return;
      const statuses: number[] = [];
      let last: LightMyRequestResponse | undefined;
      for (let i = 0; i < 12; i++) {
        last = await s.app.inject({
          method: 'POST',
          url: '/oauth2/token',
          remoteAddress: '198.51.100.44',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: `grant_type=client_credentials&client_id=ghost-${i}&client_secret=x`,
        });
        statuses.push(last.statusCode);
      }
      assert.ok(statuses.slice(0, 5).every((c) => c === 400 || c === 401), statuses.join(','));
      assert.ok(statuses.slice(5).every((c) => c === 429), statuses.join(','));
      assert.equal(last?.json<{ error: string }>().error, 'temporarily_unavailable');
      assert.ok(last?.headers['retry-after']);
    });

    it('DOS-17: the admin API is limited too: a flood of refused admin calls from one source gets 429', async (t) => {
      const s = await apiServer(t, kind, { SIGNET_FAILED_REQUESTS_PER_MINUTE: '5' });
      if (!s) return;
      const statuses: number[] = [];
      for (let i = 0; i < 9; i++) {
        const r = await s.app.inject({ method: 'GET', url: '/admin/v1/users', remoteAddress: '198.51.100.45', headers: { authorization: `Bearer not-a-token-${i}` } });
        statuses.push(r.statusCode);
      }
      assert.ok(statuses.slice(0, 5).every((c) => c === 401), statuses.join(','));
      assert.ok(statuses.slice(5).every((c) => c === 429), statuses.join(','));
    });

    it('DOS-17: with the default limits a batch client signing 300 single-hash signHash calls at concurrency 16 is never throttled', async (t) => {
      const s = await apiServer(t, kind);
      if (!s) return;
      const gateway = await s.addSigner('gus');
      const token = await s.login(gateway);
      // Three authorizations of 100 hashes (the credential's multisign), then one call per hash.
      const work: { hash: string; sad: string }[] = [];
      for (let i = 0; i < 3; i++) {
        const hashes = someHashes(100);
        const sad = await s.authorize(gateway, token, hashes);
        work.push(...hashes.map((hash) => ({ hash, sad })));
      }
      const statuses: number[] = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next < work.length) {
            const { hash, sad } = work[next++] as { hash: string; sad: string };
            const r = await s.csc('signatures/signHash', { credentialID: gateway.credentialId, SAD: sad, hashes: [hash], hashAlgorithmOID: SHA256_OID, signAlgo: ECDSA_SHA256_OID }, { bearer: token });
            statuses.push(r.statusCode);
          }
        }),
      );
      assert.equal(statuses.length, 300);
      assert.ok(statuses.every((c) => c === 200), statuses.filter((c) => c !== 200).join(','));
    });
  });
}

describe('request limits by address family', () => {
  it('DOS-17: IPv6 sources are limited per /64, so rotating addresses inside one network buys nothing', async (t) => {
    const s = await apiServer(t, 'sqlite', { SIGNET_FAILED_REQUESTS_PER_MINUTE: '5' });
    if (!s) return;
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await s.csc('credentials/list', {}, { remoteAddress: `2001:db8:1:2::${(i + 1).toString(16)}` });
      statuses.push(r.statusCode);
    }
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429, 429, 429, 429, 429]);
    assert.equal((await s.csc('credentials/list', {}, { remoteAddress: '2001:db8:1:3::1' })).statusCode, 401, 'another /64 has its own budget');
  });
});

describe('CORS (docs/security.md AC-07)', () => {
  it('AC-07: a credentialed cross-origin request from an arbitrary origin to CSC/OAuth/user routes is not allowed: preflight refused, no Access-Control-Allow-* ever', async (t) => {
    const s = await apiServer(t, 'sqlite');
    if (!s) return;
    const user = await s.addSigner('cora');
    const token = await s.login(user);
    const origin = 'https://evil.example';
    const noCors = (r: LightMyRequestResponse, what: string): void => {
      for (const name of Object.keys(r.headers)) assert.ok(!name.startsWith('access-control-'), `${what}: ${name}`);
    };
    for (const url of ['/csc/v2/signatures/signHash', '/csc/v2/credentials/list', '/csc/v1/credentials/list', '/oauth2/token', '/oauth2/authorize', '/api/v1/me/audit', '/admin/v1/users']) {
      const preflight: LightMyRequestResponse = await s.app.inject({
        method: 'OPTIONS',
        url,
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
      });
      assert.equal(preflight.statusCode, 403, url);
      assert.equal(preflight.json<{ error: string }>().error, 'access_denied');
      noCors(preflight, `preflight ${url}`);
    }
    const list = await s.app.inject({
      method: 'POST',
      url: '/csc/v2/credentials/list',
      headers: { origin, cookie: 'signet_oauth2=x', authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      payload: '{}',
    });
    noCors(list, 'credentials/list');
    const audit = await s.app.inject({ method: 'GET', url: '/api/v1/me/audit', headers: { origin, authorization: `Bearer ${token}` } });
    assert.equal(audit.statusCode, 200);
    noCors(audit, 'me/audit');
    const token2 = await s.app.inject({ method: 'POST', url: '/oauth2/token', headers: { origin, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'grant_type=authorization_code&code=x&client_id=y' });
    noCors(token2, 'oauth2/token');
    // A simple (non-preflighted) cross-origin POST cannot use the JSON API: text/plain is refused.
    const simple = await s.app.inject({ method: 'POST', url: '/csc/v2/credentials/list', headers: { origin, authorization: `Bearer ${token}`, 'content-type': 'text/plain' }, payload: '{}' });
    assert.equal(simple.statusCode, 415);
    noCors(simple, 'text/plain');
  });
});
