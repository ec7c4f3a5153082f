/**
 * The login and consent pages (docs/security.md OA-24, OA-31…33, SCA lockout through the
 * Authenticator; RFC 9700 §4.7): one-time anti-CSRF tokens bound to a server-side session,
 * lockout after wrong passwords/TOTP, hidden fields never trusted, denial and foreign credentials.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { setUserRequirePasskey } from '../../../src/store/index.js';
import { requireStore, storeKinds } from '../../support/stores.js';
import {
  PASSWORD,
  PIN,
  PUBLIC_REDIRECT,
  SHA256,
  approve,
  auditTypes,
  makeEnv,
  openLogin,
  pkce,
  postForm,
  serviceParams,
  signIn,
  type OAuth2Env,
} from './oauth2-env.js';

function credentialParams(env: OAuth2Env, credentialId: string): Record<string, string> {
  const h = createHash('sha256').update('doc').digest('base64url');
  return {
    ...serviceParams(env, pkce().challenge),
    scope: 'credential',
    credentialID: credentialId,
    numSignatures: '1',
    hashes: h,
    hashAlgorithmOID: SHA256,
  };
}

describe('login and consent pages', () => {
  for (const kind of storeKinds) {
    it(`${kind}: a user whom the administrator requires to use a passkey cannot sign in or approve with a one-time code`, async (t) => {
      if (!(await requireStore(t, kind))) return;
      const env = await makeEnv(t, kind);
      // Approval first: signed in with a code while the policy was off, then the policy is set.
      const consent = await signIn(env, await openLogin(env, credentialParams(env, env.credentialId)));
      assert.equal(consent.res.statusCode, 200, consent.res.body);
      await setUserRequirePasskey(env.store.db, env.userId, true);
      const approval = await postForm(env, consent.cookie, { ...consent.fields, decision: 'approve', pin: PIN, otp: env.nextTotp() });
      assert.equal(approval.statusCode, 400, approval.body);
      assert.match(approval.body, /must approve with a passkey/);
      // Sign-in: the password is checked (and counted) first, then the policy refuses the code.
      const login = await openLogin(env, serviceParams(env, pkce().challenge));
      const refused = await signIn(env, login);
      assert.equal(refused.res.statusCode, 401, refused.res.body);
      assert.match(refused.res.body, /must sign in with a passkey/);
      const types = await auditTypes(env.store);
      assert.ok(types.includes('oauth2.login:failure') && types.includes('oauth2.consent:failure'), types.join(' '));
    });

    it(`${kind}: OA-31 the form needs its one-time anti-CSRF token and the session cookie; a spent token is refused`, async (t) => {
      if (!(await requireStore(t, kind))) return;
      const env = await makeEnv(t, kind);
      const login = await openLogin(env, serviceParams(env, pkce().challenge));
      const creds = { username: 'alice', password: PASSWORD };
      // Missing token, foreign token, missing cookie, cookie of another interaction.
      const other = await openLogin(env, serviceParams(env, pkce().challenge));
      for (const [cookie, fields] of [
        [login.cookie, { step: 'login' }],
        [login.cookie, { step: 'login', csrf_token: other.fields['csrf_token'] ?? '' }],
        [undefined, login.fields],
        [other.cookie, login.fields],
        [login.cookie, { ...login.fields, step: 'consent' }], // skipping the login step
      ] as const) {
        const res = await postForm(env, cookie, { ...fields, ...creds, otp: env.nextTotp() });
        assert.equal(res.statusCode, 400);
        assert.match(res.body, /This form has expired/);
        assert.equal(res.headers.location, undefined);
      }
      // None of those spent the real token: the genuine post works — once.
      const consent = await signIn(env, login);
      assert.equal(consent.res.statusCode, 200);
      const replay = await postForm(env, login.cookie, {
        ...login.fields,
        ...creds,
        otp: env.nextTotp(),
      });
      assert.equal(replay.statusCode, 400);
      // The consent token is single-use as well.
      assert.equal((await approve(env, consent)).statusCode, 303);
      assert.equal((await approve(env, consent)).statusCode, 400);
      assert.ok((await auditTypes(env.store)).includes('oauth2.interaction:failure'));
    });
  }

  it('wrong password or TOTP re-shows the form; the account locks after 5 failures (Authenticator lockout), audited', async (t) => {
    if (!(await requireStore(t, 'sqlite'))) return;
    const env = await makeEnv(t, 'sqlite');
    let page = await openLogin(env, serviceParams(env, pkce().challenge));
    const attempt = async (password: string, otp = env.nextTotp()) => {
      const res = await postForm(env, page.cookie, {
        ...page.fields,
        username: 'alice',
        password,
        otp,
      });
      const csrf = /name="csrf_token" value="([^"]+)"/.exec(res.body)?.[1];
      if (csrf !== undefined) page = { ...page, fields: { ...page.fields, csrf_token: csrf } };
      return res;
    };
    const wrongTotp = await attempt(PASSWORD, '000000');
    assert.equal(wrongTotp.statusCode, 401);
    assert.match(wrongTotp.body, /username, password or one-time code is wrong/);
    for (let i = 0; i < 4; i++) assert.equal((await attempt('wrong password')).statusCode, 401);
    // Locked now: even the right password is refused.
    const locked = await attempt(PASSWORD);
    assert.equal(locked.statusCode, 401);
    assert.match(locked.body, /locked/);
    const types = await auditTypes(env.store);
    assert.ok(types.includes('user.locked:success'));
    assert.ok(types.filter((x) => x === 'oauth2.login:failure').length >= 6);
  });

  it('OA-33 hidden fields are not trusted: the stored request is what gets authorised; deny → access_denied; OA-24 303', async (t) => {
    if (!(await requireStore(t, 'sqlite'))) return;
    const env = await makeEnv(t, 'sqlite');
    const login = await openLogin(env, credentialParams(env, env.credentialId));
    const consent = await signIn(env, login);
    const other = createHash('sha256').update('other').digest('base64url');
    const tampered = await postForm(env, consent.cookie, {
      ...consent.fields,
      decision: 'approve',
      pin: PIN,
      hashes: other,
      numSignatures: '50',
      credentialID: env.foreignCredentialId,
      redirect_uri: 'https://evil.example/',
    });
    assert.equal(tampered.statusCode, 303);
    const location = new URL(String(tampered.headers.location));
    assert.equal(`${location.origin}${location.pathname}`, PUBLIC_REDIRECT);
    const code = await env.store.db
      .selectFrom('authorization_codes')
      .selectAll()
      .executeTakeFirstOrThrow();
    assert.equal(code.credential_id, env.credentialId);
    assert.equal(code.num_signatures, 1);
    assert.deepEqual(JSON.parse(code.hashes ?? '[]'), [
      createHash('sha256').update('doc').digest('base64'),
    ]);

    const login2 = await openLogin(env, serviceParams(env, pkce().challenge));
    const consent2 = await signIn(env, login2);
    const denied = await postForm(env, consent2.cookie, { ...consent2.fields, decision: 'deny' });
    assert.equal(denied.statusCode, 303);
    const q = new URL(String(denied.headers.location)).searchParams;
    assert.equal(q.get('error'), 'access_denied');
    assert.equal(q.get('state'), 'st-1');
    assert.ok((await auditTypes(env.store)).includes('oauth2.consent:failure'));
  });

  it('interactions expire after 10 minutes and are swept by a later authorization request', async (t) => {
    if (!(await requireStore(t, 'sqlite'))) return;
    const env = await makeEnv(t, 'sqlite');
    const login = await openLogin(env, serviceParams(env, pkce().challenge));
    env.clock.advance(601_000);
    const late = await postForm(env, login.cookie, {
      ...login.fields,
      username: 'alice',
      password: PASSWORD,
      otp: env.nextTotp(),
    });
    assert.equal(late.statusCode, 400);
    assert.match(late.body, /This form has expired/);
    await openLogin(env, serviceParams(env, pkce().challenge));
    assert.equal(
      (await env.store.db.selectFrom('oauth_interactions').selectAll().execute()).length,
      1,
    );
  });

  it("another user's credential: access_denied after login, never a consent page for it (docs/security.md AC-02)", async (t) => {
    if (!(await requireStore(t, 'sqlite'))) return;
    const env = await makeEnv(t, 'sqlite');
    const login = await openLogin(env, credentialParams(env, env.foreignCredentialId));
    const res = await postForm(env, login.cookie, {
      ...login.fields,
      username: 'alice',
      password: PASSWORD,
      otp: env.nextTotp(),
    });
    assert.equal(res.statusCode, 303);
    assert.equal(new URL(String(res.headers.location)).searchParams.get('error'), 'access_denied');
    assert.equal(
      (await env.store.db.selectFrom('authorization_codes').selectAll().execute()).length,
      0,
    );
  });

  it('credential PIN lockout on the consent page ends the interaction with access_denied', async (t) => {
    if (!(await requireStore(t, 'sqlite'))) return;
    const env = await makeEnv(t, 'sqlite');
    const login = await openLogin(env, credentialParams(env, env.credentialId));
    let consent = await signIn(env, login);
    for (let i = 0; i < 2; i++) {
      const res = await approve(env, consent, '0000');
      assert.equal(res.statusCode, 400);
      consent = {
        ...consent,
        fields: {
          ...consent.fields,
          csrf_token: /name="csrf_token" value="([^"]+)"/.exec(res.body)?.[1] ?? '',
        },
      };
    }
    const third = await approve(env, consent, '0000'); // the credential locks at 3 (env policy)
    assert.equal(third.statusCode, 400);
    consent = {
      ...consent,
      fields: {
        ...consent.fields,
        csrf_token: /name="csrf_token" value="([^"]+)"/.exec(third.body)?.[1] ?? '',
      },
    };
    const locked = await approve(env, consent, PIN);
    assert.equal(locked.statusCode, 303);
    assert.equal(
      new URL(String(locked.headers.location)).searchParams.get('error'),
      'access_denied',
    );
    assert.ok((await auditTypes(env.store)).includes('credential.locked:success'));
  });
});
