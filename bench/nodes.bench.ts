/**
 * Issue 17: signHash throughput and latency of `signet serve` processes behind a round-robin
 * proxy on loopback — one node on SQLite, one node on PostgreSQL, two nodes on one PostgreSQL —
 * each signing BENCH_NODES_HASHES hashes (default 1,000, one per signHash call, on one SAD) from
 * BENCH_NODES_CLIENTS concurrent clients (default 8), next to the raw ECDSA P-256 sign rate of
 * node:crypto on one thread measured in the same run (the credential's algorithm).
 * Run: npm run bench -- nodes (PostgreSQL at 127.0.0.1:5432, user postgres).
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { availableParallelism, loadavg } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPgReachable, testStores } from '../test/support/stores.js';
import {
  quantile,
  signThroughCluster,
  startSignetCluster,
} from '../test/server/support/signet-cluster.js';

const hashes = Number(process.env['BENCH_NODES_HASHES'] ?? 1000);
const clients = Number(process.env['BENCH_NODES_CLIENTS'] ?? 8);

function rawSignRate(seconds: number): number {
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const data = Buffer.alloc(32, 7);
  const end = performance.now() + seconds * 1000;
  let n = 0;
  while (performance.now() < end) {
    sign('sha256', data, key);
    n++;
  }
  return n / seconds;
}

interface Row {
  readonly name: string;
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
}

async function measure(name: string, nodes: number, kind: 'sqlite' | 'postgres'): Promise<Row> {
  const cleanups: (() => unknown)[] = [];
  const hooks = { after: (fn: () => unknown) => void cleanups.push(fn) };
  const dir = mkdtempSync(join(tmpdir(), 'signet-bench-nodes-'));
  try {
    const env: NodeJS.ProcessEnv = { SIGNET_LOG_LEVEL: 'warn' };
    if (kind === 'postgres') {
      const db = await testStores(hooks).postgres();
      await db.store.close();
      env['DATABASE_URL'] = db.config.kind === 'postgres' ? db.config.url : '';
    }
    const cluster = await startSignetCluster(nodes, join(dir, 'data'), env);
    try {
      const run = await signThroughCluster(cluster.url, cluster.demo, hashes, clients);
      if (run.failures.length > 0)
        throw new Error(
          `${name}: ${run.failures.length} calls refused, first: ${run.failures[0] ?? ''}`,
        );
      return {
        name,
        perSecond: (hashes / run.elapsedMs) * 1000,
        p50: quantile(run.latenciesMs, 0.5),
        p99: quantile(run.latenciesMs, 0.99),
      };
    } finally {
      await cluster.stop();
    }
  } finally {
    for (const fn of cleanups.reverse()) await fn();
    rmSync(dir, { recursive: true, force: true });
  }
}

const before = rawSignRate(1);
const rows: Row[] = [await measure('SQLite, 1 node', 1, 'sqlite')];
if (await isPgReachable()) {
  rows.push(await measure('PostgreSQL, 1 node', 1, 'postgres'));
  rows.push(await measure('PostgreSQL, 2 nodes', 2, 'postgres'));
} else {
  console.log('PostgreSQL at 127.0.0.1:5432 is not reachable: PostgreSQL rows skipped');
}
const after = rawSignRate(1);
const raw = (before + after) / 2;
console.log(
  `machine: ${availableParallelism()} cores, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
console.log(
  `raw ECDSA P-256 sign, node:crypto, 1 thread: ${raw.toFixed(0)}/s (before ${before.toFixed(0)}, after ${after.toFixed(0)})`,
);
console.log(
  `signHash of 1 hash through the round-robin proxy, ${hashes} calls from ${clients} clients:`,
);
for (const r of rows) {
  console.log(
    `  ${r.name.padEnd(20)} ${r.perSecond.toFixed(1).padStart(7)} signHash/s  p50 ${r.p50.toFixed(1).padStart(6)} ms  p99 ${r.p99.toFixed(1).padStart(7)} ms  = ${(r.perSecond / raw).toFixed(3)} of raw`,
  );
}
