/**
 * docs/security.md §3.10 fault table, "Audit insert fails": the change rolls back, the client gets an
 * error, and the node's readiness goes red until the audit log can be written again (checked by a
 * rolled-back test append, which leaves no entry). The failure is real: a database trigger refuses
 * every insert into audit_log, on both stores.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { verifyAuditLog } from '../../src/audit/index.js';
import { storeKinds } from '../support/stores.js';
import { ECDSA_SHA256_OID, SHA256_OID, apiServer, someHashes } from './support/api-fixture.js';

for (const kind of storeKinds) {
  describe(`an audit log that cannot be written (${kind})`, () => {
    it('refuses the signature and rolls it back, readiness goes red, and green again once a test append succeeds', async (t) => {
      const s = await apiServer(t, kind);
      if (!s) return;
      const db = s.services.store.db;
      const ready = async (): Promise<{ status: number; audit: boolean }> => {
        const r = await s.app.inject({ method: 'GET', url: '/health/ready' });
        return { status: r.statusCode, audit: r.json<{ audit: boolean }>().audit };
      };
      const alice = await s.addSigner('alice');
      const token = await s.login(alice);
      const hashes = someHashes(1);
      const sad = await s.authorize(alice, token, hashes);
      assert.deepEqual(await ready(), { status: 200, audit: true });
      const before = await verifyAuditLog(db, s.services.auditKey);

      if (kind === 'sqlite') {
        await sql`create trigger refuse_audit before insert on audit_log begin select raise(abort, 'audit refused by the test'); end`.execute(db);
      } else {
        await sql`create function refuse_audit() returns trigger language plpgsql as $$ begin raise exception 'audit refused by the test'; end $$`.execute(db);
        await sql`create trigger refuse_audit before insert on audit_log for each row execute function refuse_audit()`.execute(db);
      }
      const sign = () => s.csc('signatures/signHash', { credentialID: alice.credentialId, SAD: sad, hashes, signAlgo: ECDSA_SHA256_OID, hashAlgorithmOID: SHA256_OID }, { bearer: token });
      const refused = await sign();
      assert.ok(refused.statusCode >= 500, `the signature is refused: ${refused.statusCode} ${refused.body}`);
      assert.equal(refused.json<{ signatures?: unknown }>().signatures, undefined, 'no signature is delivered');
      assert.deepEqual(await ready(), { status: 503, audit: false });
      assert.deepEqual(await ready(), { status: 503, audit: false }, 'the probe cannot clear it while inserts still fail');

      if (kind === 'sqlite') await sql`drop trigger refuse_audit`.execute(db);
      else {
        await sql`drop trigger refuse_audit on audit_log`.execute(db);
        await sql`drop function refuse_audit()`.execute(db);
      }
      assert.deepEqual(await ready(), { status: 200, audit: true });
      const after = await verifyAuditLog(db, s.services.auditKey);
      assert.ok(after.ok, JSON.stringify(after.problems));
      assert.equal(after.entries, before.entries, 'neither the refused signature nor the readiness probe left an entry');
      // The consumption rolled back with its audit entry: the SAD still signs its hash once.
      const signed = await sign();
      assert.equal(signed.statusCode, 200, signed.body);
      assert.equal(signed.json<{ signatures: string[] }>().signatures.length, 1);
    });
  });
}
