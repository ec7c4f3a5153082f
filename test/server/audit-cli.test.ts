/**
 * `signet audit verify [--data DIR]` (issue 6, docs/security.md AUD-01…03): exit 0 on an intact log;
 * exit 1 naming the first bad entry after an edited, a deleted or a reordered row — on SQLite and
 * on PostgreSQL (DATABASE_URL).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../../src/cli/main.js';
import { connectStore, type Store } from '../../src/store/index.js';
import { storeKinds } from '../support/stores.js';
import { captureIo, configFor, openServices, serverEnv, type ServerEnv } from './support/server-fixture.js';

async function verify(env: ServerEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = captureIo();
  const saved = process.env['DATABASE_URL'];
  if (env.databaseUrl !== undefined) process.env['DATABASE_URL'] = env.databaseUrl;
  else delete process.env['DATABASE_URL'];
  try {
    const code = await main(['audit', 'verify', '--data', env.dataDir], io);
    return { code, stdout: io.stdout.text, stderr: io.stderr.text };
  } finally {
    if (saved === undefined) delete process.env['DATABASE_URL'];
    else process.env['DATABASE_URL'] = saved;
  }
}

type Row = Record<string, unknown> & { seq: number };

async function row(store: Store, seq: number): Promise<Row> {
  const r = await store.db.selectFrom('audit_log').selectAll().where('seq', '=', seq).executeTakeFirstOrThrow();
  return { ...r, seq: Number(r.seq) } as Row;
}

async function putRow(store: Store, seq: number, content: Row): Promise<void> {
  const rest: Record<string, unknown> = { ...content };
  delete rest['seq'];
  await store.db.updateTable('audit_log').set(rest as never).where('seq', '=', seq).execute();
}

describe('signet audit verify (issue 6)', () => {
  for (const kind of storeKinds) {
    it(`${kind}: intact → 0; edited, deleted, reordered entry → 1 naming the entry`, async (t) => {
      const env = await serverEnv(t, kind);
      if (!env) return;
      const services = await openServices(t, env);
      for (const name of ['u1', 'u2', 'u3']) await services.admin.createUser({ username: name, password: `password-${name}` }, { via: 'cli' });
      await services.close();
      const store = await connectStore(configFor(env).database);
      t.after(() => store.close());

      const ok = await verify(env);
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /^audit log intact: \d+ entries, last seq \d+$/m);

      // Edited.
      const original = await row(store, 3);
      await store.db.updateTable('audit_log').set({ details: '{"username":"mallory"}' }).where('seq', '=', 3).execute();
      const edited = await verify(env);
      assert.equal(edited.code, 1);
      assert.match(edited.stderr, /^error: ERR_CLI_AUDIT_TAMPERED: .*first bad entry seq 3 \(hash-mismatch\)/m);
      await putRow(store, 3, original);
      assert.equal((await verify(env)).code, 0, 'restored');

      // Deleted.
      const fourth = await row(store, 4);
      await store.db.deleteFrom('audit_log').where('seq', '=', 4).execute();
      const deleted = await verify(env);
      assert.equal(deleted.code, 1);
      assert.match(deleted.stderr, /first bad entry seq 5 \(sequence-gap\)/);
      await store.db.insertInto('audit_log').values(fourth as never).execute();
      assert.equal((await verify(env)).code, 0, 'restored');

      // Reordered: entries 2 and 3 swap places.
      const two = await row(store, 2);
      const three = await row(store, 3);
      await putRow(store, 2, three);
      await putRow(store, 3, two);
      const reordered = await verify(env);
      assert.equal(reordered.code, 1);
      assert.match(reordered.stderr, /first bad entry seq 2 \(/);
    });
  }
});
