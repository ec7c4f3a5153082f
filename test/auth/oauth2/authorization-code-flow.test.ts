/**
 * The OAuth 2.0 authorization-code flow with PKCE over HTTP, driven like a browser (RFC 6749 §4.1,
 * RFC 7636, RFC 9396, CSC API v2 §8.4), on SQLite and PostgreSQL: service scope with refresh
 * rotation, credential scope whose token is its SAD, RAR, confidential client authentication.
 */
import { batchRoot } from '../../../src/transparency/index.js';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { verifyAuditStore } from '../../../src/audit/index.js';
import { SadError, hashOpaqueToken, verifyAccessToken } from '../../../src/auth/index.js';
import { requireStore, storeKinds } from '../../support/stores.js';
import {
  GATEWAY_REDIRECT,
  ISSUER,
  PIN,
  PUBLIC_REDIRECT,
  SHA256,
  approve,
  auditTypes,
  authorizeAll,
  makeEnv,
  openLogin,
  pkce,
  postToken,
  serviceParams,
  signIn,
} from './oauth2-env.js';

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

describe('OAuth2 authorization code flow (RFC 6749 §4.1 + RFC 7636)', () => {
  for (const kind of storeKinds) {
    describe(kind, () => {
      it('service scope: login page → consent → 303 with code, state and iss → tokens; refresh rotates', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const env = await makeEnv(t, kind);
        const { verifier, challenge } = pkce();
        const login = await openLogin(env, serviceParams(env, challenge));
        assert.match(login.res.body, /<form method="post" action="authorize"/);
        assert.ok(login.cookie !== undefined && login.cookie.length >= 43);
        assert.ok(login.fields['csrf_token'] !== undefined);
        // docs/security.md OA-25/26: anti-framing, no referrer, no caching on the HTML.
        assert.match(
          String(login.res.headers['content-security-policy']),
          /frame-ancestors 'none'/,
        );
        assert.equal(login.res.headers['x-frame-options'], 'DENY');
        assert.equal(login.res.headers['referrer-policy'], 'no-referrer');
        assert.equal(login.res.headers['cache-control'], 'no-store');
        assert.match(String(login.res.headers['set-cookie']), /HttpOnly; SameSite=Strict; Secure/);

        const consent = await signIn(env, login);
        assert.equal(consent.res.statusCode, 200);
        assert.match(consent.res.body, /Public App asks for access/);
        // OA-32: a new session handle after authentication.
        assert.notEqual(consent.cookie, login.cookie);
        assert.notEqual(consent.fields['csrf_token'], login.fields['csrf_token']);

        const done = await approve(env, consent);
        // RFC 9700 §4.12: 303 after the POST, never 307.
        assert.equal(done.statusCode, 303);
        const location = new URL(String(done.headers.location));
        assert.equal(`${location.origin}${location.pathname}`, PUBLIC_REDIRECT);
        assert.equal(location.searchParams.get('state'), 'st-1');
        assert.equal(location.searchParams.get('iss'), ISSUER);
        const code = location.searchParams.get('code') ?? '';
        assert.equal(code.length, 43);
        assert.match(String(done.headers['set-cookie']), /^signet_oauth2=; Max-Age=0/);

        const res = await postToken(env, {
          grant_type: 'authorization_code',
          code,
          redirect_uri: PUBLIC_REDIRECT,
          code_verifier: verifier,
          client_id: env.publicClient,
        });
        assert.equal(res.statusCode, 200, res.body);
        assert.equal(res.headers['cache-control'], 'no-store');
        const body = res.json<Record<string, unknown>>();
        assert.equal(body['token_type'], 'Bearer');
        assert.equal(body['scope'], 'service');
        assert.equal(body['expires_in'], 3600);
        const now = env.clock.now().getTime();
        assert.deepEqual(await verifyAccessToken(env.store.db, String(body['access_token']), now, undefined), {
          userId: env.userId,
          clientId: env.publicClient,
          scope: 'service',
          credentialId: null,
          expiresAt: now + 3_600_000,
          userActive: true,
          certificateThumbprint: null,
        });

        // RFC 6749 §6 with rotation: RT1 → RT2; the new access token works.
        const r2 = await postToken(env, {
          grant_type: 'refresh_token',
          refresh_token: String(body['refresh_token']),
          client_id: env.publicClient,
        });
        assert.equal(r2.statusCode, 200, r2.body);
        const b2 = r2.json<Record<string, unknown>>();
        assert.notEqual(b2['refresh_token'], body['refresh_token']);
        assert.ok(await verifyAccessToken(env.store.db, String(b2['access_token']), now, undefined));

        // OA-20: the database holds no raw code or token.
        const dump = JSON.stringify(
          await Promise.all(
            (['tokens', 'authorization_codes', 'oauth_interactions', 'audit_log'] as const).map(
              (tb) => env.store.db.selectFrom(tb).selectAll().execute(),
            ),
          ),
          (_k, v: unknown) =>
            v instanceof Uint8Array || Buffer.isBuffer(v)
              ? Buffer.from(v as Uint8Array).toString('base64url')
              : v,
        );
        for (const secret of [
          code,
          body['access_token'],
          body['refresh_token'],
          b2['access_token'],
          b2['refresh_token'],
          login.cookie,
          verifier,
        ]) {
          assert.ok(!dump.includes(String(secret)), 'a raw secret is stored');
        }
        const types = await auditTypes(env.store);
        for (const e of [
          'oauth2.authorize:success',
          'auth.password:success',
          'auth.totp:success',
          'oauth2.login:success',
          'oauth2.consent:success',
          'oauth2.code.issue:success',
          'oauth2.token.issue:success',
          'oauth2.token.refresh:success',
        ]) {
          assert.ok(types.includes(e), `${e} audited`);
        }
        assert.equal((await verifyAuditStore(env.store, env.audit.key)).ok, true);
      });

      it('credential scope (CSC hashes): consent shows credential, count and hashes; PIN; the token is the SAD for exactly those hashes', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const env = await makeEnv(t, kind);
        const { verifier, challenge } = pkce();
        const h1 = digest('document one');
        const h2 = digest('document two');
        const login = await openLogin(env, {
          ...serviceParams(env, challenge),
          scope: 'credential',
          credentialID: env.credentialId,
          numSignatures: '2',
          hashes: `${h1.toString('base64url')},${h2.toString('base64url')}`,
          hashAlgorithmOID: SHA256,
          description: 'Sign <two> contracts',
        });
        const consent = await signIn(env, login);
        assert.equal(consent.res.statusCode, 200, consent.res.body);
        const html = consent.res.body;
        assert.match(html, /<code id="credential-id">cred-alice<\/code>/);
        assert.match(html, /<strong id="num-signatures">2<\/strong>/);
        assert.ok(html.includes(h1.toString('base64')) && html.includes(h2.toString('base64')));
        assert.ok(html.includes('Sign &#60;two&#62; contracts'), 'the description is escaped');
        assert.match(html, /name="pin" type="password"/);
        // Issue 21: the page shows the batch's count and its RFC 9162 root over the ordered hashes.
        const root = Buffer.from(batchRoot([h1, h2])).toString('base64');
        assert.match(html, /<dt>Documents in the batch<\/dt><dd id="batch-count">2<\/dd>/);
        assert.ok(html.includes(`<dt>Batch root</dt><dd><code id="batch-root">${root}</code></dd>`), 'the batch root is shown');

        // A wrong PIN re-shows the consent page with a fresh anti-CSRF token (SCAL2).
        const wrong = await approve(env, consent, '0000');
        assert.equal(wrong.statusCode, 400);
        assert.match(wrong.body, /The PIN is wrong/);
        const params = await (async () => {
          const again = await approve(
            env,
            {
              ...consent,
              fields: {
                ...consent.fields,
                csrf_token: /name="csrf_token" value="([^"]+)"/.exec(wrong.body)?.[1] ?? '',
              },
            },
            PIN,
          );
          assert.equal(again.statusCode, 303, again.body);
          return new URL(String(again.headers.location)).searchParams;
        })();
        const res = await postToken(env, {
          grant_type: 'authorization_code',
          code: params.get('code') ?? '',
          redirect_uri: PUBLIC_REDIRECT,
          code_verifier: verifier,
          client_id: env.publicClient,
        });
        assert.equal(res.statusCode, 200, res.body);
        const body = res.json<Record<string, unknown>>();
        assert.equal(body['scope'], 'credential');
        assert.equal(body['credentialID'], env.credentialId);
        assert.equal(body['expires_in'], 300);
        // OA-19: no refresh token for signing authority.
        assert.equal(body['refresh_token'], undefined);
        const token = String(body['access_token']);
        const info = await verifyAccessToken(env.store.db, token, env.clock.now().getTime(), undefined);
        assert.equal(info?.scope, 'credential');
        assert.equal(info?.credentialId, env.credentialId);
        // Contract 2: the SAD row has the token's hash.
        const sadRow = await env.store.db.selectFrom('sads').selectAll().executeTakeFirstOrThrow();
        assert.deepEqual(new Uint8Array(sadRow.id_hash), hashOpaqueToken(token));
        assert.equal(Number(sadRow.num_signatures), 2);
        // Issue 21: the SAD binds the root the page showed.
        assert.equal(Buffer.from(sadRow.batch_root as Uint8Array).toString('base64'), root);

        const binding = {
          userId: env.userId,
          credentialId: env.credentialId,
          clientId: env.publicClient,
          hashAlgorithmOid: SHA256,
        };
        // A hash outside the consent is refused, and nothing is consumed.
        await assert.rejects(
          env.sads.consume({ ...binding, sad: token, hashes: [h1, digest('other')] }),
          (e: unknown) => e instanceof SadError && e.code === 'ERR_SAD_HASH_NOT_AUTHORIZED',
        );
        // Another client cannot use it.
        await assert.rejects(
          env.sads.consume({ ...binding, clientId: env.gateway.id, sad: token, hashes: [h1] }),
          (e: unknown) => e instanceof SadError && e.code === 'ERR_SAD_BINDING',
        );
        assert.deepEqual(await env.sads.consume({ ...binding, sad: token, hashes: [h1, h2] }), {
          remaining: 0,
        });
        await assert.rejects(
          env.sads.consume({ ...binding, sad: token, hashes: [h1] }),
          (e: unknown) => e instanceof SadError && e.code === 'ERR_SAD_CONSUMED',
        );
        const types = await auditTypes(env.store);
        for (const e of [
          'auth.pin:failure',
          'oauth2.consent:failure',
          'auth.pin:success',
          'oauth2.consent:success',
          'sad.issue:success',
          'oauth2.token.issue:success',
        ]) {
          assert.ok(types.includes(e), `${e} audited`);
        }
      });

      it('RFC 9396 authorization_details (CSC v2 type credential) with labels; confidential client with client_secret_basic', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const env = await makeEnv(t, kind);
        const { verifier, challenge } = pkce();
        const h1 = digest('contract A').toString('base64');
        const details = [
          {
            type: 'credential',
            credentialID: env.credentialId,
            hashAlgorithmOID: SHA256,
            documentDigests: [{ hash: h1, label: 'Contract <A>' }],
          },
        ];
        const login = await openLogin(env, {
          response_type: 'code',
          client_id: env.gateway.id,
          redirect_uri: GATEWAY_REDIRECT,
          code_challenge: challenge,
          code_challenge_method: 'S256',
          authorization_details: JSON.stringify(details),
        });
        const consent = await signIn(env, login);
        assert.ok(consent.res.body.includes('Contract &#60;A&#62;: <code>' + h1 + '</code>'));
        const done = await approve(env, consent, PIN);
        assert.equal(done.statusCode, 303);
        const location = new URL(String(done.headers.location));
        // RFC 6749 §4.1.2: the registered query component is kept.
        assert.equal(location.searchParams.get('tenant'), '7');
        const form = {
          grant_type: 'authorization_code',
          code: location.searchParams.get('code') ?? '',
          redirect_uri: GATEWAY_REDIRECT,
          code_verifier: verifier,
          authorization_details: JSON.stringify(details),
        };
        const wrong = await postToken(env, form, { id: env.gateway.id, secret: 'not-the-secret' });
        assert.equal(wrong.statusCode, 401);
        assert.equal(wrong.json<{ error: string }>().error, 'invalid_client');
        assert.match(String(wrong.headers['www-authenticate']), /^Basic/);
        const res = await postToken(env, form, env.gateway);
        assert.equal(res.statusCode, 200, res.body);
        const body = res.json<{
          credentialID: string;
          authorization_details: { credentialID: string; numSignatures: number }[];
        }>();
        assert.equal(body.credentialID, env.credentialId);
        assert.equal(body.authorization_details[0]?.numSignatures, 1);
      });

      it('client_credentials: confidential client, service scope, client_secret_post; no refresh token', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const env = await makeEnv(t, kind);
        const res = await postToken(env, {
          grant_type: 'client_credentials',
          client_id: env.serviceOnly.id,
          client_secret: env.serviceOnly.secret,
        });
        assert.equal(res.statusCode, 200, res.body);
        const body = res.json<Record<string, unknown>>();
        assert.equal(body['refresh_token'], undefined);
        const info = await verifyAccessToken(
          env.store.db,
          String(body['access_token']),
          env.clock.now().getTime(),
          undefined,
        );
        assert.deepEqual(
          { userId: info?.userId, clientId: info?.clientId, scope: info?.scope },
          { userId: null, clientId: env.serviceOnly.id, scope: 'service' },
        );
        for (const [fields, error] of [
          [{ scope: 'credential' }, 'invalid_scope'],
          [{ client_secret: 'x'.repeat(43) }, 'invalid_client'],
        ] as const) {
          const r = await postToken(env, {
            grant_type: 'client_credentials',
            client_id: env.serviceOnly.id,
            client_secret: env.serviceOnly.secret,
            ...fields,
          });
          assert.equal(r.json<{ error: string }>().error, error);
        }
        // Public clients cannot use it (RFC 6749 §4.4).
        const pub = await postToken(env, {
          grant_type: 'client_credentials',
          client_id: env.publicClient,
        });
        assert.equal(pub.json<{ error: string }>().error, 'unauthorized_client');
        // Secret in header AND body: one method only (RFC 6749 §2.3).
        const both = await postToken(
          env,
          { grant_type: 'client_credentials', client_secret: env.serviceOnly.secret },
          env.serviceOnly,
        );
        assert.equal(both.json<{ error: string }>().error, 'invalid_request');
      });

      it('revocation (RFC 7009): access token, refresh token family, credential token with its SAD; unknown tokens → 200', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const env = await makeEnv(t, kind);
        const { verifier, challenge } = pkce();
        const q = await authorizeAll(env, serviceParams(env, challenge));
        const tokens = (
          await postToken(env, {
            grant_type: 'authorization_code',
            code: q.get('code') ?? '',
            redirect_uri: PUBLIC_REDIRECT,
            code_verifier: verifier,
            client_id: env.publicClient,
          })
        ).json<Record<string, string>>();
        const now = env.clock.now().getTime();
        const revoke = (token: string, client = env.publicClient) =>
          postToken(env, { token, client_id: client }, undefined, '/oauth2/revoke');
        assert.equal((await revoke(randomBytes(32).toString('base64url'))).statusCode, 200);
        // Another client's revocation does nothing (and says nothing).
        const other = await postToken(
          env,
          { token: String(tokens['access_token']) },
          env.gateway,
          '/oauth2/revoke',
        );
        assert.equal(other.statusCode, 200);
        assert.ok(await verifyAccessToken(env.store.db, String(tokens['access_token']), now, undefined));
        // Revoking the refresh token revokes the whole grant.
        assert.equal((await revoke(String(tokens['refresh_token']))).statusCode, 200);
        assert.equal(
          await verifyAccessToken(env.store.db, String(tokens['access_token']), now, undefined),
          undefined,
        );
        const refreshed = await postToken(env, {
          grant_type: 'refresh_token',
          refresh_token: String(tokens['refresh_token']),
          client_id: env.publicClient,
        });
        assert.equal(refreshed.json<{ error: string }>().error, 'invalid_grant');

        // A credential-scope token: revoking it revokes its SAD (docs/security.md SAD-15).
        const p2 = pkce();
        const h = digest('x');
        const q2 = await authorizeAll(
          env,
          {
            ...serviceParams(env, p2.challenge),
            scope: 'credential',
            credentialID: env.credentialId,
            numSignatures: '1',
            hashes: h.toString('base64url'),
            hashAlgorithmOID: SHA256,
          },
          PIN,
        );
        const cred = (
          await postToken(env, {
            grant_type: 'authorization_code',
            code: q2.get('code') ?? '',
            redirect_uri: PUBLIC_REDIRECT,
            code_verifier: p2.verifier,
            client_id: env.publicClient,
          })
        ).json<Record<string, string>>();
        assert.equal((await revoke(String(cred['access_token']))).statusCode, 200);
        await assert.rejects(
          env.sads.consume({
            sad: String(cred['access_token']),
            userId: env.userId,
            credentialId: env.credentialId,
            clientId: env.publicClient,
            hashAlgorithmOid: SHA256,
            hashes: [h],
          }),
          (e: unknown) => e instanceof SadError && e.code === 'ERR_SAD_REVOKED',
        );
        const types = await auditTypes(env.store);
        assert.ok(
          types.includes('oauth2.revoke:success') && types.includes('oauth2.revoke:failure'),
        );
      });
    });
  }
});
