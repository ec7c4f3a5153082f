/**
 * HTTP resource limits of the assembled server (docs/security.md DOS-14 body limits and slow clients,
 * DOS-15 hostile JSON, DOS-16 wrong content types): every refusal is a 4xx with the CSC error body
 * and a stable code, before memory grows, and never a crash.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildServer } from '../../src/server/index.js';
import { serverSurfaces } from '../../src/server/surfaces.js';
import { Capture, openServices, serverEnv } from './support/server-fixture.js';
import { apiServer } from './support/api-fixture.js';

const signHashUrl = '/csc/v2/signatures/signHash';

function post(app: FastifyInstance, payload: string | Buffer, contentType = 'application/json', url = signHashUrl): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'POST', url, headers: { 'content-type': contentType, authorization: 'Bearer x' }, payload });
}

/** A CSC error answer: the status, and the `{error, error_description}` body with `error`. */
function assertCscError(r: LightMyRequestResponse, status: number, error = 'invalid_request'): void {
  assert.equal(r.statusCode, status, r.body);
  const body = r.json<Record<string, unknown>>();
  assert.deepEqual(Object.keys(body).sort(), ['error', 'error_description']);
  assert.equal(body['error'], error);
}

/** Reads from a socket until it closes or `ms` pass; returns what arrived and whether it closed. */
function drain(socket: Socket, ms: number): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    let text = '';
    const timer = setTimeout(() => resolve({ text, closed: false }), ms);
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closed: true });
    });
    socket.on('error', () => undefined);
  });
}

describe('HTTP limits (docs/security.md DOS-14, DOS-15, DOS-16)', () => {
  it('DOS-14: JSON over the route limit is 413 (CSC body) before the body is parsed; signDoc has its own larger limit', async (t) => {
    const s = await apiServer(t, 'sqlite');
    if (!s) return;
    const huge = JSON.stringify({ credentialID: 'x', SAD: 'y', hashes: ['A'.repeat(1024 * 1024 + 10)] });
    assertCscError(await post(s.app, huge), 413);
    // 100 MB of base64 is refused on its declared length; the 64 MiB signDoc limit is enforced too.
    const declared = await s.app.inject({ method: 'POST', url: '/csc/v2/signatures/signDoc', headers: { 'content-type': 'application/json', 'content-length': String(100 * 1024 * 1024) }, payload: '{}' });
    assert.ok(declared.statusCode === 413 || declared.statusCode === 400, `${declared.statusCode}`);
  });

  it('DOS-14: an endless chunked body is cut off with 413 after about the limit, and a client that stops sending is disconnected', async (t) => {
    const env = await serverEnv(t, 'sqlite');
    if (!env) return;
    const services = await openServices(t, env);
    const app = await buildServer(services, { surfaces: serverSurfaces(services), timeouts: { connectionMs: 400 } });
    await app.listen({ port: 0, host: '127.0.0.1' });
    t.after(() => app.close());
    const { port } = app.server.address() as { port: number };

    // Endless chunked body: keep sending 64 KiB chunks; the server answers once past 1 MiB.
    const chunked = connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => chunked.once('connect', () => resolve()));
    chunked.write(`POST ${signHashUrl} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`);
    const answer = drain(chunked, 10_000);
    let sent = 0;
    let answered = false;
    chunked.once('data', () => (answered = true));
    chunked.once('close', () => (answered = true));
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    while (!answered && sent < 16 * 1024 * 1024 && !chunked.destroyed) {
      const ok = chunked.write(`${chunk.length.toString(16)}\r\n`) && chunked.write(chunk) && chunked.write('\r\n');
      sent += chunk.length;
      if (!ok) await new Promise((resolve) => setTimeout(resolve, 5));
      await new Promise((resolve) => setImmediate(resolve));
    }
    const { text, closed } = await answer;
    chunked.destroy();
    // The 413 answer is usually read; when the server's close races our in-flight chunks, the
    // kernel's reset can swallow it, and only the early close is observable.
    if (text !== '') {
      assert.match(text, /^HTTP\/1\.1 413 /);
      assert.match(text, /"error":"invalid_request"/);
    } else {
      assert.ok(closed, 'the server closed the connection');
    }
    assert.ok(sent < 8 * 1024 * 1024, `refused after ${sent} bytes`);
    t.diagnostic(`endless chunked body: ${text === '' ? 'closed' : '413'} after ${(sent / 1024).toFixed(0)} KiB sent`);

    // Slow headers: half a request line, then silence; the socket is closed after the idle timeout.
    const slow = connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => slow.once('connect', () => resolve()));
    slow.write(`POST ${signHashUrl} HTTP/1.1\r\nHost: x\r\nContent-Ty`);
    const started = Date.now();
    const result = await drain(slow, 5_000);
    assert.ok(result.closed, 'the server closed the stalled connection');
    assert.ok(Date.now() - started < 4_000);
    // The service still answers.
    assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
  });

  it('DOS-15: 10^5-deep arrays, 10^5 and 10^6 hashes, __proto__ and constructor.prototype keys: 400/413 with the CSC body, no crash', async (t) => {
    const s = await apiServer(t, 'sqlite');
    if (!s) return;
    const user = await s.addSigner('hugo');
    const token = await s.login(user);
    const call = (payload: string): Promise<LightMyRequestResponse> =>
      s.app.inject({ method: 'POST', url: signHashUrl, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, payload });
    const deep = `{"credentialID":"${user.credentialId}","SAD":"x","hashAlgorithmOID":"2.16.840.1.101.3.4.2.1","signAlgo":"1.2.840.10045.4.3.2","hashes":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    assertCscError(await call(deep), 400);
    const many = (n: number): string => JSON.stringify({ credentialID: user.credentialId, SAD: 'x', hashAlgorithmOID: '2.16.840.1.101.3.4.2.1', signAlgo: '1.2.840.10045.4.3.2', hashes: Array.from({ length: n }, () => '') });
    assertCscError(await call(many(100_000)), 400);
    assertCscError(await call(many(1_000_000)), 413);
    assertCscError(await call(`{"credentialID":"${user.credentialId}","__proto__":{"isAdmin":true},"SAD":"x","hashes":[]}`), 400);
    assertCscError(await call(`{"credentialID":"${user.credentialId}","constructor":{"prototype":{"isAdmin":true}},"SAD":"x","hashes":[]}`), 400);
    assert.equal(({} as Record<string, unknown>)['isAdmin'], undefined, 'Object.prototype untouched');
    // The same keys on the admin (Fastify's own parser) and OAuth2 JSON bodies.
    const admin = await s.app.inject({ method: 'POST', url: '/admin/v1/setup', headers: { 'content-type': 'application/json' }, payload: '{"__proto__":{"x":1},"setupToken":"a"}' });
    assert.equal(admin.statusCode, 400);
    const oauth = await s.app.inject({ method: 'POST', url: '/oauth2/token', headers: { 'content-type': 'application/json' }, payload: '{"constructor":{"prototype":{"x":1}},"grant_type":"client_credentials"}' });
    assert.ok(oauth.statusCode >= 400 && oauth.statusCode < 500, `${oauth.statusCode}`);
    // Still serving.
    assert.equal((await s.csc('credentials/list', {}, { bearer: token })).statusCode, 200);
  });

  it('DOS-16: text/plain, multipart, a missing type and odd charsets on JSON routes: 415 or 400 with the CSC body', async (t) => {
    const s = await apiServer(t, 'sqlite');
    if (!s) return;
    const json = '{"credentialID":"x","SAD":"y","hashes":[]}';
    assertCscError(await post(s.app, json, 'text/plain'), 415);
    assertCscError(await post(s.app, '--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--b--\r\n', 'multipart/form-data; boundary=b'), 415);
    assertCscError(await post(s.app, json, 'application/x-www-form-urlencoded'), 415);
    assertCscError(await post(s.app, json, 'application/json-patch+json'), 415);
    const missing = await s.app.inject({ method: 'POST', url: signHashUrl, headers: { authorization: 'Bearer x' }, payload: Buffer.from(json) });
    assert.ok(missing.statusCode === 415 || missing.statusCode === 400, `${missing.statusCode}`);
    assertCscError(missing, missing.statusCode);
    // UTF-16 bytes labelled as such are not JSON text (RFC 8259 §8.1: UTF-8 only) → malformed.
    assertCscError(await post(s.app, Buffer.from(json, 'utf16le'), 'application/json; charset=utf-16'), 400);
    // A bogus charset on valid UTF-8 JSON does not crash: the body is read as UTF-8 (401: bad token).
    const odd = await post(s.app, json, 'application/json; charset=x-bogus');
    assert.ok(odd.statusCode >= 400 && odd.statusCode < 500, `${odd.statusCode}`);
    assertCscError(odd, odd.statusCode, odd.json<{ error: string }>().error);
  });

  it('issue 15: a JSON body nested deeper than 64 levels is 400 in the route family\'s error shape (the nested PAR body, unauthenticated), never 500', async (t) => {
    const s = await apiServer(t, 'sqlite');
    if (!s) return;
    for (const n of [65, 3_200, 10_000]) {
      const nested = (open: string, close: string): string => `${open.repeat(n)}1${close.repeat(n)}`;
      // OAuth2 (RFC 6749 §5.2 shape): the pushed authorization request needs no authentication to reach the parser.
      const par: LightMyRequestResponse = await s.app.inject({ method: 'POST', url: '/oauth2/pushed_authorize', headers: { 'content-type': 'application/json' }, payload: `{"client_id":"x","response_type":"code","authorization_details":${nested('[', ']')}}` });
      assert.equal(par.statusCode, 400, `${n}: ${par.body}`);
      assert.deepEqual(Object.keys(par.json<object>()).sort(), ['error', 'error_description']);
      assert.equal(par.json<{ error: string }>().error, 'invalid_request');
      const obj: LightMyRequestResponse = await s.app.inject({ method: 'POST', url: '/oauth2/pushed_authorize', headers: { 'content-type': 'application/json' }, payload: `{"client_id":"x","foo":${nested('{"a":', '}')}}` });
      assert.equal(obj.statusCode, 400, `${n}: ${obj.body}`);
      // CSC (CSC v2 §10.1 error shape) and the admin API (its own code, Fastify's parser behind the same check).
      assertCscError(await post(s.app, `{"credentialID":"x","SAD":${nested('{"a":', '}')}}`), 400);
      const admin: LightMyRequestResponse = await s.app.inject({ method: 'POST', url: '/admin/v1/setup', headers: { 'content-type': 'application/json' }, payload: `{"setupToken":${nested('[', ']')}}` });
      assert.equal(admin.statusCode, 400, admin.body);
      assert.deepEqual(Object.keys(admin.json<object>()).sort(), ['error', 'error_description']);
    }
    // 64 levels are accepted by the parser (the request then fails on its own merits, not as malformed).
    const ok: LightMyRequestResponse = await s.app.inject({ method: 'POST', url: '/oauth2/pushed_authorize', headers: { 'content-type': 'application/json' }, payload: `{"client_id":"x","foo":${'['.repeat(63)}${']'.repeat(63)}}` });
    assert.notEqual(ok.statusCode, 500);
    assert.doesNotMatch(ok.body, /nested deeper/);
  });

  it('issue 15: the unimplemented sendOTP and signPolling answer 501, logged at info without a stack', async (t) => {
    const env = await serverEnv(t, 'sqlite');
    if (!env) return;
    const logs = new Capture();
    const services = await openServices(t, { ...env, env: { ...env.env, SIGNET_LOG_LEVEL: 'info' } }, { logs });
    const app = await buildServer(services, { surfaces: serverSurfaces(services) });
    t.after(() => app.close());
    for (const url of ['/csc/v2/credentials/sendOTP', '/csc/v2/signatures/signPolling', '/csc/v1/credentials/sendOTP']) {
      const r = await post(app, '{"credentialID":"x"}', 'application/json', url);
      assertCscError(r, 501, 'not_implemented');
    }
    const lines = logs.text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const about = lines.filter((l) => l['msg'] !== 'request completed' && /sendOTP|signPolling|not implemented/i.test(JSON.stringify(l)));
    assert.ok(about.length >= 3, logs.text);
    for (const l of about) assert.equal(l['level'], 30, JSON.stringify(l)); // pino: 30 = info
    assert.doesNotMatch(logs.text, /\\n\s+at /, 'no stack trace in the logs');
  });
});

