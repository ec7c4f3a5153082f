/**
 * The ConsentDocumentInspector of the authorization server (docs/decisions/0001 contract 3): the
 * inspection (consent-document-inspection.ts) runs in a small pool of worker threads under tight
 * parser limits, a heap limit and a deadline, so a hostile PDF (a decompression bomb, an object or
 * revision flood, a slow parse) ends in a clear refusal in bounded time and memory while the
 * server keeps answering other requests (SECURITY.md INV-7, DOS rows).
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';
import type { ParseLimits } from '../core/limits.js';
import type { ConsentDocumentInspector, DocumentInspection } from '../auth/oauth2/index.js';
import { inspectConsentDocument, type InspectionInput } from './consent-document-inspection.js';

/** Limits for documents pushed at consent: far below the library defaults. */
export const consentDocumentLimits: Partial<ParseLimits> = {
  maxDecodedStreamBytes: 32 * 1024 * 1024,
  maxObjects: 500_000,
  maxRevisions: 1_000,
  maxMillis: 10_000,
};

/** Options of the inspector. */
export interface ConsentDocumentInspectorOptions {
  readonly limits?: Partial<ParseLimits>;
  /** Worker threads (default 2); 0 runs inline on the caller's thread (tools, tests of the checks). */
  readonly workers?: number;
  /** A worker still busy after this long is stopped and the document refused (default 15 s). */
  readonly timeoutMs?: number;
  /** Heap of each worker in MiB (default 512). */
  readonly maxHeapMb?: number;
}

/** The inspector, with `close()` to stop its workers. */
export interface PooledConsentDocumentInspector extends ConsentDocumentInspector {
  close(): Promise<void>;
}

interface Job {
  readonly input: InspectionInput;
  readonly resolve: (r: DocumentInspection) => void;
  readonly reject: (e: unknown) => void;
}

const refusedLimit = (message: string): DocumentInspection => ({ kind: 'refused', code: 'ERR_OAUTH2_DOCUMENT_LIMIT', message });

/**
 * Starts a worker: the compiled `consent-document-worker.js` beside this module; from the
 * TypeScript sources (tests, tsx) the `.ts` file through tsx's loader, which a worker does not
 * inherit from its parent (the pattern of keys/software/signing-pool.ts).
 */
function startWorker(options: WorkerOptions): Worker {
  if (import.meta.url.endsWith('.ts')) {
    const source = new URL('./consent-document-worker.ts', import.meta.url).href;
    return new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(source)}); });`, { ...options, eval: true });
  }
  return new Worker(new URL('./consent-document-worker.js', import.meta.url), options);
}

/**
 * Builds the inspector.
 *
 * @example
 * ```ts
 * const inspector = createConsentDocumentInspector();
 * const documents = { inspector, secretBox };
 * ```
 */
export function createConsentDocumentInspector(options: ConsentDocumentInspectorOptions = {}): PooledConsentDocumentInspector {
  const limits = options.limits ?? consentDocumentLimits;
  const size = options.workers ?? 2;
  if (size === 0) {
    return { inspect: (input) => Promise.resolve(inspectConsentDocument(input, limits)), close: () => Promise.resolve() };
  }
  const timeoutMs = options.timeoutMs ?? 15_000;
  /** How long a new worker may take to load before its first document is refused. */
  const startupMs = Math.max(timeoutMs, 60_000);
  const idle: Worker[] = [];
  const queue: Job[] = [];
  let running = 0;
  let nextId = 1;
  let closed = false;
  /** Idle workers are stopped after a while: their heap is given back between bursts. */
  const idleMs = 30_000;
  const idleTimers = new Map<Worker, NodeJS.Timeout>();
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
    startWorker({
      workerData: { limits },
      resourceLimits: { maxOldGenerationSizeMb: options.maxHeapMb ?? 512, maxYoungGenerationSizeMb: 64 },
    });

  const pump = (): void => {
    while (!closed && queue.length > 0 && (idle.length > 0 || running < size)) {
      const job = queue.shift() as Job;
      const parked = take();
      const fresh = parked === undefined;
      const worker = parked ?? spawn();
      running++;
      worker.ref();
      const id = nextId++;
      let done = false;
      const finish = (reusable: boolean, outcome: () => void): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        running--;
        if (reusable && !closed) park(worker);
        else void worker.terminate();
        outcome();
        pump();
      };
      let timer: NodeJS.Timeout;
      const arm = (): void => {
        timer = setTimeout(() => finish(false, () => job.resolve(refusedLimit('reading the PDF takes too long'))), timeoutMs);
      };
      const onMessage = (m: { id?: number; ready?: true; result?: DocumentInspection }): void => {
        // A fresh worker's deadline starts once it has loaded (start-up is not the document's doing).
        if (m.ready === true) {
          if (fresh && !done) {
            clearTimeout(timer);
            arm();
          }
          return;
        }
        if (m.id === id) finish(true, () => job.resolve(m.result as DocumentInspection));
      };
      // ERR_WORKER_OUT_OF_MEMORY when the heap limit is hit: the document is too heavy.
      const onError = (): void => finish(false, () => job.resolve(refusedLimit('reading the PDF needs too much memory')));
      const onExit = (): void => finish(false, () => job.resolve(refusedLimit('reading the PDF was stopped')));
      if (fresh) timer = setTimeout(() => finish(false, () => job.resolve(refusedLimit('the inspection could not start'))), startupMs);
      else arm();
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.postMessage({ id, input: job.input });
    }
  };

  return {
    inspect(input) {
      if (closed) return Promise.resolve(refusedLimit('the inspector is closed'));
      return new Promise<DocumentInspection>((resolve, reject) => {
        queue.push({ input, resolve, reject });
        pump();
      });
    },
    async close() {
      closed = true;
      for (const job of queue.splice(0)) job.resolve(refusedLimit('the server is stopping'));
      for (const t of idleTimers.values()) clearTimeout(t);
      idleTimers.clear();
      await Promise.all(idle.splice(0).map((w) => w.terminate()));
    },
  };
}
