/**
 * Issue 16 §2 (first part) and §1: `signet serve` takes remote token servers from
 * SIGNET_TOKEN_SERVERS (mutual TLS, *_FILE client identity); a credential created on `remote:t1`
 * signs through it; when the token server is down the signature is refused before the SAD is
 * consumed (503 ERR_CSC_KEY_UNAVAILABLE), and the same SAD signs once it is back. Both stores.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeBase32, generateTotp } from '../../src/auth/index.js';
import { Kek, SoftwareKeystore, TokenServer } from '../../src/keys/index.js';
import { loadServerConfig } from '../../src/server/config.js';
import { ensureDemoAccount } from '../../src/server/demo.js';
import { storeKinds } from '../support/stores.js';
import { requireTools, runTool } from '../support/tools.js';
import { tempDir } from '../support/tmp.js';
import { makeMutualTls } from '../keys/support/tls.js';
import { post, SHA256, ES256, demoSession, sharedClock, startNode } from './support/csc-nodes.js';
import { serverEnv } from './support/server-fixture.js';

for (const kind of storeKinds) {
  describe(`issue 16: remote token servers in signet serve (${kind})`, () => {
    it('a credential on remote:t1 signs through the token server; with the server down the SAD stays usable and signs after it is back', async (t) => {
      if (!requireTools(t, 'openssl')) return;
      const env = await serverEnv(t, kind);
      if (!env) return;
      const dir = tempDir(t);
      const tls = makeMutualTls(dir);
      const files = { cert: join(dir, 'client-cert.pem'), key: join(dir, 'client-key.pem'), ca: join(dir, 'client-ca.pem') };
      writeFileSync(files.cert, tls.client.cert);
      writeFileSync(files.key, tls.client.key, { mode: 0o600 });
      writeFileSync(files.ca, tls.client.ca);
      const tokenKeys = await SoftwareKeystore.open({ dir: join(dir, 'token-keys'), kek: Kek.generate() });
      t.after(() => tokenKeys.close());
      let server = await TokenServer.start({ backend: tokenKeys, tls: tls.server });
      const port = Number(new URL(server.url).port);
      t.after(() => server.close());
      const clock = sharedClock();
      const node = await startNode(t, env, 'node-remote', clock, {
        SIGNET_TOKEN_SERVERS: `t1=${server.url}`,
        SIGNET_TOKEN_SERVER_CERT_FILE: files.cert,
        SIGNET_TOKEN_SERVER_KEY_FILE: files.key,
        SIGNET_TOKEN_SERVER_CA_FILE: files.ca,
      });
      assert.equal(node.services.backends.get('remote:t1')?.kind, 'remote');
      const session = await demoSession(node, node, clock);
      const { demo } = await ensureDemoAccount(node.services);
      const { credentialID } = await node.services.admin.createCredential(
        { user: demo.username, backend: 'remote:t1', algorithm: 'EC-P256', pin: '135790', commonName: 'Remote Signer' },
        { via: 'cli' },
      );
      assert.equal((await tokenKeys.listKeyRefs()).length, 1, 'the key was generated on the token server');

      const hashes = ['one', 'two'].map((s) => createHash('sha256').update(s).digest('base64'));
      clock.advance(30_000);
      const authorized = await post(node, 'credentials/authorize', {
        credentialID, numSignatures: 2, hashes, hashAlgorithmOID: SHA256,
        authData: [{ id: 'PIN', value: '135790' }, { id: 'OTP', value: generateTotp(decodeBase32(demo.totpSecret), clock.now()) }],
      }, session.bearer);
      assert.equal(authorized.status, 200, JSON.stringify(authorized.body));
      const info = await post(node, 'credentials/info', { credentialID, certInfo: true, certificates: 'single' }, session.bearer);
      const leaf = new X509Certificate(Buffer.from((info.body['cert']['certificates'] as string[])[0] as string, 'base64'));
      const signHash = (hash: string) =>
        post(node, 'signatures/signHash', { credentialID, SAD: authorized.body['SAD'], hashes: [hash], hashAlgorithmOID: SHA256, signAlgo: ES256 }, session.bearer);
      writeFileSync(join(dir, 'pub.pem'), leaf.publicKey.export({ format: 'pem', type: 'spki' }));
      // openssl judges each signature over the authorised digest with the certificate's key.
      const verifies = (hash: string, signature: string, name: string): void => {
        writeFileSync(join(dir, `${name}.bin`), Buffer.from(hash, 'base64'));
        writeFileSync(join(dir, `${name}.sig`), Buffer.from(signature, 'base64'));
        const r = runTool('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', join(dir, 'pub.pem'), '-in', join(dir, `${name}.bin`), '-sigfile', join(dir, `${name}.sig`)]);
        assert.equal(r.status, 0, `${name}: ${r.stderr}${r.stdout}`);
      };

      const first = await signHash(hashes[0] as string);
      assert.equal(first.status, 200, JSON.stringify(first.body));
      verifies(hashes[0] as string, (first.body['signatures'] as string[])[0] as string, 'first');
      await server.close();
      const refused = await signHash(hashes[1] as string);
      assert.deepEqual([refused.status, refused.body], [503, { error: 'temporarily_unavailable', error_description: 'The signing key is not available; the authorization was not used' }]);
      server = await TokenServer.start({ backend: tokenKeys, tls: tls.server, port });
      const second = await signHash(hashes[1] as string);
      assert.equal(second.status, 200, JSON.stringify(second.body));
      verifies(hashes[1] as string, (second.body['signatures'] as string[])[0] as string, 'second');
    });
  });
}

describe('SIGNET_TOKEN_SERVERS in the configuration', () => {
  it('parses NAME=https URLs with the three *_FILE settings; refuses http, bad names, duplicates and a missing file setting', () => {
    const files = { SIGNET_TOKEN_SERVER_CERT_FILE: '/c', SIGNET_TOKEN_SERVER_KEY_FILE: '/k', SIGNET_TOKEN_SERVER_CA_FILE: '/a' };
    const config = loadServerConfig({ dataDir: '/tmp/x', env: { SIGNET_TOKEN_SERVERS: 't1=https://10.0.0.1:8443, card-2=https://h:9/', ...files } });
    assert.deepEqual(config.tokenServers?.servers, [{ name: 't1', url: 'https://10.0.0.1:8443' }, { name: 'card-2', url: 'https://h:9' }]);
    assert.equal(loadServerConfig({ dataDir: '/tmp/x', env: {} }).tokenServers, undefined);
    for (const [list, extra] of [
      ['t1=http://h:1', files],
      ['T1=https://h:1', files],
      ['t1=https://h:1,t1=https://h:2', files],
      ['t1=https://h:1', { ...files, SIGNET_TOKEN_SERVER_CA_FILE: '' }],
    ] as const) {
      assert.throws(() => loadServerConfig({ dataDir: '/tmp/x', env: { SIGNET_TOKEN_SERVERS: list, ...extra } }), { code: 'ERR_SERVER_CONFIG' }, list);
    }
  });
});
