/**
 * An exclusive lock on a data directory for the first-start bootstrap: nodes started at the same
 * moment on one (shared) data directory take turns, so exactly one creates the KEK, the secrets
 * and the CA, and the others wait and then load them. The lock file holds `{ host, pid }`; it is
 * written under a temporary name, fsync'ed and hard-linked into place (link(2) fails if the name
 * exists: atomic, and never seen half-written). A lock left by a process that died on this host
 * is broken; one held on another host is waited for until the timeout.
 */
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ServerError } from './errors.js';

/** The lock file's name inside the data directory. */
export const dataDirLockName = 'bootstrap.lock';

/** A held lock. `release()` is idempotent. */
export interface DataDirLock {
  release(): void;
}

/** Options of lockDataDir. */
export interface LockDataDirOptions {
  /** How long to wait for another node's bootstrap (default 120 s: CA keys on a slow HSM). */
  readonly timeoutMs?: number;
}

interface LockOwner {
  readonly host: string;
  readonly pid: number;
}

function readOwner(path: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockOwner>;
    return typeof owner.host === 'string' && typeof owner.pid === 'number' ? { host: owner.host, pid: owner.pid } : undefined;
  } catch {
    return undefined;
  }
}

/** True when the owner ran on this host and is gone (kill(pid, 0) answers ESRCH). */
function isStale(owner: LockOwner | undefined): boolean {
  if (owner === undefined || owner.host !== hostname()) return false;
  if (owner.pid === process.pid) return false;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Writes the owner record under a temporary name and fsyncs it; returns that name. */
function writeOwnerFile(dir: string): string {
  const tmp = join(dir, `.${dataDirLockName}.${process.pid}.${randomBytes(4).toString('hex')}`);
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, JSON.stringify({ host: hostname(), pid: process.pid } satisfies LockOwner));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return tmp;
}

/** fsync(2) of a directory, so a rename or link inside it survives a crash. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Takes the data directory's bootstrap lock, creating the directory (0700) if needed; waits while
 * another live process holds it; ERR_SERVER_DATA_DIR_LOCKED after the timeout.
 *
 * @example
 * ```ts
 * const lock = await lockDataDir('/var/lib/signet');
 * try { await bootstrapDataDir(config); } finally { lock.release(); }
 * ```
 */
export async function lockDataDir(root: string, options: LockDataDirOptions = {}): Promise<DataDirLock> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  try {
    mkdirSync(root, { recursive: true, mode: 0o700 });
  } catch (cause) {
    throw new ServerError('ERR_SERVER_DATA_DIR', `cannot create the data directory ${root}`, { cause });
  }
  if (!statSync(root).isDirectory()) throw new ServerError('ERR_SERVER_DATA_DIR', `${root} is not a directory`);
  const path = join(root, dataDirLockName);
  const started = process.hrtime.bigint();
  let delayMs = 10;
  for (;;) {
    const tmp = writeOwnerFile(root);
    let acquired = false;
    try {
      linkSync(tmp, path);
      acquired = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new ServerError('ERR_SERVER_DATA_DIR', `cannot create the lock file ${path}`, { cause: err });
      }
    } finally {
      unlinkSync(tmp);
    }
    if (acquired) {
      fsyncDir(root);
      let released = false;
      return {
        release: () => {
          if (released) return;
          released = true;
          try {
            unlinkSync(path);
          } catch {
            // Already gone (an operator removed it); nothing to undo.
          }
        },
      };
    }
    if (isStale(readOwner(path))) {
      try {
        unlinkSync(path);
      } catch {
        // Another waiter broke it first.
      }
      continue;
    }
    if (Number(process.hrtime.bigint() - started) / 1e6 >= timeoutMs) {
      throw new ServerError(
        'ERR_SERVER_DATA_DIR_LOCKED',
        `another node holds ${path} (first start in progress); if no node is starting, remove the file`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    delayMs = Math.min(delayMs * 2, 200);
  }
}
