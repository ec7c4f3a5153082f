/**
 * A prepared document waiting for its signature, kept small. A small document stays in memory
 * (original ‖ update) within a batch-wide budget; a larger one, or any once the budget is spent,
 * is written at once to a temporary file next to its destination (original ‖ update with a zeroed
 * /Contents) so only its signed attributes stay in memory. The signature container is later
 * written into /Contents (ISO 32000-1 §12.8.1) and the file renamed into place.
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, closeSync, copyFileSync, fstatSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { isSignetError } from '../core/errors.js';
import { preparePdf, type PrepareOptions, type PreparedSignature } from '../pades/index.js';
import { FileSource, bytesSource, type ByteSource } from '../pdf/index.js';
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
  /** The prepared signature without its update (held in the spool instead). */
  readonly prepared: PreparedSignature;
  /** DTBS/R digest, standard Base64 (what signHash signs). */
  readonly hash: string;
  /** The DER signed attributes (the DTBS, checked against the returned signature). */
  readonly signedAttributes: Uint8Array;
  readonly spool:
    | { readonly kind: 'file'; readonly tmpPath: string }
    | { readonly kind: 'memory'; readonly original: Uint8Array; readonly update: Uint8Array; readonly charged: number };
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

function tmpPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
}

/** Writes `parts` to a new temporary file next to `path` and renames it into place. */
function writeAtomically(path: string, parts: readonly Uint8Array[]): void {
  const tmp = tmpPathFor(path);
  try {
    const fd = openSync(tmp, 'w');
    try {
      for (const p of parts) writeSync(fd, p);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (cause) {
    rmSync(tmp, { force: true });
    throw new GatewayError('ERR_GATEWAY_OUTPUT', `cannot write '${path}'`, { cause });
  }
}

/**
 * Phase one for one document: prepare, then spool. `sharedChain` replaces the per-document copy
 * of the Base64 certificate chain, so a batch holds it once.
 */
export function spoolDocument(
  document: BatchDocument,
  options: PrepareOptions,
  sharedChain: readonly string[],
  budget: SpoolBudget,
): SpooledDocument {
  // Room for the update: the /Contents placeholder (hex) plus the dictionaries around it.
  const reserve = 2 * (options.maxSignatureSize + (options.reserveBytes ?? 0)) + 64 * 1024;
  const small = loadSmall(document, budget, reserve);
  let prepared: PreparedSignature;
  if (small !== undefined) {
    prepared = preparePdf(small, options);
  } else {
    let source: FileSource;
    try {
      source = FileSource.open((document.source as { readonly path: string }).path);
    } catch (cause) {
      return inputError(document, cause);
    }
    try {
      prepared = preparePdf(source, options);
    } finally {
      source.close();
    }
  }
  return spoolPrepared(document, small, prepared, sharedChain, budget);
}

/**
 * Phase one's second half, for a document prepared already (by `spoolDocument`, or on the
 * server's document workers): spools `prepared`'s update. `small` is the original when it was
 * loaded whole (a bytes source: its bytes), undefined when it is read from its file.
 */
export function spoolPrepared(
  document: BatchDocument,
  small: Uint8Array | undefined,
  prepared: PreparedSignature,
  sharedChain: readonly string[],
  budget: SpoolBudget,
): SpooledDocument {
  const update = new Uint8Array(Buffer.from(prepared.update, 'base64'));
  const slim: PreparedSignature = { ...prepared, update: '', certificateChain: sharedChain };
  const hash = prepared.dataToBeSignedDigest;
  const signedAttributes = new Uint8Array(Buffer.from(prepared.signedAttributes, 'base64'));
  const charged = small === undefined ? 0 : small.length + update.length;
  if (small !== undefined && (document.sink.kind === 'bytes' || charged <= budget.remaining)) {
    // Fail now, not after a signature was spent on it, when the destination folder is missing.
    if (document.sink.kind === 'file') checkDestination(document.sink.path);
    budget.remaining -= charged;
    return { document, prepared: slim, hash, signedAttributes, spool: { kind: 'memory', original: small, update, charged } };
  }
  if (document.sink.kind !== 'file') {
    // A bytes sink with a large file source: keep the update, re-read the original at the end.
    return { document, prepared: slim, hash, signedAttributes, spool: { kind: 'memory', original: new Uint8Array(0), update, charged: 0 } };
  }

  const tmpPath = tmpPathFor(document.sink.path);
  try {
    if (document.source.kind === 'file') copyFileSync(document.source.path, tmpPath);
    const fd = openSync(tmpPath, document.source.kind === 'file' ? 'a' : 'w');
    try {
      if (document.source.kind === 'bytes') writeSync(fd, document.source.bytes);
      writeSync(fd, update);
      if (fstatSync(fd).size !== prepared.documentLength + update.length) {
        throw new GatewayError('ERR_GATEWAY_INPUT', `'${document.id}' changed while it was being prepared`);
      }
    } finally {
      closeSync(fd);
    }
  } catch (cause) {
    rmSync(tmpPath, { force: true });
    if (isSignetError(cause)) throw cause;
    throw new GatewayError('ERR_GATEWAY_OUTPUT', `cannot write next to '${document.sink.path}'`, { cause });
  }
  return { document, prepared: slim, hash, signedAttributes, spool: { kind: 'file', tmpPath } };
}

/** Hex digits of `cms`, as /Contents holds them; refuses a container larger than reserved. */
function contentsHex(spooled: SpooledDocument, cms: Uint8Array): Buffer {
  if (cms.length > spooled.prepared.contentsCapacity) {
    throw new GatewayError(
      'ERR_GATEWAY_CONTENTS_OVERFLOW',
      `signature container of ${cms.length} bytes exceeds the reserved ${spooled.prepared.contentsCapacity} bytes`,
    );
  }
  return Buffer.from(Buffer.from(cms).toString('hex'), 'latin1');
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/**
 * Phase two's last step: writes `cms` into /Contents (the rest stays '0' padding, ISO 32000-1
 * §12.8.1), appends what `extend` returns (B-LT/B-LTA updates) and delivers the document: a
 * rename into place, or the bytes handed over.
 */
export async function finishDocument(
  spooled: SpooledDocument,
  cms: Uint8Array,
  extend?: (signed: ByteSource) => Promise<Uint8Array>,
): Promise<void> {
  const hex = contentsHex(spooled, cms);
  // The '<' of the hex string sits at ByteRange[1]; the digits follow it.
  const at = spooled.prepared.byteRange[1] + 1;
  const { sink, source } = spooled.document;
  if (spooled.spool.kind === 'file') {
    const { tmpPath } = spooled.spool;
    const path = (sink as { readonly path: string }).path;
    try {
      const fd = openSync(tmpPath, 'r+');
      try {
        writeSync(fd, hex, 0, hex.length, at);
      } finally {
        closeSync(fd);
      }
      if (extend) {
        // Levels from B-LT on append more updates (DSS, document timestamp) to the signed file.
        const signed = FileSource.open(tmpPath);
        let more: Uint8Array;
        try {
          more = await extend(signed);
        } finally {
          signed.close();
        }
        appendFileSync(tmpPath, more);
      }
      renameSync(tmpPath, path);
    } catch (cause) {
      rmSync(tmpPath, { force: true });
      if (isSignetError(cause)) throw cause;
      throw new GatewayError('ERR_GATEWAY_OUTPUT', `cannot write '${path}'`, { cause });
    }
    return;
  }
  const { update } = spooled.spool;
  update.set(hex, at - spooled.prepared.documentLength);
  let original = spooled.spool.original;
  if (original.length === 0 && spooled.prepared.documentLength > 0) {
    try {
      original = source.kind === 'bytes' ? source.bytes : new Uint8Array(readFileSync(source.path));
    } catch (cause) {
      return inputError(spooled.document, cause);
    }
  }
  if (original.length !== spooled.prepared.documentLength) {
    throw new GatewayError('ERR_GATEWAY_INPUT', `'${spooled.document.id}' changed while it was being signed`);
  }
  const more = extend ? await extend(bytesSource(concat(original, update))) : undefined;
  if (sink.kind === 'file') writeAtomically(sink.path, more ? [original, update, more] : [original, update]);
  else await sink.accept(more ? concat(concat(original, update), more) : concat(original, update));
}

/** Releases a spooled document: removes its temporary file, returns its memory to the budget. */
export function releaseDocument(spooled: SpooledDocument, budget: SpoolBudget): void {
  if (spooled.spool.kind === 'file') rmSync(spooled.spool.tmpPath, { force: true });
  else budget.remaining += spooled.spool.charged;
}
