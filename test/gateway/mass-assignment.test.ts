/**
 * docs/security.md AC-06, mass assignment: fields a person may not set — owner, user id, role, job
 * state, ids — sent along with the ones they may are ignored (or refused), never applied. On a
 * real listening Signet on SQLite and PostgreSQL: sign-in with `role` and another user's id, a
 * job created with another owner, state and id, a document update naming another job.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { storeKinds } from '../support/stores.js';
import { api, Browser, upload, webJobsEnv } from './support/web-jobs-env.js';

describe('docs/security.md AC-06: extra fields are never applied', () => {
  for (const kind of storeKinds) {
    it(`${kind}: sign-in, job creation and document update ignore owner, role, state and ids`, async (t) => {
      const env = await webJobsEnv(t, kind);
      if (!env) return;
      const alice = await env.addSigner('alice');
      const bob = await env.addSigner('bob');

      // Sign-in with a role and another person's id: the session is alice's, role user.
      const a = new Browser();
      const signIn = await a.request(`${env.node.url}/api/v1/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-signet-request': '1' },
        body: JSON.stringify({ username: alice.username, password: alice.password, otp: env.nextOtp(alice), role: 'admin', userId: bob.userId, id: bob.userId }),
      });
      assert.ok(signIn.status === 200 || signIn.status === 400, `sign-in: ${signIn.status}`);
      if (signIn.status === 400) return; // refused outright: nothing applied either
      const session = await api(a, env.node, 'GET', '/session');
      assert.equal(session.status, 200);
      assert.deepEqual([session.body['user']['id'], session.body['user']['role']], [alice.userId, 'user']);

      // A job with another owner, a finished state and a chosen id.
      const chosenId = 'AAAAAAAAAAAAAAAAAAAAAA';
      const created = await api(a, env.node, 'POST', '/jobs', {
        credentialID: alice.credentialId,
        userId: bob.userId,
        user_id: bob.userId,
        owner: bob.userId,
        state: 'done',
        id: chosenId,
        signed_count: 7,
      });
      assert.ok(created.status === 201 || created.status === 400, `create: ${created.status} ${JSON.stringify(created.body)}`);
      if (created.status === 201) {
        const jobId = created.body['id'] as string;
        assert.notEqual(jobId, chosenId);
        const b = await env.signIn(bob);
        assert.equal((await api(b, env.node, 'GET', `/jobs/${jobId}`)).status, 404, 'bob does not own it');
        assert.equal((await api(b, env.node, 'GET', `/jobs/${chosenId}`)).status, 404);
        const job = await api(a, env.node, 'GET', `/jobs/${jobId}`);
        assert.equal(job.status, 200);
        assert.equal(job.body['state'], 'draft');
        const row = await env.node.services.store.db.selectFrom('gateway_jobs').select(['user_id', 'state', 'signed_count']).where('id', '=', jobId).executeTakeFirstOrThrow();
        assert.deepEqual([row.user_id, row.state, Number(row.signed_count)], [alice.userId, 'draft', 0]);

        // A document update carrying another job's id and a state changes only what it may.
        const doc = await upload(a, env.node, jobId, 'a.pdf', makeBasePdf({ text: 'AC-06' }));
        assert.equal(doc.status, 201, JSON.stringify(doc.body));
        const docId = doc.body['id'] as string;
        const patched = await api(a, env.node, 'PATCH', `/jobs/${jobId}/documents/${docId}`, { visible: null, jobId: chosenId, job_id: chosenId, state: 'signed' });
        assert.ok(patched.status === 200 || patched.status === 400, `patch: ${patched.status} ${JSON.stringify(patched.body)}`);
        const docRow = await env.node.services.store.db.selectFrom('gateway_job_documents').select(['job_id', 'state']).where('id', '=', docId).executeTakeFirstOrThrow();
        assert.equal(docRow.job_id, jobId);
        assert.notEqual(docRow.state, 'signed');
      }
    });
  }
});
