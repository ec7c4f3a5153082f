/**
 * Token endpoint refusals (docs/security.md OA-06…13, OA-17…19, OA-22, OA-27; RFC 6749 §4.1.3, §5.2,
 * §6; RFC 7636 §4.6; RFC 9700 §4.8, §4.14): PKCE, code binding and single use (a replay revokes
 * what the code produced), expiry, refresh rotation with family revocation on reuse.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { SadError, verifyAccessToken } from '../../../src/auth/index.js';
import { setCredentialStatus, setUserStatus } from '../../../src/store/index.js';
import { requireStore, storeKinds } from '../../support/stores.js';
import {
  GATEWAY_REDIRECT,
  PIN,
  PUBLIC_REDIRECT,
  SHA256,
  auditTypes,
  authorizeAll,
  makeEnv,
  pkce,
  postToken,
  serviceParams,
  type OAuth2Env,
} from './oauth2-env.js';

async function codeFor(
  env: OAuth2Env,
  extra: Record<string, string> = {},
  pin?: string,
): Promise<{ code: string; verifier: string }> {
  const { verifier, challenge } = pkce();
  const q = await authorizeAll(env, serviceParams(env, challenge, extra), pin);
  return { code: q.get('code') ?? '', verifier };
}

function redeem(
  env: OAuth2Env,
  code: string,
  verifier: string | undefined,
  extra: Record<string, string> = {},
) {
  return postToken(env, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: PUBLIC_REDIRECT,
    client_id: env.publicClient,
    ...(verifier === undefined ? {} : { code_verifier: verifier }),
    ...extra,
  });
}

async function errorOf(
  res: { statusCode: number; json: <T>() => T },
  status = 400,
): Promise<string> {
  assert.equal(res.statusCode, status);
  const body = res.json<{ error: string; error_description?: string }>();
  assert.match(body.error_description ?? '', /^[\x20\x21\x23-\x5B\x5D-\x7E]*$/);
  return body.error;
}

describe('RFC 6749 §4.1.3 token endpoint', () => {
  for (const kind of storeKinds) {
    it(`${kind}: OA-10 code replay → invalid_grant and the first redemption's tokens and SAD are revoked`, async (t) => {
      if (!(await requireStore(t, kind))) return;
      const env = await makeEnv(t, kind);
      const h = createHash('sha256').update('doc').digest();
      const { code, verifier } = await codeFor(
        env,
        {
          scope: 'credential',
          credentialID: env.credentialId,
          numSignatures: '1',
          hashes: h.toString('base64url'),
          hashAlgorithmOID: SHA256,
        },
        PIN,
      );
      const first = await redeem(env, code, verifier);
      assert.equal(first.statusCode, 200);
      const token = first.json<{ access_token: string }>().access_token;
      env.clock.advance(1000);
      assert.equal(await errorOf(await redeem(env, code, verifier)), 'invalid_grant');
      assert.equal(
        await verifyAccessToken(env.store.db, token, env.clock.now().getTime(), undefined),
        undefined,
      );
      await assert.rejects(
        env.sads.consume({
          sad: token,
          userId: env.userId,
          credentialId: env.credentialId,
          clientId: env.publicClient,
          hashAlgorithmOid: SHA256,
          hashes: [h],
        }),
        (e: unknown) => e instanceof SadError && e.code === 'ERR_SAD_REVOKED',
      );
      assert.ok((await auditTypes(env.store)).includes('oauth2.code.replay:failure'));
    });

    it(`${kind}: OA-11 the same code sent to two nodes at once is redeemed exactly once`, async (t) => {
      if (!(await requireStore(t, kind))) return;
      const env = await makeEnv(t, kind);
      const node2 = await env.secondNode();
      for (let round = 0; round < 3; round++) {
        const { code, verifier } = await codeFor(env);
        const payload = new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          redirect_uri: PUBLIC_REDIRECT,
          code_verifier: verifier,
          client_id: env.publicClient,
        }).toString();
        const send = (app: typeof node2) =>
          app.inject({
            method: 'POST',
            url: '/oauth2/token',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            payload,
          });
        const results = await Promise.all([send(env.app), send(node2), send(env.app), send(node2)]);
        assert.deepEqual(results.map((r) => r.statusCode).sort(), [200, 400, 400, 400]);
      }
    });

    it(`${kind}: OA-18 refresh reuse revokes the whole family; refresh tokens are bound to their client`, async (t) => {
      if (!(await requireStore(t, kind))) return;
      const env = await makeEnv(t, kind);
      const { code, verifier } = await codeFor(env);
      const t1 = (await redeem(env, code, verifier)).json<Record<string, string>>();
      const refresh = (rt: string, client = env.publicClient, extra: Record<string, string> = {}) =>
        postToken(env, {
          grant_type: 'refresh_token',
          refresh_token: rt,
          client_id: client,
          ...extra,
        });
      // OA-19: no credential authority by refresh; another client cannot use it. Neither burns it.
      assert.equal(
        await errorOf(
          await refresh(String(t1['refresh_token']), env.publicClient, { scope: 'credential' }),
        ),
        'invalid_scope',
      );
      assert.equal(
        await errorOf(
          await postToken(
            env,
            { grant_type: 'refresh_token', refresh_token: String(t1['refresh_token']) },
            env.gateway,
          ),
        ),
        'invalid_grant',
      );
      const t2 = (await refresh(String(t1['refresh_token']))).json<Record<string, string>>();
      assert.ok(t2['refresh_token']);
      const now = env.clock.now().getTime();
      assert.ok(await verifyAccessToken(env.store.db, String(t2['access_token']), now, undefined));
      // Reusing RT1: refused, and RT2 and every access token of the grant die with it.
      assert.equal(await errorOf(await refresh(String(t1['refresh_token']))), 'invalid_grant');
      assert.equal(
        await verifyAccessToken(env.store.db, String(t2['access_token']), now, undefined),
        undefined,
      );
      assert.equal(
        await verifyAccessToken(env.store.db, String(t1['access_token']), now, undefined),
        undefined,
      );
      assert.equal(await errorOf(await refresh(String(t2['refresh_token']))), 'invalid_grant');
      assert.ok((await auditTypes(env.store)).includes('oauth2.refresh.reuse:failure'));
    });
  }

  it('OA-06/07/09/12/13: verifier required and checked, code bound to client and redirect_uri, codes expire', async (t) => {
    if (!(await requireStore(t, 'sqlite'))) return;
    const env = await makeEnv(t, 'sqlite');
    const c1 = await codeFor(env);
    assert.equal(await errorOf(await redeem(env, c1.code, undefined)), 'invalid_grant'); // OA-06
    const c2 = await codeFor(env);
    assert.equal(await errorOf(await redeem(env, c2.code, pkce().verifier)), 'invalid_grant'); // OA-07
    const c3 = await codeFor(env);
    // OA-09: the public client's code redeemed by the gateway.
    assert.equal(
      await errorOf(
        await postToken(
          env,
          {
            grant_type: 'authorization_code',
            code: c3.code,
            redirect_uri: PUBLIC_REDIRECT,
            code_verifier: c3.verifier,
          },
          env.gateway,
        ),
      ),
      'invalid_grant',
    );
    const c4 = await codeFor(env);
    assert.equal(
      await errorOf(
        await redeem(env, c4.code, c4.verifier, { redirect_uri: `${PUBLIC_REDIRECT}/` }),
      ),
      'invalid_grant',
    ); // OA-13
    const c5 = await codeFor(env);
    env.clock.advance(61_000); // OA-12: 60 s lifetime
    assert.equal(await errorOf(await redeem(env, c5.code, c5.verifier)), 'invalid_grant');
    assert.equal(await errorOf(await redeem(env, 'x'.repeat(43), c5.verifier)), 'invalid_grant');
    // A fresh code still works (the flow itself is fine).
    const c6 = await codeFor(env);
    assert.equal((await redeem(env, c6.code, c6.verifier)).statusCode, 200);
    // A public client may use Basic with an empty password (it has no secret).
    const c7 = await codeFor(env);
    const basic = await postToken(
      env,
      {
        grant_type: 'authorization_code',
        code: c7.code,
        redirect_uri: PUBLIC_REDIRECT,
        code_verifier: c7.verifier,
      },
      { id: env.publicClient, secret: '' },
    );
    assert.equal(basic.statusCode, 200, basic.body);
  });

  it('SAD-03/SAD-16: token-time authorization_details must restate the consent; a credential or user disabled since consent gets no token', async (t) => {
    if (!(await requireStore(t, 'sqlite'))) return;
    const env = await makeEnv(t, 'sqlite');
    const h = createHash('sha256').update('consented').digest();
    const cred = {
      scope: 'credential',
      credentialID: env.credentialId,
      numSignatures: '1',
      hashes: h.toString('base64url'),
      hashAlgorithmOID: SHA256,
    };
    const swapped = JSON.stringify([
      {
        type: 'credential',
        credentialID: env.credentialId,
        hashAlgorithmOID: SHA256,
        documentDigests: [{ hash: createHash('sha256').update('other').digest('base64') }],
      },
    ]);
    const c1 = await codeFor(env, cred, PIN);
    assert.equal(
      await errorOf(await redeem(env, c1.code, c1.verifier, { authorization_details: swapped })),
      'invalid_authorization_details',
    );
    assert.equal((await env.store.db.selectFrom('sads').selectAll().execute()).length, 0);
    const c2 = await codeFor(env, cred, PIN);
    await setCredentialStatus(env.store.db, env.credentialId, 'disabled');
    assert.equal(await errorOf(await redeem(env, c2.code, c2.verifier)), 'invalid_grant');
    await setCredentialStatus(env.store.db, env.credentialId, 'active');
    const c3 = await codeFor(env);
    await setUserStatus(env.store.db, env.userId, 'disabled');
    assert.equal(await errorOf(await redeem(env, c3.code, c3.verifier)), 'invalid_grant');
    assert.equal((await env.store.db.selectFrom('tokens').selectAll().execute()).length, 0);
  });

  it('OA-08 PKCE downgrade: a verifier without a challenge is refused (confidential client, PKCE optional)', async (t) => {
    if (!(await requireStore(t, 'sqlite'))) return;
    const env = await makeEnv(t, 'sqlite', { pkceRequiredForConfidentialClients: false });
    const params = {
      response_type: 'code',
      client_id: env.gateway.id,
      redirect_uri: GATEWAY_REDIRECT,
      scope: 'service',
      state: 's',
    };
    const q1 = await authorizeAll(env, params);
    const downgraded = await postToken(
      env,
      {
        grant_type: 'authorization_code',
        code: q1.get('code') ?? '',
        redirect_uri: GATEWAY_REDIRECT,
        code_verifier: pkce().verifier,
      },
      env.gateway,
    );
    assert.equal(await errorOf(downgraded), 'invalid_grant');
    const q2 = await authorizeAll(env, params);
    const ok = await postToken(
      env,
      {
        grant_type: 'authorization_code',
        code: q2.get('code') ?? '',
        redirect_uri: GATEWAY_REDIRECT,
      },
      env.gateway,
    );
    assert.equal(ok.statusCode, 200, ok.body);
  });

  it('OA-17/22/27: client authentication, grant types, methods, content types, error format', async (t) => {
    if (!(await requireStore(t, 'sqlite'))) return;
    const env = await makeEnv(t, 'sqlite');
    assert.equal(
      await errorOf(
        await postToken(env, {
          grant_type: 'password',
          username: 'alice',
          password: 'x',
          client_id: env.publicClient,
        }),
      ),
      'unsupported_grant_type',
    );
    assert.equal(
      await errorOf(
        await postToken(env, {
          grant_type: 'client_credentials',
          client_id: 'nobody',
          client_secret: 's',
        }),
        401,
      ),
      'invalid_client',
    );
    assert.equal(
      await errorOf(
        await postToken(env, { grant_type: 'client_credentials', client_id: env.gateway.id }),
        401,
      ),
      'invalid_client',
    );
    assert.equal(
      await errorOf(
        await postToken(env, {
          grant_type: 'client_credentials',
          client_id: env.publicClient,
          client_secret: 'x',
        }),
        401,
      ),
      'invalid_client',
    );
    assert.equal(
      await errorOf(await postToken(env, { client_id: env.publicClient })),
      'invalid_request',
    );
    const dup = await env.app.inject({
      method: 'POST',
      url: '/oauth2/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `grant_type=client_credentials&grant_type=password&client_id=${env.serviceOnly.id}`,
    });
    assert.equal(await errorOf(dup), 'invalid_request');
    const get = await env.app.inject({ method: 'GET', url: '/oauth2/token' });
    assert.equal(get.statusCode, 405);
    assert.equal(get.headers.allow, 'POST');
    const xml = await env.app.inject({
      method: 'POST',
      url: '/oauth2/token',
      headers: { 'content-type': 'text/xml' },
      payload: '<x/>',
    });
    assert.equal(xml.statusCode, 415);
    assert.equal(xml.json<{ error: string }>().error, 'invalid_request');
    // JSON bodies are accepted (CSC clients send them).
    const json = await env.app.inject({
      method: 'POST',
      url: '/oauth2/token',
      payload: {
        grant_type: 'client_credentials',
        client_id: env.serviceOnly.id,
        client_secret: env.serviceOnly.secret,
      },
    });
    assert.equal(json.statusCode, 200, json.body);
    const big = await env.app.inject({
      method: 'POST',
      url: '/oauth2/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `grant_type=${'x'.repeat(70_000)}`,
    });
    assert.equal(big.statusCode, 413);
    // The login/consent endpoint takes the HTML form only.
    const jsonForm = await env.app.inject({
      method: 'POST',
      url: '/oauth2/authorize',
      payload: { step: 'login' },
    });
    assert.equal(jsonForm.statusCode, 415);
    const meta = await env.app.inject({
      method: 'GET',
      url: '/.well-known/oauth-authorization-server',
    });
    assert.deepEqual(
      meta.json<{ code_challenge_methods_supported: string[] }>().code_challenge_methods_supported,
      ['S256'],
    );
  });
});
