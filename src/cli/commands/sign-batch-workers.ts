/**
 * Worker threads for `signet sign --out-dir` (issue 18 §4): a batch of many files uses every
 * core, each worker signing whole files (prepare, RSA/ECDSA, embed, write) with its own signer
 * loaded from the same key files. Keys on a backend (--key-uri: PKCS#11 sessions, the keystore)
 * stay on the main thread.
 */
import { availableParallelism, loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import { CliError } from '../errors.js';
import { formatError } from '../main.js';
import type { SignValues } from './sign-setup.js';

/** Main thread → worker. */
export type WorkerRequest =
  | { readonly kind: 'sign'; readonly id: number; readonly input: string; readonly output: string }
  | { readonly kind: 'stop' };
/** Worker → main thread. */
export type WorkerReply =
  | { readonly kind: 'ready' }
  | { readonly kind: 'unavailable'; readonly message: string }
  | { readonly kind: 'signed'; readonly id: number }
  | { readonly kind: 'failed'; readonly id: number; readonly message: string };

/** Fewest files per worker for a worker to pay for its start (it loads the signing code again). */
const FILES_PER_WORKER = 24;
const MAX_WORKERS = 8;
/**
 * Cores a batch uses without workers: the main thread prepares, embeds and writes each file while
 * the RSA/ECDSA operation of the file before runs on the libuv pool, another core (issue 18 §4).
 */
const CORES_WITHOUT_WORKERS = 2;

/**
 * `--workers N` (0: none). By default one per idle core beyond the two the main thread and the
 * libuv pool use, when the batch is big enough: on a 2-core machine none (a worker loads and warms
 * up the signing code again and competes with the pool for the second core: 200 × 100 KB ran at
 * 266 files/s with one worker against 344 without on an idle machine, and cost 20% more CPU per
 * file at load 6), and none on a machine whose cores are busy (load average ≥ cores).
 */
export function batchWorkerCount(
  v: SignValues & { readonly workers?: string | undefined },
  files: number,
): number {
  if (v.workers !== undefined) {
    const n = Number(v.workers);
    if (!Number.isInteger(n) || n < 0 || n > 64)
      throw new CliError(
        'ERR_CLI_USAGE',
        `--workers expects an integer from 0 to 64 (got '${v.workers}')`,
      );
    if (n > 0 && v['key-uri'] !== undefined)
      throw new CliError(
        'ERR_CLI_USAGE',
        '--workers is for key files (--key, --p12); a --key-uri key signs on the main thread',
      );
    return n;
  }
  if (v['key-uri'] !== undefined) return 0;
  return defaultWorkerCount(availableParallelism(), loadavg()[0] ?? 0, files);
}

/** The default of {@link batchWorkerCount} for `cores` cores at load average `load`. */
export function defaultWorkerCount(cores: number, load: number, files: number): number {
  const idle = Math.floor(cores - load) - CORES_WITHOUT_WORKERS;
  return Math.max(0, Math.min(cores - CORES_WITHOUT_WORKERS, idle, Math.floor(files / FILES_PER_WORKER), MAX_WORKERS));
}

/** One batch worker: `sign` resolves with undefined when signed, or the formatted error line. */
export interface BatchWorker {
  /** Resolves true once the worker has loaded its signer, false when it cannot be used. */
  readonly ready: Promise<boolean>;
  /** False once the thread has stopped or failed (its files then stay with the others). */
  readonly isAlive: boolean;
  sign(input: string, output: string): Promise<string | undefined>;
  stop(): Promise<void>;
}

/** Starts a worker thread that loads the signer `values` describe. */
export function startBatchWorker(values: SignValues): BatchWorker {
  // The compiled module starts the compiled worker; under a TypeScript loader (tests), the source.
  const isSource = import.meta.url.endsWith('.ts');
  const entry = new URL(
    isSource ? './sign-batch-worker.ts' : './sign-batch-worker.js',
    import.meta.url,
  );
  // (A TypeScript entry is imported from a one-line script that registers tsx's loader first.)
  const worker = isSource
    ? new Worker(
        `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`,
        { eval: true, workerData: values },
      )
    : new Worker(entry, { workerData: values });
  const pending = new Map<number, (message: string | undefined) => void>();
  let nextId = 0;
  let resolveReady: (ok: boolean) => void = () => {};
  const ready = new Promise<boolean>((resolve) => (resolveReady = resolve));
  let failed = false;
  const failAll = (message: string): void => {
    failed = true;
    resolveReady(false);
    for (const settle of pending.values()) settle(message);
    pending.clear();
  };
  worker.on('message', (m: WorkerReply) => {
    if (m.kind === 'ready') resolveReady(true);
    else if (m.kind === 'unavailable') failAll(m.message);
    else {
      pending.get(m.id)?.(m.kind === 'failed' ? m.message : undefined);
      pending.delete(m.id);
    }
  });
  let exited = false;
  worker.on('error', (err) =>
    failAll(
      formatError(
        new CliError(
          'ERR_CLI_WORKER',
          `a signing worker thread failed: ${err.message.split('\n')[0]}`,
        ),
      ),
    ),
  );
  worker.on('exit', () => {
    exited = true;
    failAll(formatError(new CliError('ERR_CLI_WORKER', 'a signing worker thread stopped')));
  });
  return {
    ready,
    get isAlive() {
      return !exited && !failed;
    },
    sign: (input, output) =>
      new Promise((resolve) => {
        if (exited || failed) {
          resolve(formatError(new CliError('ERR_CLI_WORKER', 'a signing worker thread stopped')));
          return;
        }
        const id = nextId++;
        pending.set(id, resolve);
        worker.postMessage({ kind: 'sign', id, input, output } satisfies WorkerRequest);
      }),
    stop: async () => {
      if (exited) return;
      const gone = new Promise((resolve) => worker.once('exit', resolve));
      worker.postMessage({ kind: 'stop' } satisfies WorkerRequest);
      await gone;
    },
  };
}
