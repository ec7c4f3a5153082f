/**
 * Worker-thread entry of the server's document work (issue 15): signDoc's and the web gateway's
 * preparation (prepareSignature: parse, checks, incremental update), the document steps of their
 * B-LT/B-LTA extension (planExtension, writeExtension), the gateway's upload check (the
 * page count) and the validate endpoint's verifyPdfLongTerm run here, in a
 * worker with a heap limit and a deadline, so a hostile PDF never stalls the server's event loop.
 * The validation asks the caller for the revocation lookups mid-job and keeps the document open
 * meanwhile. Errors come back as their code and message.
 */
import { parentPort } from 'node:worker_threads';
import { isSignetError } from '../core/errors.js';
import {
  appendedSource,
  planExtension,
  prepareSignature,
  writeExtension,
  type ExtensionPlan,
  type ExtensionPlanRequest,
  type ExtensionWrite,
  type ExtensionWriteRequest,
  type LevelPlan,
  type PrepareOptions,
  type PreparedDocument,
} from '../pades/index.js';
import { PdfDocument, bytesSource, type ByteSource } from '../pdf/index.js';
import { revocationWanted, verifyPdfLongTerm, type DocumentReport, type RevocationMode, type ValidationPolicy, type WantedRevocation } from '../validation/index.js';

/**
 * One job (all structured-clonable): prepare a signature, plan or write the extension of a signed
 * document, count the pages, or validate a document at a time. The document's bytes come in
 * shared memory where the caller has them so (no copy), a signed document as its parts: the
 * original and the updates appended to it.
 */
export type DocumentJob =
  | { readonly task: 'prepare'; readonly pdf: Uint8Array; readonly options: PrepareOptions; readonly plan: LevelPlan }
  | { readonly task: 'extension-plan'; readonly parts: readonly Uint8Array[]; readonly request: ExtensionPlanRequest }
  | { readonly task: 'extension-write'; readonly parts: readonly Uint8Array[]; readonly request: ExtensionWriteRequest }
  | { readonly task: 'pages'; readonly pdf: Uint8Array }
  | {
      readonly task: 'validate';
      readonly pdf: Uint8Array;
      readonly trustAnchors: readonly Uint8Array[];
      readonly at: Date;
      /** `ask`: the worker asks the caller with the document's wanted revocation lookups ({@link WantedRevocation}[]) and validates with the answer. */
      readonly revocation?: RevocationMode | 'ask';
      /** The validation policy (absent: the default). */
      readonly policy?: ValidationPolicy;
    };

/** The answer: the result, or the coded error that refused the document. */
export type DocumentJobResult =
  | { readonly prepared: Omit<PreparedDocument, 'source'> }
  | { readonly extensionPlan: ExtensionPlan }
  | { readonly extensionWrite: ExtensionWrite }
  | { readonly pages: number }
  | { readonly report: DocumentReport }
  | { readonly error: { readonly code: string; readonly message: string } };

/** The document whose parts are `parts`, read in place. */
function joined(parts: readonly Uint8Array[]): ByteSource {
  const [first = new Uint8Array(0), ...updates] = parts;
  return updates.reduce((source, update) => appendedSource(source, update), bytesSource(first));
}

/** Asks the caller's thread (the pool answers through the job's `ask`). */
type Ask = (question: unknown) => Promise<unknown>;

async function run(job: DocumentJob, ask: Ask): Promise<DocumentJobResult> {
  if (job.task === 'prepare') {
    // The bytes-valued state crosses back by structured clone; the source stays with the caller.
    const prepared: { -readonly [K in keyof PreparedDocument]?: PreparedDocument[K] } = { ...prepareSignature(job.pdf, job.options, job.plan) };
    delete prepared.source;
    return { prepared: prepared as Omit<PreparedDocument, 'source'> };
  }
  if (job.task === 'extension-plan') return { extensionPlan: planExtension(joined(job.parts), job.request) };
  if (job.task === 'extension-write') return { extensionWrite: writeExtension(joined(job.parts), job.request) };
  if (job.task === 'pages') return { pages: PdfDocument.open(job.pdf).pages().length };
  const { at, trustAnchors } = job;
  const options = { trustAnchors, clock: { now: () => at }, unreadable: 'throw', ...(job.policy === undefined ? {} : { policy: job.policy }) } as const;
  if (job.revocation !== 'ask') {
    return { report: verifyPdfLongTerm(job.pdf, { ...options, ...(job.revocation === undefined ? {} : { revocation: job.revocation }) }) };
  }
  // One document for the revocation lookups and the validation (issue 15): its streams decoded
  // once, one decode budget; the lookups themselves (network) are the caller's.
  const doc = PdfDocument.open(job.pdf);
  const wanted: WantedRevocation[] = revocationWanted(doc, { trustAnchors, now: at, ...(job.policy === undefined ? {} : { policy: job.policy }) });
  const revocation = (await ask(wanted)) as RevocationMode;
  return { report: verifyPdfLongTerm(doc, { ...options, revocation }) };
}

/** The resolvers of the questions this worker is waiting on, by job id. */
const waiting = new Map<number, (answer: unknown) => void>();

async function respond(id: number, job: DocumentJob): Promise<void> {
  const ask: Ask = (question) =>
    new Promise((resolve) => {
      waiting.set(id, resolve);
      parentPort?.postMessage({ id, ask: question });
    });
  let result: DocumentJobResult;
  try {
    result = await run(job, ask);
  } catch (err) {
    result = isSignetError(err)
      ? { error: { code: err.code, message: err.message } }
      : { error: { code: 'ERR_SERVER_PDF_UNREADABLE', message: 'the PDF could not be read far enough to work on it' } };
  }
  parentPort?.postMessage({ id, result });
}

parentPort?.on('message', (message: { readonly id: number; readonly input?: DocumentJob; readonly answer?: unknown }) => {
  const answered = waiting.get(message.id);
  if (answered !== undefined) {
    waiting.delete(message.id);
    answered(message.answer);
    return;
  }
  if (message.input !== undefined) void respond(message.id, message.input);
});
// Loaded: the pool starts the first document's deadline now, not while the worker was starting.
parentPort?.postMessage({ ready: true });
