/**
 * Serving the Signature Application (docs/decisions/0001 Contract 5; issue 13 "What it is" and
 * "Loads fast"): index.html on the app's paths with the strict CSP, hashed assets with a long
 * cache, no path traversal, gzip, the 503 page when the build is missing, and the first page's
 * JavaScript under 200 KB gzip with pdf.js in a chunk of its own.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { webAppCsp, webAppRoutes } from '../../src/server/routes/web-app-routes.js';
import { tempDir } from '../support/tmp.js';
import { buildWebApp, firstPageScripts } from '../support/web-app.js';

async function serve(t: { after(fn: () => unknown): unknown }, webRoot: string): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(webAppRoutes, { webRoot });
  t.after(() => app.close());
  return app;
}

describe('web app serving (Contract 5)', () => {
  it('answers index.html on every app path with the CSP of Contract 5, no-cache, no framing', async (t) => {
    const root = await buildWebApp();
    const app = await serve(t, root);
    const index = readFileSync(join(root, 'index.html'), 'utf8');
    for (const path of ['/', '/sign', '/verify', '/account', '/admin', '/jobs/abc-123']) {
      const r = await app.inject({ method: 'GET', url: path });
      assert.equal(r.statusCode, 200, path);
      assert.equal(r.body, index);
      assert.match(String(r.headers['content-type']), /^text\/html/);
      assert.equal(
        r.headers['content-security-policy'],
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'",
      );
      assert.equal(r.headers['x-frame-options'], 'DENY');
      assert.equal(r.headers['referrer-policy'], 'no-referrer');
      assert.equal(r.headers['x-content-type-options'], 'nosniff');
      assert.equal(r.headers['cache-control'], 'no-cache');
    }
    // No inline script or style (CSP without 'unsafe-inline'): every script and sheet is a file.
    assert.doesNotMatch(index, /<script(?![^>]*\ssrc=)[^>]*>/);
    assert.doesNotMatch(index, /<style|\sstyle=/);
    assert.doesNotMatch(index, /https?:\/\//, 'no third-party origin');
    assert.equal(webAppCsp(['https://csc.example']).includes("connect-src 'self' https://csc.example;"), true);
  });

  it('serves hashed assets with a one-year immutable cache, gzip when accepted, 404 for anything else', async (t) => {
    const root = await buildWebApp();
    const app = await serve(t, root);
    const [script] = firstPageScripts(root);
    assert.ok(script);
    const plain = await app.inject({ method: 'GET', url: `/${script.file}` });
    assert.equal(plain.statusCode, 200);
    assert.equal(plain.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.match(String(plain.headers['content-type']), /^text\/javascript/);
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(plain.rawPayload.length, script.bytes);
    const gz = await app.inject({ method: 'GET', url: `/${script.file}`, headers: { 'accept-encoding': 'br;q=1, gzip;q=0.8' } });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.equal(gz.headers.vary, 'accept-encoding');
    assert.deepEqual(gunzipSync(gz.rawPayload), plain.rawPayload);
    const refused = await app.inject({ method: 'GET', url: `/${script.file}`, headers: { 'accept-encoding': 'gzip;q=0' } });
    assert.equal(refused.headers['content-encoding'], undefined);
    for (const bad of ['/assets/..%2Findex.html', '/assets/%2e%2e%2f%2e%2e%2fpackage.json', '/assets/.hidden.js', '/assets/missing-abc.js', '/assets/x.exe', '/assets/../index.html']) {
      const r = await app.inject({ method: 'GET', url: bad });
      assert.notEqual(r.statusCode, 200, bad);
      assert.doesNotMatch(r.body, /"name": "signet"|<!doctype/i, bad);
    }
  });

  it('answers 503 with a page that says how to build when the build is missing (the APIs are unaffected)', async (t) => {
    const app = await serve(t, tempDir(t));
    const r = await app.inject({ method: 'GET', url: '/sign' });
    assert.equal(r.statusCode, 503);
    assert.match(String(r.headers['content-type']), /^text\/html/);
    assert.match(r.body, /npm run build/);
    assert.match(r.body, /ERR_SERVER_WEB_APP_MISSING/);
    assert.equal(r.headers['cache-control'], 'no-store');
    assert.ok(r.headers['content-security-policy']);
  });

  it('keeps the first page under 200 KB of gzip JavaScript; pdf.js is a separate chunk loaded on demand', async () => {
    const root = await buildWebApp();
    const scripts = firstPageScripts(root);
    const total = scripts.reduce((n, s) => n + s.gzipBytes, 0);
    console.log(`first page JavaScript: ${scripts.map((s) => `${s.file} ${s.bytes} B (${s.gzipBytes} B gzip)`).join(', ')}; total ${(total / 1024).toFixed(1)} KB gzip (limit 200 KB)`);
    assert.ok(scripts.length >= 1);
    assert.ok(total < 200 * 1024, `${total} bytes gzip`);
    const first = scripts.map((s) => readFileSync(join(root, s.file), 'utf8')).join('\n');
    assert.doesNotMatch(first, /GlobalWorkerOptions\s*=|pdfjs-dist\/build\/pdf\.worker/, 'pdf.js is not in the first page');
    const assets = readdirSync(join(root, 'assets'));
    assert.ok(assets.some((f) => /^pdf\.worker.*\.m?js$/.test(f)), `the pdf.js worker is built as its own file: ${assets.join(', ')}`);
  });
});
