/**
 * The Fastify assembly (issue 6) through inject(): /healthz, the OpenAPI document, security
 * headers and trace ids, JSON errors for malformed JSON, huge bodies and wrong content types, and
 * the PKI endpoints mounted under /pki with AIA/CDP URLs of issued certificates pointing there.
 */
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { Ajv } from 'ajv';
import type { FastifyInstance } from 'fastify';
import { buildServer, type Services } from '../../src/server/index.js';
import { parseCertificate } from '../../src/pki/index.js';
import { credentialOperationsFor, serverSurfaces } from '../../src/server/surfaces.js';
import { openServices, serverEnv } from './support/server-fixture.js';

async function server(t: TestContext): Promise<{ app: FastifyInstance; services: Services } | undefined> {
  const env = await serverEnv(t, 'sqlite');
  if (!env) return undefined;
  const services = await openServices(t, env);
  const app = await buildServer(services);
  t.after(() => app.close());
  return { app, services };
}

type OpenApi = {
  openapi: string;
  info: { title: string; version: string };
  components?: object;
  paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema?: object }> }>; requestBody?: { content?: Record<string, { schema?: object }> } }>>;
};

describe('buildServer (issue 6)', () => {
  it('GET /healthz: 200 with the database and the software key backend healthy', async (t) => {
    const s = await server(t);
    if (!s) return;
    const r = await s.app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(r.statusCode, 200);
    assert.deepEqual(r.json(), { status: 'ok', database: true, keys: { software: true } });
  });

  it('GET /healthz: 503 once the database is gone', async (t) => {
    const s = await server(t);
    if (!s) return;
    await s.services.store.close();
    const r = await s.app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(r.statusCode, 503);
    assert.equal(r.json<{ database: boolean }>().database, false);
  });

  it('GET /documentation/json is an OpenAPI 3 document whose schemas compile and which lists health, PKI and admin paths', async (t) => {
    const s = await server(t);
    if (!s) return;
    const r = await s.app.inject({ method: 'GET', url: '/documentation/json' });
    assert.equal(r.statusCode, 200);
    const doc = r.json<OpenApi>();
    assert.match(doc.openapi, /^3\.\d+\.\d+$/);
    assert.equal(doc.info.title, 'Signet');
    assert.equal(typeof doc.info.version, 'string');
    for (const p of ['/healthz', '/pki/tsa', '/pki/ocsp', '/pki/crl', '/pki/ca/issuing.cer', '/pki/ca/root.cer', '/admin/v1/setup', '/admin/v1/users', '/admin/v1/credentials']) {
      assert.ok(doc.paths[p], `path ${p} is documented`);
    }
    const ajv = new Ajv({ strict: false, validateFormats: false });
    const methods = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);
    for (const [path, item] of Object.entries(doc.paths)) {
      assert.ok(path.startsWith('/'), path);
      for (const [method, op] of Object.entries(item)) {
        if (!methods.has(method)) continue;
        assert.ok(op.responses && Object.keys(op.responses).length > 0, `${method} ${path} declares responses`);
        const schemas = [
          ...Object.values(op.responses).flatMap((resp) => Object.values(resp.content ?? {}).map((c) => c.schema)),
          ...Object.values(op.requestBody?.content ?? {}).map((c) => c.schema),
        ];
        for (const schema of schemas) {
          if (schema) ajv.compile({ components: doc.components, ...(schema as Record<string, unknown>), $id: undefined } as object);
        }
      }
    }
  });

  it('security headers, no-store and a trace id on every answer; a valid W3C traceparent is adopted', async (t) => {
    const s = await server(t);
    if (!s) return;
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const r = await s.app.inject({ method: 'GET', url: '/healthz', headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    assert.equal(r.headers['x-frame-options'], 'DENY');
    assert.equal(r.headers['referrer-policy'], 'no-referrer');
    assert.match(String(r.headers['content-security-policy']), /frame-ancestors 'none'/);
    assert.equal(r.headers['cache-control'], 'no-store');
    assert.equal(r.headers['x-trace-id'], traceId);
    const other = await s.app.inject({ method: 'GET', url: '/healthz', headers: { traceparent: 'garbage' } });
    assert.match(String(other.headers['x-trace-id']), /^[0-9a-f]{32}$/);
    assert.notEqual(other.headers['x-trace-id'], traceId);
  });

  it('DOS-14, DOS-16: unknown path: 404 JSON; malformed JSON: 400; wrong content type: 415; body over the limit: 413 (more cases: http-limits.test.ts)', async (t) => {
    const s = await server(t);
    if (!s) return;
    const nf = await s.app.inject({ method: 'GET', url: '/nope' });
    assert.equal(nf.statusCode, 404);
    assert.equal(nf.json<{ error: string }>().error, 'not_found');
    const bad = await s.app.inject({ method: 'POST', url: '/admin/v1/setup', headers: { 'content-type': 'application/json' }, payload: '{"setupToken": ' });
    assert.equal(bad.statusCode, 400);
    const ct = await s.app.inject({ method: 'POST', url: '/admin/v1/setup', headers: { 'content-type': 'application/xml' }, payload: '<x/>' });
    assert.equal(ct.statusCode, 415);
    const huge = await s.app.inject({
      method: 'POST',
      url: '/admin/v1/setup',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ setupToken: 'x'.repeat(s.services.config.bodyLimitBytes + 10) }),
    });
    assert.equal(huge.statusCode, 413);
    const pkiHuge = await s.app.inject({
      method: 'POST',
      url: '/pki/tsa',
      headers: { 'content-type': 'application/timestamp-query' },
      payload: Buffer.alloc(70 * 1024),
    });
    assert.equal(pkiHuge.statusCode, 413, 'DER requests are limited to 64 KiB');
  });

  it('/pki serves the CA certificates and a CRL; issued certificates point their AIA/CDP at <base URL>/pki', async (t) => {
    const s = await server(t);
    if (!s) return;
    s.services.baseUrl.set('https://sign.example.test');
    const root = await s.app.inject({ method: 'GET', url: '/pki/ca/root.cer' });
    assert.equal(root.statusCode, 200);
    assert.equal(root.headers['content-type'], 'application/pkix-cert');
    assert.deepEqual(new Uint8Array(root.rawPayload), s.services.rootCertificate);
    const crl = await s.app.inject({ method: 'GET', url: '/pki/crl' });
    assert.equal(crl.statusCode, 200);
    assert.equal(crl.headers['content-type'], 'application/pkix-crl');
    const { generateKeyPairSync } = await import('node:crypto');
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const record = await s.services.ca.issue({
      subject: { commonName: 'AIA Probe', country: 'BE' },
      subjectPublicKey: new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })),
      profile: 'signing',
    });
    const der = record.der;
    const x = new X509Certificate(Buffer.from(der));
    assert.match(x.infoAccess ?? '', /OCSP - URI:https:\/\/sign\.example\.test\/pki\/ocsp/);
    assert.match(x.infoAccess ?? '', /CA Issuers - URI:https:\/\/sign\.example\.test\/pki\/ca\/issuing\.cer/);
    assert.ok(parseCertificate(der));
  });
});

describe('buildServer with the CSC and OAuth2 surfaces (issue 6 wiring)', () => {
  it('mounts /csc/v2, /csc/v1 and /oauth2; the issuer follows the base URL learnt after listening; admin tokens are refused by the CSC API', async (t) => {
    const env = await serverEnv(t, 'sqlite');
    if (!env) return;
    const services = await openServices(t, env, { credentials: credentialOperationsFor });
    const app = await buildServer(services, { surfaces: serverSurfaces(services) });
    t.after(() => app.close());
    services.baseUrl.set('http://127.0.0.1:45678');
    const meta = await app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' });
    assert.equal(meta.statusCode, 200);
    const m = meta.json<{ issuer: string; token_endpoint: string }>();
    assert.equal(m.issuer, 'http://127.0.0.1:45678');
    assert.equal(m.token_endpoint, 'http://127.0.0.1:45678/oauth2/token');
    const info = await app.inject({ method: 'POST', url: '/csc/v2/info', payload: {} });
    assert.equal(info.statusCode, 200, info.body);
    assert.equal(info.json<{ name: string; oauth2Issuer?: string }>().oauth2Issuer, 'http://127.0.0.1:45678');
    const v1 = await app.inject({ method: 'POST', url: '/csc/v1/info', payload: {} });
    assert.equal(v1.statusCode, 200);
    const doc = (await app.inject({ method: 'GET', url: '/documentation/json' })).json<OpenApi>();
    for (const p of ['/csc/v2/signatures/signHash', '/csc/v1/signatures/signHash', '/oauth2/token', '/oauth2/authorize']) assert.ok(doc.paths[p], p);
    const setup = await app.inject({ method: 'POST', url: '/admin/v1/setup', payload: { setupToken: services.setupToken } });
    const adminToken = setup.json<{ access_token: string }>().access_token;
    const list = await app.inject({ method: 'POST', url: '/csc/v2/credentials/list', headers: { authorization: `Bearer ${adminToken}` }, payload: {} });
    assert.equal(list.statusCode, 401, 'an admin token is not a CSC token (OA-28)');
  });
});

describe('services configuration (issue 6)', () => {
  it('SIGNET_AUTH_ATTEMPTS_PER_MINUTE throttles password attempts per source address (SCA-01/03)', async (t) => {
    const env = await serverEnv(t, 'sqlite');
    if (!env) return;
    const services = await openServices(t, { ...env, env: { ...env.env, SIGNET_AUTH_ATTEMPTS_PER_MINUTE: '2' } });
    await services.authenticator.createUser({ username: 'dora', password: 'password-dora' });
    const attempt = (sourceAddress: string) => services.authenticator.verifyPassword({ username: 'dora', password: 'password-dora', sourceAddress });
    await attempt('192.0.2.1');
    await attempt('192.0.2.1');
    await assert.rejects(attempt('192.0.2.1'), { code: 'ERR_AUTH_THROTTLED' });
    await attempt('192.0.2.2');
  });
});

describe('graceful shutdown (issue 6)', () => {
  it('close() lets requests already in flight finish (200), then refuses new connections', async (t) => {
    const env = await serverEnv(t, 'sqlite');
    if (!env) return;
    const services = await openServices(t, env);
    const app = await buildServer(services);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    const n = 20;
    let arrived = 0;
    const allArrived = new Promise<void>((resolve) => {
      app.server.on('request', () => {
        if (++arrived === n) resolve();
      });
    });
    const requests = Array.from({ length: n }, () => fetch(`http://127.0.0.1:${port}/pki/crl`).then((r) => r.status));
    await allArrived;
    const closing = app.close();
    const statuses = await Promise.all(requests);
    await closing;
    assert.deepEqual(statuses, Array.from({ length: n }, () => 200));
    await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`));
  });
});
