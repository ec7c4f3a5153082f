/**
 * RFC 3161 §2.4.2 serialNumber "MUST be unique for each TimeStampToken issued by a given TSA":
 * two nodes on one PostgreSQL reserve serial numbers in audited blocks (SIGNET_TSA_SERIAL_BLOCK),
 * node A a real `signet serve` killed with SIGKILL mid-workload and started again, node B in this
 * process. Every token verifies with `openssl ts -verify`; no serial number is seen twice; every
 * serial lies in a block the database audit trail gives to the node that answered
 * (docs/security.md FLT-23).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectStore } from '../../src/store/index.js';
import { requireTools, runTool } from '../support/tools.js';
import { tempDir } from '../support/tmp.js';
import { exited, sleep } from './support/kill-workload.js';
import { openServices, serverEnv } from './support/server-fixture.js';
import { startServe, type ServeProcess } from './support/serve-process.js';

interface Stamp {
  readonly node: 'A' | 'B';
  readonly reply: Uint8Array;
}

describe('docs/security.md FLT-23 TSA serial numbers in blocks on two nodes', () => {
  it('postgres: unique across nodes, a SIGKILL and a restart; each token verifies; each serial is in an audited block of its node', async (t) => {
    if (!requireTools(t, 'openssl')) return;
    const env = await serverEnv(t, 'postgres');
    if (env === undefined) return;
    const dir = tempDir(t, 'signet-tsa-blocks-');
    const shared = { ...env.env, SIGNET_TSA_SERIAL_BLOCK: '5', SIGNET_LOG_LEVEL: 'warn' };
    const children: ServeProcess[] = [];
    t.after(() => {
      for (const c of children)
        if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
    });
    const startA = async (): Promise<ServeProcess> => {
      const a = await startServe(['--data', env.dataDir], { ...shared, SIGNET_NODE_ID: 'A' });
      children.push(a);
      return a;
    };
    let a = await startA();
    const b = await openServices(t, { ...env, env: { ...shared, SIGNET_NODE_ID: 'B' } });

    const data = join(dir, 'data.txt');
    writeFileSync(data, 'stamped by two nodes\n');
    const tsq = join(dir, 'request.tsq');
    assert.equal(
      runTool('openssl', ['ts', '-query', '-data', data, '-sha256', '-cert', '-out', tsq]).status,
      0,
    );
    const query = new Uint8Array(readFileSync(tsq));
    const stamps: Stamp[] = [];
    const fromA = async (): Promise<void> => {
      try {
        const res = await fetch(`${a.url}/pki/tsa`, {
          method: 'POST',
          headers: { 'content-type': 'application/timestamp-query' },
          body: query,
        });
        if (res.status === 200)
          stamps.push({ node: 'A', reply: new Uint8Array(await res.arrayBuffer()) });
      } catch {
        // A killed mid-request: that request got no token, and none was delivered.
      }
    };
    const fromB = async (): Promise<void> => {
      stamps.push({ node: 'B', reply: await b.tsa.respond(query) });
    };

    for (let run = 0; run < 2; run++) {
      if (run > 0) a = await startA();
      // Interleaved, several in flight, so blocks of both nodes are taken while the other works.
      for (let i = 0; i < 7; i++) await Promise.all([fromA(), fromB(), fromA(), fromB()]);
      const victim = a;
      const kill = sleep(5).then(() => victim.child.kill('SIGKILL'));
      await Promise.all([fromA(), fromA(), fromB(), kill]);
      await exited(victim);
    }
    // After the second kill, A again: its new block starts past everything reserved before.
    a = await startA();
    for (let i = 0; i < 3; i++) await Promise.all([fromA(), fromB()]);
    await a.stop();

    const seen = new Map<string, Stamp['node']>();
    for (const [i, stamp] of stamps.entries()) {
      const tsr = join(dir, `${i}.tsr`);
      writeFileSync(tsr, stamp.reply);
      const verify = runTool('openssl', [
        'ts',
        '-verify',
        '-in',
        tsr,
        '-queryfile',
        tsq,
        '-CAfile',
        join(env.dataDir, 'ca', 'root.pem'),
        '-untrusted',
        join(env.dataDir, 'ca', 'issuing.pem'),
      ]);
      assert.equal(
        verify.status,
        0,
        `token ${i} from ${stamp.node}: ${verify.stdout}${verify.stderr}`,
      );
      const text = runTool('openssl', ['ts', '-reply', '-in', tsr, '-text']);
      const serial = /Serial number: (0x[0-9A-F]+|\d+)/.exec(text.stdout)?.[1];
      assert.ok(serial !== undefined, text.stdout);
      assert.ok(
        !seen.has(serial),
        `serial ${serial} issued twice (${seen.get(serial)} and ${stamp.node})`,
      );
      seen.set(serial, stamp.node);
    }
    assert.ok(
      stamps.filter((s) => s.node === 'A').length >= 31 &&
        stamps.filter((s) => s.node === 'B').length === 33,
      `${stamps.length} tokens`,
    );

    const store = await connectStore({ kind: 'postgres', url: env.databaseUrl as string });
    try {
      const rows = await store.db
        .selectFrom('audit_log')
        .select('details')
        .where('event_type', '=', 'ca.counter.block')
        .execute();
      const blocks = rows.map(
        (r) =>
          JSON.parse(r.details) as {
            first: string;
            last: string;
            count: number;
            reservedBy: string;
          },
      );
      assert.ok(blocks.length >= 14, `${blocks.length} audited blocks`);
      const sorted = [...blocks].sort((x, y) => (BigInt(x.first) < BigInt(y.first) ? -1 : 1));
      for (let i = 1; i < sorted.length; i++) {
        assert.ok(
          BigInt((sorted[i] as (typeof blocks)[number]).first) >
            BigInt((sorted[i - 1] as (typeof blocks)[number]).last),
          'blocks do not overlap',
        );
      }
      for (const [serial, node] of seen) {
        const value = BigInt(serial);
        const block = blocks.find((k) => BigInt(k.first) <= value && value <= BigInt(k.last));
        assert.equal(
          block?.reservedBy,
          node,
          `serial ${serial} lies in a block audited for node ${node}`,
        );
      }
    } finally {
      await store.close();
    }
  });
});
