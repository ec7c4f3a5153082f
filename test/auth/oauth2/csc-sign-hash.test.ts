/**
 * The OAuth2 credential-scope token drives the real CSC API (contract 2; CSC API v2 §8.4, §11.9;
 * docs/security.md SAD-02/05/10/15): a token obtained through the browser flow signs exactly the
 * authorised hashes via POST /csc/v2/signatures/signHash — and nothing else, and only once.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createHash, randomBytes, verify } from 'node:crypto';
import Fastify from 'fastify';
import { oids } from '../../../src/cms/index.js';
import { createScryptHasher } from '../../../src/auth/index.js';
import {
  createOAuth2Service,
  createOAuthClient,
  s256Challenge,
} from '../../../src/auth/oauth2/index.js';
import { credentialCertificates, findCredential } from '../../../src/store/index.js';
import { oauth2Routes } from '../../../src/server/routes/oauth2-routes.js';
import { requireStore, storeKinds, testStores } from '../../support/stores.js';
import { cscHarness } from '../../csc/support/csc-harness.js';
import { hiddenFields, sessionCookie } from './oauth2-env.js';

const SHA256 = '2.16.840.1.101.3.4.2.1';
const REDIRECT = 'https://sign-app.example/cb';

describe('OAuth2 credential token → CSC v2 signatures/signHash', () => {
  for (const kind of storeKinds) {
    it(`${kind}: signs exactly the consented hashes, refuses any other hash, a forged bearer and a replay`, async (t) => {
      if (!(await requireStore(t, kind))) return;
      const { store } = await testStores(t)[kind]();
      const h = await cscHarness(t, store);
      const user = await h.createUser('carol');
      const credentialID = await h.createCredential(user, { pin: '135790' });
      const hasher = createScryptHasher({ N: 2 ** 10, r: 8, p: 1 }, { minimumN: 2 ** 10 });
      const deps = { store, clock: h.clock, audit: h.audit, hasher };
      const { clientId } = await createOAuthClient(deps, {
        name: 'Sign App',
        clientType: 'public',
        redirectUris: [REDIRECT],
        allowedScopes: ['service', 'credential'],
      });
      const oauth2 = createOAuth2Service({
        ...deps,
        authenticator: h.authenticator,
        sads: h.sads,
        issuer: () => 'http://127.0.0.1:8080',
      });
      const app = Fastify();
      await app.register(oauth2Routes, { oauth2 });
      t.after(() => app.close());

      const docs = [randomBytes(64), randomBytes(64)];
      const hashes = docs.map((d) => createHash('sha256').update(d).digest());
      const verifier = randomBytes(32).toString('base64url');
      const query = new URLSearchParams({
        response_type: 'code',
        client_id: clientId,
        redirect_uri: REDIRECT,
        state: 'x',
        code_challenge: s256Challenge(verifier),
        code_challenge_method: 'S256',
        scope: 'credential',
        credentialID,
        numSignatures: '2',
        hashAlgorithmOID: SHA256,
        hashes: hashes.map((x) => x.toString('base64url')).join(','),
      });
      const page = await app.inject({
        method: 'GET',
        url: `/oauth2/authorize?${query.toString()}`,
      });
      assert.equal(page.statusCode, 200, page.body);
      const post = (cookie: string | undefined, fields: Record<string, string>) =>
        app.inject({
          method: 'POST',
          url: '/oauth2/authorize',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            cookie: `signet_oauth2=${cookie ?? ''}`,
          },
          payload: new URLSearchParams(fields).toString(),
        });
      const consent = await post(sessionCookie(page), {
        ...hiddenFields(page.body),
        username: 'carol',
        password: user.password,
        otp: h.nextOtp(user),
      });
      assert.equal(consent.statusCode, 200, consent.body);
      assert.match(consent.body, /<span id="certificate-subject">[^<]*CN=carol signer/);
      const done = await post(sessionCookie(consent), {
        ...hiddenFields(consent.body),
        decision: 'approve',
        pin: '135790',
      });
      assert.equal(done.statusCode, 303, done.body);
      const code = new URL(String(done.headers.location)).searchParams.get('code') ?? '';
      const tokenRes = await app.inject({
        method: 'POST',
        url: '/oauth2/token',
        payload: {
          grant_type: 'authorization_code',
          code,
          redirect_uri: REDIRECT,
          code_verifier: verifier,
          client_id: clientId,
        },
      });
      assert.equal(tokenRes.statusCode, 200, tokenRes.body);
      const token = tokenRes.json<{ access_token: string }>().access_token;
      const b64 = hashes.map((x) => x.toString('base64'));
      const signHash = (hs: string[], bearer = token) =>
        h.call(
          'v2',
          'signatures/signHash',
          { credentialID, hashes: hs, hashAlgorithmOID: SHA256, signAlgo: oids.ecdsa_with_SHA256 },
          { bearer },
        );

      // A hash outside the consent: the whole request is refused, nothing is signed or consumed.
      const foreign = await signHash([
        b64[0] ?? '',
        createHash('sha256').update('evil').digest('base64'),
      ]);
      assert.equal(foreign.status, 400, JSON.stringify(foreign.body));
      assert.equal(foreign.body.error, 'invalid_request');
      assert.equal(foreign.body.error_description, 'Hash is not authorized by the SAD');
      // A forged bearer is not a token.
      const other401 = await signHash(b64, randomBytes(32).toString('base64url'));
      assert.equal(other401.status, 401);

      const ok = await signHash(b64);
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      const signatures = (ok.body.signatures as string[]).map((s) => Buffer.from(s, 'base64'));
      assert.equal(signatures.length, 2);
      const row = await findCredential(store.db, credentialID);
      const leaf = new X509Certificate(Buffer.from(credentialCertificates(row!)[0]!));
      signatures.forEach((sig, i) => {
        const good =
          verify('sha256', docs[i]!, { key: leaf.publicKey, dsaEncoding: 'der' }, sig) ||
          verify('sha256', docs[i]!, { key: leaf.publicKey, dsaEncoding: 'ieee-p1363' }, sig);
        assert.ok(good, `signature ${i} verifies against the credential's certificate`);
      });
      // numSignatures = 2 are used up: a replay signs nothing.
      const replay = await signHash([b64[0] ?? '']);
      assert.notEqual(replay.status, 200);
      const types = await h.auditTypes();
      assert.ok(types.includes('oauth2.token.issue:success'));
      assert.ok(types.includes('sad.consume:success'));
    });
  }
});
