/**
 * CSC throughput (issue 6): signatures/signHash over HTTP against Signet's RSSP with 1 hash and
 * with 100 hashes per call, and a batch of 500 one-page PDFs signed through the gateway
 * (prepare → one authorization → signHash chunks → embed → atomic file writes), each next to the
 * raw node:crypto sign rate of the same key type measured in the same run.
 * Targets: signHash(1 hash) ≥ 40 % of the raw rate; batch of 500 ≤ 2 × (500 raw signs + hashing), issue 19.
 * Next to the one-hash figure it prints the floor of this machine for one signature per HTTP call
 * (bare-sign-server.ts: node:http, JSON, the signature, nothing else), measured in the same run,
 * and the CPU each server thread spent per call (thread-cpu.ts), steadier than the rates on a
 * shared machine.
 * The RSSP runs in a worker thread (its own event loop, as in its own process); the client here.
 */
import { createHash, generateKeyPairSync, randomBytes, sign as rawSign, type KeyObject } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { digestAlgorithms } from '../src/cms/index.js';
import { systemClock } from '../src/core/clock.js';
import { CscClient, loadRemoteCredential, type RemoteCredential } from '../src/csc/client/index.js';
import type { CredentialAlgorithm } from '../src/csc/index.js';
import { explicitAuthorizer, signBatch, type BatchDocument } from '../src/gateway/index.js';
import { startBenchRssp, type BenchUser } from './csc-rssp.js';
import { startBenchRsspWorker } from './csc-rssp-worker.js';
import { bareSignCall, startBareSignServer } from './bare-sign-server.js';
import { processThreadsCpuMs, threadId } from './thread-cpu.js';
import { makeBasePdf } from '../test/support/pdf-fixtures.js';
import { writeFileAtomically } from '../src/pades/index.js';

const seconds = Number(process.env['BENCH_SECONDS'] ?? 1.5);
const batchSize = Number(process.env['BENCH_CSC_BATCH'] ?? 500);
const algorithms: readonly CredentialAlgorithm[] = (process.env['BENCH_CSC_ALGS']?.split(',') as CredentialAlgorithm[] | undefined) ?? ['RSA-2048', 'EC-P256'];

function rawKey(alg: CredentialAlgorithm): KeyObject {
  return alg.startsWith('RSA')
    ? generateKeyPairSync('rsa', { modulusLength: Number(alg.slice(4)) }).privateKey
    : generateKeyPairSync('ec', { namedCurve: alg === 'EC-P256' ? 'P-256' : 'P-384' }).privateKey;
}

/**
 * The raw rate on every core at once: one thread per core signing for `seconds` (what a server
 * whose signing pool and event loop share the cores could reach at most).
 */
async function rawRateAllCores(alg: CredentialAlgorithm): Promise<{ cores: number; perSecond: number }> {
  const cores = availableParallelism();
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const c = require('node:crypto');
    const { alg, seconds } = workerData;
    const key = alg.startsWith('RSA')
      ? c.generateKeyPairSync('rsa', { modulusLength: Number(alg.slice(4)) }).privateKey
      : c.generateKeyPairSync('ec', { namedCurve: alg === 'EC-P256' ? 'P-256' : 'P-384' }).privateKey;
    parentPort.once('message', () => {
      const data = c.randomBytes(200);
      let n = 0;
      const start = performance.now();
      while (performance.now() - start < seconds * 1000) { c.sign('sha256', data, key); n++; }
      parentPort.postMessage(n / ((performance.now() - start) / 1000));
    });
    parentPort.postMessage('ready');`;
  const workers = Array.from({ length: cores }, () => new Worker(code, { eval: true, workerData: { alg, seconds } }));
  try {
    await Promise.all(workers.map((w) => new Promise((resolve) => w.once('message', resolve))));
    const rates = workers.map((w) => new Promise<number>((resolve) => w.once('message', resolve)));
    for (const w of workers) w.postMessage('go');
    return { cores, perSecond: (await Promise.all(rates)).reduce((a, b) => a + b, 0) };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

function rawRate(key: KeyObject): number {
  const data = randomBytes(200);
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    rawSign('sha256', data, key);
    n++;
  }
  return n / ((performance.now() - start) / 1000);
}

const hashes = (n: number): string[] => Array.from({ length: n }, () => randomBytes(32).toString('base64'));

async function authorize(client: CscClient, credential: RemoteCredential, user: BenchUser, list: readonly string[]): Promise<string> {
  const { SAD } = await client.authorize({
    credentialID: credential.credentialID,
    numSignatures: list.length,
    hashes: list,
    hashAlgorithmOID: digestAlgorithms['SHA-256'].oid,
    authData: [{ id: 'PIN', value: user.pin }, { id: 'OTP', value: user.nextOtp() }],
  });
  return SAD as string;
}

interface Rate {
  readonly perSecond: number;
  /** Call latencies in ms: median and 99th percentile. */
  readonly p50: number;
  readonly p99: number;
  /** CPU of the server's thread per call in ms, over the timed calls (undefined off Linux or inline). */
  readonly serverCpuPerCall: number | undefined;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** A SAD is used for at most this long (its lifetime is 300 s), then the next round authorizes a fresh one. */
const roundMs = 60_000;
/** Calls before the timed ones (JIT, connections), as the floor has. */
const warmupCalls = 50;

/**
 * signHash signatures/s with `perCall` hashes per call and `inFlight` calls at once, over ≥ `seconds`.
 * Each round authorizes a fresh SAD for up to 1000 hashes (the RSSP's maximum; authorization is not
 * timed) and ends when its hashes are spent, the phase's time is up or `roundMs` has passed, so a
 * slow machine never signs with an expired SAD.
 */
async function signHashRate(
  client: CscClient,
  credential: RemoteCredential,
  user: BenchUser,
  perCall: number,
  inFlight: number,
  serverCpuMs: () => Promise<number | undefined> = async () => undefined,
): Promise<Rate> {
  const { signAlgo, hashAlgorithmOID, signAlgoParams } = credential.algorithm;
  const call = async (sad: string, part: string[]): Promise<number> => {
    const { signatures } = await client.signHash({
      credentialID: credential.credentialID,
      SAD: sad,
      hashes: part,
      signAlgo,
      ...(hashAlgorithmOID === undefined ? {} : { hashAlgorithmOID }),
      ...(signAlgoParams === undefined ? {} : { signAlgoParams }),
    });
    return signatures.length;
  };
  // Warm-up at the phase's concurrency: concurrent calls start the server's signing threads (one
  // signature alone is made on the event loop: signing-pool.ts), which under tsx takes over a
  // second — inside the timed calls it stalled every call in flight (issue 19: '8 in flight
  // slower than 1').
  const warmup = hashes(warmupCalls);
  const warmupSad = await authorize(client, credential, user, warmup);
  let warmed = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (warmed < warmup.length) await call(warmupSad, [warmup[warmed++] as string]);
    }),
  );
  let signed = 0;
  let elapsed = 0;
  let serverCpu: number | undefined = 0;
  const latencies: number[] = [];
  while (elapsed < seconds * 1000) {
    const list = hashes(1000);
    const sad = await authorize(client, credential, user, list);
    const calls: string[][] = [];
    for (let i = 0; i < list.length; i += perCall) calls.push(list.slice(i, i + perCall));
    // The server thread's CPU over the timed calls only (not the authorization before them).
    const cpuBefore = await serverCpuMs();
    const start = performance.now();
    const stopAt = start + Math.min(seconds * 1000 - elapsed, roundMs);
    let next = 0;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < calls.length && performance.now() < stopAt) {
          const part = calls[next++] as string[];
          const sent = performance.now();
          // Not `signed += await call(…)`: that reads `signed` before the await, so calls in flight
          // at once overwrote each other's counts (the 8-in-flight rate was undercounted ~8×).
          const count = await call(sad, part);
          signed += count;
          latencies.push(performance.now() - sent);
        }
      }),
    );
    elapsed += performance.now() - start;
    const cpuAfter = await serverCpuMs();
    serverCpu = serverCpu === undefined || cpuBefore === undefined || cpuAfter === undefined ? undefined : serverCpu + cpuAfter - cpuBefore;
  }
  latencies.sort((a, b) => a - b);
  return {
    perSecond: signed / (elapsed / 1000),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    serverCpuPerCall: serverCpu === undefined ? undefined : serverCpu / latencies.length,
  };
}

/** One-hash calls per second against the bare server (bare-sign-server.ts), 1 in flight. */
async function bareRate(alg: CredentialAlgorithm): Promise<Rate> {
  const bare = await startBareSignServer(alg);
  try {
    const latencies: number[] = [];
    const call = async (): Promise<void> => {
      const sent = performance.now();
      await bareSignCall(bare.url);
      latencies.push(performance.now() - sent);
    };
    for (let i = 0; i < 50; i++) await call();
    latencies.length = 0;
    const cpuBefore = await bare.serverCpuMs?.();
    const start = performance.now();
    while (performance.now() - start < seconds * 1000) await call();
    const elapsed = performance.now() - start;
    const cpuAfter = await bare.serverCpuMs?.();
    latencies.sort((a, b) => a - b);
    return {
      perSecond: latencies.length / (elapsed / 1000),
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      serverCpuPerCall: cpuBefore === undefined || cpuAfter === undefined ? undefined : (cpuAfter - cpuBefore) / latencies.length,
    };
  } finally {
    await bare.close();
  }
}

const latency = (r: Rate): string => `(call p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms)`;

/**
 * The CPU each thread spent between two readings of processThreadsCpuMs, in ms, largest first:
 * the client (this thread), the RSSP's event loop and the others (the RSSP's signing threads,
 * the SQLite checkpointer, libuv and V8 helpers) by id; threads under 5 ms are summed.
 */
function threadSplit(before: ReadonlyMap<number, number>, after: ReadonlyMap<number, number>, rsspTid: number | undefined): string {
  const clientTid = threadId();
  const spent = [...after].map(([tid, ms]) => [tid, ms - (before.get(tid) ?? 0)] as const).sort((a, b) => b[1] - a[1]);
  const named = spent.filter(([, ms]) => ms >= 5).map(([tid, ms]) => `${tid === clientTid ? 'client' : tid === rsspTid ? 'RSSP loop' : `thread ${tid}`} ${fmt(ms)}`);
  const rest = spent.filter(([, ms]) => ms < 5).reduce((sum, [, ms]) => sum + ms, 0);
  return [...named, ...(rest > 0 ? [`others ${fmt(rest)}`] : [])].join(', ');
}

/** Which measurements to run (for profiling one of them): one, parallel, hundred, batch. */
const phases = new Set(process.env['BENCH_CSC_PHASES']?.split(',') ?? ['one', 'parallel', 'hundred', 'batch']);
const fmt = (n: number): string => n.toFixed(n < 10 ? 2 : 0);
// BENCH_CSC_SERVER=inline runs the RSSP on the client's event loop instead of a worker thread.
const rssp = process.env['BENCH_CSC_SERVER'] === 'inline' ? await startBenchRssp(1, algorithms) : await startBenchRsspWorker(1, algorithms);
const serverCpu = async (): Promise<number | undefined> => rssp.serverCpuMs?.();
const work = mkdtempSync(join(tmpdir(), 'signet-bench-gateway-'));
const user = rssp.users[0] as BenchUser;
const client = new CscClient({ baseUrl: rssp.url, auth: { kind: 'basic', username: user.username, password: user.password } });
let files: string[] = [];
let batchesRun = 0;

/**
 * The file system's share of a batch: the CPU (all threads) and wall time of writing files of the
 * outputs' sizes into a new folder beside them, the way the gateway writes them
 * (writeFileAtomically: a temporary file, writev, close, rename on the libuv pool), 8 at a time
 * as the gateway finishes its documents (2 signHash lanes × 4).
 */
async function fileOutputFloor(outputs: readonly string[], dir: string): Promise<{ readonly cpuMs: number; readonly wallMs: number }> {
  mkdirSync(dir);
  const contents = outputs.map((path) => new Uint8Array(readFileSync(path)));
  const cpu = process.cpuUsage();
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < contents.length) {
        const i = next++;
        await writeFileAtomically(join(dir, `doc-${i}.pdf`), contents[i] as Uint8Array, []);
      }
    }),
  );
  const wallMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { cpuMs: (used.user + used.system) / 1000, wallMs };
}

/**
 * One timed gateway batch of the bench's files to `outDir`, printed with its reference (500 raw
 * signatures plus SHA-256 over the 500 files, measured just before it), the CPU of each thread
 * and, with BENCH_CSC_TIMELINE, when each call started and ended.
 */
async function gatewayBatch(credential: RemoteCredential, key: KeyObject, outDir: string): Promise<void> {
  // The first batch of the process runs the client's PDF and CMS code before it is compiled, as a
  // fresh `signet sign-csc` does; a later one as a gateway that has signed before (`signet serve`).
  const label = batchesRun++ === 0 ? 'first batch of the process' : 'again, warm';
  const refStart = performance.now();
  for (const f of files) {
    createHash('sha256').update(readFileSync(f)).digest();
    rawSign('sha256', randomBytes(64), key);
  }
  const reference = performance.now() - refStart;
  mkdirSync(outDir);
  const documents: BatchDocument[] = files.map((path, i) => ({ id: path, source: { kind: 'file', path }, sink: { kind: 'file', path: join(outDir, `doc-${i}.pdf`) } }));
  const start = performance.now();
  const cpu = process.cpuUsage();
  const markStart = process.hrtime.bigint() / 1000n;
  const rsspTid = await rssp.serverThreadId?.();
  const threadsBefore = processThreadsCpuMs();
  let phaseOne = '';
  // BENCH_CSC_TIMELINE: when the authorization and each signHash call started and ended, in ms
  // from the batch's start (what of the batch waits for what).
  const timeline: string[] = [];
  const at = (): string => fmt(performance.now() - start);
  const authorizer = explicitAuthorizer(client, credential, () => ({ pin: user.pin, otp: user.nextOtp() }));
  const timedClient = Object.create(client) as CscClient;
  timedClient.signHash = async (...args) => {
    const sent = at();
    const answer = await client.signHash(...args);
    timeline.push(`signHash(${args[0].hashes.length}) ${sent}→${at()}`);
    return answer;
  };
  const result = await signBatch(documents, {
    client: process.env['BENCH_CSC_TIMELINE'] ? timedClient : client,
    credential,
    clock: systemClock,
    authorize: async (request) => {
      const sent = at();
      phaseOne = threadSplit(threadsBefore, processThreadsCpuMs(), rsspTid);
      const answer = await authorizer(request);
      timeline.push(`authorize ${sent}→${at()}`);
      return answer;
    },
    ...(process.env['BENCH_CSC_CHUNK'] ? { hashesPerCall: Number(process.env['BENCH_CSC_CHUNK']) } : {}),
    ...(process.env['BENCH_CSC_CONCURRENCY'] ? { concurrency: Number(process.env['BENCH_CSC_CONCURRENCY']) } : {}),
  });
  const total = performance.now() - start;
  const used = process.cpuUsage(cpu);
  // BENCH_CSC_MARK: the batch's window on the monotonic clock in µs, the clock of --cpu-prof's
  // sample times, to read each thread's profile over the batch alone.
  if (process.env['BENCH_CSC_MARK']) console.log(`  batch window (monotonic µs): ${markStart} ${process.hrtime.bigint() / 1000n}`);
  const threads = threadSplit(threadsBefore, processThreadsCpuMs(), rsspTid);
  if (result.signed !== batchSize) throw new Error(`batch: ${result.failed} failed: ${JSON.stringify(result.results.find((r) => !r.ok))}`);
  console.log(
    `  gateway batch of ${batchSize} one-page PDFs (${label}): ${fmt(total)} ms (prepare ${fmt(result.timings.prepareMs)} ms, authorize+sign+embed ${fmt(result.timings.signMs)} ms, ${result.signHashCalls} signHash calls)` +
      ` = ${(total / reference).toFixed(2)} × (${batchSize} raw signs + hashing = ${fmt(reference)} ms) (target ≤ 2, issue 19);` +
      ` CPU of the process (client, RSSP thread and its signing threads) ${fmt((used.user + used.system) / 1000)} ms, load ${loadavg()[0]?.toFixed(1)}`,
  );
  if (threads !== '') console.log(`    CPU by thread over the batch: ${threads}; over phase one (prepare): ${phaseOne}`);
  const floor = await fileOutputFloor(documents.map((d) => (d.sink as { path: string }).path), `${outDir}-floor`);
  console.log(
    `    file system: the ${batchSize} outputs written again the same way (temporary file, writev, rename) cost ${fmt(floor.cpuMs)} ms CPU, ${fmt(floor.wallMs)} ms` +
      ` — part of the batch's CPU above, and it varies with what else writes to the disk`,
  );
  if (process.env['BENCH_CSC_TIMELINE']) console.log(`    timeline (ms): ${timeline.join(', ')}, end ${fmt(total)}`);
}
try {
  // 500 different one-page PDFs (different text → different digests).
  const inDir = join(work, 'in');
  mkdirSync(inDir);
  files = Array.from({ length: batchSize }, (_, i) => {
    const path = join(inDir, `doc-${i}.pdf`);
    writeFileSync(path, makeBasePdf({ text: `Bench document ${i}` }));
    return path;
  });
  for (const alg of algorithms) {
    const credential = await loadRemoteCredential(client, user.credentials[alg] as string);
    const key = rawKey(alg);
    const raw = rawRate(key);
    console.log(`${alg}: raw node:crypto sign ${fmt(raw)}/s (${fmt(1000 / raw)} ms)`);

    if (phases.has('one')) {
      const one = await signHashRate(client, credential, user, 1, 1, serverCpu);
      console.log(`  signHash, 1 hash/call, 1 in flight:    ${fmt(one.perSecond)} signatures/s = ${((one.perSecond / raw) * 100).toFixed(0)} % of raw (target ≥ 40 %) ${latency(one)}`);
      const floor = await bareRate(alg);
      console.log(
        `    floor: bare node:http server that only signs, 1 in flight: ${fmt(floor.perSecond)}/s = ${((floor.perSecond / raw) * 100).toFixed(0)} % of raw ${latency(floor)};` +
          ` Signet reaches ${((one.perSecond / floor.perSecond) * 100).toFixed(0)} % of it (goal ≥ 80 %)`,
      );
      // CPU of the server thread per call: on a shared machine it varies far less than the rates,
      // which count the time each thread waited for a core.
      if (one.serverCpuPerCall !== undefined && floor.serverCpuPerCall !== undefined) {
        console.log(
          `    server thread CPU per call: Signet ${fmt(one.serverCpuPerCall)} ms, floor ${fmt(floor.serverCpuPerCall)} ms` +
            ` (floor/Signet ${((floor.serverCpuPerCall / one.serverCpuPerCall) * 100).toFixed(0)} %, load ${loadavg()[0]?.toFixed(1)})`,
        );
      }
    }
    if (phases.has('parallel')) {
      const oneParallel = await signHashRate(client, credential, user, 1, 8);
      const all = await rawRateAllCores(alg);
      console.log(
        `  signHash, 1 hash/call, 8 in flight:    ${fmt(oneParallel.perSecond)} signatures/s = ${((oneParallel.perSecond / raw) * 100).toFixed(0)} % of raw` +
          ` (${((oneParallel.perSecond / all.perSecond) * 100).toFixed(0)} % of raw on all ${all.cores} cores, ${fmt(all.perSecond)}/s) ${latency(oneParallel)}`,
      );
    }
    if (phases.has('hundred')) {
      const hundred = await signHashRate(client, credential, user, 100, 1);
      console.log(`  signHash, 100 hashes/call, 1 in flight: ${fmt(hundred.perSecond)} signatures/s = ${((hundred.perSecond / raw) * 100).toFixed(0)} % of raw ${latency(hundred)}`);
    }
    if (!phases.has('batch')) continue;

    // The RSSP's signing threads started before the timed batch, as the other rows warm up: a
    // signature alone is made on its event loop (signing-pool.ts), so run alone this phase started
    // the thread inside the batch (0.4–0.5 s of module loading under tsx on this machine).
    const warm = hashes(8);
    const warmSad = await authorize(client, credential, user, warm);
    const { signAlgo, hashAlgorithmOID, signAlgoParams } = credential.algorithm;
    await client.signHash({
      credentialID: credential.credentialID,
      SAD: warmSad,
      hashes: warm,
      signAlgo,
      ...(hashAlgorithmOID === undefined ? {} : { hashAlgorithmOID }),
      ...(signAlgoParams === undefined ? {} : { signAlgoParams }),
    });
    // BENCH_CSC_BATCH_RUNS batches (default 2), each next to its own reference: the first of the
    // process cold, the next ones warm (gatewayBatch).
    const runs = Number(process.env['BENCH_CSC_BATCH_RUNS'] ?? 2);
    for (let run = 0; run < runs; run++) await gatewayBatch(credential, key, join(work, `out-${alg}-${run}`));
  }
} finally {
  await rssp.close();
  rmSync(work, { recursive: true, force: true });
}
