/**
 * A small pool of worker threads for work on untrusted documents (docs/security.md INV-7): each job
 * runs in a worker with a heap limit (`resourceLimits`) and a deadline, so a hostile PDF costs a
 * worker — stopped and replaced — never the server's event loop or its memory. Idle workers are
 * stopped after a while so their heap is given back between bursts. Used by the consent-document
 * inspector and by the PDF preparation of signDoc.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** How a job ended when its worker did not answer (`startup`: a new worker did not load in time). */
export type WorkerFailure = 'memory' | 'exit' | 'timeout' | 'startup' | 'closed';

/** The outcome of one job. */
export type WorkerOutcome<O> = { readonly ok: true; readonly value: O } | { readonly ok: false; readonly failure: WorkerFailure };

/** Options of {@link createWorkerPool}. */
export interface WorkerPoolOptions {
  /** The worker module's base name beside the caller (`new URL('./x-worker.js', import.meta.url)` compiled; `.ts` under tsx). */
  readonly entry: URL;
  readonly workerData?: unknown;
  /** Worker threads at most (default 2). */
  readonly size?: number;
  /** A worker still busy after this long is stopped and the job fails with `timeout`. */
  readonly timeoutMs: number;
  /** Heap of each worker in MiB. */
  readonly maxHeapMb: number;
  /** Idle workers are stopped after this long (default 30 s). */
  readonly idleMs?: number;
  /** How long a new worker may take to load before its first job fails (default max(timeoutMs, 60 s)). */
  readonly startupMs?: number;
}

/**
 * What a job's worker may ask the caller's thread mid-job (network, keys: what a worker must not
 * do itself); the job's deadline does not run while the caller answers. A rejection fails the job
 * with `exit` (the worker, waiting for an answer, is stopped).
 */
export type WorkerAsk = (question: unknown) => Promise<unknown>;

/** A pool: `run` queues a job; `close` stops the workers (queued jobs fail with `closed`). */
export interface WorkerPool<I, O> {
  run(input: I, transfer?: readonly ArrayBuffer[], ask?: WorkerAsk): Promise<WorkerOutcome<O>>;
  /** Workers allowed, workers running a job, jobs waiting for one (the metrics read it). */
  stats(): WorkerPoolStats;
  close(): Promise<void>;
}

/** A pool's figures at one moment. */
export interface WorkerPoolStats {
  readonly size: number;
  readonly busy: number;
  readonly queued: number;
}

interface Job<I, O> {
  readonly input: I;
  readonly transfer: readonly ArrayBuffer[];
  readonly ask: WorkerAsk | undefined;
  readonly resolve: (r: WorkerOutcome<O>) => void;
}

/**
 * Starts a worker on `entry` (a `.js` URL): compiled, directly; from the TypeScript sources
 * (tests, tsx) the `.ts` file through tsx's loader, which a worker does not inherit from its parent.
 */
function startWorker(entry: URL, options: WorkerOptions): Worker {
  if (import.meta.url.endsWith('.ts')) {
    const source = entry.href.replace(/\.js$/, '.ts');
    return new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(source)}); });`, { ...options, eval: true });
  }
  return new Worker(entry, options);
}

/**
 * Builds a pool. The worker posts `{ ready: true }` once loaded (a new worker's job deadline starts
 * then: start-up is not the document's doing) and answers each `{ id, input }` with `{ id, result }`;
 * before that it may post `{ id, ask }` and wait for `{ id, answer }` (see {@link WorkerAsk}).
 *
 * @example
 * ```ts
 * const pool = createWorkerPool<Input, Output>({ entry: new URL('./my-worker.js', import.meta.url), timeoutMs: 15_000, maxHeapMb: 512 });
 * const outcome = await pool.run(input);
 * ```
 */
export function createWorkerPool<I, O>(options: WorkerPoolOptions): WorkerPool<I, O> {
  const size = options.size ?? 2;
  const idleMs = options.idleMs ?? 30_000;
  const startupMs = options.startupMs ?? Math.max(options.timeoutMs, 60_000);
  const idle: Worker[] = [];
  const queue: Job<I, O>[] = [];
  const idleTimers = new Map<Worker, NodeJS.Timeout>();
  let running = 0;
  let nextId = 1;
  let closed = false;

  const park = (worker: Worker): void => {
    worker.unref();
    idle.push(worker);
    const t = setTimeout(() => {
      const i = idle.indexOf(worker);
      if (i >= 0) {
        idle.splice(i, 1);
        void worker.terminate();
      }
      idleTimers.delete(worker);
    }, idleMs);
    t.unref();
    idleTimers.set(worker, t);
  };
  const take = (): Worker | undefined => {
    const worker = idle.pop();
    if (worker !== undefined) {
      clearTimeout(idleTimers.get(worker));
      idleTimers.delete(worker);
    }
    return worker;
  };
  const spawn = (): Worker =>
    startWorker(options.entry, {
      workerData: options.workerData,
      resourceLimits: { maxOldGenerationSizeMb: options.maxHeapMb, maxYoungGenerationSizeMb: 64 },
    });

  const pump = (): void => {
    while (!closed && queue.length > 0 && (idle.length > 0 || running < size)) {
      const job = queue.shift() as Job<I, O>;
      const parked = take();
      const fresh = parked === undefined;
      const worker = parked ?? spawn();
      running++;
      worker.ref();
      const id = nextId++;
      let done = false;
      const finish = (reusable: boolean, outcome: WorkerOutcome<O>): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        running--;
        if (reusable && !closed) park(worker);
        else void worker.terminate();
        job.resolve(outcome);
        pump();
      };
      let timer: NodeJS.Timeout;
      // The deadline counts the worker's own time: it stops while the caller answers a question.
      let left = options.timeoutMs;
      let armedAt = 0;
      const arm = (): void => {
        armedAt = performance.now();
        timer = setTimeout(() => finish(false, { ok: false, failure: 'timeout' }), left);
      };
      const answer = (question: unknown): void => {
        clearTimeout(timer);
        left = Math.max(0, left - (performance.now() - armedAt));
        const asked = job.ask === undefined ? Promise.reject(new TypeError('no question expected')) : job.ask(question);
        asked.then(
          (value) => {
            if (done) return;
            arm();
            worker.postMessage({ id, answer: value });
          },
          () => finish(false, { ok: false, failure: 'exit' }),
        );
      };
      const onMessage = (m: { id?: number; ready?: true; result?: O; ask?: unknown }): void => {
        if (m.ready === true) {
          if (fresh && !done) {
            clearTimeout(timer);
            arm();
          }
          return;
        }
        if (m.id !== id) return;
        if ('ask' in m) answer(m.ask);
        else finish(true, { ok: true, value: m.result as O });
      };
      // ERR_WORKER_OUT_OF_MEMORY when the heap limit is hit.
      const onError = (): void => finish(false, { ok: false, failure: 'memory' });
      const onExit = (): void => finish(false, { ok: false, failure: 'exit' });
      if (fresh) timer = setTimeout(() => finish(false, { ok: false, failure: 'startup' }), startupMs);
      else arm();
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.postMessage({ id, input: job.input }, [...job.transfer]);
    }
  };

  return {
    stats: () => ({ size, busy: running, queued: queue.length }),
    run(input, transfer = [], ask) {
      if (closed) return Promise.resolve({ ok: false, failure: 'closed' });
      return new Promise<WorkerOutcome<O>>((resolve) => {
        queue.push({ input, transfer, ask, resolve });
        pump();
      });
    },
    async close() {
      closed = true;
      for (const job of queue.splice(0)) job.resolve({ ok: false, failure: 'closed' });
      for (const t of idleTimers.values()) clearTimeout(t);
      idleTimers.clear();
      await Promise.all(idle.splice(0).map((w) => w.terminate()));
    },
  };
}
