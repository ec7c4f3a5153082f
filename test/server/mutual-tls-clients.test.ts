/**
 * RFC 8705 mutual-TLS OAuth clients over a real HTTPS listener, judged by `curl --cert` and
 * `openssl` (docs/security.md OA-35, OA-36): a client registered with its subject DN
 * (tls_client_auth, §2.1.2) or its self-signed certificate (self_signed_tls_client_auth, §2.2)
 * gets tokens at the token endpoint without a secret (client_credentials, authorization_code,
 * refresh_token); another certificate, none, or a secret besides is invalid_client; its access
 * tokens carry `cnf` `x5t#S256` = the certificate's SHA-256 as openssl computes it (§3.1) and are
 * invalid_token on a connection without that certificate. Both stores.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { execFile } from 'node:child_process';
import { requireTools, runTool } from '../support/tools.js';
import { tempDir } from '../support/tmp.js';
import { storeKinds } from '../support/stores.js';
import { captureIo, openServices, serverEnv } from './support/server-fixture.js';
import { writeTlsFiles, type TlsFiles } from './support/tls-files.js';
import { buildServer } from '../../src/server/index.js';
import { serverSurfaces } from '../../src/server/surfaces.js';
import { httpsServerOptions, readTlsMaterial } from '../../src/server/tls-config.js';
import { main } from '../../src/cli/main.js';
import { hashOpaqueToken } from '../../src/auth/opaque-token.js';
import {
  certificateMatchesBinding,
  s256Challenge,
} from '../../src/auth/oauth2/index.js';
import { findToken, insertAuthorizationCode, listAuditRows } from '../../src/store/index.js';

const REDIRECT = 'https://app.example/cb';

function runToolAsync(tool: string, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(tool, args, { encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr });
    });
  });
}

interface CurlAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** `openssl x509 -outform DER | openssl dgst -sha256 -binary`, base64url: RFC 8705 §3.1 by openssl. */
function opensslThumbprint(certFile: string): string {
  const r = runTool('sh', [
    '-c',
    `openssl x509 -in '${certFile}' -outform DER | openssl dgst -sha256 -binary | base64 -w0`,
  ]);
  assert.equal(r.status, 0, r.stderr);
  return Buffer.from(r.stdout.trim(), 'base64').toString('base64url');
}

/** The subject as RFC 4514 writes it (what an administrator registers). */
function rfc4514Subject(certFile: string): string {
  const r = runTool('openssl', ['x509', '-in', certFile, '-noout', '-subject', '-nameopt', 'RFC2253']);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().replace(/^subject=\s*/, '');
}

describe('RFC 8705 mutual-TLS client authentication and certificate-bound tokens (issue 17)', () => {
  for (const kind of storeKinds) {
    it(`${kind}: OA-35 the certificate authenticates the client; OA-36 its tokens need the same certificate`, async (t) => {
      if (!requireTools(t, 'openssl', 'curl', 'sh')) return;
      const env = await serverEnv(t, kind);
      if (!env) return;
      const dir = tempDir(t);
      const server = await writeTlsFiles(dir, 'server', 'server');
      const clientA = await writeTlsFiles(dir, 'client-a', 'client');
      const clientB = await writeTlsFiles(dir, 'client-b', 'client');
      const self = { cert: join(dir, 'self.pem'), key: join(dir, 'self.key') };
      const req = runTool('openssl', [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
        '-subj', '/CN=Self-signed client', '-days', '2', '-keyout', self.key, '-out', self.cert,
      ]);
      assert.equal(req.status, 0, req.stderr);

      const services = await openServices(t, {
        ...env,
        env: {
          ...env.env,
          SIGNET_TLS_CERT_FILE: server.cert,
          SIGNET_TLS_KEY_FILE: server.key,
          SIGNET_TLS_CLIENT_CA_FILE: server.root,
        },
      });
      const tls = services.config.tls;
      assert.ok(tls);
      const app = await buildServer(services, {
        surfaces: serverSurfaces(services),
        https: httpsServerOptions(readTlsMaterial(tls)),
      });
      t.after(() => app.close());
      await app.listen({ port: 0, host: '127.0.0.1' });
      const port = (app.server.address() as AddressInfo).port;
      services.baseUrl.set(`https://localhost:${port}`);

      // curl runs asynchronously: the server answers from this process's event loop.
      const curl = async (
        path: string,
        cert: { readonly cert: string; readonly key: string } | undefined,
        args: readonly string[],
      ): Promise<CurlAnswer> => {
        const r = await runToolAsync('curl', [
          '-sS', '--resolve', `localhost:${port}:127.0.0.1`, '--cacert', server.root,
          ...(cert === undefined ? [] : ['--cert', cert.cert, '--key', cert.key]),
          '-w', '\n%{http_code}', ...args, `https://localhost:${port}${path}`,
        ]);
        assert.equal(r.code, 0, r.stderr);
        const lines = r.stdout.split('\n');
        const status = Number(lines.pop());
        const text = lines.join('\n');
        return { status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
      };
      const token = (cert: TlsFiles | typeof self | undefined, fields: Record<string, string>): Promise<CurlAnswer> =>
        curl('/oauth2/token', cert, ['-d', new URLSearchParams(fields).toString()]);
      const listCredentials = (cert: TlsFiles | undefined, bearer: string): Promise<CurlAnswer> =>
        curl('/csc/v2/credentials/list', cert, [
          '-H', `authorization: Bearer ${bearer}`, '-H', 'content-type: application/json', '-d', '{}',
        ]);

      // RFC 8414 / RFC 8705 §3.3: the metadata names the methods and the binding.
      const meta = await app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' });
      assert.equal(meta.statusCode, 200, meta.body);
      const metadata = meta.json<Record<string, unknown>>();
      assert.deepEqual(
        (metadata['token_endpoint_auth_methods_supported'] as string[]).filter((m) => m.includes('tls')),
        ['tls_client_auth', 'self_signed_tls_client_auth'],
      );
      assert.equal(metadata['tls_client_certificate_bound_access_tokens'], true);

      // Registration through the admin API: a subject DN (as openssl prints it in RFC 4514 order)
      // and a self-signed certificate; neither gets a secret.
      const setup = await app.inject({ method: 'POST', url: '/admin/v1/setup', payload: { setupToken: services.setupToken } });
      const admin = { authorization: `Bearer ${setup.json<{ access_token: string }>().access_token}` };
      const subjectDn = rfc4514Subject(clientA.cert);
      assert.match(subjectDn, /^CN=Signet TLS client-a,/);
      for (const [clientId, binding] of [
        ['mtls-dn', { subjectDn }],
        ['mtls-self', { selfSignedCertificatePem: readFileSync(self.cert, 'utf8') }],
      ] as const) {
        const r = await app.inject({
          method: 'POST', url: '/admin/v1/clients', headers: admin,
          payload: { clientId, name: clientId, clientType: 'confidential', redirectUris: [REDIRECT], allowedScopes: ['service'], tlsClientAuth: binding },
        });
        assert.equal(r.statusCode, 201, r.body);
        assert.equal(r.json<{ clientSecret?: string }>().clientSecret, undefined);
      }
      // A CA-issued certificate is no self-signed registration; a public client cannot use mTLS.
      const notSelf = await app.inject({
        method: 'POST', url: '/admin/v1/clients', headers: admin,
        payload: { name: 'x', clientType: 'confidential', redirectUris: [], allowedScopes: ['service'], tlsClientAuth: { selfSignedCertificatePem: clientA.leaf.pem } },
      });
      assert.equal(notSelf.statusCode, 400, notSelf.body);
      const publicMtls = await app.inject({
        method: 'POST', url: '/admin/v1/clients', headers: admin,
        payload: { name: 'x', clientType: 'public', redirectUris: [REDIRECT], allowedScopes: ['service'], tlsClientAuth: { subjectDn } },
      });
      assert.equal(publicMtls.statusCode, 400, publicMtls.body);

      // OA-35: client_credentials with the registered certificate and no secret.
      const cc = { grant_type: 'client_credentials', client_id: 'mtls-dn' };
      const issued = await token(clientA, cc);
      assert.equal(issued.status, 200, JSON.stringify(issued.body));
      const ccToken = String(issued.body['access_token']);
      // RFC 8705 §3.1: bound to x5t#S256 — the SHA-256 openssl computes over the certificate.
      const thumbA = opensslThumbprint(clientA.cert);
      assert.equal((await findToken(services.store.db, hashOpaqueToken(ccToken)))?.cnf_x5t_s256, thumbA);
      // Another certificate of the same CA, no certificate, or a secret besides: invalid_client.
      for (const [cert, fields] of [
        [clientB, cc],
        [undefined, cc],
        [clientA, { ...cc, client_secret: 'anything' }],
        [self, cc],
      ] as const) {
        const r = await token(cert, fields);
        assert.equal(r.status, 401, JSON.stringify(r.body));
        assert.equal(r.body['error'], 'invalid_client');
      }
      // self_signed_tls_client_auth: the registered certificate only (not chained to any CA).
      const selfIssued = await token(self, { grant_type: 'client_credentials', client_id: 'mtls-self' });
      assert.equal(selfIssued.status, 200, JSON.stringify(selfIssued.body));
      assert.equal(
        (await findToken(services.store.db, hashOpaqueToken(String(selfIssued.body['access_token']))))?.cnf_x5t_s256,
        opensslThumbprint(self.cert),
      );
      assert.equal((await token(clientA, { grant_type: 'client_credentials', client_id: 'mtls-self' })).status, 401);

      // OA-36 with a user: an authorization code (as the consent would leave it) redeemed with the
      // certificate; the access token works with clientA only and the refresh keeps the binding.
      const userId = await services.authenticator.createUser({ username: 'alice', password: 'correct horse battery staple' });
      const code = randomBytes(32).toString('base64url');
      const verifier = randomBytes(32).toString('base64url');
      const now = Date.now();
      await insertAuthorizationCode(services.store.db, {
        code_hash: hashOpaqueToken(code), client_id: 'mtls-dn', redirect_uri: REDIRECT,
        code_challenge: s256Challenge(verifier), code_challenge_method: 'S256', user_id: userId,
        scope: 'service', credential_id: null, num_signatures: null, hash_algorithm_oid: null,
        hashes: null, expires_at: now + 60_000, used: 0, created_at: now,
      });
      const redeemed = await token(clientA, {
        grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier, client_id: 'mtls-dn',
      });
      assert.equal(redeemed.status, 200, JSON.stringify(redeemed.body));
      const userToken = String(redeemed.body['access_token']);
      assert.equal((await listCredentials(clientA, userToken)).status, 200);
      for (const cert of [undefined, clientB]) {
        // RFC 8705 §3.1 / RFC 6750 §3.1: 401 invalid_token.
        const r = await listCredentials(cert, userToken);
        assert.equal(r.status, 401, JSON.stringify(r.body));
        assert.equal(r.body['error'], 'invalid_token');
      }
      // The client-credentials token too: no user behind it (access_denied) with its certificate,
      // invalid_token without.
      assert.equal((await listCredentials(clientA, ccToken)).body['error'], 'access_denied');
      assert.equal((await listCredentials(undefined, ccToken)).body['error'], 'invalid_token');

      const refresh = { grant_type: 'refresh_token', refresh_token: String(redeemed.body['refresh_token']), client_id: 'mtls-dn' };
      assert.equal((await token(clientB, refresh)).status, 401, 'a refresh needs the client certificate too');
      const refreshed = await token(clientA, refresh);
      assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
      assert.equal(
        (await findToken(services.store.db, hashOpaqueToken(String(refreshed.body['access_token']))))?.cnf_x5t_s256,
        thumbA,
      );

      // Every refusal is audited with its reason.
      const reasons = (await listAuditRows(services.store.db, { afterSeq: 0, limit: 1000 }))
        .filter((r) => r.event_type === 'oauth2.client_auth')
        .map((r) => (JSON.parse(r.details) as { reason: string }).reason);
      for (const reason of ['certificate-mismatch', 'no-client-certificate', 'secret-for-mtls-client']) {
        assert.ok(reasons.includes(reason), `${reason} in ${reasons.join(', ')}`);
      }
    });
  }

  it('tls_client_auth_san_dns matches a dNSName of a certificate from the client CA only (RFC 8705 §2.1.2)', async (t) => {
    const dir = tempDir(t);
    // The test PKI's server certificate names localhost in its subjectAltName.
    const named = await writeTlsFiles(dir, 'named', 'server');
    const der = new Uint8Array(Buffer.from(named.leaf.pem.replace(/-----[^-]+-----|\s/g, ''), 'base64'));
    const binding = { method: 'tls_client_auth', sanDns: 'localhost' } as const;
    assert.equal(certificateMatchesBinding(binding, { der, chainsToClientCa: true }), true);
    assert.equal(certificateMatchesBinding(binding, { der, chainsToClientCa: false }), false);
    assert.equal(certificateMatchesBinding({ ...binding, sanDns: 'other.example' }, { der, chainsToClientCa: true }), false);
    // The subject DN: every RDN, in RFC 4514 order, values compared case-insensitively.
    const dn = rfc4514Subject(named.cert);
    assert.equal(certificateMatchesBinding({ method: 'tls_client_auth', subjectDn: dn.toUpperCase() }, { der, chainsToClientCa: true }), true);
    const reversed = dn.split(',').reverse().join(',');
    assert.equal(certificateMatchesBinding({ method: 'tls_client_auth', subjectDn: reversed }, { der, chainsToClientCa: true }), false);
    assert.equal(certificateMatchesBinding({ method: 'tls_client_auth', subjectDn: dn.split(',').slice(0, -1).join(',') }, { der, chainsToClientCa: true }), false);
  });

  it('signet admin clients create --tls-subject-dn registers a client without a secret', async (t) => {
    const env = await serverEnv(t, 'sqlite');
    if (!env) return;
    await (await openServices(t, env)).close();
    const io = captureIo();
    const saved = process.env['DATABASE_URL'];
    delete process.env['DATABASE_URL'];
    try {
      const code = await main(
        ['admin', 'clients', 'create', '--name', 'Bank backend', '--client-id', 'bank', '--scope', 'service',
          '--tls-subject-dn', 'CN=backend,O=Bank,C=CZ', '--data', env.dataDir, '--json'],
        io,
      );
      assert.equal(code, 0, io.stderr.text);
      assert.deepEqual(JSON.parse(io.stdout.text), { clientId: 'bank' });
      const list = captureIo();
      assert.equal(await main(['admin', 'clients', 'list', '--data', env.dataDir], list), 0, list.stderr.text);
      assert.match(list.stdout.text, /bank .*tls_client_auth/);
      const bad = captureIo();
      assert.equal(
        await main(['admin', 'clients', 'create', '--name', 'x', '--tls-subject-dn', 'XYZ=1', '--data', env.dataDir], bad),
        1,
      );
      assert.match(bad.stderr.text, /ERR_OAUTH2_CLIENT_METADATA: the subject DN/);
    } finally {
      if (saved !== undefined) process.env['DATABASE_URL'] = saved;
    }
  });
});
