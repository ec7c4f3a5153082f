/**
 * Pushed authorization requests (RFC 9126; CSC API v2 §8.4.3): many hashes that would not fit a
 * URL, client authentication, single use, binding to the pushing client, expiry.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { requireStore, storeKinds } from '../../support/stores.js';
import {
  GATEWAY_REDIRECT,
  PIN,
  SHA256,
  approve,
  getAuthorize,
  makeEnv,
  openLogin,
  pkce,
  postToken,
  signIn,
} from './oauth2-env.js';

describe('RFC 9126 pushed authorization requests', () => {
  for (const kind of storeKinds) {
    it(`${kind}: 300 hashes pushed by the gateway → request_uri → login → consent → credential token`, async (t) => {
      if (!(await requireStore(t, kind))) return;
      const env = await makeEnv(t, kind);
      const { verifier, challenge } = pkce();
      const hashes = Array.from({ length: 300 }, (_, i) =>
        createHash('sha256').update(`doc ${i}`).digest('base64url'),
      );
      const fields = {
        response_type: 'code',
        redirect_uri: GATEWAY_REDIRECT,
        state: 'par-1',
        code_challenge: challenge,
        code_challenge_method: 'S256',
        scope: 'credential',
        credentialID: env.credentialId,
        numSignatures: '300',
        hashes: hashes.join(','),
        hashAlgorithmOID: SHA256,
      };
      // The same request as a URL would exceed what HTTP servers accept in a request line.
      assert.ok(new URLSearchParams(fields).toString().length > 13_000);
      const pushed = await postToken(env, fields, env.gateway, '/oauth2/pushed_authorize');
      assert.equal(pushed.statusCode, 201, pushed.body);
      const { request_uri, expires_in } = pushed.json<{
        request_uri: string;
        expires_in: number;
      }>();
      assert.match(request_uri, /^urn:ietf:params:oauth:request_uri:[A-Za-z0-9_-]{43}$/);
      assert.equal(expires_in, 90);
      const login = await openLogin(env, { client_id: env.gateway.id, request_uri });
      const consent = await signIn(env, login);
      assert.match(consent.res.body, /<strong id="num-signatures">300<\/strong>/);
      const done = await approve(env, consent, PIN);
      assert.equal(done.statusCode, 303);
      const q = new URL(String(done.headers.location)).searchParams;
      assert.equal(q.get('state'), 'par-1');
      const token = await postToken(
        env,
        {
          grant_type: 'authorization_code',
          code: q.get('code') ?? '',
          redirect_uri: GATEWAY_REDIRECT,
          code_verifier: verifier,
        },
        env.gateway,
      );
      assert.equal(token.statusCode, 200, token.body);
      const sad = await env.store.db.selectFrom('sads').selectAll().executeTakeFirstOrThrow();
      assert.equal(Number(sad.num_signatures), 300);
      // Single use (RFC 9126 §4).
      const again = await getAuthorize(env, { client_id: env.gateway.id, request_uri });
      assert.equal(again.statusCode, 400);
      assert.equal(again.headers.location, undefined);
    });
  }

  it('needs client authentication, validates like /authorize (OA-05: plain PKCE refused at PAR too), is bound to its client and expires', async (t) => {
    if (!(await requireStore(t, 'sqlite'))) return;
    const env = await makeEnv(t, 'sqlite');
    const base = {
      response_type: 'code',
      redirect_uri: GATEWAY_REDIRECT,
      scope: 'service',
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
    };
    const push = (fields: Record<string, string>, auth = env.gateway) =>
      postToken(env, fields, auth, '/oauth2/pushed_authorize');
    assert.equal((await push(base, { id: env.gateway.id, secret: 'wrong' })).statusCode, 401);
    for (const [fields, error] of [
      [{ ...base, redirect_uri: 'https://evil.example/cb' }, 'invalid_request'],
      [{ ...base, code_challenge_method: 'plain' }, 'invalid_request'],
      [{ ...base, scope: 'admin' }, 'invalid_scope'],
      [{ ...base, request_uri: 'urn:x' }, 'invalid_request'],
    ] as const) {
      const res = await push(fields);
      assert.equal(res.statusCode, 400);
      assert.equal(res.json<{ error: string }>().error, error);
    }
    const { request_uri } = (await push(base)).json<{ request_uri: string }>();
    // Another client cannot use it — and the attempt burns it.
    const foreign = await getAuthorize(env, { client_id: env.publicClient, request_uri });
    assert.equal(foreign.statusCode, 400);
    assert.equal(
      (await getAuthorize(env, { client_id: env.gateway.id, request_uri })).statusCode,
      400,
    );
    const late = (await push(base)).json<{ request_uri: string }>().request_uri;
    env.clock.advance(91_000);
    assert.equal(
      (await getAuthorize(env, { client_id: env.gateway.id, request_uri: late })).statusCode,
      400,
    );
    const meta = await env.app.inject({
      method: 'GET',
      url: '/.well-known/oauth-authorization-server',
    });
    assert.equal(
      meta.json<{ pushed_authorization_request_endpoint: string }>()
        .pushed_authorization_request_endpoint,
      'https://signet.test/oauth2/pushed_authorize',
    );
  });
});
