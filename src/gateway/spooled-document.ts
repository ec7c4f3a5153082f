/**
 * A prepared document waiting for its signature, kept small: a file-bound document is written at
 * once to a temporary file next to its destination (original ‖ update with a zeroed /Contents),
 * so only the signed attributes stay in memory; the signature container is later written into
 * /Contents in place (ISO 32000-1 §12.8.1) and the file renamed into place.
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, closeSync, copyFileSync, fstatSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { isSignetError } from '../core/errors.js';
import { preparePdf, type PrepareOptions, type PreparedSignature } from '../pades/index.js';
import { FileSource, bytesSource, type ByteSource } from '../pdf/index.js';
import { GatewayError } from './errors.js';
import type { BatchDocument } from './types.js';

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
    | { readonly kind: 'memory'; readonly update: Uint8Array };
}

function openSource(document: BatchDocument): { source: ByteSource; close(): void } {
  if (document.source.kind === 'bytes') return { source: bytesSource(document.source.bytes), close: () => undefined };
  try {
    const source = FileSource.open(document.source.path);
    return { source, close: () => source.close() };
  } catch (cause) {
    if (isSignetError(cause)) throw cause;
    throw new GatewayError('ERR_GATEWAY_INPUT', `cannot read '${document.source.path}'`, { cause });
  }
}

function tmpPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
}

/**
 * Phase one for one document: prepare, then spool. `sharedChain` replaces the per-document copy
 * of the Base64 certificate chain, so a batch holds it once.
 */
export function spoolDocument(
  document: BatchDocument,
  options: PrepareOptions,
  sharedChain: readonly string[],
): SpooledDocument {
  const { source, close } = openSource(document);
  let prepared: PreparedSignature;
  try {
    prepared = preparePdf(source, options);
  } finally {
    close();
  }
  const update = new Uint8Array(Buffer.from(prepared.update, 'base64'));
  const slim: PreparedSignature = { ...prepared, update: '', certificateChain: sharedChain };
  const hash = prepared.dataToBeSignedDigest;
  const signedAttributes = new Uint8Array(Buffer.from(prepared.signedAttributes, 'base64'));
  if (document.sink.kind !== 'file') return { document, prepared: slim, hash, signedAttributes, spool: { kind: 'memory', update } };

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

/**
 * Phase two's last step: writes `cms` into /Contents (the rest stays '0' padding, ISO 32000-1
 * §12.8.1) and delivers the signed document: rename into place, or hand the bytes over.
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
  const update = spooled.spool.update;
  update.set(hex, at - spooled.prepared.documentLength);
  let original: Uint8Array;
  try {
    original = source.kind === 'bytes' ? source.bytes : new Uint8Array(readFileSync(source.path));
  } catch (cause) {
    throw new GatewayError('ERR_GATEWAY_INPUT', `cannot read '${source.kind === 'file' ? source.path : spooled.document.id}'`, { cause });
  }
  if (original.length !== spooled.prepared.documentLength) {
    throw new GatewayError('ERR_GATEWAY_INPUT', `'${spooled.document.id}' changed while it was being signed`);
  }
  let signed = new Uint8Array(original.length + update.length);
  signed.set(original, 0);
  signed.set(update, original.length);
  if (extend) {
    const more = await extend(bytesSource(signed));
    const all = new Uint8Array(signed.length + more.length);
    all.set(signed, 0);
    all.set(more, signed.length);
    signed = all;
  }
  if (sink.kind === 'bytes') await sink.accept(signed);
}

/** Removes the temporary file of a document that will not be finished. */
export function discardDocument(spooled: SpooledDocument): void {
  if (spooled.spool.kind === 'file') rmSync(spooled.spool.tmpPath, { force: true });
}
