/** Runs a command in a child Node process and reports what it cost (wall time, CPU, peak RSS via process.resourceUsage()). */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The outcome of {@link runMeasured}. */
export interface MeasuredRun {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly wallMs: number;
  /** User + system CPU of the child, in ms. */
  readonly cpuMs: number;
  /** Peak resident set size of the child, in MiB (process.resourceUsage().maxRSS). */
  readonly maxRssMiB: number;
}

const PROBE = `process.on('exit', () => {
  const u = process.resourceUsage();
  require('node:fs').writeSync(2, '\\n@@RUSAGE ' + JSON.stringify({ maxRSS: u.maxRSS, cpu: (u.userCPUTime + u.systemCPUTime) / 1000 }) + '\\n');
});
`;

let probePath: string | undefined;

function probe(): string {
  if (probePath === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'signet-probe-'));
    probePath = join(dir, 'rusage-probe.cjs');
    writeFileSync(probePath, PROBE);
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return probePath;
}

/**
 * Runs `node <args>` (e.g. `['bin/signet.js', 'verify', file]`) with a probe that prints the
 * child's own resource usage on exit; killed after `timeoutMs` (reported as signal SIGKILL).
 */
export function runMeasured(args: readonly string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<MeasuredRun> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--require', probe(), ...args], { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      const wallMs = performance.now() - started;
      const m = /\n@@RUSAGE (\{.*\})\n/.exec(stderr);
      const u = m === null ? { maxRSS: NaN, cpu: NaN } : (JSON.parse(m[1]!) as { maxRSS: number; cpu: number });
      resolve({
        status,
        signal,
        stdout,
        stderr: m === null ? stderr : stderr.replace(m[0], ''),
        wallMs,
        cpuMs: u.cpu,
        maxRssMiB: u.maxRSS / 1024,
      });
    });
  });
}
