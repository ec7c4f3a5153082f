/**
 * GET /admin/v1/audit/verify (issue 13, journey 5: the audit log with its `audit verify` status)
 * on both stores: an administrator's web session reads the verdict of the whole log; an edited
 * entry turns it into a failure naming the entry; a user's session is refused.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { storeKinds } from '../support/stores.js';
import { apiServer, type ApiServer, type Signer } from './support/api-fixture.js';

interface Report {
  ok: boolean;
  entries: number;
  lastSeq: number;
  problems: { kind: string; seq: number }[];
}

async function sessionCookie(s: ApiServer, who: Signer): Promise<string> {
  const r = await s.app.inject({
    method: 'POST',
    url: '/api/v1/session',
    headers: { 'content-type': 'application/json', 'x-signet-request': '1' },
    payload: { username: who.username, password: who.password, otp: s.nextOtp(who) },
  });
  assert.equal(r.statusCode, 200, r.body);
  const cookie = String(r.headers['set-cookie']).split(';')[0] ?? '';
  assert.ok(cookie.startsWith('signet_session='));
  return cookie;
}

for (const kind of storeKinds) {
  describe(`GET /admin/v1/audit/verify (${kind})`, () => {
    it("reports an intact log to an admin's session, finds an edited entry, refuses a user's session", async (t) => {
      const s = await apiServer(t, kind);
      if (!s) return;
      const admin = await s.addSigner('ada');
      await s.services.admin.setRole(admin.userId, 'admin', { via: 'cli' });
      const user = await s.addSigner('ugo');
      const adminCookie = await sessionCookie(s, admin);

      const good = await s.app.inject({ method: 'GET', url: '/admin/v1/audit/verify', headers: { cookie: adminCookie } });
      assert.equal(good.statusCode, 200, good.body);
      const report = good.json<Report>();
      assert.equal(report.ok, true, good.body);
      assert.ok(report.entries > 5);
      assert.deepEqual(report.problems, []);

      const userCookie = await sessionCookie(s, user);
      const refused = await s.app.inject({ method: 'GET', url: '/admin/v1/audit/verify', headers: { cookie: userCookie } });
      assert.equal(refused.statusCode, 403, refused.body);

      const victim = Math.max(2, report.lastSeq - 3);
      await s.services.store.db.updateTable('audit_log').set({ outcome: 'failure' }).where('seq', '=', victim).execute();
      const bad = await s.app.inject({ method: 'GET', url: '/admin/v1/audit/verify', headers: { cookie: adminCookie } });
      assert.equal(bad.statusCode, 200, bad.body);
      const broken = bad.json<Report>();
      assert.equal(broken.ok, false);
      assert.ok(broken.problems.some((p) => p.seq === victim), bad.body);
    });
  });
}
