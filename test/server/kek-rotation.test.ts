/**
 * Issue 16 §1, KEK rotation: `signet keys rewrap --new-kek-file F` (a separate process) re-wraps
 * every key in the database in batches while a node that accepts both KEKs keeps signing on one
 * SAD; afterwards every key and the server secrets are under the new KEK (audited
 * `keys.kek.rewrap`, the chain verifies), a node with only the new KEK signs, and one with only the
 * old KEK is refused at start. On SQLite and PostgreSQL.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifyAuditStore } from '../../src/audit/index.js';
import { parseKek } from '../../src/keys/index.js';
import { storeKinds } from '../support/stores.js';
import { tempDir } from '../support/tmp.js';
import { demoSession, sharedClock, startNode } from './support/csc-nodes.js';
import { openServices, serverEnv } from './support/server-fixture.js';
import { signetCommand } from '../support/signet-command.js';


/** Runs `signet …args` as a child process; resolves with its exit code and output. */
function signet(args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [...signetCommand(), ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DATABASE_URL: '', ...env } });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, out })));
}

for (const kind of storeKinds) {
  describe(`issue 16: KEK rotation while signing (${kind})`, () => {
    it('rewrap in batches of 2 while a node with both KEKs signs; afterwards all under the new KEK, audited; new-KEK-only node signs, old-KEK-only node refused', async (t) => {
      const env = await serverEnv(t, kind);
      if (!env) return;
      const dir = tempDir(t);
      const oldKek = join(dir, 'kek-old');
      const newKek = join(dir, 'kek-new');
      writeFileSync(oldKek, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
      writeFileSync(newKek, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
      const newId = parseKek(readFileSync(newKek)).id;
      const clock = sharedClock();
      const withKek = (kek: Record<string, string>) => ({ ...env, env: { ...env.env, ...kek } });

      const before = await startNode(t, withKek({ SIGNET_KEK_FILE: oldKek }), 'node-old', clock);
      for (let i = 0; i < 7; i++) await before.services.keystore.generateKey({ type: 'EC', curve: 'P-256' });
      // Step 1 of the procedure: the node restarted with the new KEK current and the old one accepted.
      const node = await startNode(t, withKek({ SIGNET_KEK_FILE: newKek, SIGNET_KEK_PREVIOUS_FILE: oldKek }), 'node-both', clock);
      // The demo credential's key is made on the old-KEK node: the rewrap moves it while it signs.
      const session = await demoSession(before, node, clock);
      const db = node.services.store.db;
      const credential = await db.selectFrom('credentials').select('key_ref').where('id', '=', session.credentialID).executeTakeFirstOrThrow();
      const keyKek = async (): Promise<string> =>
        (await db.selectFrom('wrapped_keys').select('kek_id').where('keystore', '=', 'credentials').where('ref', '=', credential.key_ref).executeTakeFirstOrThrow()).kek_id;
      const oldId = await keyKek();
      assert.notEqual(oldId, newId);

      // Step 2: the rewrap, a separate process, while the node signs one hash after another until
      // it has finished (SADs of 20 hashes, at most 60 of them), a signature before and after.
      const first = createHash('sha256').update('before the rewrap').digest('base64');
      const seen = new Set<string>();
      seen.add(await keyKek());
      assert.equal((await session.signHash(node, await session.authorize(node, [first]), first)).status, 200);
      const rewrap = signet(['keys', 'rewrap', '--new-kek-file', newKek, '--batch-size', '2', '--data', env.dataDir], { ...env.env, SIGNET_KEK_FILE: oldKek });
      let finished = false;
      void rewrap.then(() => (finished = true));
      let signed = 0;
      // Rounds until the rewrap has ended, then one more: its key is seen under both KEKs.
      let extra = 1;
      for (let round = 0; round < 60 && (!finished || extra-- > 0); round++) {
        const hashes = Array.from({ length: 20 }, (_, i) => createHash('sha256').update(`rotation ${round} ${i}`).digest('base64'));
        const SAD = await session.authorize(node, hashes);
        for (const hash of hashes) {
          seen.add(await keyKek());
          const r = await session.signHash(node, SAD, hash);
          assert.equal(r.status, 200, JSON.stringify(r.body));
          signed++;
        }
      }
      const { code, out } = await rewrap;
      assert.equal(code, 0, out);
      assert.match(out, /re-wrapped \d+ credential keys and [45] CA keys; server secrets re-sealed; every key is now under KEK /);
      t.diagnostic(`${signed} signatures while the rewrap ran (and one round after); ${out.trim()}`);
      assert.deepEqual([...seen].sort(), [oldId, newId].sort(), 'the signing key was re-wrapped between two of its signatures');

      const kekIds = await db.selectFrom('wrapped_keys').select('kek_id').distinct().execute();
      assert.deepEqual(kekIds.map((r) => r.kek_id), [newId], 'every key under the new KEK');
      const secrets = await db.selectFrom('node_state').select('value').where('name', '=', 'secrets').executeTakeFirstOrThrow();
      assert.equal((JSON.parse(secrets.value) as { kekId: string }).kekId, newId);
      const audited = await db.selectFrom('audit_log').select('details').where('event_type', '=', 'keys.kek.rewrap').execute();
      assert.equal(audited.length, 1);
      const report = await verifyAuditStore(node.services.store, node.services.auditKey);
      assert.equal(report.ok, true, JSON.stringify(report.problems));

      // Step 3: the old KEK is gone; a node with the new one only signs, one with the old one only is refused.
      const after = await startNode(t, withKek({ SIGNET_KEK_FILE: newKek }), 'node-new', clock);
      const last = createHash('sha256').update('after the rotation').digest('base64');
      const sad2 = await session.authorize(after, [last]);
      const r = await session.signHash(after, sad2, last);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      await assert.rejects(openServices(t, withKek({ SIGNET_KEK_FILE: oldKek })), (e: unknown) => (e as { code?: string }).code === 'ERR_SERVER_SECRETS');
    });
  });
}
