/** What `signet sign` and `signet sign-remote` share for batches: input expansion and the progress bar. */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { CliIo } from '../command.js';

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
