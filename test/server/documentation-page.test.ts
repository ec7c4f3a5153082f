/**
 * Issue 22: GET /documentation is an API reference page served by the server itself (no CDN, no
 * script, a CSP that allows only its own stylesheet by hash), and CSC info.logo names an image
 * the server answers.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { buildServer } from '../../src/server/index.js';
import { credentialOperationsFor, serverSurfaces } from '../../src/server/surfaces.js';
import { openServices, serverEnv } from './support/server-fixture.js';

describe('/documentation and info.logo (issue 22)', () => {
  it('serves a readable API reference under a strict CSP, and the logo info names', async (t) => {
    const env = await serverEnv(t, 'sqlite');
    if (!env) return;
    const services = await openServices(t, env, { credentials: credentialOperationsFor });
    const app = await buildServer(services, { surfaces: serverSurfaces(services) });
    t.after(() => app.close());
    services.baseUrl.set('https://sign.example.test');

    const page = await app.inject({ method: 'GET', url: '/documentation' });
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type']), /^text\/html; charset=utf-8/);
    const html = page.body;
    for (const path of ['/csc/v2/signatures/signHash', '/csc/v2/credentials/authorize', '/oauth2/token', '/pki/ca/root.crl', '/admin/v1/setup']) {
      assert.ok(html.includes(`<code>${path}</code>`), path);
    }
    assert.match(html, /<h2 id="csc-v2">csc-v2<\/h2>/);
    assert.doesNotMatch(html, /<script|\ssrc=|@import|url\(/i, 'nothing loaded from anywhere');
    const csp = String(page.headers['content-security-policy']);
    assert.match(csp, /^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'; frame-ancestors 'none'/);
    const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1] ?? '');
    assert.equal(styles.length, 1);
    const hash = createHash('sha256').update(styles[0] ?? '').digest('base64');
    assert.ok(csp.includes(`'sha256-${hash}'`), 'the CSP hash is the inline stylesheet’s');
    assert.ok(!/[<>"]/.test(html.replace(/<[^>]*>/g, '').replace(/&#\d+;/g, '')), 'text is escaped');

    const info = await app.inject({ method: 'POST', url: '/csc/v2/info', payload: {} });
    const logo = info.json<{ logo: string }>().logo;
    assert.equal(logo, 'https://sign.example.test/logo.svg');
    const image = await app.inject({ method: 'GET', url: new URL(logo).pathname });
    assert.equal(image.statusCode, 200);
    assert.equal(image.headers['content-type'], 'image/svg+xml');
    assert.match(image.body, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.doesNotMatch(image.body, /<script|href=/i);
  });
});
