/**
 * The one-hash signHash hot path in detail (issue 19), for profiling rather than a ratio: the RSSP
 * assembled as `signet serve` assembles it (csc-rssp.ts) on this thread, N one-hash calls one
 * after another, then the process CPU and wall time per call (client and server together: both
 * run here) and every SQL statement of the path with its time per call.
 * Each round first makes the same number of calls against the bare floor (bare-sign-server.ts) on
 * this thread, through the same transport, and prints CPU per call of both and their ratio: on a
 * shared machine CPU per call compares better than the wall-clock rates of csc.bench.ts.
 * BENCH_PROFILE=file.cpuprofile adds a pass of Signet's calls alone under the profiler, sampled
 * every 100 µs (no start-up, no authorization), then one of the floor's (file.floor.cpuprofile),
 * writes both CPU profiles and prints their splits by stage (profile-stages.ts), to attribute the
 * rest; BENCH_SQL=0 leaves the
 * statements untimed (the timing wrapper costs a few µs per statement and takes their self time in
 * a profile). BENCH_CALLS (default 500), BENCH_ROUNDS (default 1), BENCH_CSC_ALGS (one algorithm,
 * default EC-P256).
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { Session } from 'node:inspector/promises';
import BetterSqlite3 from 'better-sqlite3';
import { digestAlgorithms } from '../src/cms/index.js';
import { CscClient, loadRemoteCredential } from '../src/csc/client/index.js';
import type { CredentialAlgorithm } from '../src/csc/index.js';
import { bareSignCall, startBareSignServerInline } from './bare-sign-server.js';
import { startBenchRssp } from './csc-rssp.js';
import { formatStageSplit, stageSplit, type CpuProfile } from './profile-stages.js';

/** Times every better-sqlite3 statement of this process by its SQL while `timing` is on. */
const statements = new Map<string, { ms: number; runs: number }>();
let timing = false;
if (process.env['BENCH_SQL'] !== '0') {
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
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 1);
const algorithm = (process.env['BENCH_CSC_ALGS']?.split(',')[0] ?? 'EC-P256') as CredentialAlgorithm;

/** CPU and wall time spent so far, in ms. */
class Meter {
  cpu = 0;
  wall = 0;
  calls = 0;

  /** Runs `n` calls of `call`, one after another, adding their time. */
  async run(n: number, call: () => Promise<void>): Promise<void> {
    const cpu = process.cpuUsage();
    const start = performance.now();
    for (let i = 0; i < n; i++) await call();
    this.wall += performance.now() - start;
    const used = process.cpuUsage(cpu);
    this.cpu += (used.user + used.system) / 1000;
    this.calls += n;
  }

  perCall(): { cpu: number; wall: number } {
    return { cpu: this.cpu / this.calls, wall: this.wall / this.calls };
  }
}

/** Calls in a block: the floor and Signet alternate by blocks, so both see the same machine. */
const block = 50;

const rssp = await startBenchRssp(1, [algorithm]);
const bare = await startBareSignServerInline(algorithm);
try {
  const user = rssp.users[0];
  if (user === undefined) throw new TypeError('no bench user');
  const client = new CscClient({ baseUrl: rssp.url, auth: { kind: 'basic', username: user.username, password: user.password } });
  const credential = await loadRemoteCredential(client, user.credentials[algorithm] as string);
  const { signAlgo, hashAlgorithmOID, signAlgoParams } = credential.algorithm;
  const warmup = 200;
  const list = Array.from({ length: warmup + calls * (rounds + 1) }, () => randomBytes(32).toString('base64'));
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
    const sad = sads[Math.floor(next / 1000)] as string;
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
  // The floor's call, as csc.bench.ts makes it.
  const floorCall = (): Promise<void> => bareSignCall(bare.url);
  for (let i = 0; i < warmup; i++) {
    await call();
    await floorCall();
  }
  const profileFile = process.env['BENCH_PROFILE'];
  console.log(`${algorithm}, ${calls} one-hash signHash calls per round, 1 in flight, client and RSSP on one thread (load ${loadavg()[0]?.toFixed(1)}):`);
  const ratios: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const floorMeter = new Meter();
    const signetMeter = new Meter();
    for (let done = 0; done < calls; done += block) {
      const n = Math.min(block, calls - done);
      await floorMeter.run(n, floorCall);
      timing = round === 0;
      await signetMeter.run(n, call);
      timing = false;
    }
    const floor = floorMeter.perCall();
    const signet = signetMeter.perCall();
    ratios.push(floor.cpu / signet.cpu);
    console.log(
      `  round ${round + 1}: Signet wall ${signet.wall.toFixed(3)} ms, CPU ${signet.cpu.toFixed(3)} ms per call;` +
        ` floor wall ${floor.wall.toFixed(3)} ms, CPU ${floor.cpu.toFixed(3)} ms; floor/Signet CPU ${((floor.cpu / signet.cpu) * 100).toFixed(0)} % (load ${loadavg()[0]?.toFixed(1)})`,
    );
  }
  ratios.sort((a, b) => a - b);
  if (rounds > 1) console.log(`  median floor/Signet CPU: ${((ratios[Math.floor(rounds / 2)] as number) * 100).toFixed(0)} %`);
  if (profileFile !== undefined) {
    // A pass of its own, after the measured rounds: Signet's calls only, sampled every 100 µs;
    // then the floor's calls the same way, so the two splits can be read side by side.
    const session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
    for (const [name, file, run] of [
      ['Signet', profileFile, call],
      ['floor', profileFile.replace(/(\.cpuprofile)?$/, '.floor.cpuprofile'), floorCall],
    ] as const) {
      await session.post('Profiler.start');
      await new Meter().run(calls, run);
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(file, JSON.stringify(profile));
      // Client and server share this thread: the client's part is a stage of its own.
      console.log(`  ${name}: profile of ${calls} more calls: ${file}`);
      for (const line of formatStageSplit(stageSplit(profile as CpuProfile, calls))) console.log(line);
    }
    session.disconnect();
  }
  let total = 0;
  for (const [sql, { ms, runs }] of statements) {
    total += ms;
    console.log(`  ${((ms / calls) * 1000).toFixed(1).padStart(7)} µs/call  ×${(runs / calls).toFixed(1)}  ${sql}`);
  }
  if (statements.size > 0) console.log(`  SQL statements (round 1): ${((total / calls) * 1000).toFixed(0)} µs per call`);
} finally {
  await bare.close();
  await rssp.close();
}
