/** The compiled `signet` command (bin/signet.js over dist/: run `npm run build` first) as the PKI CLI tests run it. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** Path of the compiled command, for tests that start it themselves (`pki serve`). */
export const signetBin = join(process.cwd(), 'bin', 'signet.js');

/** Runs `signet ...args` to its end, without input; its exit status and output. */
export function runSignet(
  ...args: string[]
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [signetBin, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
