/**
 * A batch authorized through the OAuth 2.0 authorization-code flow with PKCE instead of PIN/OTP
 * in the application (CSC v2 §8.4, docs/architecture.md "token(code) → SAD"): the gateway prepares
 * the documents, the authorizer runs the browser flow for exactly their hashes (scope
 * `credential`, base64url hashes) and the credential token becomes the bearer of signHash.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { createScryptHasher } from '../../src/auth/index.js';
import { createOAuth2Service, createOAuthClient, s256Challenge } from '../../src/auth/oauth2/index.js';
import { CscClient, loadRemoteCredential } from '../../src/csc/client/index.js';
import { signBatch, type BatchDocument, type HashAuthorizer } from '../../src/gateway/index.js';
import { oauth2Routes } from '../../src/server/routes/oauth2-routes.js';
import { verifyPdfSignatures } from '../../src/validation/index.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { requireStore, testStores } from '../support/stores.js';
import { cscHarness } from '../csc/support/csc-harness.js';
import { hiddenFields, sessionCookie } from '../auth/oauth2/oauth2-env.js';

const REDIRECT = 'https://gateway.example/cb';

describe('gateway: OAuth 2.0 credential token as the signHash bearer', () => {
  it('sqlite: 4 documents, one consent for their 4 hashes, signed; the token is spent afterwards', async (t) => {
    if (!(await requireStore(t, 'sqlite'))) return;
    const { store } = await testStores(t).sqlite();
    const h = await cscHarness(t, store);
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}/csc/v2`;
    const user = await h.createUser('dora');
    const credentialID = await h.createCredential(user, { pin: '975310' });
    const hasher = createScryptHasher({ N: 2 ** 10, r: 8, p: 1 }, { minimumN: 2 ** 10 });
    const deps = { store, clock: h.clock, audit: h.audit, hasher };
    const { clientId } = await createOAuthClient(deps, { name: 'Gateway', clientType: 'public', redirectUris: [REDIRECT], allowedScopes: ['service', 'credential'] });
    const oauth2 = createOAuth2Service({ ...deps, authenticator: h.authenticator, sads: h.sads, issuer: () => 'http://127.0.0.1:8080' });
    const as = Fastify();
    await as.register(oauth2Routes, { oauth2 });
    t.after(() => as.close());

    // The person's browser: login (password + OTP), consent with the PIN; the gateway swaps the code.
    let tokens = 0;
    let lastToken = '';
    const viaOAuth: HashAuthorizer = async (request) => {
      const verifier = randomBytes(32).toString('base64url');
      const query = new URLSearchParams({
        response_type: 'code',
        client_id: clientId,
        redirect_uri: REDIRECT,
        state: 's',
        code_challenge: s256Challenge(verifier),
        code_challenge_method: 'S256',
        scope: 'credential',
        credentialID: request.credentialID,
        numSignatures: String(request.numSignatures),
        hashAlgorithmOID: request.hashAlgorithmOID,
        // CSC v2 §8.4.2: base64url in the authorize query.
        hashes: request.hashes.map((x) => Buffer.from(x, 'base64').toString('base64url')).join(','),
      });
      const page = await as.inject({ method: 'GET', url: `/oauth2/authorize?${query.toString()}` });
      assert.equal(page.statusCode, 200, page.body);
      const post = (cookie: string | undefined, fields: Record<string, string>) =>
        as.inject({
          method: 'POST',
          url: '/oauth2/authorize',
          headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `signet_oauth2=${cookie ?? ''}` },
          payload: new URLSearchParams(fields).toString(),
        });
      const consent = await post(sessionCookie(page), { ...hiddenFields(page.body), username: 'dora', password: user.password, otp: h.nextOtp(user) });
      assert.equal(consent.statusCode, 200, consent.body);
      const done = await post(sessionCookie(consent), { ...hiddenFields(consent.body), decision: 'approve', pin: '975310' });
      assert.equal(done.statusCode, 303, done.body);
      const code = new URL(String(done.headers.location)).searchParams.get('code') ?? '';
      const token = await as.inject({
        method: 'POST',
        url: '/oauth2/token',
        payload: { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier, client_id: clientId },
      });
      assert.equal(token.statusCode, 200, token.body);
      tokens++;
      lastToken = token.json<{ access_token: string }>().access_token;
      return { accessToken: lastToken };
    };

    const client = new CscClient({ baseUrl: url, auth: { kind: 'basic', username: user.username, password: user.password } });
    const credential = await loadRemoteCredential(client, credentialID);
    const outputs = new Map<string, Uint8Array>();
    const docs: BatchDocument[] = [0, 1, 2, 3].map((i) => ({
      id: `d${i}`,
      source: { kind: 'bytes', bytes: makeBasePdf({ text: `OAuth ${i}` }) },
      sink: { kind: 'bytes', accept: (signed) => void outputs.set(`d${i}`, signed) },
    }));
    const result = await signBatch(docs, { client, credential, clock: h.clock, authorize: viaOAuth, hashesPerCall: 2 });
    assert.equal(result.signed, 4, JSON.stringify(result.results));
    assert.equal(tokens, 1, 'one consent for the whole batch');
    for (const bytes of outputs.values()) {
      const report = verifyPdfSignatures(bytes, { trustAnchors: [h.pki.hierarchy.root.certificate] });
      assert.equal(report.signatures[0]?.indication, 'TOTAL-PASSED', JSON.stringify(report.signatures[0]?.problems));
    }
    // numSignatures = 4 are spent: the same token signs nothing more.
    const again = await signBatch(docs.slice(0, 1), { client, credential, clock: h.clock, authorize: () => Promise.resolve({ accessToken: lastToken }) });
    assert.equal(again.signed, 0);
    assert.ok(again.results.every((r) => !r.ok && r.stage === 'sign'));
  });
});
