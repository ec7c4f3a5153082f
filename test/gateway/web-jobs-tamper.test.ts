/**
 * The web gateway refuses what it must (docs/security.md AC-05, AC-09, SAD-04, OA-15), on a real
 * listening Signet on SQLite and PostgreSQL: another person's job and documents are 404 exactly
 * like a missing one; a replayed or foreign callback is refused with a clear message and audited;
 * a prepared document changed in the database after approval is refused at embedding and audited
 * while the untouched ones are signed; a credential revoked after approval fails the job with the
 * refusal in plain words; broken, encrypted, oversized and over-quota uploads get coded errors.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { credentialOperationsFor } from '../../src/server/surfaces.js';
import { makeBasePdf, makeRawPdf } from '../support/pdf-fixtures.js';
import { storeKinds } from '../support/stores.js';
import { api, approveInBrowser, upload, waitForJob, webJobsEnv, type Browser, type WebJobsEnv, type WebSigner } from './support/web-jobs-env.js';

async function auditOf(env: WebJobsEnv, type: string): Promise<{ outcome: string; actor: string | null; details: string }[]> {
  const rows = await env.node.services.store.db.selectFrom('audit_log').select(['outcome', 'actor_user_id', 'details']).where('event_type', '=', type).orderBy('seq').execute();
  return rows.map((r) => ({ outcome: r.outcome, actor: r.actor_user_id, details: r.details }));
}

/** A job of `signer` with `n` documents, Sign started; returns its id and the authorization URL. */
async function startJob(env: WebJobsEnv, browser: Browser, signer: WebSigner, n: number, level = 'B-B'): Promise<{ jobId: string; docs: string[]; authorizationUrl: string }> {
  const created = await api(browser, env.node, 'POST', '/jobs', { credentialID: signer.credentialId, level });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const jobId = created.body['id'] as string;
  const docs: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await upload(browser, env.node, jobId, `doc-${i}.pdf`, makeBasePdf({ text: `${signer.username} ${jobId} ${i}` }));
    assert.equal(r.status, 201, JSON.stringify(r.body));
    docs.push(r.body['id'] as string);
  }
  const sign = await api(browser, env.node, 'POST', `/jobs/${jobId}/sign`);
  assert.equal(sign.status, 200, JSON.stringify(sign.body));
  return { jobId, docs, authorizationUrl: sign.body['authorizationUrl'] as string };
}

describe('web gateway jobs: refusals', () => {
  for (const kind of storeKinds) {
    describe(kind, () => {
      // The refusals below need no special gateway settings: they share one server and its
      // database (a server, an OAuth client and a provider per refusal cost seconds each).
      it('with the default gateway settings', async (t) => {
        const env = await webJobsEnv(t, kind);
        if (!env) return;

        await t.test('AC-05: another person\'s job and documents are 404 like a missing one; OA-15: a replayed callback and a foreign one are refused and audited', async () => {
          const alice = await env.addSigner('alice');
          const bob = await env.addSigner('bob');
          const a = await env.signIn(alice);
          const b = await env.signIn(bob);
          const { jobId, docs, authorizationUrl } = await startJob(env, a, alice, 1);
          const missing = await api(b, env.node, 'GET', '/jobs/AAAAAAAAAAAAAAAAAAAAAA');
          assert.equal(missing.status, 404);
          for (const [method, path, body] of [
            ['GET', `/jobs/${jobId}`],
            ['POST', `/jobs/${jobId}/sign`],
            ['PATCH', `/jobs/${jobId}/documents/${docs[0]}`, { visible: null }],
            ['GET', `/jobs/${jobId}/documents/${docs[0]}/original`],
            ['GET', `/jobs/${jobId}/documents/${docs[0]}/signed`],
            ['GET', `/jobs/${jobId}/signed.zip`],
          ] as const) {
            const r: { status: number; body: Record<string, unknown> } = await api(b, env.node, method, path, body);
            assert.equal(r.status, 404, `${method} ${path}: ${JSON.stringify(r.body)}`);
            assert.deepEqual(r.body, missing.body, 'indistinguishable from a missing job');
          }
          const bobsUpload = await upload(b, env.node, jobId, 'x.pdf', makeBasePdf());
          assert.equal(bobsUpload.status, 404);
          assert.deepEqual((await api(b, env.node, 'GET', '/jobs')).body['jobs'], []);

          const callback = await approveInBrowser(env, a, alice, authorizationUrl);
          // Bob's browser carrying Alice's authorization response: refused, nothing redeemed.
          const foreign = await b.request(callback, { headers: { accept: 'text/html' } });
          assert.equal(foreign.status, 400);
          assert.match(await foreign.text(), /not expected[^<]*start signing again[\s\S]*ERR_GATEWAY_OAUTH_STATE/);
          assert.equal((await api(a, env.node, 'GET', `/jobs/${jobId}`)).body['state'], 'authorizing');
          const ok = await a.request(callback);
          assert.equal(ok.status, 303);
          await waitForJob(a, env.node, jobId, (j) => j['state'] === 'done');
          // The same response again (a replay): refused with a clear message, audited.
          const replay = await a.request(callback);
          assert.equal(replay.status, 400);
          assert.deepEqual(await replay.json(), { error: 'ERR_GATEWAY_OAUTH_STATE', error_description: 'this approval is not expected (already used, or for another request); start signing again' });
          const ours = <R extends { actor: string | null }>(rows: R[]): R[] => rows.filter((r) => r.actor === alice.userId || r.actor === bob.userId);
          const refused = ours(await auditOf(env, 'gateway.job.callback'));
          assert.deepEqual(refused.map((r) => [r.outcome, r.actor]), [['failure', bob.userId], ['failure', alice.userId]]);
          assert.equal(ours(await auditOf(env, 'gateway.job.authorized')).length, 1);
        });

        await t.test('SAD-04: documents changed in the database after approval are refused and audited; the untouched one is signed', async () => {
          const alice = await env.addSigner('carol');
          const a = await env.signIn(alice);
          const { jobId, docs, authorizationUrl } = await startJob(env, a, alice, 4);
          const callback = await approveInBrowser(env, a, alice, authorizationUrl);
          const db = env.node.services.store.db;
          const rows = await db.selectFrom('gateway_job_documents').select(['id', 'prepared', 'dtbs_hash']).where('job_id', '=', jobId).orderBy('position').execute();
          // Document 0: its sealed prepared state replaced by document 3's (a moved blob does not open).
          await db.updateTable('gateway_job_documents').set({ prepared: rows[3]?.prepared ?? null }).where('id', '=', docs[0] as string).execute();
          // Document 1: its recorded hash pointed at document 2's approved hash.
          await db.updateTable('gateway_job_documents').set({ dtbs_hash: rows[2]?.dtbs_hash ?? null }).where('id', '=', docs[1] as string).execute();
          // A document slipped into the job after approval.
          await db.insertInto('gateway_job_documents').values({
            id: 'slipped-in-after-approval', job_id: jobId, position: 99, name: 'extra.pdf', size: 1, pages: 1, visible: null, original: new Uint8Array([1]),
            prepared: rows[2]?.prepared ?? null, dtbs_hash: 'AAAA', state: 'prepared', error_code: null, error_message: null, signed: null, signed_size: null, updated_at: 0,
          }).execute();
          assert.equal((await a.request(callback)).status, 303);
          const done = await waitForJob(a, env.node, jobId, (j) => j['state'] === 'done' || j['state'] === 'failed');
          const states = (done['documents'] as { id: string; state: string; error?: { code: string; message: string } }[]).map((d) => [d.state, d.error?.code]);
          assert.deepEqual(states, [
            ['failed', 'ERR_GATEWAY_DOCUMENT_CHANGED'],
            ['failed', 'ERR_GATEWAY_DOCUMENT_CHANGED'],
            ['signed', undefined],
            ['signed', undefined],
            ['failed', 'ERR_GATEWAY_DOCUMENT_CHANGED'],
          ]);
          assert.match((done['documents'] as { error?: { message: string } }[])[0]?.error?.message ?? '', /changed after you approved it/);
          const tampered = (await auditOf(env, 'gateway.document.tampered')).filter((r) => r.actor === alice.userId);
          assert.equal(tampered.length, 3, JSON.stringify(tampered));
          assert.ok(tampered.every((r) => r.outcome === 'failure' && r.actor === alice.userId));
          assert.deepEqual([done['signed'], done['failed']], [2, 3]);
        });

        await t.test('a credential revoked after approval: the callback says so in plain words and the job fails; a new job cannot start', async () => {
          const alice = await env.addSigner('dave');
          const a = await env.signIn(alice);
          const { jobId, authorizationUrl } = await startJob(env, a, alice, 2);
          const callback = await approveInBrowser(env, a, alice, authorizationUrl);
          await credentialOperationsFor(env.node.services).revoke(alice.credentialId, 'keyCompromise', { via: 'api' });
          const refused = await a.request(callback);
          assert.equal(refused.status, 400);
          assert.deepEqual(await refused.json(), { error: 'ERR_GATEWAY_CREDENTIAL', error_description: 'your signing key is revoked: nothing can be signed with it' });
          const failed = await api(a, env.node, 'GET', `/jobs/${jobId}`);
          assert.deepEqual([failed.body['state'], failed.body['signed'], failed.body['error']?.code], ['failed', 0, 'ERR_GATEWAY_CREDENTIAL']);
          const again = await api(a, env.node, 'POST', '/jobs', { credentialID: alice.credentialId });
          assert.deepEqual([again.status, again.body['error'], again.body['error_description']], [400, 'ERR_GATEWAY_CREDENTIAL', 'the credential is revoked']);
        });
      });

      it('a credential revoked while the job signs: the RSSP refuses the next chunk, the rest fail with its words, what was signed stays signed', async (t) => {
        const hook: { revoke?: () => Promise<void> } = {};
        const env = await webJobsEnv(t, kind, {
          limits: { hashesPerCall: 1 } as never,
          faults: { afterSignHash: async (_job, chunk) => (chunk === 0 ? void (await hook.revoke?.()) : undefined) },
        });
        if (!env) return;
        const alice = await env.addSigner('alice');
        hook.revoke = () => credentialOperationsFor(env.node.services).revoke(alice.credentialId, 'keyCompromise', { via: 'api' }).then(() => undefined);
        const a = await env.signIn(alice);
        const { jobId, authorizationUrl } = await startJob(env, a, alice, 3);
        assert.equal((await a.request(await approveInBrowser(env, a, alice, authorizationUrl))).status, 303);
        const done = await waitForJob(a, env.node, jobId, (j) => j['state'] === 'done' || j['state'] === 'failed');
        const docs = done['documents'] as { state: string; error?: { code: string; message: string } }[];
        assert.deepEqual(docs.map((d) => [d.state, d.error?.code]), [['signed', undefined], ['failed', 'ERR_GATEWAY_SIGNING_REFUSED'], ['failed', 'ERR_GATEWAY_SIGNING_REFUSED']]);
        assert.match(docs[1]?.error?.message ?? '', /^the signing service refused to sign: .*revoked/i);
        assert.deepEqual([done['state'], done['signed'], done['failed'], done['error']?.code], ['done', 1, 2, 'ERR_GATEWAY_SIGNING_REFUSED']);
      });

      it('uploads: a broken, an encrypted, an oversized and an over-quota file get coded errors; one Sign at a time; nothing is added after Sign', async (t) => {
        const one = makeBasePdf();
        const env = await webJobsEnv(t, kind, { limits: { uploadMaxBytes: 64 * 1024, userQuotaBytes: one.length + 100 } as never });
        if (!env) return;
        const alice = await env.addSigner('alice');
        const a = await env.signIn(alice);
        const created = await api(a, env.node, 'POST', '/jobs', { credentialID: alice.credentialId });
        const jobId = created.body['id'] as string;
        const broken = await upload(a, env.node, jobId, 'broken.pdf', new TextEncoder().encode('%PDF-1.7\nthis is not a PDF at all\n'));
        assert.deepEqual([broken.status, broken.body['error']], [400, 'ERR_GATEWAY_PDF_UNREADABLE']);
        const encrypted = makeRawPdf(
          ['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [3 0 R] /Count 1 >>', '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>', '<< /Filter /Standard /V 2 /R 3 /Length 128 /O <00> /U <00> /P -4 >>'],
          '<< /Size 5 /Root 1 0 R /Encrypt 4 0 R /ID [<0102> <0102>] >>',
        );
        const locked = await upload(a, env.node, jobId, 'locked.pdf', encrypted);
        assert.deepEqual([locked.status, locked.body['error']], [400, 'ERR_GATEWAY_PDF_ENCRYPTED']);
        assert.match(locked.body['error_description'], /encrypted/);
        const big = await upload(a, env.node, jobId, 'big.pdf', new Uint8Array(65 * 1024));
        assert.deepEqual([big.status, big.body['error']], [413, 'ERR_GATEWAY_UPLOAD_TOO_LARGE']);
        const first = await upload(a, env.node, jobId, 'one.pdf', one);
        assert.equal(first.status, 201, JSON.stringify(first.body));
        const over = await upload(a, env.node, jobId, 'two.pdf', makeBasePdf({ text: 'another page of text that makes it different' }));
        assert.deepEqual([over.status, over.body['error']], [413, 'ERR_GATEWAY_UPLOAD_QUOTA']);
        const badRect = await api(a, env.node, 'PATCH', `/jobs/${jobId}/documents/${first.body['id']}`, { visible: { page: 2, rect: [0, 0, 10, 10] } });
        assert.deepEqual([badRect.status, badRect.body['error']], [400, 'ERR_GATEWAY_JOB_INPUT']);
        const noCsrf = await a.request(`${env.node.url}/api/v1/jobs/${jobId}/sign`, { method: 'POST' });
        assert.equal(noCsrf.status, 403);
        // One Sign at a time per job: while another Sign holds the job, a second is refused; an expired hold is taken over.
        const db = env.node.services.store.db;
        await db.updateTable('gateway_jobs').set({ lease_owner: 'sign:another', lease_until: env.clock.now().getTime() + 60_000 }).where('id', '=', jobId).execute();
        const busy = await api(a, env.node, 'POST', `/jobs/${jobId}/sign`);
        assert.deepEqual([busy.status, busy.body['error'], busy.body['error_description']], [409, 'ERR_GATEWAY_JOB_STATE', 'the job is being prepared for signing already']);
        await db.updateTable('gateway_jobs').set({ lease_until: env.clock.now().getTime() - 1 }).where('id', '=', jobId).execute();
        assert.equal((await api(a, env.node, 'POST', `/jobs/${jobId}/sign`)).status, 200);
        const after = await db.selectFrom('gateway_jobs').select(['lease_owner', 'lease_until']).where('id', '=', jobId).executeTakeFirstOrThrow();
        assert.deepEqual([after.lease_owner, after.lease_until], [null, null], 'the Sign lock is released');
        const late = await upload(a, env.node, jobId, 'late.pdf', makeBasePdf());
        assert.deepEqual([late.status, late.body['error']], [409, 'ERR_GATEWAY_JOB_STATE']);
        const job = await api(a, env.node, 'GET', `/jobs/${jobId}`);
        assert.deepEqual([job.body['state'], job.body['total']], ['authorizing', 1]);
      });
    });
  }
});
