/**
 * The data directory's first-start lock (data-dir-lock.ts): exclusive, waited for, broken only
 * when its holder died on this host, bounded by a timeout; and the configuration of the fault
 * bounds (shutdown, renewal, database timeouts) refuses nonsense instead of guessing.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ServerError, loadServerConfig } from '../../src/server/index.js';
import { dataDirLockName, lockDataDir } from '../../src/server/data-dir-lock.js';
import { tempDir } from '../support/tmp.js';

describe('data directory lock', () => {
  it('is exclusive: a second taker waits until the first releases, and the file names its holder', async (t) => {
    const root = join(tempDir(t), 'data');
    const first = await lockDataDir(root);
    const path = join(root, dataDirLockName);
    assert.deepEqual(Object.keys(JSON.parse(readFileSync(path, 'utf8')) as object).sort(), ['host', 'pid']);
    let secondHeld = false;
    const second = lockDataDir(root).then((lock) => {
      secondHeld = true;
      return lock;
    });
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(secondHeld, false, 'waits while the first holds it');
    first.release();
    const lock = await second;
    assert.equal(secondHeld, true);
    lock.release();
    lock.release();
    assert.equal(existsSync(path), false);
  });

  it('a lock held on another host is not broken: ERR_SERVER_DATA_DIR_LOCKED after the timeout', async (t) => {
    const root = tempDir(t);
    writeFileSync(join(root, dataDirLockName), JSON.stringify({ host: 'some-other-host.invalid', pid: 1 }));
    await assert.rejects(lockDataDir(root, { timeoutMs: 100 }), (e: unknown) => e instanceof ServerError && e.code === 'ERR_SERVER_DATA_DIR_LOCKED');
    assert.ok(existsSync(join(root, dataDirLockName)), 'left in place');
  });
});

describe('fault bounds in the configuration', () => {
  const load = (env: NodeJS.ProcessEnv) => loadServerConfig({ dataDir: '/tmp/signet-config-test', env });
  it('defaults: no drain delay, 30 s shutdown timeout, hourly renewal of certificates due within 30 days', () => {
    const config = load({});
    assert.deepEqual(config.shutdown, { drainDelayMs: 0, timeoutMs: 30_000 });
    assert.deepEqual(config.renewal, { intervalMs: 3_600_000, withinDays: 30 });
  });
  it('reads the database timeouts for PostgreSQL and refuses 0 or text', () => {
    const config = load({ DATABASE_URL: 'postgres://x@127.0.0.1/db', SIGNET_DB_STATEMENT_TIMEOUT_MS: '1500', SIGNET_DB_CONNECT_TIMEOUT_MS: '900' });
    assert.deepEqual(config.database, { kind: 'postgres', url: 'postgres://x@127.0.0.1/db', statementTimeoutMs: 1500, connectTimeoutMs: 900 });
    const refused = (e: unknown) => e instanceof ServerError && e.code === 'ERR_SERVER_CONFIG';
    assert.throws(() => load({ DATABASE_URL: 'postgres://x@127.0.0.1/db', SIGNET_DB_STATEMENT_TIMEOUT_MS: '0' }), refused);
    assert.throws(() => load({ DATABASE_URL: 'postgres://x@127.0.0.1/db', SIGNET_DB_CONNECT_TIMEOUT_MS: '1s' }), refused);
    assert.throws(() => load({ SIGNET_SHUTDOWN_DELAY_MS: '-1' }), refused);
    assert.throws(() => load({ SIGNET_RENEWAL_INTERVAL_MS: 'hourly' }), refused);
  });
});
