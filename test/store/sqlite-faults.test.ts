/**
 * docs/security.md FLT-09 on SQLite: two processes writing one database file at once never see
 * SQLITE_BUSY (BEGIN IMMEDIATE with an asynchronous wait) and keep one unbroken audit chain; a
 * full disk — a real one, a size-limited tmpfs mounted for the test — gives ERR_STORE_FULL (503
 * with Retry-After over HTTP), leaves the file intact (`PRAGMA integrity_check`), and the service
 * writes again once space returns.
 */
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { appendAudit, createAuditKey, verifyAuditStore } from '../../src/audit/index.js';
import { systemClock } from '../../src/core/clock.js';
import { StoreError, connectStore, type Store } from '../../src/store/index.js';
import { demoSession, sharedClock, startNode } from '../server/support/csc-nodes.js';
import { tempDir } from '../support/tmp.js';

const writer = join(process.cwd(), 'test', 'store', 'support', 'sqlite-audit-writer.ts');

function runWriter(file: string, count: number, keyHex: string, nodeId: string): Promise<{ written: number; busy: number; errors: string[] }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', writer, file, String(count), keyHex, nodeId], { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`writer ${nodeId} failed: ${stderr}`, { cause: err }));
      else resolve(JSON.parse(stdout) as { written: number; busy: number; errors: string[] });
    });
  });
}

/**
 * Mounts a tmpfs of `megabytes` (a real filesystem that fills up), unmounted after the test.
 * Needs root; without it the test is skipped, or fails with CI=true.
 */
function smallFilesystem(t: TestContext, megabytes: number): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'signet-full-'));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${megabytes}m,mode=0700`, 'tmpfs', dir], { encoding: 'utf8' });
  if (mounted.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    if (process.env['CI'] === 'true') throw new Error(`cannot mount a tmpfs for the disk-full test (root needed): ${mounted.stderr}`);
    t.skip('cannot mount a tmpfs (needs root)');
    return undefined;
  }
  // Lazy: whatever still holds a file open (a store closed later by another hook) cannot block it.
  t.after(() => {
    spawnSync('umount', ['-l', dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Writes a filler file until the filesystem is full; returns its path. */
function fillUp(dir: string): string {
  const path = join(dir, `filler-${randomBytes(4).toString('hex')}`);
  const fd = openSync(path, 'w');
  try {
    for (const size of [1 << 20, 1 << 16, 1 << 12, 1 << 9]) {
      const chunk = Buffer.alloc(size, 0x5a);
      for (;;) {
        try {
          writeSync(fd, chunk);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw err;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return path;
}

async function integrity(store: Store): Promise<string[]> {
  const r = await sql<{ integrity_check: string }>`pragma integrity_check`.execute(store.db);
  return r.rows.map((row) => row.integrity_check);
}

describe('docs/security.md FLT-09: SQLite under concurrent writers and a full disk', () => {
  it('two processes appending to one file: no SQLITE_BUSY, every entry written, one verifiable chain', async (t) => {
    const file = join(tempDir(t, 'signet-sqlite-2p-'), 'signet.db');
    const keyHex = randomBytes(32).toString('hex');
    const first = await connectStore({ kind: 'sqlite', file }); // migrated before the writers race
    t.after(() => first.close());
    const perWriter = 150;
    const results = await Promise.all([runWriter(file, perWriter, keyHex, 'p1'), runWriter(file, perWriter, keyHex, 'p2')]);
    t.diagnostic(`FLT-09 two processes: ${JSON.stringify(results)}`);
    for (const r of results) assert.deepEqual(r, { written: perWriter, busy: 0, errors: [] });
    const verified = await verifyAuditStore(first, createAuditKey(Buffer.from(keyHex, 'hex')));
    assert.ok(verified.ok, JSON.stringify(verified.problems));
    const n = await first.db.selectFrom('audit_log').select((eb) => eb.fn.countAll<number>().as('n')).where('event_type', '=', 'test.write').executeTakeFirstOrThrow();
    assert.equal(Number(n.n), 2 * perWriter);
  });

  it('a full filesystem: ERR_STORE_FULL, the file stays intact, writes resume when space returns', async (t) => {
    const mnt = smallFilesystem(t, 8);
    if (mnt === undefined) return;
    const store = await connectStore({ kind: 'sqlite', file: join(mnt, 'signet.db') });
    t.after(() => store.close());
    const audit = { key: createAuditKey(randomBytes(32)), nodeId: 'flt-09', clock: systemClock };
    const append = (i: number) =>
      store.transaction((trx) => appendAudit(trx, { type: 'test.fill', outcome: 'success', subject: `entry:${i}`, details: { blob: 'x'.repeat(64 * 1024) } }, audit));
    await append(0);
    const filler = fillUp(mnt);
    let failure: unknown;
    let written = 1;
    for (let i = 1; i < 400 && failure === undefined; i++) {
      try {
        await append(i);
        written++;
      } catch (err) {
        failure = err;
      }
    }
    assert.ok(failure instanceof StoreError, `a StoreError, not ${String(failure)}`);
    assert.equal(failure.code, 'ERR_STORE_FULL');
    assert.deepEqual(await integrity(store), ['ok']);
    rmSync(filler);
    await append(written);
    assert.deepEqual(await integrity(store), ['ok']);
    const verified = await verifyAuditStore(store, audit.key);
    assert.ok(verified.ok, JSON.stringify(verified.problems));
    assert.equal(verified.entries - 1, written, 'every acknowledged append, and the one after recovery, is in the chain'); // genesis entry
  });

  it('over HTTP: signHash on a full disk is 503 + Retry-After (temporarily_unavailable), then signs when space returns', async (t) => {
    const mnt = smallFilesystem(t, 48);
    if (mnt === undefined) return;
    const clock = sharedClock();
    const node = await startNode(t, { dataDir: join(mnt, 'data'), env: {} }, 'node-full', clock);
    const session = await demoSession(node, node, clock);
    const hashes = Array.from({ length: 40 }, (_, i) => createHash('sha256').update(`full ${i}`).digest('base64'));
    const SAD = await session.authorize(node, hashes);
    const filler = fillUp(mnt);
    const statuses: number[] = [];
    let refused: Awaited<ReturnType<typeof session.signHash>> | undefined;
    for (const hash of hashes) {
      const r = await session.signHash(node, SAD, hash);
      statuses.push(r.status);
      if (r.status !== 200) {
        refused = r;
        break;
      }
    }
    t.diagnostic(`FLT-09 HTTP: statuses on a full disk ${JSON.stringify(statuses)}`);
    assert.ok(refused, 'a write on the full disk is refused');
    assert.equal(refused.status, 503, JSON.stringify(refused.body));
    assert.equal(refused.retryAfter, '1');
    assert.equal(refused.body['error'], 'temporarily_unavailable');
    assert.deepEqual(await integrity(node.services.store), ['ok']);
    rmSync(filler);
    const retried = await session.signHash(node, SAD, hashes[statuses.length - 1] as string);
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
  });
});
