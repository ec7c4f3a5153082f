/**
 * Authorization endpoint refusals (docs/security.md OA-01…05, OA-21…23, OA-30; RFC 6749 §4.1.2.1):
 * before the client and redirect URI are verified, errors are shown and never redirected; after,
 * they go back to the client with state and iss.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { requireStore } from '../../support/stores.js';
import {
  GATEWAY_REDIRECT,
  ISSUER,
  PUBLIC_REDIRECT,
  SHA256,
  auditTypes,
  getAuthorize,
  makeEnv,
  pkce,
  serviceParams,
  type OAuth2Env,
} from './oauth2-env.js';

function without(o: Record<string, string>, ...keys: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));
}

async function expectShown(
  env: OAuth2Env,
  params: Record<string, string>,
  text: RegExp,
): Promise<void> {
  const res = await getAuthorize(env, params);
  assert.equal(res.statusCode, 400, `${JSON.stringify(params)} → ${res.statusCode}`);
  assert.equal(res.headers.location, undefined, 'never redirected');
  assert.match(res.body, text);
  assert.equal(res.headers['x-frame-options'], 'DENY');
}

async function expectRedirected(
  env: OAuth2Env,
  params: Record<string, string>,
  error: string,
  redirect = PUBLIC_REDIRECT,
): Promise<URLSearchParams> {
  const res = await getAuthorize(env, params);
  assert.equal(res.statusCode, 302, `${JSON.stringify(params)}: ${res.body}`);
  const url = new URL(String(res.headers.location));
  assert.ok(String(res.headers.location).startsWith(redirect.split('?')[0] ?? ''));
  assert.equal(
    url.searchParams.get('error'),
    error,
    url.searchParams.get('error_description') ?? '',
  );
  assert.equal(url.searchParams.get('iss'), ISSUER);
  return url.searchParams;
}

describe('RFC 6749 §4.1.2.1 authorization request errors', () => {
  it('OA-01/02/03: redirect URIs are matched exactly; unknown clients and bad URIs get a page, not a redirect', async (t) => {
    if (!(await requireStore(t, 'sqlite'))) return;
    const env = await makeEnv(t, 'sqlite');
    const { challenge } = pkce();
    const base = serviceParams(env, challenge);
    for (const uri of [
      'https://app.example/cb/', // trailing slash
      'https://APP.example/cb', // case
      'https://app.example/CB',
      'https://app.example/cb?x=1', // added query
      'https://app.example:8443/cb', // other port
      'http://app.example/cb', // http
      'https://app.example@evil.example/cb', // user info
      'https://app.example/cb/../x', // path traversal
      'https://app.example/c%62', // percent-encoding
      'https://app.example/cb#frag', // fragment
      'https://sub.app.example/cb', // subdomain
      'https://app.example/cb/extra', // extra path
      'https://app.example', // prefix
      'http://localhost/native-cb', // OA-30: localhost is not a loopback literal
      'http://127.0.0.1/other', // OA-30: other path
    ]) {
      await expectShown(env, { ...base, redirect_uri: uri }, /redirect_uri is not registered/);
    }
    // OA-02: redirect_uri is required.
    const noRedirect = without(base, 'redirect_uri');
    await expectShown(env, noRedirect, /redirect_uri parameter is missing/);
    // OA-03: an unknown client, or a bad scope with an unregistered URI, never redirects.
    await expectShown(
      env,
      { ...base, client_id: 'nobody', redirect_uri: 'https://evil.example/' },
      /client is not registered/,
    );
    await expectShown(
      env,
      { ...base, scope: 'admin', redirect_uri: 'https://evil.example/' },
      /not registered/,
    );
    // A repeated client_id or redirect_uri is shown too (OA-23).
    const dup = await env.app.inject({
      method: 'GET',
      url: `/oauth2/authorize?${new URLSearchParams(base).toString()}&redirect_uri=${encodeURIComponent(PUBLIC_REDIRECT)}`,
    });
    assert.equal(dup.statusCode, 400);
    assert.equal(dup.headers.location, undefined);
    // OA-30: a registered loopback URI without port accepts any port.
    const loop = await getAuthorize(env, {
      ...base,
      redirect_uri: 'http://127.0.0.1:51234/native-cb',
    });
    assert.equal(loop.statusCode, 200);
    assert.ok((await auditTypes(env.store)).includes('oauth2.authorize:failure'));
  });

  it('OA-04/05, OA-21/22/23: PKCE, scope, response type and duplicates are reported to the verified client with state', async (t) => {
    if (!(await requireStore(t, 'sqlite'))) return;
    const env = await makeEnv(t, 'sqlite');
    const { challenge } = pkce();
    const base = serviceParams(env, challenge);
    const noPkce = without(base, 'code_challenge', 'code_challenge_method');
    const q = await expectRedirected(env, noPkce, 'invalid_request');
    assert.equal(q.get('state'), 'st-1');
    assert.match(q.get('error_description') ?? '', /code_challenge is required/);
    await expectRedirected(env, { ...base, code_challenge_method: 'plain' }, 'invalid_request');
    await expectRedirected(env, { ...base, code_challenge: 'short' }, 'invalid_request');
    const noMethod = without(base, 'code_challenge_method');
    await expectRedirected(env, noMethod, 'invalid_request'); // RFC 7636 §4.3 default plain
    await expectRedirected(env, { ...base, scope: 'service credential' }, 'invalid_scope');
    await expectRedirected(env, { ...base, scope: 'openid' }, 'invalid_scope');
    await expectRedirected(env, { ...base, response_type: 'token' }, 'unsupported_response_type');
    await expectRedirected(
      env,
      { ...base, response_type: 'code id_token' },
      'unsupported_response_type',
    );
    // An unknown request_uri (RFC 9126) is shown, never redirected.
    await expectShown(env, { ...base, request_uri: 'urn:x' }, /request_uri is unknown/);
    const dup = await env.app.inject({
      method: 'GET',
      url: `/oauth2/authorize?${new URLSearchParams(base).toString()}&scope=credential`,
    });
    assert.equal(
      new URL(String(dup.headers.location)).searchParams.get('error'),
      'invalid_request',
    );
    // Scope escalation: a service-only client cannot ask for credential.
    await expectRedirected(
      env,
      {
        ...base,
        client_id: env.serviceOnly.id,
        scope: 'credential',
        credentialID: env.credentialId,
        numSignatures: '1',
        hashes: createHash('sha256').update('a').digest('base64url'),
        hashAlgorithmOID: SHA256,
      },
      'invalid_scope',
    );
  });

  it('docs/security.md SAD-18: inconsistent credential authorizations are refused before anyone signs in', async (t) => {
    if (!(await requireStore(t, 'sqlite'))) return;
    const env = await makeEnv(t, 'sqlite');
    const { challenge } = pkce();
    const h = (s: string) => createHash('sha256').update(s).digest();
    const cred = {
      ...serviceParams(env, challenge),
      scope: 'credential',
      credentialID: env.credentialId,
      numSignatures: '2',
      hashes: `${h('a').toString('base64url')},${h('b').toString('base64url')}`,
      hashAlgorithmOID: SHA256,
    };
    await expectRedirected(env, { ...cred, numSignatures: '1' }, 'invalid_request'); // fewer than hashes
    await expectRedirected(env, { ...cred, numSignatures: '0' }, 'invalid_request');
    await expectRedirected(env, { ...cred, numSignatures: '-1' }, 'invalid_request');
    await expectRedirected(env, { ...cred, numSignatures: '1000000' }, 'invalid_request');
    await expectRedirected(
      env,
      { ...cred, hashes: h('a').subarray(0, 31).toString('base64url') },
      'invalid_request',
    );
    await expectRedirected(
      env,
      { ...cred, hashes: `${h('a').toString('base64url')},${h('a').toString('base64url')}` },
      'invalid_request',
    );
    await expectRedirected(
      env,
      { ...cred, hashes: h('a').toString('base64') + '+' },
      'invalid_request',
    );
    await expectRedirected(env, { ...cred, hashAlgorithmOID: '1.2.3' }, 'invalid_request');
    const noCred = without(cred, 'credentialID');
    await expectRedirected(
      env,
      { ...noCred, signatureQualifier: 'eu_eidas_qes' },
      'invalid_request',
    );
    const noHashes = without(cred, 'hashes');
    await expectRedirected(env, noHashes, 'invalid_request');
    // Credential parameters need scope credential.
    await expectRedirected(env, { ...cred, scope: 'service' }, 'invalid_request');
    // RFC 9396: details cannot be mixed with scope/credential parameters, and must be well-formed.
    const details = JSON.stringify([
      {
        type: 'credential',
        credentialID: env.credentialId,
        hashAlgorithmOID: SHA256,
        documentDigests: [{ hash: h('a').toString('base64') }],
      },
    ]);
    const rar: Record<string, string> = {
      ...serviceParams(env, challenge),
      authorization_details: details,
    };
    const rarOnly = without(rar, 'scope');
    await expectRedirected(env, rar, 'invalid_request');
    await expectRedirected(
      env,
      { ...rarOnly, authorization_details: '{not json' },
      'invalid_authorization_details',
    );
    await expectRedirected(
      env,
      { ...rarOnly, authorization_details: JSON.stringify([{ type: 'payment' }]) },
      'invalid_authorization_details',
    );
    await expectRedirected(
      env,
      {
        ...rarOnly,
        authorization_details: details.replace(
          '"documentDigests"',
          '"numSignatures":0,"documentDigests"',
        ),
      },
      'invalid_authorization_details',
    );
    assert.equal((await getAuthorize(env, rarOnly)).statusCode, 200);
    // The gateway's registered query survives on error redirects too.
    const gw = await expectRedirected(
      env,
      {
        ...serviceParams(env, challenge),
        client_id: env.gateway.id,
        redirect_uri: GATEWAY_REDIRECT,
        scope: 'nope',
      },
      'invalid_scope',
      GATEWAY_REDIRECT,
    );
    assert.equal(gw.get('tenant'), '7');
  });
});
