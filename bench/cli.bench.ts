/**
 * The `signet` command as a user starts it (issue 18 §4): wall time of the real binary for
 * `signet --help` and for `signet sign` of one 100 KB file, and the rate of `signet sign` of
 * 200 × 100 KB files with --out-dir, next to the raw RSA-2048 signs/s of node:crypto (one thread)
 * and the wall time of `node -e 0` measured in the same run, each with its CPU time (user +
 * system, from /proc: on a loaded machine wall time mostly measures the wait for a core). Needs
 * `npm run build` (dist/ and dist/cli-bundle/, which bin/signet.js runs these commands from).
 */
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, sign as rawSign } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSignerFromOptions } from '../src/cli/commands/load-signer.js';
import { finishUpdates, planLevel, prepareSignature } from '../src/pades/index.js';
import { writeFileAtomicallySync } from '../src/pades/signature-sink.js';
import { FileSource } from '../src/pdf/index.js';
import { writeBigPdf } from '../test/support/pdf-fixtures.js';
import { writePkiFiles } from '../test/support/pki.js';

const runs = Number(process.env['BENCH_RUNS'] ?? 7);
const batchSize = Number(process.env['BENCH_BATCH'] ?? 200);
const bin = join(process.cwd(), 'bin', 'signet.js');

/**
 * CPU milliseconds (user + system) used so far by this process's waited-for children: fields 16
 * and 17 (cutime, cstime) of /proc/self/stat, in clock ticks of 10 ms. On a loaded machine the
 * wall time mostly measures the wait for a core; the CPU time is what the command costs.
 */
function childCpuMs(): number {
  if (!existsSync('/proc/self/stat')) return NaN;
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

/** Wall and CPU milliseconds of one run of `node args…`; fails the bench on a non-zero exit. */
function timeRun(args: readonly string[]): { wall: number; cpu: number } {
  const cpu = childCpuMs();
  const start = performance.now();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  const wall = performance.now() - start;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
  return { wall, cpu: childCpuMs() - cpu };
}

const median = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** The medians (wall, CPU) of `runs` runs, after one warm-up run (file cache). */
function medianMs(args: readonly string[], before?: () => void): { wall: number; cpu: number } {
  before?.();
  timeRun(args);
  const times: { wall: number; cpu: number }[] = [];
  for (let i = 0; i < runs; i++) {
    before?.();
    times.push(timeRun(args));
  }
  return { wall: median(times.map((t) => t.wall)), cpu: median(times.map((t) => t.cpu)) };
}

/** Raw RSA-2048 signs per second of one thread: per wall second and per CPU second (user + system). */
function rawRsaRate(seconds: number): { wall: number; cpu: number } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const data = new Uint8Array(128);
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  const cpu = process.cpuUsage();
  let n = 0;
  while (performance.now() < end) {
    rawSign('sha256', data, privateKey);
    n++;
  }
  const used = process.cpuUsage(cpu);
  return { wall: n / ((performance.now() - start) / 1000), cpu: n / ((used.user + used.system) / 1e6) };
}

/** The stages of signing one file as a batch does, in CPU ms (this process, every thread). */
interface StageCosts {
  readonly read: number;
  readonly prepare: number;
  readonly sign: number;
  readonly embed: number;
  readonly write: number;
}

/**
 * What each stage of a batch file costs once the code is warm, signed one file at a time in this
 * process with the CLI's signer (the RSA operation on the libuv pool, as in the batch): the part
 * of the batch's per-file CPU these stages do not explain is start-up, cold code, GC and hand-offs.
 */
async function stageCosts(input: string, key: string, cert: string, outDir: string, files: number): Promise<StageCosts> {
  const { signer } = await loadSignerFromOptions({ key, cert });
  const plan = await planLevel({}, signer.signatureAlgorithm.digest);
  mkdirSync(outDir, { recursive: true });
  const total = { read: 0, prepare: 0, sign: 0, embed: 0, write: 0 };
  const cpuMs = (): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const warmUp = Math.min(100, files);
  for (let i = 0; i < warmUp + files; i++) {
    const times: number[] = [cpuMs()];
    const source = FileSource.open(input);
    const bytes = new Uint8Array(source.length);
    source.readInto(0, bytes);
    source.close();
    times.push(cpuMs());
    const prepared = prepareSignature(
      bytes,
      { signingTime: new Date(), certificateChain: signer.certificateChain, signatureAlgorithm: signer.signatureAlgorithm, maxSignatureSize: signer.maxSignatureSize() },
      plan,
    );
    times.push(cpuMs());
    const signature = await signer.sign(prepared.signedAttributes);
    times.push(cpuMs());
    const parts = await finishUpdates(prepared, { kind: 'signature', signature });
    times.push(cpuMs());
    writeFileAtomicallySync(join(outDir, `stage-${i}.pdf`), bytes, parts);
    times.push(cpuMs());
    if (i < warmUp) continue;
    const d = (k: number): number => ((times[k + 1] as number) - (times[k] as number)) / files;
    total.read += d(0);
    total.prepare += d(1);
    total.sign += d(2);
    total.embed += d(3);
    total.write += d(4);
  }
  return total;
}

async function main(): Promise<void> {
  if (!existsSync(join(process.cwd(), 'dist', 'cli', 'main.js'))) throw new Error('run npm run build first');
  const dir = mkdtempSync(join(tmpdir(), 'signet-cli-bench-'));
  try {
    const files = await writePkiFiles(dir, 'rsa');
    const key = ['--key', files.key, '--cert', files.cert];
    const input = join(dir, 'in.pdf');
    writeBigPdf(input, 100 * 1024);
    const inDir = join(dir, 'batch');
    mkdirSync(inDir);
    for (let i = 0; i < batchSize; i++) copyFileSync(input, join(inDir, `doc-${String(i).padStart(3, '0')}.pdf`));

    const raw = rawRsaRate(2);
    const nodeAlone = medianMs(['-e', '0']);
    const help = medianMs([bin, '--help']);
    const output = join(dir, 'out.pdf');
    const one = medianMs([bin, 'sign', input, '-o', output, ...key], () => rmSync(output, { force: true }));
    const outDir = join(dir, 'out');
    const batchRuns = Math.max(1, Math.min(3, runs));
    /** Files per wall second and per CPU second (median run) of the batch, with extra arguments. */
    const batchRate = (extra: readonly string[]): { wall: number; cpu: number } => {
      const times: { wall: number; cpu: number }[] = [];
      for (let i = 0; i < batchRuns; i++) {
        rmSync(outDir, { recursive: true, force: true });
        times.push(timeRun([bin, 'sign', inDir, '--out-dir', outDir, ...key, ...extra]));
        if (readdirSync(outDir).length !== batchSize) throw new Error('the batch did not sign every file');
      }
      return { wall: batchSize / (median(times.map((t) => t.wall)) / 1000), cpu: batchSize / (median(times.map((t) => t.cpu)) / 1000) };
    };
    const batch = batchRate([]);
    // What a file costs beyond the first (the start-up and the first file are the one-file sign).
    const perFileCpu = (batchSize / batch.cpu - one.cpu / 1000) * 1000 / Math.max(1, batchSize - 1);
    // The same batch with its thread count forced: none, and one worker per core beyond the first.
    const cores = availableParallelism();
    const noWorkers = batchRate(['--workers', '0']);
    const allCores = batchRate(['--workers', String(Math.max(1, cores - 1))]);
    const stages = await stageCosts(input, files.key, files.cert, join(dir, 'stages'), batchSize);

    console.log(`raw node:crypto RSA-2048 sign (1 thread):  ${raw.wall.toFixed(0)} signs/s, ${raw.cpu.toFixed(0)} per CPU second`);
    const both = (m: { wall: number; cpu: number }): string => `${m.wall.toFixed(0)} ms wall, ${m.cpu.toFixed(0)} ms CPU`;
    console.log(`node -e 0 (process start):                 ${both(nodeAlone)}`);
    console.log(`signet --help:                             ${both(help)}   (target < 150 ms wall)`);
    console.log(`signet sign, one 100 KB file:              ${both(one)}   (target < 300 ms wall)`);
    // Wall: files/s over raw signs/s (the target); CPU: files per CPU second over raw signs per
    // CPU second, which a loaded machine does not skew (and which workers only lower).
    const rates = (r: { wall: number; cpu: number }): string =>
      `${r.wall.toFixed(0)} files/s  ratio ${(r.wall / raw.wall).toFixed(2)} of raw wall, ${r.cpu.toFixed(0)} files per CPU s  ratio ${(r.cpu / raw.cpu).toFixed(2)} of raw CPU`;
    console.log(`signet sign, ${batchSize} x 100 KB, --out-dir:      ${rates(batch)}   (target >= 0.20)`);
    console.log(`  per file beyond the first:                ${perFileCpu.toFixed(2)} ms CPU   (raw RSA-2048 sign: ${(1000 / raw.cpu).toFixed(2)} ms CPU)`);
    const stageSum = stages.read + stages.prepare + stages.sign + stages.embed + stages.write;
    console.log(
      `  stages, warm, one file at a time:          read ${stages.read.toFixed(2)} + prepare ${stages.prepare.toFixed(2)} + RSA ${stages.sign.toFixed(2)} + embed ${stages.embed.toFixed(2)} + write ${stages.write.toFixed(2)} = ${stageSum.toFixed(2)} ms CPU`,
    );
    console.log(`  with --workers 0:                         ${rates(noWorkers)}`);
    console.log(`  with --workers ${Math.max(1, cores - 1)} (${cores} cores):             ${rates(allCores)}`);
    console.log(`load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    console.log(`(median of ${runs} runs, ${batchRuns} for the batch)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
