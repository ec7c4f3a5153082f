/**
 * One-shot PAdES signing of bytes or files: prepare → Signer.sign → embed, then the levels of
 * ETSI EN 319 142-1 §6 on request (B-T signature-time-stamp, B-LT DSS, B-LTA document timestamp).
 */
import { closeSync, copyFileSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { copyFile, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import type { Signer } from '../cms/signer.js';
import { FileSource, bytesSource, type ByteSource } from '../pdf/index.js';
import { appendedSource } from './appended-source.js';
import { buildCms, embedCms } from './embed-signature.js';
import { PadesError } from './errors.js';
import { extendSource, levelAtLeast } from './extend-pdf.js';
import { preparePdf } from './prepare-signature.js';
import { addSignatureTimestamp } from './signature-timestamp.js';
import { forgetTimestampSize, signatureTimestampReserve } from './timestamp-reserve.js';
import type { LevelOptions, PrepareOptions, PreparedSignature, Timestamper } from './types.js';

/** Options of the one-shot helpers: PrepareOptions minus what the Signer provides, plus the level. */
export type SignOptions = Omit<PrepareOptions, 'certificateChain' | 'signatureAlgorithm' | 'maxSignatureSize'> & LevelOptions;

/** Options of {@link completeSignature}. */
export interface CompleteOptions extends LevelOptions {
  /** The original document (the one `preparePdf` read); required from B-LT on. */
  readonly document?: ByteSource | Uint8Array;
  /** Its password when it is encrypted and the empty user password does not open it (B-LT on reopen it). */
  readonly password?: string;
}

function timestamperFor(options: LevelOptions): Timestamper | undefined {
  if (!levelAtLeast(options.level, 'B-T')) return undefined;
  if (!options.timestamper) throw new PadesError('ERR_PADES_LEVEL_SOURCE', `level ${options.level ?? 'B-B'} needs a timestamper`);
  return options.timestamper;
}

/**
 * `reserveBytes` for `preparePdf` when the signature will be completed at `options.level`: room
 * for a signature-time-stamp token measured from the timestamper (0 for B-B).
 *
 * @example
 * ```ts
 * const reserveBytes = await reserveForLevel({ level: 'B-LTA', timestamper }, 'SHA-256');
 * ```
 */
export async function reserveForLevel(options: LevelOptions, digestAlgorithm: PreparedSignature['digestAlgorithm']): Promise<number> {
  const timestamper = timestamperFor(options);
  return timestamper ? signatureTimestampReserve(timestamper, digestAlgorithm) : 0;
}

/**
 * Phase two at a PAdES level: builds the CMS from the raw signature, adds the
 * signature-time-stamp (B-T), embeds it, and from B-LT on appends the DSS (and for B-LTA the
 * document timestamp). Returns every update to append to the original document, in order.
 * The prepared signature must have been made with `reserveBytes` from {@link reserveForLevel};
 * a token that does not fit is `ERR_PADES_CONTENTS_OVERFLOW`, never a corrupt file.
 *
 * @example
 * ```ts
 * const prepared = preparePdf(pdf, { ...opts, reserveBytes: await reserveForLevel(level, 'SHA-256') });
 * const signature = await remoteSignHash(prepared.dataToBeSignedDigest);
 * const updates = await completeSignature(prepared, signature, { ...level, document: pdf });
 * ```
 */
export async function completeSignature(
  prepared: PreparedSignature,
  signature: Uint8Array,
  options: CompleteOptions,
): Promise<Uint8Array> {
  const timestamper = timestamperFor(options);
  let cms = buildCms(prepared, signature);
  if (timestamper) cms = await addSignatureTimestamp(cms, timestamper, prepared.digestAlgorithm);
  let update: Uint8Array;
  try {
    update = embedCms(prepared, cms);
  } catch (err) {
    if (timestamper) forgetTimestampSize(timestamper);
    throw err;
  }
  if (!levelAtLeast(options.level, 'B-LT')) return update;
  if (options.document === undefined) {
    throw new PadesError('ERR_PADES_LEVEL_SOURCE', `level ${options.level ?? 'B-B'} needs the original document`);
  }
  const original = options.document instanceof Uint8Array ? bytesSource(options.document) : options.document;
  if (original.length !== prepared.documentLength) {
    throw new PadesError('ERR_PADES_PREPARED_INVALID', 'the document is not the one the signature was prepared on');
  }
  const more = await extendSource(appendedSource(original, update), { ...options, level: options.level ?? 'B-B' });
  const out = new Uint8Array(update.length + more.length);
  out.set(update, 0);
  out.set(more, update.length);
  return out;
}

/** Runs both phases against `signer` on a document source; returns the update(s) to append. */
export async function signSource(
  source: ByteSource | Uint8Array,
  signer: Signer,
  options: SignOptions,
): Promise<{ readonly prepared: PreparedSignature; readonly update: Uint8Array }> {
  const reserve = await reserveForLevel(options, signer.signatureAlgorithm.digest);
  const prepared = preparePdf(source, {
    ...options,
    certificateChain: signer.certificateChain,
    signatureAlgorithm: signer.signatureAlgorithm,
    maxSignatureSize: signer.maxSignatureSize(),
    reserveBytes: (options.reserveBytes ?? 0) + reserve,
  });
  const signature = await signer.sign(new Uint8Array(Buffer.from(prepared.signedAttributes, 'base64')));
  return { prepared, update: await completeSignature(prepared, signature, { ...options, document: source }) };
}

/**
 * Signs a PDF held in memory and returns the signed file.
 *
 * @example
 * ```ts
 * const signed = await signPdf(pdfBytes, signer, { signingTime: clock.now(), reason: 'Approved' });
 * ```
 */
export async function signPdf(pdf: Uint8Array, signer: Signer, options: SignOptions): Promise<Uint8Array> {
  const { update } = await signSource(pdf, signer, options);
  const out = new Uint8Array(pdf.length + update.length);
  out.set(pdf, 0);
  out.set(update, pdf.length);
  return out;
}

/**
 * Signs the file at `inputPath` into `outputPath` without loading it: the kernel copies the
 * original into a temporary file while the digest reads it (issue 18 §5: the copy overlaps the
 * one user-space pass, so a 200 MB file costs about one SHA-256 pass), the update is appended
 * from memory, and the result renamed into place only when complete (no half-written output).
 */
export async function signPdfFile(
  inputPath: string,
  outputPath: string,
  signer: Signer,
  options: SignOptions,
): Promise<PreparedSignature> {
  const source = FileSource.open(inputPath);
  if (source.length <= WHOLE_FILE_MAX) {
    // Issue 18 §4: a small file is read with one call and written with one, without the thread
    // pool (a batch of 200 × 100 KB files spent its time in per-file system calls).
    let bytes: Uint8Array;
    try {
      bytes = source.read(0, source.length);
    } finally {
      source.close();
    }
    const { prepared, update } = await signSource(bytes, signer, options);
    // The output is written on the thread pool: creating a file costs the kernel about a
    // millisecond on a journalled file system (ext4: 200 creations took 270–500 ms of a batch's
    // main thread), which now overlaps the next file's signing. Two buffers, no concatenation.
    const tmp = temporaryPathFor(outputPath);
    try {
      const handle = await open(tmp, 'w');
      try {
        await writeAllAsync(handle, [bytes, update]);
      } finally {
        await handle.close();
      }
      await rename(tmp, outputPath);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    return prepared;
  }
  const tmp = temporaryPathFor(outputPath);
  const copied = copyFile(inputPath, tmp);
  try {
    const { prepared, update } = await signSource(source, signer, options);
    await copied;
    const fd = openSync(tmp, 'a');
    try {
      writeAll(fd, update);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, outputPath);
    return prepared;
  } catch (err) {
    await copied.catch(() => undefined);
    rmSync(tmp, { force: true });
    throw err;
  } finally {
    source.close();
  }
}

/** Files up to this size are signed in memory: one read, one write. */
const WHOLE_FILE_MAX = 4 * 1024 * 1024;

let temporaryCount = 0;

/** A temporary name beside `outputPath`, unique per process and call (no randomness needed). */
function temporaryPathFor(outputPath: string): string {
  return join(dirname(outputPath), `.${basename(outputPath)}.${process.pid}-${++temporaryCount}.tmp`);
}

/** Writes `parts` in order; a short writev (possible, if rare, on a regular file) is resumed. */
async function writeAllAsync(handle: FileHandle, parts: readonly Uint8Array[]): Promise<void> {
  let written = (await handle.writev([...parts])).bytesWritten;
  for (const part of parts) {
    if (written >= part.length) {
      written -= part.length;
      continue;
    }
    for (let off = written; off < part.length; ) off += (await handle.write(part, off, part.length - off)).bytesWritten;
    written = 0;
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
}

/** Writes `original ‖ update` to `outputPath` through a temporary file and a rename. */
export function writeFileAtomically(outputPath: string, originalPath: string, update: Uint8Array): void {
  const tmp = temporaryPathFor(outputPath);
  try {
    copyFileSync(originalPath, tmp);
    const fd = openSync(tmp, 'a');
    try {
      writeSync(fd, update);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, outputPath);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}
