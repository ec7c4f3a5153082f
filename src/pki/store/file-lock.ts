/**
 * A cross-process lock file (O_CREAT|O_EXCL) for the file-backed stores used by the CLI: the
 * holder's pid is written into the file, and a lock whose process no longer exists is broken.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { PkiError } from '../errors.js';

/** How long to keep retrying before ERR_PKI_STORE_LOCKED (attempts × growing back-off). */
const maxAttempts = 400;

function isStale(path: string): boolean {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
    if (!Number.isInteger(pid) || pid <= 0) return false;
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Runs `fn` while holding the lock file at `path`.
 *
 * @example
 * ```ts
 * await withFileLock(`${dir}/store.lock`, async () => { ... });
 * ```
 */
export async function withFileLock<T>(path: string, fn: () => Promise<T> | T): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new PkiError('ERR_PKI_STORE_LOCKED', 'cannot create the store lock file', { cause: err });
      }
      if (isStale(path)) {
        try {
          unlinkSync(path);
        } catch {
          // another process broke it first
        }
        continue;
      }
      if (attempt >= maxAttempts) {
        throw new PkiError('ERR_PKI_STORE_LOCKED', 'the CA store is locked by another process');
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(2 + attempt, 50)));
      continue;
    }
    try {
      writeSync(fd, String(process.pid));
    } finally {
      closeSync(fd);
    }
    try {
      return await fn();
    } finally {
      try {
        unlinkSync(path);
      } catch {
        // already gone
      }
    }
  }
}
