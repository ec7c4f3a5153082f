/**
 * The user API's audit trail (issue 6: "users read their own entries through the API") on both
 * stores: docs/security.md AC-03 (U2 reads none of U1's entries, by id, filter or pagination) and AUD-10
 * (a user reads their own trail, as a verifiable extract).
 */
import { describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import assert from 'node:assert/strict';
import { verifyAuditExtract, verifyAuditStore, type AuditExtractEntry } from '../../src/audit/index.js';
import { listAuditRows } from '../../src/store/index.js';
import { storeKinds } from '../support/stores.js';
import { ECDSA_SHA256_OID, SHA256_OID, apiServer, someHashes, type ApiServer } from './support/api-fixture.js';

interface Page {
  entries: AuditExtractEntry[];
  nextAfterSeq: number | null;
  format: { entryHash: string };
}

async function readAll(s: ApiServer, token: string, limit: number): Promise<AuditExtractEntry[]> {
  const all: AuditExtractEntry[] = [];
  let after = 0;
  for (;;) {
    const r = await s.app.inject({ method: 'GET', url: `/api/v1/me/audit?afterSeq=${after}&limit=${limit}`, headers: { authorization: `Bearer ${token}` } });
    assert.equal(r.statusCode, 200, r.body);
    const page = r.json<Page>();
    all.push(...page.entries);
    if (page.nextAfterSeq === null) return all;
    after = page.nextAfterSeq;
  }
}

for (const kind of storeKinds) {
  describe(`GET /api/v1/me/audit (${kind})`, () => {
    it('AUD-10: a user reads their own trail over the API, every entry hash recomputes and consecutive entries link', async (t) => {
      const s = await apiServer(t, kind);
      if (!s) return;
      const u1 = await s.addSigner('ulla');
      const token = await s.login(u1);
      const hashes = someHashes(2);
      const sad = await s.authorize(u1, token, hashes);
      const sign = await s.csc('signatures/signHash', { credentialID: u1.credentialId, SAD: sad, hashes, hashAlgorithmOID: SHA256_OID, signAlgo: ECDSA_SHA256_OID }, { bearer: token });
      assert.equal(sign.statusCode, 200, sign.body);

      const entries = await readAll(s, token, 3);
      const types = entries.map((e) => e.type);
      for (const type of ['auth.totp.confirm', 'csc.auth.login', 'auth.pin', 'auth.otp', 'sad.issue', 'sad.consume']) {
        assert.ok(types.includes(type), `${type} in ${types.join(',')}`);
      }
      assert.ok(entries.every((e) => e.actorUserId === u1.userId));
      assert.deepEqual(entries.map((e) => e.seq), [...entries.map((e) => e.seq)].sort((a, b) => a - b));
      // The extract is the stored log: same entries, same hashes as the rows (the MAC is never sent).
      const rows = await listAuditRows(s.services.store.db, { afterSeq: 0, limit: 10_000, userId: u1.userId });
      assert.deepEqual(entries.map((e) => [e.seq, e.hash]), rows.map((r) => [r.seq, Buffer.from(r.hash).toString('hex')]));
      assert.ok(entries.every((e) => !('mac' in e)));
      const report = verifyAuditExtract(entries);
      assert.ok(report.ok, JSON.stringify(report));
      assert.ok(report.linksChecked >= 1, 'the login → authorize → sign entries have consecutive neighbours');
      // A changed field or a swapped link is detected by the holder.
      const first = entries[0] as AuditExtractEntry;
      const tampered = entries.map((e) => (e.seq === first.seq ? { ...e, outcome: e.outcome === 'success' ? 'failure' : 'success' } : e));
      assert.deepEqual(verifyAuditExtract(tampered).hashMismatches, [first.seq]);
      const linked = entries.find((e, i) => i > 0 && (entries[i - 1] as AuditExtractEntry).seq === e.seq - 1) as AuditExtractEntry;
      const relinked = entries.map((e) => (e.seq === linked.seq ? { ...e, prevHash: '00'.repeat(32) } : e));
      const bad = verifyAuditExtract(relinked);
      assert.ok(bad.hashMismatches.includes(linked.seq) || bad.brokenLinks.includes(linked.seq));
      // One entry by its sequence number.
      const one = await s.app.inject({ method: 'GET', url: `/api/v1/me/audit/${first.seq}`, headers: { authorization: `Bearer ${token}` } });
      assert.equal(one.statusCode, 200, one.body);
      assert.deepEqual(one.json<{ entry: AuditExtractEntry }>().entry, first);
      assert.ok((await verifyAuditStore(s.services.store, s.services.auditKey)).ok);

      // Newest first, paged by the server (the web app's Activity): the same entries, reversed.
      const newest: AuditExtractEntry[] = [];
      let before: number | null = Number.MAX_SAFE_INTEGER;
      while (before !== null) {
        const r: LightMyRequestResponse = await s.app.inject({ method: 'GET', url: `/api/v1/me/audit?beforeSeq=${String(before)}&limit=2`, headers: { authorization: `Bearer ${token}` } });
        assert.equal(r.statusCode, 200, r.body);
        const page = r.json<{ entries: AuditExtractEntry[]; nextBeforeSeq: number | null; nextAfterSeq: number | null }>();
        assert.ok(page.entries.length <= 2);
        assert.equal(page.nextAfterSeq, null);
        newest.push(...page.entries);
        before = page.nextBeforeSeq;
      }
      assert.deepEqual(newest.map((e) => e.seq), [...entries].reverse().map((e) => e.seq));
      assert.ok(verifyAuditExtract(newest).ok, 'the newest-first extract verifies too');
      // Another user paging newest first sees none of these.
      const u2 = await s.addSigner('otto');
      const theirs = await s.app.inject({ method: 'GET', url: `/api/v1/me/audit?beforeSeq=${Number.MAX_SAFE_INTEGER}&limit=500`, headers: { authorization: `Bearer ${await s.login(u2)}` } });
      assert.ok(theirs.json<{ entries: AuditExtractEntry[] }>().entries.every((e) => e.actorUserId === u2.userId));
    });

    it('AC-03: U2 gets none of U1\'s entries by id, by filter parameters or by paging past them', async (t) => {
      const s = await apiServer(t, kind);
      if (!s) return;
      const u1 = await s.addSigner('ulf');
      const u2 = await s.addSigner('uma');
      const t1 = await s.login(u1);
      const t2 = await s.login(u2);
      await s.authorize(u1, t1, someHashes(1));
      const u1Rows = await listAuditRows(s.services.store.db, { afterSeq: 0, limit: 10_000, userId: u1.userId });
      assert.ok(u1Rows.length >= 4);
      const auth = { authorization: `Bearer ${t2}` };
      // By id: answered exactly like an entry that does not exist.
      const missing = await s.app.inject({ method: 'GET', url: '/api/v1/me/audit/999999', headers: auth });
      assert.equal(missing.statusCode, 404);
      for (const row of u1Rows) {
        const r: LightMyRequestResponse = await s.app.inject({ method: 'GET', url: `/api/v1/me/audit/${row.seq}`, headers: auth });
        assert.equal(r.statusCode, 404, `entry ${row.seq}`);
        assert.deepEqual(r.json(), missing.json());
      }
      // By filter: parameters naming another user or subject are not filters here.
      for (const query of [`userId=${u1.userId}`, `actorUserId=${u1.userId}`, `subject=user:${u1.userId}`, `user=${u1.username}`]) {
        const r: LightMyRequestResponse = await s.app.inject({ method: 'GET', url: `/api/v1/me/audit?${query}`, headers: auth });
        assert.ok(r.statusCode === 200 || r.statusCode === 400, `${query}: ${r.statusCode}`);
        if (r.statusCode === 200) assert.ok(r.json<Page>().entries.every((e) => e.actorUserId === u2.userId), query);
      }
      // By pagination: every page from every starting point holds only U2's entries.
      const u2Seqs = new Set((await readAll(s, t2, 1)).map((e) => e.seq));
      assert.ok(u2Seqs.size >= 2);
      for (const row of u1Rows) {
        const r: LightMyRequestResponse = await s.app.inject({ method: 'GET', url: `/api/v1/me/audit?afterSeq=${row.seq - 1}&limit=500`, headers: auth });
        assert.equal(r.statusCode, 200);
        for (const e of r.json<Page>().entries) {
          assert.equal(e.actorUserId, u2.userId);
          assert.ok(u2Seqs.has(e.seq));
        }
      }
      // No token, a bad token, a revoked token: 401 with a Bearer challenge (RFC 6750 §3).
      const none = await s.app.inject({ method: 'GET', url: '/api/v1/me/audit' });
      assert.equal(none.statusCode, 401);
      assert.match(String(none.headers['www-authenticate']), /^Bearer /);
      const bad = await s.app.inject({ method: 'GET', url: '/api/v1/me/audit', headers: { authorization: 'Bearer not-a-token' } });
      assert.equal(bad.statusCode, 401);
      assert.match(String(bad.headers['www-authenticate']), /error="invalid_token"/);
      const revoke = await s.csc('auth/revoke', { token: t2 }, { bearer: t2 });
      assert.equal(revoke.statusCode, 204, revoke.body);
      assert.equal((await s.app.inject({ method: 'GET', url: '/api/v1/me/audit', headers: auth })).statusCode, 401);
      // Out-of-range paging is refused, not clamped silently into someone else's range.
      const t1Again = await s.login(u1);
      for (const query of ['limit=0', 'limit=501', 'afterSeq=-1', 'afterSeq=abc']) {
        const r: LightMyRequestResponse = await s.app.inject({ method: 'GET', url: `/api/v1/me/audit?${query}`, headers: { authorization: `Bearer ${t1Again}` } });
        assert.equal(r.statusCode, 400, query);
        assert.equal(r.json<{ error: string }>().error, 'invalid_request');
      }
    });

    it('is in the OpenAPI document with its bearer security and response schema', async (t) => {
      const s = await apiServer(t, kind);
      if (!s) return;
      const doc = (await s.app.inject({ method: 'GET', url: '/documentation/json' })).json<{ paths: Record<string, { get?: { security?: unknown[]; responses?: Record<string, unknown> } }> }>();
      const list = doc.paths['/api/v1/me/audit']?.get;
      const one = doc.paths['/api/v1/me/audit/{seq}']?.get;
      assert.ok(list && one);
      assert.deepEqual(list.security, [{ bearer: [] }]);
      assert.ok(list.responses?.['200'] && list.responses['401']);
    });
  });
}
