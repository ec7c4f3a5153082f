/**
 * Paths in the repository, the same whether a test runs from its TypeScript source (test/…) or
 * compiled (.test-build/test/…, see scripts/run-tests.mjs): the nearest folder above this module
 * holding package.json.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

function findRoot(): string {
  let dir = import.meta.dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
  return dir;
}

/** The repository's root folder. */
export const repoRoot = findRoot();

/** A path under the repository's root, e.g. `repoPath('docs', 'security.md')`. */
export function repoPath(...parts: string[]): string {
  return join(repoRoot, ...parts);
}
