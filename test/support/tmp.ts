/** Temporary directories for tests, removed when the test ends. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Creates a temporary directory removed after the test (or suite) `t`. */
/** `t` is a test context, or any object with an `after` hook (e.g. `{ after }` from node:test). */
export function tempDir(t: { after(fn: () => void): unknown }, prefix = 'signet-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
