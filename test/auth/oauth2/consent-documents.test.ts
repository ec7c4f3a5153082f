/**
 * Documents at consent (docs/decisions/0001 contract 3; issue 12 "Consent that shows the
 * documents"): POST /oauth2/documents checks the prepared PDF (ByteRange, message-digest) and
 * computes the DTBS/R hash itself; document_refs of PAR and of the plain authorize query must
 * match the hashes position by position (docs/security.md SAD-03); refusals are clear and audited;
 * hostile PDFs end in bounded time; documents are deleted when the request ends. Both stores.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { createAesGcmSecretBox } from '../../../src/auth/index.js';
import { createConsentDocumentInspector } from '../../../src/server/consent-document-inspector.js';
import { requireStore, storeKinds } from '../../support/stores.js';
import { documentBody, makeActivePdf, makeBombPdf, prepareDocument, type PreparedDocument } from '../../support/consent-documents.js';
import { makeBasePdf } from '../../support/pdf-fixtures.js';
import {
  GATEWAY_REDIRECT,
  PIN,
  SHA256,
  approve,
  getAuthorize,
  makeEnv,
  openLogin,
  pkce,
  postForm,
  postToken,
  signIn,
  type OAuth2Env,
} from './oauth2-env.js';

const MAX_BYTES = 256 * 1024;

/** The inspection runs inline here (fast tests); the refusal test and the full-server tests use the worker pool. */
async function docsEnv(t: Parameters<typeof makeEnv>[0], kind: Parameters<typeof makeEnv>[1], workers = 0): Promise<OAuth2Env> {
  return makeEnv(t, kind, {
    documents: {
      inspector: createConsentDocumentInspector({ workers }),
      secretBox: createAesGcmSecretBox(randomBytes(32)),
      maxBytes: MAX_BYTES,
      ttlSeconds: 600,
    },
  });
}

function upload(
  env: OAuth2Env,
  body: Record<string, string>,
  client: { id: string; secret: string } | null = env.gateway,
): Promise<LightMyRequestResponse> {
  return env.app.inject({
    method: 'POST',
    url: '/oauth2/documents',
    headers: {
      'content-type': 'application/json',
      ...(client === null ? {} : { authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}` }),
    },
    payload: JSON.stringify(body),
  });
}

async function pushDoc(env: OAuth2Env, d: PreparedDocument): Promise<string> {
  const res = await upload(env, documentBody(d));
  assert.equal(res.statusCode, 201, res.body);
  return res.json<{ document_ref: string }>().document_ref;
}

function credentialFields(env: OAuth2Env, hashes: readonly string[], refs: readonly string[], challenge: string): Record<string, string> {
  return {
    response_type: 'code',
    redirect_uri: GATEWAY_REDIRECT,
    state: 'docs',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    scope: 'credential',
    credentialID: env.credentialId,
    numSignatures: String(hashes.length),
    hashes: hashes.map((h) => Buffer.from(h, 'base64').toString('base64url')).join(','),
    hashAlgorithmOID: SHA256,
    document_refs: refs.join(','),
  };
}

async function countDocs(env: OAuth2Env): Promise<number> {
  const r = await env.store.db.selectFrom('consent_documents').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

async function auditTypes(env: OAuth2Env, type: string): Promise<{ outcome: string; details: string }[]> {
  return env.store.db.selectFrom('audit_log').select(['outcome', 'details']).where('event_type', '=', type).orderBy('seq').execute();
}

describe('POST /oauth2/documents (contract 3)', () => {
  for (const kind of storeKinds) {
    it(`${kind}: a prepared PDF → 201 with the DTBS/R hash the AS computed, sealed at rest, audited`, async (t) => {
      if (!(await requireStore(t, kind))) return;
      const env = await docsEnv(t, kind);
      const d = await prepareDocument({ text: 'Lease agreement', pages: 2 });
      const res = await upload(env, documentBody(d));
      assert.equal(res.statusCode, 201, res.body);
      const body = res.json<{ document_ref: string; hash: string; pages: number; expires_in: number }>();
      assert.equal(body.hash, d.hash);
      assert.equal(body.pages, 2);
      assert.equal(body.expires_in, 600);
      assert.match(body.document_ref, /^[A-Za-z0-9_-]{43}$/);
      const row = await env.store.db.selectFrom('consent_documents').selectAll().executeTakeFirstOrThrow();
      // Sealed: the PDF header is not readable at rest.
      assert.equal(Buffer.from(row.sealed).includes('%PDF'), false);
      const audits = await auditTypes(env, 'oauth2.document');
      assert.equal(audits.at(-1)?.outcome, 'success');
      assert.match(audits.at(-1)?.details ?? '', new RegExp(d.hash.replace(/[+/]/g, '.')));
    });

    it(`${kind}: refusals — no client authentication, oversized, not a PDF, bomb, ByteRange or message-digest mismatch`, async (t) => {
      if (!(await requireStore(t, kind))) return;
      const env = await docsEnv(t, kind, 2);
      const d = await prepareDocument({ text: 'Refusals' });
      const noAuth = await upload(env, documentBody(d), null);
      assert.equal(noAuth.statusCode, 400);
      const wrongSecret = await upload(env, documentBody(d), { id: env.gateway.id, secret: 'nope' });
      assert.equal(wrongSecret.statusCode, 401);
      assert.equal(wrongSecret.json<{ error: string }>().error, 'invalid_client');

      const big = await prepareDocument({ source: makeBasePdf({ extraStreamBytes: MAX_BYTES + 1 }) });
      const tooBig = await upload(env, documentBody(big));
      assert.equal(tooBig.statusCode, 413, tooBig.body);
      assert.equal(tooBig.json<{ error: string }>().error, 'invalid_request');

      const garbage = await upload(env, { ...documentBody(d), document: randomBytes(4000).toString('base64') });
      assert.equal(garbage.statusCode, 400, garbage.body);
      assert.match(garbage.json<{ error_description: string }>().error_description, /not a readable PDF/);

      // 64 MiB of zeros in 64 KiB of Flate: refused at the 32 MiB decode limit, quickly.
      const bomb = await prepareDocument({ source: makeBombPdf(64 * 1024 * 1024) });
      assert.ok(bomb.pdf.length < MAX_BYTES);
      // CPU time of this process (the worker threads included), not wall time: on a loaded
      // machine the wall clock says more about the neighbours than about the decoder.
      const started = process.cpuUsage();
      const bombed = await upload(env, documentBody(bomb));
      const used = process.cpuUsage(started);
      const ms = (used.user + used.system) / 1000;
      assert.equal(bombed.statusCode, 422, bombed.body);
      assert.match(bombed.json<{ error_description: string }>().error_description, /ERR_PDF_LIMIT_DECOMPRESSED/);
      assert.ok(ms < 5000, `bomb refused with ${ms} ms of CPU`);

      // The signed attributes of another document: the message-digest does not match.
      const other = await prepareDocument({ text: 'Another document' });
      const swapped = await upload(env, { ...documentBody(d), signedAttributes: other.signedAttributes });
      assert.equal(swapped.statusCode, 400);
      assert.match(swapped.json<{ error_description: string }>().error_description, /message-digest/);

      // One byte changed inside the signed range after preparation.
      const tampered = new Uint8Array(d.pdf);
      const at = Buffer.from(tampered).indexOf('Signet fixture');
      assert.ok(at > 0);
      tampered[at] = 0x73; // now "signet fixture" 
      const changed = await upload(env, { ...documentBody(d), document: Buffer.from(tampered).toString('base64') });
      assert.equal(changed.statusCode, 400);

      // A plain, unprepared PDF has no placeholder.
      const plain = await upload(env, { ...documentBody(d), document: Buffer.from(makeBasePdf()).toString('base64') });
      assert.equal(plain.statusCode, 400);
      assert.match(plain.json<{ error_description: string }>().error_description, /placeholder/);

      assert.equal(await countDocs(env), 0);
      const failures = (await auditTypes(env, 'oauth2.document')).filter((a) => a.outcome === 'failure');
      assert.ok(failures.length >= 5, `audited failures: ${failures.length}`);
    });
  }
});

describe('POST /oauth2/documents/batch: many documents, one client authentication', () => {
  for (const kind of storeKinds) {
    it(`${kind}: three documents (one with a foreign message-digest) → two refs and one refusal in order, one KDF for the batch; announced in the metadata; limits refuse the whole batch`, async (t) => {
      if (!(await requireStore(t, kind))) return;
      const env = await docsEnv(t, kind, 2);
      const meta = (await env.app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' })).json<Record<string, unknown>>();
      assert.match(String(meta['signet_consent_documents_batch_endpoint']), /\/oauth2\/documents\/batch$/);
      const [a, b, c] = await Promise.all([prepareDocument({ text: 'Batch A' }), prepareDocument({ text: 'Batch B', pages: 3 }), prepareDocument({ text: 'Batch C' })]);
      const basic = `Basic ${Buffer.from(`${env.gateway.id}:${env.gateway.secret}`).toString('base64')}`;
      const batch = (documents: unknown[], authorization = basic): Promise<LightMyRequestResponse> =>
        env.app.inject({ method: 'POST', url: '/oauth2/documents/batch', headers: { 'content-type': 'application/json', authorization }, payload: JSON.stringify({ documents }) });
      // Count the client secret checks (one scrypt each on a real server).
      let verifies = 0;
      const verify = env.hasher.verify.bind(env.hasher);
      env.hasher.verify = async (...args: Parameters<typeof verify>) => {
        verifies += 1;
        return verify(...args);
      };
      const res = await batch([documentBody(a), { ...documentBody(b), signedAttributes: c.signedAttributes }, documentBody(c)]);
      assert.equal(res.statusCode, 201, res.body);
      assert.equal(verifies, 1, 'one client authentication for the batch');
      const items = res.json<{ documents: Record<string, unknown>[] }>().documents;
      assert.equal(items.length, 3);
      assert.equal(items[0]?.['hash'], a.hash);
      assert.equal(items[2]?.['hash'], c.hash);
      assert.equal(items[1]?.['error'], 'invalid_request');
      assert.match(String(items[1]?.['error_description']), /message-digest/);
      assert.equal(await countDocs(env), 2);
      const audits = await auditTypes(env, 'oauth2.document');
      assert.deepEqual(audits.map((x) => x.outcome).sort(), ['failure', 'success', 'success']);

      // The whole batch is refused: no client, too many documents, together too large.
      assert.equal((await batch([documentBody(a)], `Basic ${Buffer.from(`${env.gateway.id}:nope`).toString('base64')}`)).statusCode, 401);
      assert.equal((await batch(Array.from({ length: 51 }, () => documentBody(a)))).statusCode, 400);
      assert.equal((await batch([])).statusCode, 400);
      const half = await prepareDocument({ source: makeBasePdf({ extraStreamBytes: Math.floor(MAX_BYTES * 0.6) }) });
      const tooLarge = await batch([documentBody(half), documentBody(half)]);
      assert.equal(tooLarge.statusCode, 413, tooLarge.body);
      assert.equal(await countDocs(env), 2);
    });
  }
});

describe('the inspector runs off the event loop, with a deadline', () => {
  it('a worker that does not answer in time is stopped and the document refused (ERR_OAUTH2_DOCUMENT_LIMIT); a fresh worker serves the next one', async () => {
    const d = await prepareDocument({ text: 'Deadline' });
    const input = { pdf: d.pdf, signedAttributes: new Uint8Array(Buffer.from(d.signedAttributes, 'base64')), hashAlgorithmOid: SHA256 };
    // A document of 400 pages takes the worker well over the 1 ms deadline (a one-page document
    // can be read within it once the worker's modules are loaded, which made this a race).
    const long = await prepareDocument({ text: 'Deadline', pages: 400 });
    const hasty = createConsentDocumentInspector({ workers: 1, timeoutMs: 1 });
    const late = await hasty.inspect({ ...input, pdf: long.pdf, signedAttributes: new Uint8Array(Buffer.from(long.signedAttributes, 'base64')) });
    assert.deepEqual(late, { kind: 'refused', code: 'ERR_OAUTH2_DOCUMENT_LIMIT', message: 'reading the PDF takes too long' });
    await hasty.close();
    const pool = createConsentDocumentInspector({ workers: 1 });
    const [a, b] = await Promise.all([pool.inspect(input), pool.inspect(input)]);
    await pool.close();
    assert.equal(a.kind, 'ok');
    assert.deepEqual(a, b, 'queued behind one worker, same answer');
    assert.deepEqual(a, await createConsentDocumentInspector({ workers: 0 }).inspect(input), 'the same as inline');
  });
});

describe('document_refs bind the documents to the hashes (docs/security.md SAD-03)', () => {
  for (const kind of storeKinds) {
    it(`${kind}: PAR with three documents → consent lists them → code → documents deleted`, async (t) => {
      if (!(await requireStore(t, kind))) return;
      const env = await docsEnv(t, kind);
      const docs = await Promise.all(['one', 'two', 'three'].map((w) => prepareDocument({ name: `${w}.pdf`, text: `Document ${w}` })));
      const refs = [];
      for (const d of docs) refs.push(await pushDoc(env, d));
      const { verifier, challenge } = pkce();
      const pushed = await postToken(env, credentialFields(env, docs.map((d) => d.hash), refs, challenge), env.gateway, '/oauth2/pushed_authorize');
      assert.equal(pushed.statusCode, 201, pushed.body);
      const login = await openLogin(env, { client_id: env.gateway.id, request_uri: pushed.json<{ request_uri: string }>().request_uri });
      const consent = await signIn(env, login);
      assert.equal(consent.res.statusCode, 200, consent.res.body);
      for (const d of docs) assert.ok(consent.res.body.includes(d.name), `consent names ${d.name}`);
      assert.ok(!consent.res.body.includes('<details'), 'a few documents are shown in full, not collapsed');
      // The page reads the very bytes that were hashed, only under the consent interaction's cookie.
      const bytes = await env.app.inject({ method: 'GET', url: '/oauth2/documents/1', headers: { cookie: `signet_oauth2=${consent.cookie ?? ''}` } });
      assert.equal(bytes.statusCode, 200, bytes.body);
      assert.equal(bytes.headers['content-type'], 'application/pdf');
      assert.deepEqual(new Uint8Array(bytes.rawPayload), docs[1]!.pdf);
      assert.equal((await env.app.inject({ method: 'GET', url: '/oauth2/documents/1' })).statusCode, 404);
      assert.equal((await env.app.inject({ method: 'GET', url: '/oauth2/documents/3', headers: { cookie: `signet_oauth2=${consent.cookie ?? ''}` } })).statusCode, 404);
      assert.equal((await env.app.inject({ method: 'GET', url: '/oauth2/documents/0', headers: { cookie: `signet_oauth2=${login.cookie ?? ''}` } })).statusCode, 404, 'not with the login-stage cookie');
      for (const name of ['pdf.min.mjs', 'pdf.worker.min.mjs', 'webauthn.js', 'consent.js', 'consent.css']) {
        const asset = await env.app.inject({ method: 'GET', url: `/oauth2/assets/${name}` });
        assert.equal(asset.statusCode, 200, name);
        assert.ok(asset.rawPayload.length > 100, name);
      }
      assert.equal((await env.app.inject({ method: 'GET', url: '/oauth2/assets/..%2Fpackage.json' })).statusCode, 404);
      const done = await approve(env, consent, PIN);
      assert.equal(done.statusCode, 303, done.body);
      const q = new URL(String(done.headers.location)).searchParams;
      assert.ok(q.get('code'));
      assert.equal(await countDocs(env), 0, 'documents deleted once the code is issued');
      const token = await postToken(
        env,
        { grant_type: 'authorization_code', code: q.get('code') ?? '', redirect_uri: GATEWAY_REDIRECT, code_verifier: verifier },
        env.gateway,
      );
      assert.equal(token.statusCode, 200, token.body);
      const sadHashes = await env.store.db.selectFrom('sad_hashes').select('hash').execute();
      assert.deepEqual(
        sadHashes.map((h) => Buffer.from(h.hash as unknown as Uint8Array).toString('base64')).sort(),
        docs.map((d) => d.hash).sort(),
      );
    });

    it(`${kind}: a big request is collapsed — a summary, then each document a closed disclosure named with its pages, its pages rendered only when opened`, async (t) => {
      if (!(await requireStore(t, kind))) return;
      const env = await docsEnv(t, kind);
      const docs = await Promise.all(Array.from({ length: 7 }, (_, i) => prepareDocument({ name: `contract-${i + 1}.pdf`, text: `Contract ${i + 1}`, pages: i === 6 ? 2 : 1 })));
      const refs = [];
      for (const d of docs) refs.push(await pushDoc(env, d));
      const { challenge } = pkce();
      const pushed = await postToken(env, credentialFields(env, docs.map((d) => d.hash), refs, challenge), env.gateway, '/oauth2/pushed_authorize');
      assert.equal(pushed.statusCode, 201, pushed.body);
      const consent = await signIn(env, await openLogin(env, { client_id: env.gateway.id, request_uri: pushed.json<{ request_uri: string }>().request_uri }));
      const html = consent.res.body;
      assert.equal(consent.res.statusCode, 200, html);
      assert.match(html, /<p id="documents-summary"><strong>7 documents<\/strong>, 8 pages in all\./);
      assert.equal(html.match(/<details class="document">/g)?.length, 7, 'every document closed');
      assert.match(html, /<summary id="document-7-name">Document 7: contract-7\.pdf <span class="page-count">\(2 pages\)<\/span><\/summary>/);
      assert.equal(html.match(/data-lazy="1"/g)?.length, 7, 'no page rendered before its document is opened');
      for (const d of docs) assert.ok(html.includes(d.hash), 'each hash is still on the page');
      assert.ok(html.includes('>Approve<'), 'the Approve button is unchanged');
      assert.equal((await approve(env, consent, PIN)).statusCode, 303);
    });

    it(`${kind}: reordered, added, removed or foreign hashes, reused and expired refs are refused`, async (t) => {
      if (!(await requireStore(t, kind))) return;
      const env = await docsEnv(t, kind);
      const [a, b] = await Promise.all([prepareDocument({ text: 'A' }), prepareDocument({ text: 'B' })]);
      const refA = await pushDoc(env, a!);
      const refB = await pushDoc(env, b!);
      const { challenge } = pkce();
      const par = (hashes: string[], refs: string[], client = env.gateway): Promise<LightMyRequestResponse> =>
        postToken(env, credentialFields(env, hashes, refs, challenge), client, '/oauth2/pushed_authorize');
      const refused = async (res: LightMyRequestResponse, pattern: RegExp): Promise<void> => {
        assert.equal(res.statusCode, 400, res.body);
        assert.equal(res.json<{ error: string }>().error, 'invalid_request');
        assert.match(res.json<{ error_description: string }>().error_description, pattern);
      };
      // Reordered: the hash at each position must be the hash of the document at that position.
      await refused(await par([b!.hash, a!.hash], [refA, refB]), /position 0/);
      // A hash added without its document, and a document removed.
      const extra = Buffer.from(randomBytes(32)).toString('base64');
      await refused(await par([a!.hash, b!.hash, extra], [refA, refB]), /one document per hash/);
      await refused(await par([a!.hash], [refA, refB]), /one document per hash/);
      // Another client cannot use the gateway's documents.
      const other = await makeOtherClient(env);
      await refused(await par([a!.hash], [refA], other), /another client/);
      // Bound once: the second request cannot take the same document.
      const first = await par([a!.hash, b!.hash], [refA, refB]);
      assert.equal(first.statusCode, 201, first.body);
      await refused(await par([a!.hash], [refA]), /already used/);
      // Expired: a fresh document after its lifetime.
      const c = await prepareDocument({ text: 'C' });
      const refC = await pushDoc(env, c);
      env.clock.advance(601_000);
      await refused(await par([c.hash], [refC]), /expired/);
      // The plain authorize query is checked the same way (an error redirect to the client).
      const d = await prepareDocument({ text: 'D' });
      const refD = await pushDoc(env, d);
      const res = await getAuthorize(env, { client_id: env.gateway.id, ...credentialFields(env, [a!.hash], [refD], challenge) });
      assert.equal(res.statusCode, 302);
      const q = new URL(String(res.headers.location)).searchParams;
      assert.equal(q.get('error'), 'invalid_request');
      const fails = (await auditTypes(env, 'oauth2.authorize')).filter((x) => x.outcome === 'failure');
      assert.ok(fails.some((f) => f.details.includes('ERR_OAUTH2_DOCUMENT_REF')));
    });

    it(`${kind}: a document swapped in the store between upload and consent is not shown and cannot be approved`, async (t) => {
      if (!(await requireStore(t, kind))) return;
      const env = await docsEnv(t, kind);
      const [a, b] = [await prepareDocument({ name: 'a.pdf', text: 'A' }), await prepareDocument({ name: 'b.pdf', text: 'B' })];
      const refs = [await pushDoc(env, a), await pushDoc(env, b)];
      const { challenge } = pkce();
      const login = await openLogin(env, { client_id: env.gateway.id, ...credentialFields(env, [a.hash, b.hash], refs, challenge) });
      const consent = await signIn(env, login);
      assert.equal(consent.res.statusCode, 200, consent.res.body);
      // Someone with write access to the database exchanges the two sealed files.
      const rows = await env.store.db.selectFrom('consent_documents').select(['ref_hash', 'sealed', 'name']).orderBy('name').execute();
      await env.store.db.updateTable('consent_documents').set({ sealed: rows[1]!.sealed }).where('ref_hash', '=', rows[0]!.ref_hash).execute();
      await env.store.db.updateTable('consent_documents').set({ sealed: rows[0]!.sealed }).where('ref_hash', '=', rows[1]!.ref_hash).execute();
      const shown = await env.app.inject({ method: 'GET', url: '/oauth2/documents/0', headers: { cookie: `signet_oauth2=${consent.cookie ?? ''}` } });
      assert.equal(shown.statusCode, 404, 'a swapped document is never served');
      const done = await approve(env, consent, PIN);
      assert.equal(done.statusCode, 303, done.body);
      const q = new URL(String(done.headers.location)).searchParams;
      assert.equal(q.get('error'), 'invalid_request');
      assert.equal(q.get('code'), null);
      const fail = (await auditTypes(env, 'oauth2.consent')).at(-1);
      assert.equal(fail?.outcome, 'failure');
      assert.match(fail?.details ?? '', /document-seal-broken/);
      assert.equal(await countDocs(env), 0, 'the request ended: its documents are gone');
    });

    it(`${kind}: findings — a launch action blocks the approval; JavaScript and invisible text are shown`, async (t) => {
      if (!(await requireStore(t, kind))) return;
      const env = await docsEnv(t, kind);
      const d = await prepareDocument({ name: 'active.pdf', source: makeActivePdf() });
      const ref = await pushDoc(env, d);
      const { challenge } = pkce();
      const login = await openLogin(env, { client_id: env.gateway.id, ...credentialFields(env, [d.hash], [ref], challenge) });
      const consent = await signIn(env, login);
      assert.equal(consent.res.statusCode, 200, consent.res.body);
      const html = consent.res.body;
      assert.match(html, /<strong>Cannot be signed:<\/strong> The document tries to start another program/);
      assert.match(html, /contains JavaScript/);
      assert.match(html, /hidden content \(invisible text/);
      assert.match(html, /<button type="submit" name="decision" value="approve" disabled>Approve<\/button>/);
      assert.match(html, /id="blocked"/);
      // Posting Approve anyway (the button is only disabled in the page): refused on the server.
      const done = await approve(env, consent, PIN);
      assert.equal(done.statusCode, 303, done.body);
      const q = new URL(String(done.headers.location)).searchParams;
      assert.equal(q.get('error'), 'access_denied');
      assert.equal(q.get('code'), null);
      assert.match((await auditTypes(env, 'oauth2.consent')).at(-1)?.details ?? '', /document-blocked:launch-action/);
    });

    it(`${kind}: a denied request deletes its documents; expired ones go with housekeeping`, async (t) => {
      if (!(await requireStore(t, kind))) return;
      const env = await docsEnv(t, kind);
      const d = await prepareDocument({ text: 'Deny me' });
      const ref = await pushDoc(env, d);
      const { challenge } = pkce();
      const login = await openLogin(env, { client_id: env.gateway.id, ...credentialFields(env, [d.hash], [ref], challenge) });
      const consent = await signIn(env, login);
      assert.equal(consent.res.statusCode, 200, consent.res.body);
      const denied = await postForm(env, consent.cookie, { ...consent.fields, decision: 'deny' });
      assert.equal(denied.statusCode, 303, denied.body);
      assert.equal(new URL(String(denied.headers.location)).searchParams.get('error'), 'access_denied');
      assert.equal(await countDocs(env), 0);
      await pushDoc(env, await prepareDocument({ text: 'Left behind' }));
      env.clock.advance(601_000);
      assert.equal(await countDocs(env), 1);
      await openLogin(env, { client_id: env.gateway.id, response_type: 'code', redirect_uri: GATEWAY_REDIRECT, scope: 'service', code_challenge: challenge, code_challenge_method: 'S256' });
      assert.equal(await countDocs(env), 0, 'expired documents deleted by housekeeping');
    });
  }
});

/** A second confidential client allowed scope credential. */
async function makeOtherClient(env: OAuth2Env): Promise<{ id: string; secret: string }> {
  const { createOAuthClient } = await import('../../../src/auth/oauth2/index.js');
  const { createScryptHasher } = await import('../../../src/auth/index.js');
  const c = await createOAuthClient(
    { store: env.store, clock: env.clock, audit: env.audit, hasher: createScryptHasher({ N: 2 ** 10, r: 8, p: 1 }, { minimumN: 2 ** 10 }) },
    { name: 'Other', clientType: 'confidential', clientId: 'other-gw', redirectUris: [GATEWAY_REDIRECT], allowedScopes: ['service', 'credential'] },
  );
  return { id: c.clientId, secret: c.clientSecret ?? '' };
}

