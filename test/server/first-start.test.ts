/**
 * A safe first start: two `signet serve` processes started at the same moment on an empty data
 * directory and a fresh PostgreSQL database create one KEK, one root and one issuing CA (the data
 * directory lock and a PostgreSQL advisory lock let one node bootstrap while the other waits and
 * loads), print one set-up token, and both sign with certificates chaining to that root (their TSA
 * tokens and a credential certificate verified by openssl). A crash mid-creation (a `ca.partial-*`
 * directory, a lock file of a dead process) is recovered on restart, audited, without orphan
 * records; a database that already holds another directory's CA is refused.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { decodeBase32, generateTotp } from '../../src/auth/index.js';
import { systemClock } from '../../src/core/clock.js';
import { initCaDirectory } from '../../src/pki/index.js';
import { ServerError, bootstrapDataDir, type ServerConfig } from '../../src/server/index.js';
import { dataDirLockName } from '../../src/server/data-dir-lock.js';
import type { DemoAccount } from '../../src/server/demo.js';
import { storeKinds } from '../support/stores.js';
import { requireTools, runTool } from '../support/tools.js';
import { tempDir } from '../support/tmp.js';
import { post, SHA256, ES256 } from './support/csc-nodes.js';
import { configFor, openServices, serverEnv } from './support/server-fixture.js';
import { startServe } from './support/serve-process.js';

/** openssl ts -verify of a stamp from `url` against the data directory's root. */
async function verifyTimestampFrom(url: string, caDir: string, dir: string, label: string): Promise<void> {
  const data = join(dir, `${label}.txt`);
  writeFileSync(data, `timestamp from ${label}\n`);
  const tsq = join(dir, `${label}.tsq`);
  assert.equal(runTool('openssl', ['ts', '-query', '-data', data, '-sha256', '-cert', '-out', tsq]).status, 0);
  const reply = await fetch(`${url}/pki/tsa`, { method: 'POST', headers: { 'content-type': 'application/timestamp-query' }, body: readFileSync(tsq) });
  assert.equal(reply.status, 200);
  const tsr = join(dir, `${label}.tsr`);
  writeFileSync(tsr, Buffer.from(await reply.arrayBuffer()));
  const verify = runTool('openssl', ['ts', '-verify', '-in', tsr, '-queryfile', tsq, '-CAfile', join(caDir, 'root.pem'), '-untrusted', join(caDir, 'issuing.pem')]);
  assert.equal(verify.status, 0, verify.stderr + verify.stdout);
}

/** A pid that certainly belongs to no process any more. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('safe first start on two nodes', () => {
  it('postgres: two serve processes started at once on an empty directory make one CA; both sign under it', async (t) => {
    if (!requireTools(t, 'openssl')) return;
    const env = await serverEnv(t, 'postgres');
    if (!env) return;
    const [a, b] = await Promise.all([
      startServe(['--data', env.dataDir, '--demo'], { ...env.env, SIGNET_NODE_ID: 'node-a' }),
      startServe(['--data', env.dataDir], { ...env.env, SIGNET_NODE_ID: 'node-b' }),
    ]);
    t.after(() => Promise.all([a.stop(), b.stop()]));
    const store = await openServices(t, env);
    const profiles = await store.store.db.selectFrom('ca_certificates').select(['profile']).execute();
    const count = (p: string) => profiles.filter((r) => r.profile === p).length;
    // The CA's own certificates in the database: a second CA would add a second TSA and OCSP signer.
    assert.deepEqual([count('tsa'), count('ocsp-signer')], [1, 1]);
    const rootA = Buffer.from(await (await fetch(`${a.url}/pki/ca/root.cer`)).arrayBuffer());
    const rootB = Buffer.from(await (await fetch(`${b.url}/pki/ca/root.cer`)).arrayBuffer());
    const issuingA = Buffer.from(await (await fetch(`${a.url}/pki/ca/issuing.cer`)).arrayBuffer());
    const issuingB = Buffer.from(await (await fetch(`${b.url}/pki/ca/issuing.cer`)).arrayBuffer());
    assert.deepEqual(rootB, rootA, 'one root');
    assert.deepEqual(issuingB, issuingA, 'one issuing CA');
    assert.deepEqual(readdirSync(env.dataDir).filter((n) => n.startsWith('ca')), ['ca'], 'one CA directory, no partial one');
    assert.equal(existsSync(join(env.dataDir, dataDirLockName)), false, 'the bootstrap lock is released');
    const tokens = [a, b].filter((p) => /one-time administrator set-up token/.test(p.stdout()));
    assert.equal(tokens.length, 1, 'one set-up token');
    const issued = await store.store.db.selectFrom('audit_log').select(['subject']).where('event_type', '=', 'ca.certificate.issue').execute();
    assert.equal(new Set(issued.map((e) => e.subject)).size, issued.length, 'each CA certificate issuance audited once');

    // Both nodes sign under the one CA: TSA tokens from each verify against root.pem, and the
    // credential created on A signs through B with a certificate chaining to the same root.
    const caDir = join(env.dataDir, 'ca');
    const dir = tempDir(t);
    await verifyTimestampFrom(a.url, caDir, dir, 'a');
    await verifyTimestampFrom(b.url, caDir, dir, 'b');
    const demo = JSON.parse(readFileSync(join(env.dataDir, 'demo.json'), 'utf8')) as DemoAccount;
    const login = await post(b, 'auth/login', {}, `Basic ${Buffer.from(`${demo.username}:${demo.password}`).toString('base64')}`);
    assert.equal(login.status, 200, JSON.stringify(login.body));
    const bearer = `Bearer ${login.body['access_token'] as string}`;
    const info = await post(b, 'credentials/info', { credentialID: demo.credentialID, certInfo: true, certificates: 'chain' }, bearer);
    assert.equal(info.status, 200, JSON.stringify(info.body));
    const chain = (info.body['cert']['certificates'] as string[]).map((c) => `-----BEGIN CERTIFICATE-----\n${c.match(/.{1,64}/g)?.join('\n')}\n-----END CERTIFICATE-----\n`);
    writeFileSync(join(dir, 'leaf.pem'), chain[0] ?? '');
    const verify = runTool('openssl', ['verify', '-CAfile', join(caDir, 'root.pem'), '-untrusted', join(caDir, 'issuing.pem'), join(dir, 'leaf.pem')]);
    assert.equal(verify.status, 0, verify.stderr + verify.stdout);
    const hash = createHash('sha256').update('first start').digest('base64');
    const authorized = await post(b, 'credentials/authorize', {
      credentialID: demo.credentialID, numSignatures: 1, hashes: [hash], hashAlgorithmOID: SHA256,
      authData: [{ id: 'PIN', value: demo.pin }, { id: 'OTP', value: generateTotp(decodeBase32(demo.totpSecret), new Date()) }],
    }, bearer);
    assert.equal(authorized.status, 200, JSON.stringify(authorized.body));
    const signed = await post(b, 'signatures/signHash', { credentialID: demo.credentialID, SAD: authorized.body['SAD'], hashes: [hash], hashAlgorithmOID: SHA256, signAlgo: ES256 }, bearer);
    assert.equal(signed.status, 200, JSON.stringify(signed.body));
  });

  for (const kind of storeKinds) {
    it(`${kind}: a crash mid-creation (partial CA directory, a dead process's lock file) is recovered on restart, audited, no orphan records`, async (t) => {
      const env = await serverEnv(t, kind);
      if (!env) return;
      const config: ServerConfig = configFor(env);
      const boot = await bootstrapDataDir(config);
      // The state a crash leaves: the CA half built in its partial directory (keys, certificates,
      // file records), never renamed to ca/; and the lock file of the process that died.
      const partial = join(env.dataDir, 'ca.partial-deadbeef0000');
      await initCaDirectory({ dir: partial, clock: systemClock, ...boot.kekChoice });
      writeFileSync(join(env.dataDir, dataDirLockName), JSON.stringify({ host: hostname(), pid: deadPid() }));
      const services = await openServices(t, env);
      assert.equal(existsSync(partial), false, 'the partial directory is removed');
      assert.equal(existsSync(join(env.dataDir, dataDirLockName)), false);
      const recovered = await services.store.db.selectFrom('audit_log').selectAll().where('event_type', '=', 'server.first_start.recover').execute();
      assert.equal(recovered.length, 1);
      assert.deepEqual(JSON.parse(recovered[0]?.details ?? '{}'), { removed: ['ca.partial-deadbeef0000'] });
      const serials = (await services.store.db.selectFrom('ca_certificates').select(['serial_hex', 'profile']).execute()).map((r) => r.serial_hex);
      const issued = await services.store.db.selectFrom('audit_log').select(['subject']).where('event_type', '=', 'ca.certificate.issue').execute();
      assert.deepEqual(issued.map((e) => e.subject).sort(), serials.map((s) => `certificate:${s}`).sort(), 'every record is the new CA’s, each audited');
    });
  }

  it('postgres: an empty data directory with a KEK of its own is refused (nothing it could open) and keeps no KEK; with the shared KEK it serves the same CA (issue 16)', async (t) => {
    const env = await serverEnv(t, 'postgres');
    if (!env) return;
    const first = await openServices(t, env);
    const other = { ...env, dataDir: join(tempDir(t), 'other') };
    mkdirSync(other.dataDir);
    await assert.rejects(openServices(t, other), (e: unknown) => e instanceof ServerError && e.code === 'ERR_SERVER_SECRETS' && /give every node the same KEK/.test(e.message));
    assert.equal(existsSync(join(other.dataDir, 'kek')), false, 'the KEK generated for nothing is removed');
    const shared = { ...other, env: { ...other.env, SIGNET_KEK_FILE: join(env.dataDir, 'kek') } };
    const second = await openServices(t, shared);
    assert.deepEqual(second.ca.certificate, first.ca.certificate);
    assert.ok(existsSync(join(other.dataDir, 'ca', 'root.pem')), 'the CA files are restored from the database');
  });
});
