/**
 * `signet serve` over HTTPS (issue 17, "TLS"), judged from outside by `openssl s_client` and
 * `curl`: TLS 1.2+ only, ECDHE+AEAD suites, HTTP/1.1 over ALPN, the certificate chain of the test
 * PKI; with a client CA the handshake asks for (but does not require) a client certificate; security headers (CSP, X-Content-Type-Options, Referrer-Policy, HSTS) on HTML answers; on
 * SIGHUP a new certificate is used for new handshakes while an open keep-alive connection keeps
 * going, and a broken file leaves the current certificate in place.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { requireTools, runTool } from '../support/tools.js';
import { tempDir } from '../support/tmp.js';
import { openServices, serverEnv } from './support/server-fixture.js';
import { buildServer } from '../../src/server/index.js';
import { startServe, type ServeProcess } from './support/serve-process.js';
import { writeTlsFiles } from './support/tls-files.js';
import { readTlsMaterial } from '../../src/server/tls-config.js';
import { isSignetError } from '../../src/core/errors.js';

function sClient(
  port: number,
  root: string,
  extra: readonly string[],
): { status: number | null; out: string } {
  const r = runTool(
    'openssl',
    [
      's_client',
      '-connect',
      `127.0.0.1:${port}`,
      '-servername',
      'localhost',
      '-CAfile',
      root,
      ...extra,
    ],
    { input: '' },
  );
  return { status: r.status, out: r.stdout + r.stderr };
}

/** The PEM leaf the server presented in an s_client transcript. */
function presentedLeaf(out: string): X509Certificate {
  const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(out)?.[0];
  assert.ok(pem, out);
  return new X509Certificate(pem);
}

async function waitFor(p: ServeProcess, pattern: RegExp, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pattern.test(p.stdout())) {
    if (Date.now() > end) assert.fail(`no ${pattern} in:\n${p.stdout()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function get(
  agent: Agent,
  port: number,
  path: string,
): Promise<{ status: number; localPort: number; serial: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', servername: 'localhost', port, path, agent },
      (res) => {
        const socket = res.socket as TLSSocket;
        res.resume();
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            localPort: socket.localPort ?? 0,
            serial: socket.getPeerCertificate().serialNumber,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('signet serve over TLS (issue 17)', () => {
  it('TLS 1.2+, AEAD suites, HTTP/1.1; HSTS and the security headers on HTML; SIGHUP reloads without dropping connections', async (t) => {
    if (!requireTools(t, 'openssl', 'curl')) return;
    const env = await serverEnv(t, 'sqlite');
    if (!env) return;
    const dir = tempDir(t);
    const first = await writeTlsFiles(dir, 'server', 'server');
    const p = await startServe(['--data', env.dataDir], {
      SIGNET_TLS_CERT_FILE: first.cert,
      SIGNET_TLS_KEY_FILE: first.key,
      SIGNET_TLS_CLIENT_CA_FILE: first.root,
      SIGNET_METRICS_ADDRESS: '127.0.0.1:0',
    });
    t.after(() => p.stop());
    assert.equal(p.url, `https://localhost:${p.port}`, 'the default base URL is https');

    // The container's HEALTHCHECK script follows the listener to TLS; plain HTTP (what it used
    // to ask) gets no answer from a TLS-only listener.
    const healthcheck = (tlsCert: string | undefined): number | null =>
      spawnSync(process.execPath, ['bin/healthcheck.js'], {
        env: { ...process.env, SIGNET_PORT: String(p.port), SIGNET_HOST: '0.0.0.0', SIGNET_TLS_CERT_FILE: tlsCert ?? '' },
        timeout: 20_000,
      }).status;
    assert.equal(healthcheck(first.cert), 0, 'HEALTHCHECK over HTTPS');
    assert.equal(healthcheck(undefined), 1, 'plain HTTP to the TLS listener fails');

    // openssl s_client: the chain verifies against the test root; ALPN picks http/1.1 over h2.
    const ok = sClient(p.port, first.root, ['-alpn', 'h2,http/1.1', '-verify_return_error']);
    assert.equal(ok.status, 0, ok.out);
    assert.match(ok.out, /Verify return code: 0 \(ok\)/);
    assert.match(ok.out, /ALPN protocol: http\/1\.1/);
    assert.match(ok.out, /New, TLSv1\.3, Cipher is/);
    assert.equal(
      presentedLeaf(ok.out).serialNumber,
      new X509Certificate(first.leaf.pem).serialNumber,
    );
    const tls12 = sClient(p.port, first.root, [
      '-tls1_2',
      '-cipher',
      'ECDHE-ECDSA-AES128-GCM-SHA256',
    ]);
    assert.equal(tls12.status, 0, tls12.out);
    assert.match(tls12.out, /Cipher is ECDHE-ECDSA-AES128-GCM-SHA256/);
    // The client offers only what the server must refuse: TLS 1.1, then TLS 1.2 without forward secrecy / AEAD.
    const tls11 = sClient(p.port, first.root, ['-tls1_1', '-cipher', 'DEFAULT@SECLEVEL=0']);
    assert.notEqual(tls11.status, 0, tls11.out);
    assert.match(tls11.out, /alert protocol version|unsupported protocol|wrong version number/i);
    const cbc = sClient(p.port, first.root, [
      '-tls1_2',
      '-cipher',
      'AES128-SHA:ECDHE-ECDSA-AES128-SHA',
    ]);
    assert.notEqual(cbc.status, 0, cbc.out);
    assert.match(cbc.out, /handshake failure|no shared cipher/i);

    // curl: the HTML answers carry the security headers, HSTS included (over TLS).
    for (const path of ['/documentation', '/']) {
      const r = runTool('curl', [
        '-sS',
        '-o',
        '/dev/null',
        '-D',
        '-',
        '--cacert',
        first.root,
        `${p.url}${path}`,
      ]);
      assert.equal(r.status, 0, r.stderr);
      const headers = r.stdout.toLowerCase();
      assert.match(headers, /^http\/1\.1 (200|503)/, `${path}: ${r.stdout}`);
      assert.match(headers, /^content-type: text\/html/m, `${path}: ${r.stdout}`);
      assert.match(headers, /^content-security-policy: .*default-src/m, path);
      assert.match(headers, /^x-content-type-options: nosniff/m, path);
      assert.match(headers, /^referrer-policy: /m, path);
      assert.match(headers, /^strict-transport-security: max-age=31536000/m, path);
    }

    // SIGNET_METRICS_ADDRESS: the metrics listener serves HTTPS with the same certificate (a
    // bearer token must not cross in clear); plain HTTP to it gets no answer.
    const metricsPort = Number(/signet: metrics at https:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(p.stdout())?.[1]);
    assert.ok(metricsPort > 0, p.stdout());
    const scrape = runTool('curl', ['-sS', '--cacert', first.root, '--resolve', `localhost:${metricsPort}:127.0.0.1`, `https://localhost:${metricsPort}/metrics`]);
    assert.equal(scrape.status, 0, scrape.stderr);
    assert.match(scrape.stdout, /# TYPE signet_http_request_duration_seconds histogram/);
    assert.notEqual(runTool('curl', ['-sS', '-o', '/dev/null', `http://127.0.0.1:${metricsPort}/metrics`]).status, 0, 'plain HTTP to the metrics listener');

    // SIGNET_TLS_CLIENT_CA_FILE: the handshake asks for a certificate under that CA (RFC 8446
    // §4.3.2 certificate_authorities / RFC 5246 §7.4.4), optional: curl with and without one.
    assert.match(
      ok.out,
      /Acceptable client certificate CA names\s+C = EU, O = Signet Test, CN = Signet Test Root CA/,
    );
    const clientCert = await writeTlsFiles(dir, 'client', 'client');
    for (const extra of [[], ['--cert', clientCert.cert, '--key', clientCert.key]]) {
      const r = runTool('curl', [
        '-sS',
        '-o',
        '/dev/null',
        '-w',
        '%{http_code}',
        '--cacert',
        first.root,
        ...extra,
        `${p.url}/health/live`,
      ]);
      assert.equal(r.stdout, '200', `${extra.join(' ')}: ${r.stderr}`);
    }

    // SIGHUP: an open keep-alive connection stays, a new handshake gets the new certificate.
    const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: readFileSync(first.root) });
    t.after(() => agent.destroy());
    const before = await get(agent, p.port, '/health/live');
    assert.equal(before.status, 200);
    const second = await writeTlsFiles(dir, 'server', 'server');
    p.child.kill('SIGHUP');
    await waitFor(p, /TLS certificate reloaded/);
    const after = await get(agent, p.port, '/health/live');
    assert.equal(after.status, 200);
    assert.equal(after.localPort, before.localPort, 'the same connection, not dropped');
    assert.equal(after.serial, before.serial, 'the open connection keeps its session');
    const fresh = sClient(p.port, second.root, ['-verify_return_error']);
    assert.equal(fresh.status, 0, fresh.out);
    assert.equal(
      presentedLeaf(fresh.out).serialNumber,
      new X509Certificate(second.leaf.pem).serialNumber,
    );
    const freshMetrics = sClient(metricsPort, second.root, ['-verify_return_error']);
    assert.equal(freshMetrics.status, 0, freshMetrics.out);
    assert.equal(presentedLeaf(freshMetrics.out).serialNumber, new X509Certificate(second.leaf.pem).serialNumber, 'the metrics listener reloads too');

    // A broken key file on SIGHUP: logged, the current certificate stays.
    writeFileSync(second.key, 'not a key\n');
    p.child.kill('SIGHUP');
    await waitFor(p, /TLS certificate not reloaded/);
    const still = sClient(p.port, second.root, ['-verify_return_error']);
    assert.equal(still.status, 0, still.out);
    assert.equal(
      presentedLeaf(still.out).serialNumber,
      new X509Certificate(second.leaf.pem).serialNumber,
    );
    assert.equal(await p.stop(), 0);
  });

  it('refuses TLS files that do not read or do not fit, naming the variable', async (t) => {
    const dir = tempDir(t);
    const a = await writeTlsFiles(dir, 'a', 'server');
    const b = await writeTlsFiles(dir, 'b', 'server');
    const refusal = (config: Parameters<typeof readTlsMaterial>[0]): string => {
      try {
        readTlsMaterial(config);
      } catch (err) {
        assert.ok(isSignetError(err) && err.code === 'ERR_SERVER_CONFIG', String(err));
        return err.message;
      }
      return assert.fail('accepted');
    };
    assert.match(
      refusal({ certFile: a.cert, keyFile: b.key, clientCaFile: undefined }),
      /SIGNET_TLS_KEY_FILE does not fit SIGNET_TLS_CERT_FILE/,
    );
    assert.match(
      refusal({ certFile: a.key, keyFile: a.key, clientCaFile: undefined }),
      /SIGNET_TLS_CERT_FILE .* holds no PEM/,
    );
    assert.match(
      refusal({ certFile: a.cert, keyFile: `${dir}/missing`, clientCaFile: undefined }),
      /SIGNET_TLS_KEY_FILE .* cannot be read/,
    );
    assert.match(
      refusal({ certFile: a.cert, keyFile: a.key, clientCaFile: a.key }),
      /SIGNET_TLS_CLIENT_CA_FILE .* holds no PEM/,
    );
  });

  it('plain HTTP answers carry the same headers but no HSTS (RFC 6797 §7.2)', async (t) => {
    const env = await serverEnv(t, 'sqlite');
    if (!env) return;
    const app = await buildServer(await openServices(t, env));
    t.after(() => app.close());
    const res = await app.inject({ method: 'GET', url: '/documentation' });
    assert.match(String(res.headers['content-type']), /text\/html/);
    assert.ok(res.headers['content-security-policy']);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.ok(res.headers['referrer-policy']);
    assert.equal(res.headers['strict-transport-security'], undefined);
  });
});
