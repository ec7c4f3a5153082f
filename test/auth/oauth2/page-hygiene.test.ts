/**
 * docs/security.md OA-26 (Referer leakage, RFC 9700 §4.2.4) and OA-25 (clickjacking, §4.16) on every HTML
 * page of the authorization server — login, consent (credential scope, with the hashes), error —
 * and on the redirect that carries the code: `Referrer-Policy: no-referrer`, a CSP that denies by
 * default (`default-src 'none'`), runs only Signet's own script files (`script-src 'self'`, no
 * inline script, no eval: issue 12) and forbids framing, and no third-party (or any external)
 * resource referenced from the HTML: only Signet's own assets under /oauth2/assets/.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { requireStore } from '../../support/stores.js';
import { PIN, SHA256, approve, getAuthorize, makeEnv, openLogin, pkce, signIn } from './oauth2-env.js';

/** Every URL-bearing attribute and CSS reference in the page. */
function references(html: string): string[] {
  const attrs = [...html.matchAll(/\b(?:src|href|action|formaction|srcset|poster|data|background|ping)\s*=\s*("([^"]*)"|'([^']*)'|([^\s>]+))/gi)].map((m) => m[2] ?? m[3] ?? m[4] ?? '');
  const css = [...html.matchAll(/url\(\s*['"]?([^'")]+)/gi)].map((m) => m[1] ?? '');
  const imports = [...html.matchAll(/@import\s+['"]?([^'";\s]+)/gi)].map((m) => m[1] ?? '');
  return [...attrs, ...css, ...imports];
}

function checkPage(name: string, res: LightMyRequestResponse): void {
  assert.match(String(res.headers['content-type']), /^text\/html/, name);
  assert.equal(res.headers['referrer-policy'], 'no-referrer', `${name}: Referrer-Policy`);
  const csp = String(res.headers['content-security-policy']);
  assert.match(csp, /(^|;)\s*default-src 'none'/, `${name}: CSP loads nothing`);
  assert.match(csp, /frame-ancestors 'none'/, `${name}: CSP frame-ancestors`);
  assert.equal(res.headers['x-frame-options'], 'DENY', `${name}: X-Frame-Options`);
  assert.match(csp, /script-src 'self'(;|$)/, `${name}: CSP runs only Signet's own script files`);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/, `${name}: no inline script, no eval, no wildcard`);
  // No resource from anywhere but Signet: scripts and the style sheet only from assets/ (relative),
  // no images, frames or fonts by URL, no inline script (the JSON data block is not executed),
  // and no absolute or scheme-relative URL in any attribute (the form posts to a relative path).
  assert.doesNotMatch(res.body, /<(img|iframe|frame|object|embed|video|audio|source|base)\b/i, `${name}: external element`);
  for (const tag of res.body.match(/<(script|link)\b[^>]*>/gi) ?? []) {
    assert.match(tag, /^<script type="application\/json" id="signet-page-data">$|(src|href)="assets\/[a-z.]+"/, `${name}: only Signet's assets: ${tag}`);
  }
  for (const ref of references(res.body)) {
    assert.doesNotMatch(ref, /^(?:[a-z][a-z0-9+.-]*:|\/\/)/i, `${name}: external reference ${ref}`);
  }
}

describe('OA-25/26 authorization server pages: no Referer, no framing, no third-party resources', () => {
  it('login, consent (credential scope), error page and the code redirect', async (t) => {
    if (!(await requireStore(t, 'sqlite'))) return;
    const env = await makeEnv(t, 'sqlite');
    const params = {
      response_type: 'code',
      client_id: env.publicClient,
      redirect_uri: 'https://app.example/cb',
      state: 'st-26',
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
      scope: 'credential',
      credentialID: env.credentialId,
      numSignatures: '1',
      hashAlgorithmOID: SHA256,
      hashes: Buffer.alloc(32, 9).toString('base64url'),
    };
    const login = await openLogin(env, params);
    checkPage('login', login.res);
    const consent = await signIn(env, login);
    assert.equal(consent.res.statusCode, 200, consent.res.body);
    checkPage('consent', consent.res);
    const unknownClient = await getAuthorize(env, { ...params, client_id: 'no-such-client' });
    assert.equal(unknownClient.statusCode, 400);
    checkPage('error', unknownClient);
    const done = await approve(env, consent, PIN);
    assert.equal(done.statusCode, 303);
    // The Location carries the code: the response that sends it must not leak a Referer either.
    assert.equal(done.headers['referrer-policy'], 'no-referrer');
    assert.equal(done.headers['cache-control'], 'no-store');
  });
});
