/** What `signet sign` and `signet sign-remote` share for batches: input expansion and the progress bar. */
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { CliIo } from '../command.js';
import { CliError } from '../errors.js';

/**
 * Makes `--out-dir DIR` exist before the first file is signed (like `mkdir -p`): without it every
 * file of the batch failed alone with ERR_SYSTEM_ENOENT. A DIR that cannot be a directory (a file
 * is in the way, no permission) is refused once, before anything is signed.
 */
export function prepareOutDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new CliError('ERR_CLI_INPUT', `--out-dir ${dir} cannot be created as a directory (${code})`, { cause });
  }
}

/** Expands directories to the PDF files they contain (not recursive), sorted. */
export function expandInputs(inputs: readonly string[]): string[] {
  return inputs.flatMap((p) => {
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch {
      return [p]; // reported per file as unreadable
    }
    if (!isDir) return [p];
    return readdirSync(p)
      .filter((n) => n.toLowerCase().endsWith('.pdf'))
      .sort()
      .map((n) => join(p, n));
  });
}

/** A one-line progress bar on a TTY (nothing when stderr is not a terminal). */
export function progressBar(io: CliIo, done: number, total: number, current: string): void {
  if (!io.stderr.isTTY) return;
  const width = 30;
  const filled = Math.round((done / total) * width);
  io.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${current.slice(0, 40).padEnd(40)}`);
}
