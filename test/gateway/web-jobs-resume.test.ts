/**
 * Resumable web jobs: a node that dies mid-batch loses nothing and signs nothing twice. Two
 * nodes on one PostgreSQL; node A halts right after a signHash answer arrived and before it
 * recorded anything (a death at the worst moment, through the runner's test fault point); its
 * lease expires and node B's sweeper resumes the job, re-sending that chunk with the same
 * Idempotency-Key (job id + chunk index), so the RSSP answers it from storage (docs/security.md
 * SAD-07). And a 200-document batch under one approval completes, its progress visible as it goes.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chunkIdempotencyKey } from '../../src/gateway/index.js';
import { verifyPdfSignatures } from '../../src/validation/index.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { storeKinds } from '../support/stores.js';
import { api, approveInBrowser, upload, waitForJob, webJobsEnv } from './support/web-jobs-env.js';

describe('web gateway jobs: resumption and size', () => {
  it('postgres: node A dies after a signHash answer, node B resumes the job — every document signed once, the chunk answered from storage', async (t) => {
    const halted: string[] = [];
    const env = await webJobsEnv(t, 'postgres', {
      limits: { hashesPerCall: 4, leaseMs: 400 } as never,
      faults: { afterSignHash: (jobId, chunk) => (chunk === 1 ? (halted.push(`${jobId}:${chunk}`), 'halt') : undefined) },
    });
    if (!env) return;
    const nodeB = await env.startNode('node-b', { faults: {} });
    const alice = await env.addSigner('alice');
    const a = await env.signIn(alice);
    const created = await api(a, env.node, 'POST', '/jobs', { credentialID: alice.credentialId });
    const jobId = created.body['id'] as string;
    for (let i = 0; i < 10; i++) assert.equal((await upload(a, env.node, jobId, `d${i}.pdf`, makeBasePdf({ text: `resume ${i}` }))).status, 201);
    const sign = await api(a, env.node, 'POST', `/jobs/${jobId}/sign`);
    const callback = await approveInBrowser(env, a, alice, sign.body['authorizationUrl'] as string);
    assert.equal((await a.request(callback)).status, 303);
    // Progress of a job started on A is answered by B (state in the database).
    const done = await waitForJob(a, nodeB, jobId, (j) => j['state'] === 'done' || j['state'] === 'failed');
    assert.deepEqual(halted, [`${jobId}:1`], 'node A died once, after chunk 1 was signed');
    assert.deepEqual([done['state'], done['signed'], done['failed']], ['done', 10, 0]);

    const db = env.node.services.store.db;
    // Each chunk is one idempotent request, completed once; chunk 1 was asked twice and answered from storage.
    const requests = await db.selectFrom('signing_requests').select(['idempotency_key', 'state', 'attempt']).orderBy('idempotency_key').execute();
    assert.deepEqual(requests.map((r) => [r.idempotency_key, r.state, Number(r.attempt)]), [0, 1, 2].map((i) => [chunkIdempotencyKey(jobId, i), 'completed', 1]));
    const events = await db.selectFrom('audit_log').select(['event_type', 'node_id']).orderBy('seq').execute();
    assert.equal(events.filter((e) => e.event_type === 'signing.completed').length, 3);
    assert.equal(events.filter((e) => e.event_type === 'signing.replayed').length, 1);
    assert.deepEqual(events.filter((e) => e.event_type === 'gateway.job.complete').map((e) => e.node_id), ['node-b']);
    // The SAD authorised 10 hashes and 10 were spent: none signed twice.
    const sads = await db.selectFrom('sads').select(['num_signatures', 'remaining']).where('client_id', '=', 'signet-web').execute();
    assert.deepEqual(sads.map((s) => [Number(s.num_signatures), Number(s.remaining)]), [[10, 0]]);
    for (const d of done['documents'] as { id: string }[]) {
      const res = await a.request(`${nodeB.url}/api/v1/jobs/${jobId}/documents/${d.id}/signed`);
      const report = verifyPdfSignatures(new Uint8Array(await res.arrayBuffer()), { trustAnchors: [env.node.services.rootCertificate] });
      assert.equal(report.signatures[0]?.indication, 'TOTAL-PASSED');
    }
  });

  for (const kind of storeKinds) {
    it(`${kind}: retention — a job past its purge time is deleted with its documents by the sweeper, audited, then 404`, async (t) => {
      const env = await webJobsEnv(t, kind);
      if (!env) return;
      const alice = await env.addSigner('alice');
      const a = await env.signIn(alice);
      const keep = (await api(a, env.node, 'POST', '/jobs', { credentialID: alice.credentialId })).body['id'] as string;
      const old = (await api(a, env.node, 'POST', '/jobs', { credentialID: alice.credentialId })).body['id'] as string;
      for (const id of [keep, old]) assert.equal((await upload(a, env.node, id, 'r.pdf', makeBasePdf())).status, 201);
      const db = env.node.services.store.db;
      await db.updateTable('gateway_jobs').set({ purge_at: env.clock.now().getTime() - 1 }).where('id', '=', old).execute();
      const until = Date.now() + 10_000;
      while ((await api(a, env.node, 'GET', `/jobs/${old}`)).status !== 404) {
        assert.ok(Date.now() < until, 'the sweeper purged the job');
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      assert.equal((await db.selectFrom('gateway_job_documents').select('id').where('job_id', '=', old).execute()).length, 0);
      assert.equal((await api(a, env.node, 'GET', `/jobs/${keep}`)).status, 200);
      const purges = await db.selectFrom('audit_log').select('details').where('event_type', '=', 'gateway.job.purge').execute();
      assert.deepEqual(purges.map((p) => JSON.parse(p.details)), [{ jobs: 1 }]);
    });

    // A batch's size is not a property of the store (web-jobs*.test.ts run every job path on both);
    // one 200-document run keeps the suite's time in bounds (test/e2e/web-batch runs 200 in Chromium too).
    if (kind !== 'sqlite') continue;
    it(`${kind}: a 200-document batch under one approval completes, its progress visible while it runs`, async (t) => {
      const env = await webJobsEnv(t, kind);
      if (!env) return;
      const alice = await env.addSigner('alice');
      const a = await env.signIn(alice);
      const created = await api(a, env.node, 'POST', '/jobs', { credentialID: alice.credentialId });
      const jobId = created.body['id'] as string;
      for (let i = 0; i < 200; i++) assert.equal((await upload(a, env.node, jobId, `page-${i}.pdf`, makeBasePdf({ text: `Batch document ${i}` }))).status, 201);
      const sign = await api(a, env.node, 'POST', `/jobs/${jobId}/sign`);
      assert.equal(sign.status, 200, JSON.stringify(sign.body));
      assert.equal((await a.request(await approveInBrowser(env, a, alice, sign.body['authorizationUrl'] as string))).status, 303);
      const seen = new Set<number>();
      const done = await waitForJob(a, env.node, jobId, (j) => {
        seen.add(j['signed'] as number);
        return j['state'] === 'done' || j['state'] === 'failed';
      }, 240_000);
      assert.deepEqual([done['state'], done['total'], done['signed'], done['failed']], ['done', 200, 200, 0]);
      assert.ok([...seen].some((n) => n > 0 && n < 200), `progress between 0 and 200 was visible: ${[...seen].join(',')}`);
      const zip = await a.request(`${env.node.url}/api/v1/jobs/${jobId}/signed.zip`);
      assert.equal(zip.status, 200);
      const bytes = Buffer.from(await zip.arrayBuffer());
      assert.equal(bytes.readUInt16LE(bytes.length - 22 + 10), 200, 'the ZIP lists 200 entries');
    });
  }
});
