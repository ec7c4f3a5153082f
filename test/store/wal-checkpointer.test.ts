/**
 * SQLite WAL checkpoints on a thread of their own (issue 19, signHash hot path): the serving
 * connection never checkpoints inside a commit, the thread copies the WAL back, the data is there
 * for a new connection after close, and the connection checkpoints by itself again once the
 * thread is gone.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { connectStore, insertUser } from '../../src/store/index.js';
import { startWalCheckpointer } from '../../src/store/wal-checkpointer.js';
import { tempDir } from '../support/tmp.js';

/** Polls `check` for up to 30 s: the checkpointer is a worker thread, slow to start on a busy machine. */
async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!check() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(check(), what);
}

describe('SQLite WAL checkpoints on a thread', () => {
  it('the connection does not checkpoint; the thread copies every committed frame back; stopped, the connection does it again', async (t) => {
    const file = join(tempDir(t), 'wal.db');
    const db = new BetterSqlite3(file);
    db.pragma('journal_mode = WAL');
    db.exec('create table t (id integer primary key, v blob)');
    const checkpointer = startWalCheckpointer(db, file, { intervalMs: 20 });
    // Also when an assertion fails: a running thread would keep this file's process alive.
    t.after(async () => {
      await checkpointer.stop();
      db.close();
    });
    assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), 0);
    const insert = db.prepare('insert into t (v) values (?)');
    // ~2,000 pages of commits: past the default auto-checkpoint, which is off on this connection.
    for (let i = 0; i < 500; i++) db.transaction(() => insert.run(Buffer.alloc(16_000, i % 256)))();
    await until(
      () => {
        const s = checkpointer.stats();
        return s.checkpoints > 0 && s.logFrames > 1000 && s.checkpointedFrames === s.logFrames;
      },
      `the thread checkpointed the whole WAL: ${JSON.stringify(checkpointer.stats())}`,
    );
    await checkpointer.stop();
    assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), 1000);
  });

  it("a Store with walCheckpoints 'thread' checkpoints off the connection and closes with its data in place", async (t) => {
    const file = join(tempDir(t), 'signet.db');
    const store = await connectStore({ kind: 'sqlite', file, walCheckpoints: 'thread' });
    for (let i = 0; i < 50; i++) {
      await store.transaction((trx) =>
        insertUser(trx, { id: `u${i}`, username: `user-${i}`, passwordHash: 'x', createdAt: i }),
      );
    }
    await until(() => (store.walCheckpoints?.().checkpoints ?? 0) > 0, 'the thread ran');
    await store.close();
    const again = new BetterSqlite3(file, { readonly: true });
    t.after(() => again.close());
    assert.deepEqual(again.prepare('select count(*) as n from users').get(), { n: 50 });
  });
});
