/**
 * The ConsentDocumentInspector of the authorization server (docs/decisions/0001 contract 3): the
 * inspection (consent-document-inspection.ts) runs in a small pool of worker threads under tight
 * parser limits, a heap limit and a deadline, so a hostile PDF (a decompression bomb, an object or
 * revision flood, a slow parse) ends in a clear refusal in bounded time and memory while the
 * server keeps answering other requests (docs/security.md INV-7, DOS rows).
 */
import type { ParseLimits } from '../core/limits.js';
import type { ConsentDocumentInspector, DocumentInspection } from '../auth/oauth2/index.js';
import { inspectConsentDocument, type InspectionInput } from './consent-document-inspection.js';
import { createWorkerPool, type WorkerFailure } from './worker-pool.js';

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

const refusedLimit = (message: string): DocumentInspection => ({ kind: 'refused', code: 'ERR_OAUTH2_DOCUMENT_LIMIT', message });

const failures: Readonly<Record<WorkerFailure, string>> = {
  memory: 'reading the PDF needs too much memory',
  exit: 'reading the PDF was stopped',
  timeout: 'reading the PDF takes too long',
  startup: 'the inspection could not start',
  closed: 'the server is stopping',
};

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
  const pool = createWorkerPool<InspectionInput, DocumentInspection>({
    entry: new URL('./consent-document-worker.js', import.meta.url),
    workerData: { limits },
    size,
    timeoutMs: options.timeoutMs ?? 15_000,
    maxHeapMb: options.maxHeapMb ?? 512,
  });
  let closed = false;

  return {
    async inspect(input) {
      if (closed) return refusedLimit('the inspector is closed');
      const outcome = await pool.run(input);
      return outcome.ok ? outcome.value : refusedLimit(failures[outcome.failure]);
    },
    async close() {
      closed = true;
      await pool.close();
    },
  };
}
