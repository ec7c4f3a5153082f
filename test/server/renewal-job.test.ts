/**
 * docs/security.md FLT-20 (jobs on two nodes): the renewal job of `signet serve` started on two nodes
 * on one PostgreSQL at the same moment, several rounds at once: one successor per due
 * certificate, each renewal audited once, the credential moved to its new certificate in the same
 * transaction (both nodes see it, and it signs); certificates outside the window are untouched.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { parseCertificate, serialToHex } from '../../src/pki/index.js';
import { startRenewalJob, type RenewalJob } from '../../src/server/index.js';
import { demoSession, sharedClock, startNode, type CscNode } from './support/csc-nodes.js';
import { serverEnv } from './support/server-fixture.js';

const day = 86_400_000;

function jobOf(node: CscNode, nodeId: string, withinDays: number): RenewalJob {
  return startRenewalJob(
    { store: node.services.store, ca: node.services.ca, logger: node.services.logger, nodeId },
    { intervalMs: 0, withinDays },
  );
}

describe('docs/security.md FLT-20: the renewal job on two nodes', () => {
  it('rounds started on both nodes at once renew each due certificate once, audited once; the credential moves to its successor', async (t) => {
    const env = await serverEnv(t, 'postgres');
    if (!env) return;
    const clock = sharedClock();
    const a = await startNode(t, env, 'node-a', clock);
    const b = await startNode(t, env, 'node-b', clock);
    await demoSession(a, b, clock);
    // Two more signing certificates besides the demo credential's.
    for (const name of ['Due One', 'Due Two']) {
      const key = await a.services.keystore.generateKey({ type: 'EC', curve: 'P-256' });
      await a.services.ca.issue({ subject: { commonName: name }, subjectPublicKey: key.publicKey, profile: 'signing', keyRef: key.ref });
    }
    const db = a.services.store.db;
    const due = await db.selectFrom('ca_certificates').select(['serial_hex', 'not_after']).where('profile', '=', 'signing').execute();
    assert.equal(due.length, 3);
    const credentialBefore = await db.selectFrom('credentials').select(['id', 'certificate_serial']).executeTakeFirstOrThrow();

    // A day later, a window that just covers the existing certificates and not their successors
    // (issued now, so they end a day later): later rounds find nothing due.
    clock.advance(day);
    const latest = Math.max(...due.map((d) => Number(d.not_after)));
    const withinDays = Math.ceil((latest - clock.now().getTime()) / day);
    const jobs = [jobOf(a, 'node-a', withinDays), jobOf(b, 'node-b', withinDays), jobOf(a, 'node-a2', withinDays), jobOf(b, 'node-b2', withinDays)];
    t.after(() => Promise.all(jobs.map((j) => j.stop())));
    const rounds = await Promise.all(jobs.map((j) => j.runOnce()));
    const again = await Promise.all(jobs.map((j) => j.runOnce()));
    const renewedCounts = [...rounds, ...again].map((r) => (r.ran ? r.report.renewed.length : 'skipped'));
    t.diagnostic(`FLT-20: renewed per round ${JSON.stringify(renewedCounts)}`);
    assert.ok(rounds.some((r) => r.ran), 'some node ran a round');

    const rows = await db.selectFrom('ca_certificates').select(['serial_hex', 'renewed_by', 'not_after']).where('profile', '=', 'signing').execute();
    assert.equal(rows.length, 6, 'one successor per due certificate, no more');
    const bySerial = new Map(rows.map((r) => [r.serial_hex, r]));
    const renewals = await db.selectFrom('audit_log').select(['subject', 'details']).where('event_type', '=', 'ca.certificate.renew').execute();
    assert.equal(renewals.length, 3, 'each renewal audited once');
    for (const old of due) {
      const successor = bySerial.get(old.serial_hex)?.renewed_by;
      assert.ok(successor, `${old.serial_hex} renewed`);
      assert.equal(bySerial.get(successor)?.renewed_by, null, 'the successor itself is not renewed');
      assert.equal(renewals.filter((e) => (JSON.parse(e.details) as { renews?: string }).renews === old.serial_hex).length, 1);
    }

    // The credential follows, seen from both nodes; it signs with the new certificate.
    const credentialAfter = await b.services.store.db.selectFrom('credentials').select(['certificate_serial', 'certificate_chain']).where('id', '=', credentialBefore.id).executeTakeFirstOrThrow();
    const expected = bySerial.get(credentialBefore.certificate_serial as string)?.renewed_by;
    assert.equal(credentialAfter.certificate_serial, expected);
    const leaf = new Uint8Array(Buffer.from((JSON.parse(credentialAfter.certificate_chain) as string[])[0] as string, 'base64'));
    assert.equal(serialToHex(new Uint8Array(parseCertificate(leaf).tbsCertificate.serialNumber)), expected);
    const hash = createHash('sha256').update('after renewal').digest('base64');
    const later = await demoSession(a, b, clock); // the first session's token expired during the day
    const SAD = await later.authorize(b, [hash]);
    const signed = await later.signHash(a, SAD, hash);
    assert.equal(signed.status, 200, JSON.stringify(signed.body));
  });
});
