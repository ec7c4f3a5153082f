/**
 * The token server and its client over loopback HTTPS with mutual TLS (RFC 8446 §4.3.2): client
 * certificates are required, sign request ids are single use (docs/security.md KEY-10), and a server
 * restart mid-run loses or doubles no signature.
 */
import assert from 'node:assert/strict';
import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isSignetError } from '../../../src/core/errors.js';
import {
  Kek,
  RemoteKeyBackend,
  SoftwareKeystore,
  TokenServer,
  type KeyBackend,
  type SignRequest,
} from '../../../src/keys/index.js';
import { hasTool, requireTools } from '../../support/tools.js';
import { makeMutualTls, type TlsMaterial } from '../support/tls.js';

const isCode = (code: string) => (err: unknown) => {
  assert.ok(isSignetError(err, code), `expected ${code}, got ${String(err)}`);
  return true;
};

/** Counts key operations reaching the real backend (the server side of "never signs twice"). */
function counting(inner: KeyBackend): KeyBackend & { readonly signs: () => number } {
  let signs = 0;
  return {
    kind: inner.kind,
    generateKey: (spec, label) => inner.generateKey(spec, label),
    getPublicKey: (ref) => inner.getPublicKey(ref),
    sign: (ref, req) => {
      signs++;
      return inner.sign(ref, req);
    },
    destroyKey: (ref) => inner.destroyKey(ref),
    health: () => inner.health(),
    close: () => inner.close(),
    signs: () => signs,
  };
}

function rawPost(
  url: string,
  path: string,
  tls: TlsMaterial | undefined,
  body: string,
  contentType = 'application/json',
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, url),
      {
        method: 'POST',
        ca: tls?.ca ?? '',
        ...(tls ? { cert: tls.cert, key: tls.key } : {}),
        headers: { 'content-type': contentType },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

let dir = '';
let tls: ReturnType<typeof makeMutualTls> | undefined;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'signet-token-server-'));
  if (hasTool('openssl')) tls = makeMutualTls(dir);
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('token server over mutual TLS', () => {
  it('refuses clients without a certificate or with one from another CA', async (t) => {
    if (!requireTools(t, 'openssl') || tls === undefined) return;
    const keystore = await SoftwareKeystore.open({
      dir: join(dir, 'ks-mtls'),
      kek: Kek.generate(),
    });
    const server = await TokenServer.start({ backend: keystore, tls: tls.server });
    t.after(() => server.close());
    const stranger = new RemoteKeyBackend({
      url: server.url,
      tls: { ...tls.stranger, ca: tls.client.ca },
      retries: 0,
    });
    t.after(() => stranger.close());
    await assert.rejects(
      stranger.getPublicKey('keystore:x'),
      isCode('ERR_KEY_BACKEND_UNAVAILABLE'),
    );
    assert.equal((await stranger.health()).ok, false);
    await assert.rejects(
      rawPost(
        server.url,
        '/v1/keys/public-key',
        { ...tls.client, cert: '', key: '' },
        '{"ref":"keystore:x"}',
      ),
    );
    const client = new RemoteKeyBackend({ url: server.url, tls: tls.client });
    t.after(() => client.close());
    assert.equal((await client.health()).ok, true);
    await assert.rejects(client.getPublicKey('keystore:x'), isCode('ERR_KEY_NOT_FOUND'));
  });

  it('KEY-10: a replayed or stale sign request is refused and reaches no key', async (t) => {
    if (!requireTools(t, 'openssl') || tls === undefined) return;
    const keystore = counting(
      await SoftwareKeystore.open({ dir: join(dir, 'ks-replay'), kek: Kek.generate() }),
    );
    const { ref } = await keystore.generateKey({ type: 'EC', curve: 'P-256' }, 'replay');
    const server = await TokenServer.start({ backend: keystore, tls: tls.server });
    const body = (requestId: string, issuedAt: string): string =>
      JSON.stringify({
        requestId,
        issuedAt,
        ref,
        scheme: 'ECDSA',
        digestAlgorithm: 'SHA-256',
        digest: randomBytes(32).toString('base64'),
      });
    const id = randomBytes(16).toString('hex');
    const now = new Date().toISOString();
    const first = await rawPost(server.url, '/v1/keys/sign', tls.client, body(id, now));
    assert.equal(first.status, 200, first.body);
    const replay = await rawPost(server.url, '/v1/keys/sign', tls.client, body(id, now));
    assert.equal(replay.status, 409);
    assert.equal(
      (JSON.parse(replay.body) as { error: { code: string } }).error.code,
      'ERR_KEY_REPLAYED',
    );
    const stale = await rawPost(
      server.url,
      '/v1/keys/sign',
      tls.client,
      body(randomBytes(16).toString('hex'), '2020-01-01T00:00:00Z'),
    );
    assert.equal(stale.status, 409);
    // After a restart the used ids are forgotten: requests issued before the start are refused.
    await server.close();
    const restarted = await TokenServer.start({ backend: keystore, tls: tls.server });
    t.after(() => restarted.close());
    const afterRestart = await rawPost(restarted.url, '/v1/keys/sign', tls.client, body(id, now));
    assert.equal(afterRestart.status, 409, afterRestart.body);
    assert.equal(keystore.signs(), 1, 'only the first request reached the key');
    // Malformed requests get a stable error, never a crash.
    const notJson = await rawPost(restarted.url, '/v1/keys/sign', tls.client, '{nope');
    assert.equal(notJson.status, 400);
    const wrongType = await rawPost(restarted.url, '/v1/keys/sign', tls.client, '{}', 'text/plain');
    assert.equal(wrongType.status, 400);
    const huge = await rawPost(
      restarted.url,
      '/v1/keys/sign',
      tls.client,
      JSON.stringify({ pad: 'x'.repeat(70_000) }),
    );
    assert.equal(huge.status, 400);
    const noRoute = await rawPost(restarted.url, '/v1/keys/export', tls.client, '{}');
    assert.equal(noRoute.status, 400);
    assert.equal(
      (JSON.parse(noRoute.body) as { error: { code: string } }).error.code,
      'ERR_KEY_REMOTE',
    );
  });

  it('restart mid-run: signatures fail clearly while the server is down, succeed after, none lost or doubled', async (t) => {
    if (!requireTools(t, 'openssl') || tls === undefined) return;
    const keystore = counting(
      await SoftwareKeystore.open({ dir: join(dir, 'ks-restart'), kek: Kek.generate() }),
    );
    const { ref, publicKey } = await keystore.generateKey(
      { type: 'EC', curve: 'P-384' },
      'restart',
    );
    const pub = createPublicKey({ key: Buffer.from(publicKey), format: 'der', type: 'spki' });
    let server = await TokenServer.start({ backend: keystore, tls: tls.server });
    const port = Number(new URL(server.url).port);
    const client = new RemoteKeyBackend({ url: server.url, tls: tls.client, retries: 1 });
    t.after(() => client.close());
    const sign = (
      i: number,
    ): Promise<{ ok: boolean; data: Buffer; sig?: Uint8Array; code?: string }> => {
      const data = Buffer.from(`restart ${i}`);
      const req: SignRequest = {
        scheme: 'ECDSA',
        digestAlgorithm: 'SHA-384',
        digest: createHash('sha384').update(data).digest(),
      };
      return client.sign(ref, req).then(
        (sig) => ({ ok: true, data, sig }),
        (err: unknown) => ({ ok: false, data, code: isSignetError(err) ? err.code : String(err) }),
      );
    };
    const before = await Promise.all([0, 1, 2, 3].map(sign));
    assert.ok(before.every((r) => r.ok));
    await server.close();
    const down = await Promise.all([4, 5].map(sign));
    assert.deepEqual(
      down.map((r) => r.code),
      ['ERR_KEY_BACKEND_UNAVAILABLE', 'ERR_KEY_BACKEND_UNAVAILABLE'],
    );
    server = await TokenServer.start({ backend: keystore, tls: tls.server, port });
    t.after(() => server.close());
    const afterRestart = await Promise.all([6, 7, 8, 9].map(sign));
    assert.ok(afterRestart.every((r) => r.ok));
    const delivered = [...before, ...afterRestart];
    for (const r of delivered) assert.ok(r.sig && verify('sha384', r.data, pub, r.sig));
    assert.equal(
      keystore.signs(),
      delivered.length,
      'every key operation was delivered exactly once',
    );
  });
});
