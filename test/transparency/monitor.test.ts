/**
 * `signet transparency monitor`'s checks against a real server in process (issue 21, docs/security.md
 * TRN-01…TRN-05): signatures made through signHash are listed with proofs that verify; a forged
 * tree head, a split view (two signed heads of one size), a leaf edited in the database and a
 * leaf deleted from it, a head stamped before the kept one or in the future (TRN-08) are each
 * detected with a clear message and exit 2, leaving the trusted
 * state untouched; signatures not marked as known are named (exit 1).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  httpMonitorSource,
  runMonitor,
  treeHeadDigest,
  treeHeadFromJson,
  treeHeadToJson,
  type MonitorFetch,
  type MonitorSource,
  type MonitorState,
} from '../../src/transparency/index.js';
import { transparencyCommand } from '../../src/cli/commands/transparency.js';
import { storeKinds } from '../support/stores.js';
import { tempDir } from '../support/tmp.js';
import { ECDSA_SHA256_OID, SHA256_OID, apiServer, someHashes, type ApiServer, type Signer } from '../server/support/api-fixture.js';

/** fetch through app.inject, so the monitor reads the real routes without a socket. */
function injectFetch(s: ApiServer): MonitorFetch {
  return async (url, init) => {
    const r = await s.app.inject({ method: 'GET', url: new URL(url).pathname + new URL(url).search, headers: init.headers });
    return { status: r.statusCode, text: () => Promise.resolve(r.body) };
  };
}

async function sign(s: ApiServer, signer: Signer, token: string, hashes: string[]): Promise<void> {
  const sad = await s.authorize(signer, token, hashes);
  const r = await s.csc('signatures/signHash', { credentialID: signer.credentialId, SAD: sad, hashes, hashAlgorithmOID: SHA256_OID, signAlgo: ECDSA_SHA256_OID }, { bearer: token });
  assert.equal(r.statusCode, 200, r.body);
}

const kinds = (report: { findings: readonly { kind: string }[] }): string[] => report.findings.map((f) => f.kind);

for (const kind of storeKinds) {
  describe(`transparency monitor (${kind})`, () => {
    it('TRN-01…05: names unknown signatures and detects a forged head, a split view, an edited and a deleted leaf', async (t) => {
      const s = await apiServer(t, kind);
      if (!s) return;
      const db = s.services.store.db;
      const { publisher } = s.services.transparency;
      const before = await s.app.inject({ method: 'GET', url: '/api/v1/transparency/sth' });
      assert.equal(before.statusCode, 404, 'no head before the first publication');
      const u1 = await s.addSigner('ulla');
      const u2 = await s.addSigner('otto');
      const t1 = await s.login(u1);
      const first = someHashes(2);
      await sign(s, u1, t1, first);
      await sign(s, u2, await s.login(u2), someHashes(1));
      // Leaves are queued with the signature, indexed by the next head.
      const pending = (await s.app.inject({ method: 'GET', url: '/api/v1/me/signatures', headers: { authorization: `Bearer ${t1}` } })).json<{ signatures: { leafIndex: number | null }[] }>();
      assert.deepEqual(pending.signatures.map((x) => x.leafIndex), [null, null]);
      assert.equal((await publisher.publish())?.treeSize, 3);
      const source = httpMonitorSource(injectFetch(s), 'http://signet.test', t1);

      // First run: both of u1's signatures are named, none of u2's; the state pins key and head.
      const r1 = await runMonitor(source, undefined, new Set());
      assert.equal(r1.exitCode, 1);
      assert.deepEqual(kinds(r1), ['unknown-signature', 'unknown-signature']);
      assert.ok(r1.findings.every((f) => /leaf \d+ .*credential .*DTBS\/R hash/.test(f.message)), r1.findings[0]?.message);
      assert.ok(first.every((h) => r1.findings.some((f) => f.message.includes(h))));
      const state1 = r1.state as MonitorState;
      assert.equal(state1.treeHead.treeSize, 3);
      const known = new Set(first);
      const r2 = await runMonitor(source, state1, known);
      assert.deepEqual(r2.findings, []);
      assert.equal(r2.exitCode, 0);

      // A new signature after the kept head: consistent, and named until marked known.
      const later = someHashes(1);
      await sign(s, u1, t1, later);
      await publisher.publish();
      const r3 = await runMonitor(source, r2.state, known);
      assert.deepEqual(kinds(r3), ['unknown-signature']);
      assert.ok(r3.findings[0]!.message.includes(later[0]!));
      const state3 = r3.state as MonitorState;
      assert.equal(state3.treeHead.treeSize, 4);
      known.add(later[0]!);

      const served = await source.treeHead();
      const head = treeHeadFromJson(served)!;
      const withHead = (value: unknown): MonitorSource => ({ ...source, treeHead: () => Promise.resolve(value) });
      // TRN-01: a forged tree head (its root changed, the signature kept).
      const forgedRoot = new Uint8Array(head.rootHash);
      forgedRoot[5]! ^= 0x40;
      const forged = await runMonitor(withHead(treeHeadToJson({ ...head, rootHash: forgedRoot })), state3, known);
      assert.equal(forged.exitCode, 2);
      assert.ok(kinds(forged).includes('forged-head'));
      assert.match(forged.findings.find((f) => f.kind === 'forged-head')!.message, /size 4 .*not signed by the log key/);
      assert.equal(forged.state, state3, 'the trusted state is kept');

      // TRN-02: a split view — the log key signs a second, different head of the same size.
      const signer = await s.services.transparency.signer();
      const otherRoot = new Uint8Array(32).fill(7);
      const split = { ...head, rootHash: otherRoot, timestamp: head.timestamp + 1 };
      const splitHead = { ...split, signature: await signer.signDigest(treeHeadDigest(split.treeSize, split.timestamp, split.rootHash)) };
      const viewed = await runMonitor(withHead(treeHeadToJson(splitHead)), state3, known);
      assert.equal(viewed.exitCode, 2);
      assert.deepEqual([...new Set(kinds(viewed))], ['split-view']);
      assert.match(viewed.findings[0]!.message, /Split view: two signed tree heads of size 4 differ/);

      // TRN-08: heads signed by the log key, same size and root as the kept one, but stamped before
      // it (the log went back in time) or beyond the skew after the monitor's clock.
      const restamped = async (timestamp: number): Promise<MonitorSource> => {
        const h = { ...head, timestamp };
        return withHead(treeHeadToJson({ ...h, signature: await signer.signDigest(treeHeadDigest(h.treeSize, h.timestamp, h.rootHash)) }));
      };
      const now = { now: new Date(head.timestamp) };
      const backdated = await runMonitor(await restamped(head.timestamp - 60_000), state3, known, now);
      assert.deepEqual(kinds(backdated), ['backdated-head']);
      assert.equal(backdated.exitCode, 2);
      assert.match(backdated.findings[0]!.message, /size 4 is stamped .*, before the kept head of size 4 .*went back in time/);
      assert.equal(backdated.state, state3);
      const future = await runMonitor(await restamped(head.timestamp + 10 * 60_000), state3, known, now);
      assert.deepEqual(kinds(future), ['future-head']);
      assert.match(future.findings[0]!.message, /later than this monitor's time .* allows \(skew 300 s\)/);
      assert.deepEqual((await runMonitor(await restamped(head.timestamp + 60_000), state3, known, now)).findings, [], 'within the skew');

      // TRN-03: a leaf edited in the database (u1's first signature now names another client).
      const mine = await db.selectFrom('transparency_leaves').select(['id', 'leaf_index', 'client_id']).where('user_id', '=', u1.userId).orderBy('id').execute();
      const edited = mine[0]!;
      await db.updateTable('transparency_leaves').set({ client_id: 'someone-else' }).where('id', '=', edited.id).execute();
      const afterEdit = await runMonitor(source, state3, known);
      assert.equal(afterEdit.exitCode, 2);
      assert.ok(kinds(afterEdit).includes('not-included'), JSON.stringify(afterEdit.findings));
      assert.match(afterEdit.findings.find((f) => f.kind === 'not-included')!.message, new RegExp(`leaf ${Number(edited.leaf_index)} .*not included in the signed tree head of size 4`));
      await db.updateTable('transparency_leaves').set({ client_id: edited.client_id }).where('id', '=', edited.id).execute();
      assert.equal((await runMonitor(source, state3, known)).exitCode, 0, 'restored: clean again');

      // TRN-04: a leaf deleted from the database.
      await db.deleteFrom('transparency_leaves').where('id', '=', edited.id).execute();
      const afterDelete = await runMonitor(source, state3, known);
      assert.equal(afterDelete.exitCode, 2);
      assert.match(afterDelete.findings.find((f) => f.kind === 'missing-leaf')!.message, new RegExp(`leaf ${Number(edited.leaf_index)}, seen before, is no longer listed`));

      // TRN-05: the CLI prints the findings and exits with the report's code; state file untouched on 2.
      const dir = tempDir(t, 'signet-monitor-');
      const tokenFile = join(dir, 'token');
      writeFileSync(tokenFile, `${t1}\n`);
      let out = '';
      const io = { stdout: new Writable({ write: (c, _e, cb) => void ((out += String(c)), cb()) }), stderr: new Writable({ write: (_c, _e, cb) => cb() }) };
      const realFetch = globalThis.fetch;
      globalThis.fetch = (async (url: string, init: { headers: Record<string, string> }) => {
        const r = await injectFetch(s)(url, init);
        return new Response(await r.text(), { status: r.status });
      }) as typeof fetch;
      try {
        const code = await transparencyCommand.run(['monitor', '--service', 'http://signet.test', '--token', tokenFile, '--state', join(dir, 'state.json')], io);
        assert.equal(code, 1, out);
        assert.match(out, /unknown-signature: Signature not marked as known: leaf \d+/);
      } finally {
        globalThis.fetch = realFetch;
      }
    });
  });
}
