/**
 * Idempotent signing settings (src/server/signing-config.ts), docs/security.md §3.10: fault hooks exist
 * only in explicit test mode, and `signet serve` refuses to start with them in production mode
 * (NODE_ENV=production, or no SIGNET_TEST_MODE=1).
 */
import { describe, it } from 'node:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { loadSigningConfig } from '../../src/server/signing-config.js';
import { ServerError } from '../../src/server/errors.js';
import { tempDir } from '../support/tmp.js';
import { startServe } from './support/serve-process.js';

const refused = (message: RegExp) => (err: unknown): boolean =>
  err instanceof ServerError && err.code === 'ERR_SERVER_CONFIG' && message.test(err.message);

describe('docs/security.md §3.10 signing fault hooks and the abandonment bound', () => {
  it('defaults: T = 60 s, a sweep every T / 4, no hooks', () => {
    const c = loadSigningConfig({});
    assert.deepEqual(c, { abandonAfterMs: 60_000, sweepIntervalMs: 15_000 });
  });

  it('hooks only with SIGNET_TEST_MODE=1 outside NODE_ENV=production; the action of each point is parsed', () => {
    const c = loadSigningConfig({ SIGNET_TEST_MODE: '1', SIGNET_FAULT_HOOKS: 'afterReserve=kill, afterCommit=delay:25,auditInsert=fail' });
    assert.deepEqual([...(c.faults?.actions ?? [])], [
      ['afterReserve', { kind: 'kill' }],
      ['afterCommit', { kind: 'delay', ms: 25 }],
      ['auditInsert', { kind: 'fail' }],
    ]);
    assert.throws(() => loadSigningConfig({ SIGNET_FAULT_HOOKS: 'afterReserve=kill' }), refused(/outside test mode/));
    assert.throws(() => loadSigningConfig({ SIGNET_TEST_MODE: 'true', SIGNET_FAULT_HOOKS: 'afterReserve=kill' }), refused(/outside test mode/));
    assert.throws(
      () => loadSigningConfig({ NODE_ENV: 'production', SIGNET_TEST_MODE: '1', SIGNET_FAULT_HOOKS: 'afterReserve=kill' }),
      refused(/outside test mode/),
    );
    for (const bad of ['afterReserve', 'nowhere=kill', 'afterReserve=explode', 'afterCommit=delay:x']) {
      assert.throws(() => loadSigningConfig({ SIGNET_TEST_MODE: '1', SIGNET_FAULT_HOOKS: bad }), refused(/SIGNET_FAULT_HOOKS/), bad);
    }
    assert.throws(() => loadSigningConfig({ SIGNET_SIGNING_ABANDON_AFTER_MS: '10' }), refused(/SIGNET_SIGNING_ABANDON_AFTER_MS/));
  });

  it('a failing hook throws; a delay waits; without the point nothing happens', async () => {
    const c = loadSigningConfig({ SIGNET_TEST_MODE: '1', SIGNET_FAULT_HOOKS: 'auditInsert=fail,afterCommit=delay:1' });
    const hooks = c.faults?.hooks;
    assert.ok(hooks !== undefined);
    await assert.rejects(async () => hooks.reach('auditInsert', { requestId: 'r', attempt: 1 }), /fault injected at auditInsert/);
    await hooks.reach('afterCommit', { requestId: 'r', attempt: 1 });
    await hooks.reach('afterReserve', { requestId: 'r', attempt: 1 });
  });

  it('signet serve refuses to start with fault hooks in production mode', async (t) => {
    const dataDir = tempDir(t, 'signet-hooks-');
    // Production takes its KEK from a file outside the data directory (issue 16).
    const kekFile = join(tempDir(t, 'signet-kek-'), 'kek');
    writeFileSync(kekFile, `${'ab'.repeat(32)}\n`, { mode: 0o600 });
    await assert.rejects(
      startServe(['--data', dataDir], { NODE_ENV: 'production', SIGNET_KEK_FILE: kekFile, SIGNET_TEST_MODE: '1', SIGNET_FAULT_HOOKS: 'afterReserve=kill' }),
      /exited with [1-9][0-9]*:[\s\S]*SIGNET_FAULT_HOOKS is set outside test mode/,
    );
  });
});
