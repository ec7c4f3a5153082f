/**
 * The one-hash signHash hot path in detail (issue 19), for profiling rather than a ratio: the RSSP
 * assembled as `signet serve` assembles it (csc-rssp.ts) on this thread, N one-hash calls one
 * after another, then the process CPU and wall time per call (client and server together: both
 * run here) and every SQL statement of the path with its time per call. Run it under
 * `node --cpu-prof --import tsx bench/csc-hot-path.ts` to attribute the rest.
 * BENCH_CALLS (default 500), BENCH_CSC_ALGS (one algorithm, default EC-P256).
 */
import { randomBytes } from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';
import { digestAlgorithms } from '../src/cms/index.js';
import { CscClient, loadRemoteCredential } from '../src/csc/client/index.js';
import type { CredentialAlgorithm } from '../src/csc/index.js';
import { startBenchRssp } from './csc-rssp.js';

/** Times every better-sqlite3 statement of this process by its SQL while `timing` is on. */
const statements = new Map<string, { ms: number; runs: number }>();
let timing = false;
{
  const probe = new BetterSqlite3(':memory:');
  const prototype = Object.getPrototypeOf(probe.prepare('select 1')) as Record<string, (...args: unknown[]) => unknown>;
  probe.close();
  for (const method of ['run', 'all', 'get', 'iterate']) {
    const original = prototype[method] as (...args: unknown[]) => unknown;
    prototype[method] = function (this: { source: string }, ...args: unknown[]) {
      if (!timing) return original.apply(this, args);
      const start = performance.now();
      try {
        return original.apply(this, args);
      } finally {
        const key = this.source.slice(0, 90);
        const entry = statements.get(key) ?? { ms: 0, runs: 0 };
        entry.ms += performance.now() - start;
        entry.runs++;
        statements.set(key, entry);
      }
    };
  }
}

const calls = Number(process.env['BENCH_CALLS'] ?? 500);
const algorithm = (process.env['BENCH_CSC_ALGS']?.split(',')[0] ?? 'EC-P256') as CredentialAlgorithm;
const rssp = await startBenchRssp(1, [algorithm]);
try {
  const user = rssp.users[0];
  if (user === undefined) throw new TypeError('no bench user');
  const client = new CscClient({ baseUrl: rssp.url, auth: { kind: 'basic', username: user.username, password: user.password } });
  const credential = await loadRemoteCredential(client, user.credentials[algorithm] as string);
  const { signAlgo, hashAlgorithmOID, signAlgoParams } = credential.algorithm;
  const warmup = 20;
  const list = Array.from({ length: warmup + calls }, () => randomBytes(32).toString('base64'));
  let sad = '';
  let next = 0;
  // One SAD per 1000 hashes (the RSSP's maximum), authorized before the timed calls.
  const sads: string[] = [];
  for (let i = 0; i < list.length; i += 1000) {
    const part = list.slice(i, i + 1000);
    const { SAD } = await client.authorize({
      credentialID: credential.credentialID,
      numSignatures: part.length,
      hashes: part,
      hashAlgorithmOID: digestAlgorithms['SHA-256'].oid,
      authData: [{ id: 'PIN', value: user.pin }, { id: 'OTP', value: user.nextOtp() }],
    });
    sads.push(SAD as string);
  }
  const call = async (): Promise<void> => {
    sad = sads[Math.floor(next / 1000)] as string;
    const hash = list[next++] as string;
    await client.signHash({
      credentialID: credential.credentialID,
      SAD: sad,
      hashes: [hash],
      signAlgo,
      ...(hashAlgorithmOID === undefined ? {} : { hashAlgorithmOID }),
      ...(signAlgoParams === undefined ? {} : { signAlgoParams }),
    });
  };
  for (let i = 0; i < warmup; i++) await call();
  timing = true;
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < calls; i++) await call();
  const wall = performance.now() - start;
  const used = process.cpuUsage(cpu);
  timing = false;
  console.log(`${algorithm}, ${calls} one-hash signHash calls, 1 in flight, client and RSSP on one thread (load ${(await import('node:os')).loadavg()[0]?.toFixed(1)}):`);
  console.log(`  per call: wall ${(wall / calls).toFixed(3)} ms, process CPU ${((used.user + used.system) / 1000 / calls).toFixed(3)} ms`);
  let total = 0;
  for (const [sql, { ms, runs }] of statements) {
    total += ms;
    console.log(`  ${((ms / calls) * 1000).toFixed(1).padStart(7)} µs/call  ×${(runs / calls).toFixed(1)}  ${sql}`);
  }
  console.log(`  SQL statements: ${((total / calls) * 1000).toFixed(0)} µs per call`);
} finally {
  await rssp.close();
}
