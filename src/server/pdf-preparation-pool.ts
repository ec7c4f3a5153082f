/**
 * The server's document work on worker threads (issue 15, docs/security.md INV-7): signDoc's and
 * the web gateway's `prepareSignature` — the parse, the checks before signing and the incremental
 * update —, the document steps of their B-LT/B-LTA extension (the signed document's parse, its
 * evidence plan, the DSS and document timestamp updates: `planExtension`, `writeExtension`), the
 * gateway's upload check (the page count) and the
 * validate endpoint's `verifyPdfLongTerm` (with its revocation lookups asked of this thread) run in a pool worker with a heap limit and a deadline;
 * the key operation, the /Contents fill and the fetches (time-stamps, OCSP, CRLs) stay on the
 * caller's thread. A worker that runs out of
 * memory, dies or overruns the deadline fails that request with a coded error
 * (`ERR_PDF_LIMIT_MEMORY`, `ERR_PDF_LIMIT_TIME`), and the server keeps answering meanwhile.
 * Documents cross to the workers in shared memory (one copy at phase one, none per step after it).
 */
import type { DocumentPreparer } from '../csc/index.js';
import { PadesError, baselinePlan, planData, sourceParts, type ExtensionWork, type PadesErrorCode } from '../pades/index.js';
import type { ParseLimits } from '../core/limits.js';
import { isSignetError } from '../core/errors.js';
import { PdfError, bytesSource, parseLimitsFromEnvironment, type ByteSource, type PdfErrorCode } from '../pdf/index.js';
import type { DocumentReport, RevocationMode, ValidationPolicy, WantedRevocation } from '../validation/index.js';
import { ServerError } from './errors.js';
import type { DocumentJob, DocumentJobResult } from './pdf-preparation-worker.js';
import { createWorkerPool, type WorkerFailure, type WorkerPoolStats } from './worker-pool.js';

/** Options of {@link createPdfPreparer}. */
export interface PdfPreparerOptions {
  /** Worker threads (default 2). */
  readonly workers?: number;
  /** A preparation still running after this long is stopped (default 30 s). */
  readonly timeoutMs?: number;
  /** Heap of each worker in MiB (default 512). */
  readonly maxHeapMb?: number;
}

/** The preparer (and validator), with `close()` to stop its workers. */
export interface PooledPdfPreparer extends DocumentPreparer {
  /** The page count of `pdf` (the web gateway's upload check); the reader's coded error when it cannot be read. */
  pageCount(pdf: Uint8Array): Promise<number>;
  /**
   * verifyPdfLongTerm of `pdf` at time `at` (`unreadable: 'throw'`) in one worker job. With a
   * function as `revocation`, the worker reads the document, asks it with the certificates whose
   * revocation status is to be looked up (revocationWanted) and validates the same open document
   * with its answer (fetchWantedRevocation's, on this thread); the deadline stops meanwhile.
   */
  validate(
    pdf: Uint8Array,
    trustAnchors: readonly Uint8Array[],
    at: Date,
    revocation?: RevocationMode | ((wanted: readonly WantedRevocation[]) => Promise<RevocationMode>),
    policy?: ValidationPolicy,
  ): Promise<DocumentReport>;
  /** The B-LT/B-LTA extension's document steps on the same workers (finishSignature's `extension`). */
  readonly extension: ExtensionWork;
  /** The document workers' figures (signet_pdf_workers*). */
  stats(): WorkerPoolStats;
  close(): Promise<void>;
}

function envInteger(env: NodeJS.ProcessEnv, name: string, min: number, max: number): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new ServerError('ERR_SERVER_CONFIG', `${name} must be an integer from ${min} to ${max}`);
  return n;
}

/**
 * The document workers' settings from the environment: SIGNET_PDF_WORKERS (1–64, default 2),
 * SIGNET_PDF_WORKER_HEAP_MB (64–16384, default 512), SIGNET_PDF_WORKER_TIMEOUT_MS (1000–600000,
 * default 30000); ERR_SERVER_CONFIG when malformed (the server does not start).
 */
export function loadPdfPreparerOptions(env: NodeJS.ProcessEnv): PdfPreparerOptions {
  const workers = envInteger(env, 'SIGNET_PDF_WORKERS', 1, 64);
  const maxHeapMb = envInteger(env, 'SIGNET_PDF_WORKER_HEAP_MB', 64, 16_384);
  const timeoutMs = envInteger(env, 'SIGNET_PDF_WORKER_TIMEOUT_MS', 1_000, 600_000);
  return {
    ...(workers === undefined ? {} : { workers }),
    ...(maxHeapMb === undefined ? {} : { maxHeapMb }),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  };
}

/**
 * The PDF reader's limits from the environment (SIGNET_PDF_STREAM_MAX_BYTES, _DOCUMENT_MAX_BYTES,
 * _MAX_OBJECTS, _TIMEOUT_MS; src/pdf/limits-from-environment.ts), checked at start: a malformed
 * value is ERR_SERVER_CONFIG naming it (the server does not start). The workers and the main
 * thread read the same environment.
 */
export function loadPdfReaderLimits(env: NodeJS.ProcessEnv): ParseLimits {
  try {
    return parseLimitsFromEnvironment(env);
  } catch (err) {
    if (isSignetError(err, 'ERR_PDF_CONFIG')) throw new ServerError('ERR_SERVER_CONFIG', err.message);
    throw err;
  }
}

function failure(f: WorkerFailure, timeoutMs: number): PdfError {
  switch (f) {
    case 'timeout':
      return new PdfError('ERR_PDF_LIMIT_TIME', `preparing the document took longer than ${timeoutMs} ms`);
    case 'startup':
      return new PdfError('ERR_PDF_LIMIT_TIME', 'a worker to prepare the document could not start in time');
    case 'closed':
      return new PdfError('ERR_PDF_LIMIT_TIME', 'the server is stopping');
    case 'memory':
    case 'exit':
      return new PdfError('ERR_PDF_LIMIT_MEMORY', 'preparing the document needed more memory than a worker may use');
  }
}

/** Rebuilds the coded error a worker reported (PDF engine and PAdES codes as such; anything else: the PDF could not be read). */
function rebuild(error: { readonly code: string; readonly message: string }): Error {
  const [, domain] = /^ERR_([A-Z0-9]+)_/.exec(error.code) ?? [];
  if (domain === 'PDF') return new PdfError(error.code as PdfErrorCode, error.message);
  if (domain === 'PADES') return new PadesError(error.code as PadesErrorCode, error.message);
  return new ServerError('ERR_SERVER_PDF_UNREADABLE', error.message, { detail: { code: error.code } });
}

/**
 * `bytes` in shared memory: as they are when they already are, else copied once. A worker
 * receives shared memory without a copy (postMessage shares a SharedArrayBuffer), so the document
 * of a signDoc crosses to the workers once however many steps read it; a structured clone copied
 * it twice per step (serialised on this thread, deserialised on the worker's).
 */
function shared(bytes: Uint8Array): Uint8Array {
  if (bytes.buffer instanceof SharedArrayBuffer) return bytes;
  const copy = new Uint8Array(new SharedArrayBuffer(bytes.length));
  copy.set(bytes);
  return copy;
}

/** Parts from this size on are put in shared memory (smaller ones, the updates, are cloned). */
const SHARE_FROM = 64 * 1024;

/**
 * The shared copy of each large part already sent (an original phase one did not share — a web
 * gateway job's, opened from its sealed blob at Sign —, a spooled file): the next step of the
 * same extension sends it again without copying. Held as long as the part is.
 */
const sharedParts = new WeakMap<ByteSource, Uint8Array>();

/**
 * The parts of `document` for a worker (`sourceParts`: the original, then each update): a part in
 * shared memory as it is, a large one copied (a file read) into shared memory once per part, the
 * small ones (the updates) cloned.
 *
 * @example
 * ```ts
 * const [original, update] = workerParts(appendedSource(prepared.source, update));
 * ```
 */
export function workerParts(document: ByteSource): Uint8Array[] {
  return sourceParts(document).map((part) => {
    const known = sharedParts.get(part);
    if (known !== undefined) return known;
    let bytes: Uint8Array;
    if (part.readInto === undefined) {
      bytes = part.read(0, part.length);
      if (bytes.buffer instanceof SharedArrayBuffer || bytes.length < SHARE_FROM) return bytes;
      bytes = shared(bytes);
    } else {
      const into = new Uint8Array(new SharedArrayBuffer(part.length));
      bytes = into.subarray(0, part.readInto(0, into));
    }
    sharedParts.set(part, bytes);
    return bytes;
  });
}

/**
 * Builds the preparer.
 *
 * @example
 * ```ts
 * const preparer = createPdfPreparer();
 * const prepared = await preparer.prepare(pdf, { certificateChain, signatureAlgorithm, maxSignatureSize, signingTime });
 * ```
 */
export function createPdfPreparer(options: PdfPreparerOptions = {}): PooledPdfPreparer {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const pool = createWorkerPool<DocumentJob, DocumentJobResult>({
    entry: new URL('./pdf-preparation-worker.js', import.meta.url),
    size: options.workers ?? 2,
    timeoutMs,
    maxHeapMb: options.maxHeapMb ?? 512,
  });
  const run = async (job: DocumentJob, ask?: (question: unknown) => Promise<unknown>): Promise<DocumentJobResult> => {
    // A question this thread failed to answer fails the job with that error (its worker is stopped).
    let unanswered: { readonly error: unknown } | undefined;
    const asked =
      ask === undefined
        ? undefined
        : (question: unknown): Promise<unknown> =>
            ask(question).catch((error: unknown) => {
              unanswered = { error };
              throw error;
            });
    const outcome = await pool.run(job, [], asked);
    if (unanswered !== undefined) throw unanswered.error;
    if (!outcome.ok) throw failure(outcome.failure, timeoutMs);
    if ('error' in outcome.value) throw rebuild(outcome.value.error);
    return outcome.value;
  };
  return {
    async prepare(pdf, prepareOptions, plan = baselinePlan) {
      // Only the plan's data crosses to the worker (its timestamper and revocation source stay here).
      // Shared: phase two's extension steps read the original from the same memory.
      const document = shared(pdf);
      const result = await run({ task: 'prepare', pdf: document, options: prepareOptions, plan: planData(plan) });
      if (!('prepared' in result)) throw new ServerError('ERR_SERVER_PDF_UNREADABLE', 'the worker answered another task');
      return { ...result.prepared, plan, source: bytesSource(document) };
    },
    async pageCount(pdf) {
      const result = await run({ task: 'pages', pdf: shared(pdf) });
      if (!('pages' in result)) throw new ServerError('ERR_SERVER_PDF_UNREADABLE', 'the worker answered another task');
      return result.pages;
    },
    async validate(pdf, trustAnchors, at, revocation, policy) {
      const job = { task: 'validate', pdf: shared(pdf), trustAnchors, at, ...(policy === undefined ? {} : { policy }) } as const;
      const result =
        typeof revocation === 'function'
          ? await run({ ...job, revocation: 'ask' }, (wanted) => revocation(wanted as readonly WantedRevocation[]))
          : await run({ ...job, ...(revocation === undefined ? {} : { revocation }) });
      if (!('report' in result)) throw new ServerError('ERR_SERVER_PDF_UNREADABLE', 'the worker answered another task');
      return result.report;
    },
    extension: {
      async planExtension(document, request) {
        const result = await run({ task: 'extension-plan', parts: workerParts(document), request });
        if (!('extensionPlan' in result)) throw new ServerError('ERR_SERVER_PDF_UNREADABLE', 'the worker answered another task');
        return result.extensionPlan;
      },
      async writeExtension(document, request) {
        const result = await run({ task: 'extension-write', parts: workerParts(document), request });
        if (!('extensionWrite' in result)) throw new ServerError('ERR_SERVER_PDF_UNREADABLE', 'the worker answered another task');
        return result.extensionWrite;
      },
    },
    stats: () => pool.stats(),
    close: () => pool.close(),
  };
}
