/**
 * Data-directory bootstrap (issue 6): first start creates KEK (0600), sealed secrets, CA
 * hierarchy, keystore and the database; a restart reuses all of it and never regenerates; a
 * partly initialised directory is refused. On SQLite and PostgreSQL.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAuditKey, verifyAuditStore } from '../../src/audit/index.js';
import { createServices, loadServerConfig } from '../../src/server/index.js';
import type { Db } from '../../src/store/index.js';
import { storeKinds } from '../support/stores.js';
import { tempDir } from '../support/tmp.js';
import { Capture, configFor, openServices, serverEnv, testScrypt } from './support/server-fixture.js';

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

/** The sealed server secrets as the database keeps them (issue 16). */
async function storedSecrets(services: { readonly store: { readonly db: Db } }): Promise<string> {
  const row = await services.store.db.selectFrom('node_state').select('value').where('name', '=', 'secrets').executeTakeFirstOrThrow();
  return row.value;
}

describe('bootstrapDataDir (issue 6: first start, restart)', () => {
  for (const kind of storeKinds) {
    it(`${kind}: a second start reuses the CA, the KEK, the secrets and the database; the set-up token is shown once`, async (t) => {
      const env = await serverEnv(t, kind);
      if (!env) return;
      const first = await openServices(t, env);
      assert.equal(first.fresh, true);
      assert.match(first.setupToken ?? '', /^[A-Za-z0-9_-]{43}$/);
      const kek = readFileSync(join(env.dataDir, 'kek'), 'utf8');
      const secrets = await storedSecrets(first);
      assert.equal(existsSync(join(env.dataDir, 'secrets.json')), false, 'the secrets live in the database (issue 16)');
      const root = Buffer.from(first.rootCertificate).toString('base64');
      const issuing = Buffer.from(first.ca.certificate).toString('base64');
      await first.admin.createUser({ username: 'alice', password: 'correct horse' }, { via: 'cli' });
      await first.close();

      const second = await openServices(t, env);
      assert.equal(second.fresh, false);
      assert.equal(second.setupToken, undefined, 'the set-up token is never regenerated');
      assert.equal(readFileSync(join(env.dataDir, 'kek'), 'utf8'), kek);
      assert.equal(await storedSecrets(second), secrets);
      assert.equal(Buffer.from(second.rootCertificate).toString('base64'), root);
      assert.equal(Buffer.from(second.ca.certificate).toString('base64'), issuing);
      assert.deepEqual((await second.admin.listUsers()).map((u) => u.username), ['alice']);
      // The audit key survived: the chain written by the first start verifies under the second's key.
      const report = await verifyAuditStore(second.store, second.auditKey);
      assert.equal(report.ok, true, JSON.stringify(report.problems));
      assert.ok(report.entries >= 2);
      assert.equal(kind === 'sqlite', existsSync(join(env.dataDir, 'signet.db')));
    });
  }

  it('permissions: data dir and CA dir 0700; KEK and database 0600; keys and secrets only sealed, in the database', async (t) => {
    const env = await serverEnv(t, 'sqlite');
    if (!env) return;
    const services = await openServices(t, env);
    assert.equal(mode(env.dataDir), 0o700);
    assert.equal(mode(join(env.dataDir, 'ca')), 0o700);
    for (const f of ['kek', 'signet.db']) assert.equal(mode(join(env.dataDir, f)), 0o600, f);
    // The CA was made in files, then moved into the database (its key files kept aside, sealed).
    const keyDir = join(env.dataDir, 'ca', 'keys.imported');
    for (const f of readdirSync(keyDir)) assert.doesNotMatch(readFileSync(join(keyDir, f), 'utf8'), /PRIVATE KEY/);
    const rows = await services.store.db.selectFrom('wrapped_keys').select(['keystore', 'envelope']).execute();
    assert.ok(rows.filter((r) => r.keystore === 'ca').length >= 4, 'root, issuing, TSA and OCSP keys');
    for (const r of rows) assert.doesNotMatch(Buffer.from(r.envelope).toString('utf8'), /PRIVATE KEY/);
    assert.match(await storedSecrets(services), /"ciphertext"/);
  });

  it('a data directory whose KEK file is gone is refused, not re-keyed', async (t) => {
    const env = await serverEnv(t, 'sqlite');
    if (!env) return;
    await (await openServices(t, env)).close();
    rmSync(join(env.dataDir, 'kek'));
    await assert.rejects(
      createServices(configFor(env), { scrypt: testScrypt, logDestination: new Capture() }),
      { code: 'ERR_SERVER_DATA_DIR' },
    );
    assert.equal(existsSync(join(env.dataDir, 'kek')), false);
  });

  it('a wrong KEK from SIGNET_KEK is refused (secrets do not open)', async (t) => {
    const env = await serverEnv(t, 'sqlite');
    if (!env) return;
    await (await openServices(t, env)).close();
    const config = loadServerConfig({ dataDir: env.dataDir, port: 0, env: { SIGNET_KEK: 'ab'.repeat(32) } });
    await assert.rejects(createServices(config, { scrypt: testScrypt, logDestination: new Capture() }), {
      code: 'ERR_SERVER_SECRETS',
    });
  });

  it('SIGNET_KEK_FILE: no KEK file is written into the data directory', async (t) => {
    const dir = tempDir(t);
    const kekFile = join(dir, 'kek.hex');
    writeFileSync(kekFile, `${'cd'.repeat(32)}\n`, { mode: 0o600 });
    const config = loadServerConfig({ dataDir: join(dir, 'data'), port: 0, env: { SIGNET_KEK_FILE: kekFile } });
    const services = await createServices(config, { scrypt: testScrypt, logDestination: new Capture() });
    t.after(() => services.close());
    assert.equal(existsSync(join(dir, 'data', 'kek')), false);
    const report = await verifyAuditStore(services.store, createAuditKey(new Uint8Array(services.auditKey.key.export())));
    assert.equal(report.ok, true);
  });
});
