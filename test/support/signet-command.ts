/**
 * How a test starts `signet` as a child process. The compiled CLI (`bin/signet.js` over dist/)
 * starts in a third of the time tsx needs to transform the sources, which matters for the tests
 * that start dozens of servers; it is used only when dist/ was built after the last change to
 * any file under src/ (as `npm test` does: it builds first). Otherwise — a focused run after an
 * edit — the sources themselves run through tsx, so a test never exercises stale code.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = process.cwd();
const sourceBin = join(root, 'test', 'server', 'support', 'signet-bin.ts');
const compiledBin = join(root, 'bin', 'signet.js');
const compiledMain = join(root, 'dist', 'cli', 'main.js');

let cached: readonly string[] | undefined;

/** Node arguments that run `signet` (append the command's own arguments). */
export function signetCommand(): readonly string[] {
  cached ??= isCompiledFresh() ? [compiledBin] : ['--import', 'tsx', sourceBin];
  return cached;
}

function isCompiledFresh(): boolean {
  if (process.env['SIGNET_TEST_FROM_SOURCE'] === '1') return false;
  let built: number;
  try {
    built = statSync(compiledMain).mtimeMs;
  } catch {
    return false;
  }
  return newestSource(join(root, 'src')) <= built;
}

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const mtime = entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs;
    if (mtime > newest) newest = mtime;
  }
  return newest;
}
