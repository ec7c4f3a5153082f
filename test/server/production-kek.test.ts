/**
 * Issue 16 §1: with NODE_ENV=production the KEK comes only from SIGNET_KEK_FILE naming a file
 * outside the data directory; the KEK in the data directory (the development default), as plain
 * SIGNET_KEK text, or in a file inside the data directory stops the start with ERR_SERVER_CONFIG
 * and a message naming the fix. `signet serve` itself refuses before touching the directory.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { checkProductionKek, loadServerConfig } from '../../src/server/config.js';
import { ServerError } from '../../src/server/errors.js';
import { tempDir } from '../support/tmp.js';
import { startServe } from './support/serve-process.js';

const fix = /set SIGNET_KEK_FILE to a file outside the data directory/;

describe('issue 16: NODE_ENV=production and the KEK', () => {
  it('refuses the data directory KEK, plain SIGNET_KEK and a KEK file inside the data directory; accepts a KEK file outside it', (t) => {
    const root = tempDir(t);
    const dataDir = join(root, 'data');
    const outside = join(root, 'kek.hex');
    const refused = (env: NodeJS.ProcessEnv, what: RegExp): void =>
      assert.throws(
        () => checkProductionKek(loadServerConfig({ dataDir, env: { NODE_ENV: 'production', ...env } })),
        (e: unknown) => e instanceof ServerError && e.code === 'ERR_SERVER_CONFIG' && what.test(e.message) && fix.test(e.message),
      );
    refused({}, /the KEK would be kept in the data directory/);
    refused({ SIGNET_KEK: 'ab'.repeat(32) }, /SIGNET_KEK holds the KEK as plain environment text/);
    refused({ SIGNET_KEK_FILE: join(dataDir, 'secrets', 'kek') }, /is inside the data directory/);
    refused({ SIGNET_KEK_FILE: outside, SIGNET_KEK_PREVIOUS_FILE: join(dataDir, 'old-kek') }, /previous KEK file .* is inside the data directory/);
    checkProductionKek(loadServerConfig({ dataDir, env: { NODE_ENV: 'production', SIGNET_KEK_FILE: outside } }));
    // Outside production the development defaults stay.
    checkProductionKek(loadServerConfig({ dataDir, env: {} }));
  });

  it('signet serve with NODE_ENV=production and no SIGNET_KEK_FILE exits 1 naming the fix, creating nothing', async (t) => {
    const dataDir = join(tempDir(t), 'data');
    await assert.rejects(startServe(['--data', dataDir], { NODE_ENV: 'production' }), (e: unknown) => {
      const text = String(e);
      return /exited with 1:[\s\S]*ERR_SERVER_CONFIG: NODE_ENV=production: the KEK would be kept in the data directory/.test(text) && fix.test(text);
    });
    assert.equal(existsSync(dataDir), false);
  });
});
