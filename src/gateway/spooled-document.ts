/**
 * A prepared document waiting for its signature, kept small. A small document stays in memory
 * (its original and prepared update) within a batch-wide budget; a larger one, or any once the
 * budget is spent, is spooled at once to a temporary file next to its destination (original ‖
 * update with a zeroed /Contents, pades' spool sink) so only its prepared state stays in memory.
 * Phase two is pades' `finishSignature` into that spool, the destination file or the bytes sink.
 */
import { readFileSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { isSignetError } from '../core/errors.js';
import {
  finishSignature,
  prepareSignature,
  spoolSignature,
  type LevelPlan,
  type PrepareOptions,
  type PreparedDocument,
  type SignatureSink,
  type SignatureValue,
} from '../pades/index.js';
import { FileSource, bytesSource } from '../pdf/index.js';
import { GatewayError } from './errors.js';
import type { BatchDocument } from './types.js';

/** Bytes a batch may hold in memory for spooled documents, shared by its documents. */
export interface SpoolBudget {
  /** Bytes still available. */
  remaining: number;
  /** Largest document (original + update) kept in memory. */
  readonly perDocument: number;
}

/** A document after phase one. */
export interface SpooledDocument {
  readonly document: BatchDocument;
  /** Phase one's state (a spooled document's update is in its spool, not here). */
  readonly prepared: PreparedDocument;
  /** DTBS/R digest, standard Base64 (what signHash signs). */
  readonly hash: string;
  readonly spool:
    | { readonly kind: 'file'; readonly sink: SignatureSink & { readonly kind: 'spool' } }
    | { readonly kind: 'memory'; readonly charged: number };
}

function inputError(document: BatchDocument, cause: unknown): never {
  if (isSignetError(cause)) throw cause;
  throw new GatewayError('ERR_GATEWAY_INPUT', `cannot read '${document.source.kind === 'file' ? document.source.path : document.id}'`, { cause });
}

/** Loads a file source whole when it fits the budget (its size + room for the update). */
function loadSmall(document: BatchDocument, budget: SpoolBudget, reserve: number): Uint8Array | undefined {
  const { source } = document;
  if (source.kind === 'bytes') return source.bytes;
  let size: number;
  try {
    size = statSync(source.path).size;
  } catch (cause) {
    return inputError(document, cause);
  }
  if (size + reserve > Math.min(budget.perDocument, budget.remaining)) return undefined;
  try {
    return new Uint8Array(readFileSync(source.path));
  } catch (cause) {
    return inputError(document, cause);
  }
}

function checkDestination(path: string): void {
  let ok: boolean;
  try {
    ok = statSync(dirname(path)).isDirectory();
  } catch {
    ok = false;
  }
  if (!ok) throw new GatewayError('ERR_GATEWAY_OUTPUT', `cannot write '${path}': no such folder`);
}

/** `prepared` without its source (a file source is closed once phase one has read it). */
function detached(prepared: PreparedDocument): PreparedDocument {
  return Object.fromEntries(Object.entries(prepared).filter(([k]) => k !== 'source')) as unknown as PreparedDocument;
}

/** Phase one for one document at `plan`'s level: prepare, then spool. */
export function spoolDocument(document: BatchDocument, options: PrepareOptions, plan: LevelPlan, budget: SpoolBudget): SpooledDocument {
  // Room for the update: the /Contents placeholder (hex) plus the dictionaries around it.
  const reserve = 2 * (options.maxSignatureSize + (options.reserveBytes ?? 0) + plan.timestampReserve) + 64 * 1024;
  const small = loadSmall(document, budget, reserve);
  if (small !== undefined) return spoolPrepared(document, small, prepareSignature(small, options, plan), budget);
  let source: FileSource;
  try {
    source = FileSource.open((document.source as { readonly path: string }).path);
  } catch (cause) {
    return inputError(document, cause);
  }
  let prepared: PreparedDocument;
  try {
    prepared = detached(prepareSignature(source, options, plan));
  } finally {
    source.close();
  }
  return spoolPrepared(document, undefined, prepared, budget);
}

/**
 * Phase one's second half, for a document prepared already (by `spoolDocument`, or on the
 * server's document workers): keeps it in memory or spools it. `small` is the original when it
 * was loaded whole (a bytes source: its bytes), undefined when it is read from its file.
 */
export function spoolPrepared(
  document: BatchDocument,
  small: Uint8Array | undefined,
  prepared: PreparedDocument,
  budget: SpoolBudget,
): SpooledDocument {
  const hash = Buffer.from(prepared.dataToBeSignedDigest).toString('base64');
  const charged = small === undefined ? 0 : small.length + prepared.update.length;
  if (small !== undefined && (document.sink.kind === 'bytes' || charged <= budget.remaining)) {
    // Fail now, not after a signature was spent on it, when the destination folder is missing.
    if (document.sink.kind === 'file') checkDestination(document.sink.path);
    budget.remaining -= charged;
    return { document, prepared: { ...prepared, source: bytesSource(small) }, hash, spool: { kind: 'memory', charged } };
  }
  if (document.sink.kind !== 'file') {
    // A bytes sink with a large file source: keep the update, re-read the original at the end.
    return { document, prepared: detached(prepared), hash, spool: { kind: 'memory', charged: 0 } };
  }
  let sink: SignatureSink & { readonly kind: 'spool' };
  try {
    sink = spoolSignature(prepared, document.sink.path, document.source.kind === 'file' ? document.source.path : document.source.bytes);
  } catch (cause) {
    if (isSignetError(cause)) throw cause;
    throw new GatewayError('ERR_GATEWAY_OUTPUT', `cannot write next to '${document.sink.path}'`, { cause });
  }
  return { document, prepared: { ...detached(prepared), update: new Uint8Array(0) }, hash, spool: { kind: 'file', sink } };
}

/**
 * Phase two of a spooled document (pades' `finishSignature`): the container with its level's
 * additions into /Contents, and the document delivered — its spool renamed into place, the
 * destination written atomically, or the bytes handed over.
 */
export async function finishDocument(spooled: SpooledDocument, value: SignatureValue): Promise<void> {
  const { sink, source } = spooled.document;
  let prepared = spooled.prepared;
  if (spooled.spool.kind === 'memory' && prepared.source === undefined) {
    let original: Uint8Array;
    try {
      original = source.kind === 'bytes' ? source.bytes : new Uint8Array(readFileSync(source.path));
    } catch (cause) {
      return inputError(spooled.document, cause);
    }
    prepared = { ...prepared, source: bytesSource(original) };
  }
  if (sink.kind === 'bytes') {
    await sink.accept(await finishSignature(prepared, value));
    return;
  }
  try {
    await finishSignature(prepared, value, spooled.spool.kind === 'file' ? spooled.spool.sink : { kind: 'file', path: sink.path });
  } catch (cause) {
    if (isSignetError(cause)) throw cause;
    throw new GatewayError('ERR_GATEWAY_OUTPUT', `cannot write '${sink.path}'`, { cause });
  }
}

/** Releases a spooled document: removes its temporary file, returns its memory to the budget. */
export function releaseDocument(spooled: SpooledDocument, budget: SpoolBudget): void {
  if (spooled.spool.kind === 'file') rmSync(spooled.spool.sink.spoolPath, { force: true });
  else budget.remaining += spooled.spool.charged;
}
