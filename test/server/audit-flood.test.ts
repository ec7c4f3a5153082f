/**
 * docs/security.md DOS-20 through the assembled server on both stores: a flood of failed CSC logins
 * from many source addresses leaves the service responsive, the failure auditing aggregated by
 * policy (per source and in all, per minute) instead of one entry per attempt, and the audit chain
 * verifying. 2000 attempts stand in for the table's 10^5 (same code path, bounded test time).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { failureSummaryType, verifyAuditStore } from '../../src/audit/index.js';
import { listAuditRows } from '../../src/store/index.js';
import { storeKinds } from '../support/stores.js';
import { apiServer } from './support/api-fixture.js';

const attempts = 2000;
const sources = 100;

for (const kind of storeKinds) {
  describe(`failed-login flood (${kind})`, () => {
    it(`DOS-20: ${attempts} failed logins from ${sources} addresses: responsive, failure audit aggregated, chain verifies`, async (t) => {
      const s = await apiServer(t, kind, {
        SIGNET_AUTH_ATTEMPTS_PER_MINUTE: '2',
        SIGNET_AUDIT_FAILURES_PER_MINUTE: '3',
        SIGNET_AUDIT_FAILURES_TOTAL_PER_MINUTE: '100',
        // Request logging off: the test measures the service, not the log serialiser.
        SIGNET_LOG_LEVEL: 'warn',
      });
      if (!s) return;
      const victim = await s.addSigner('vera');
      const before = (await listAuditRows(s.services.store.db, { afterSeq: 0, limit: 100_000 })).length;

      const floodStarted = performance.now();
      const statuses = new Map<number, number>();
      let next = 0;
      const flood = Promise.all(
        Array.from({ length: 50 }, async () => {
          while (next < attempts) {
            const i = next++;
            // Unknown users and the victim's name with wrong passwords, rotating over the sources.
            const username = i % 4 === 0 ? victim.username : `nobody-${i}`;
            const basic = Buffer.from(`${username}:${randomBytes(6).toString('hex')}`).toString('base64');
            const r = await s.csc('auth/login', {}, { remoteAddress: `10.20.${Math.floor((i % sources) / 250)}.${(i % sources) + 1}`, headers: { authorization: `Basic ${basic}` } });
            statuses.set(r.statusCode, (statuses.get(r.statusCode) ?? 0) + 1);
          }
        }),
      );
      // Meanwhile the service answers others: health, and the victim's own login from home.
      const probeStarted = performance.now();
      const health = await s.app.inject({ method: 'GET', url: '/healthz' });
      const healthMs = performance.now() - probeStarted;
      await flood;
      const floodMs = performance.now() - floodStarted;
      assert.equal(health.statusCode, 200);
      t.diagnostic(`flood ${floodMs.toFixed(0)} ms; statuses ${JSON.stringify(Object.fromEntries(statuses))}; /healthz during the flood ${healthMs.toFixed(0)} ms`);
      assert.ok([...statuses.keys()].every((c) => c >= 400 && c < 500), 'no 5xx under the flood');
      // The victim is locked by the flood (user lockout), but any other user still logs in.
      const other = await s.addSigner('otto');
      assert.ok(await s.login(other, { remoteAddress: '192.0.2.200' }));

      const rows = (await listAuditRows(s.services.store.db, { afterSeq: 0, limit: 100_000 })).slice(before);
      const count = (type: string): number => rows.filter((r) => r.event_type === type).length;
      const summaries = rows.filter((r) => r.event_type === failureSummaryType).map((r) => JSON.parse(r.details) as { eventType: string; scope: string; failuresInWindow: number });
      t.diagnostic(`audit entries for ${attempts} attempts: ${rows.length} (csc.auth.login ${count('csc.auth.login')}, auth.password ${count('auth.password')}, summaries ${summaries.length})`);
      // Per event type at most the total limit one by one, plus log2 summaries (and the victim's
      // in-transaction lockout entries, which its lockout bounds).
      assert.ok(count('csc.auth.login') <= 100 + 1, `csc.auth.login ${count('csc.auth.login')}`);
      assert.ok(count('auth.password') <= 100 + 5 + 1, `auth.password ${count('auth.password')}`);
      assert.ok(summaries.length <= 2 * 16, `summaries ${summaries.length}`);
      assert.ok(rows.length < attempts / 4, `${rows.length} entries for ${attempts} attempts`);
      const loginTotals = summaries.filter((x) => x.eventType === 'csc.auth.login' && x.scope === 'total').map((x) => x.failuresInWindow);
      assert.ok(Math.max(...loginTotals) >= 1024 + 100, 'the summaries carry the running count');
      const report = await verifyAuditStore(s.services.store, s.services.auditKey);
      assert.ok(report.ok, JSON.stringify(report.problems));
    });
  });
}
