/** One-shot PAdES-B-B signing of bytes or files: prepare → Signer.sign → embed. */
import { closeSync, copyFileSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Signer } from '../cms/index.js';
import { FileSource, type ByteSource } from '../pdf/index.js';
import { embedSignature } from './embed-signature.js';
import { preparePdf } from './prepare-signature.js';
import type { PrepareOptions, PreparedSignature } from './types.js';

/** Options of the one-shot helpers: PrepareOptions minus what the Signer provides. */
export type SignOptions = Omit<PrepareOptions, 'certificateChain' | 'signatureAlgorithm' | 'maxSignatureSize'>;

/** Runs both phases against `signer` on a document source; returns the update to append. */
export async function signSource(
  source: ByteSource | Uint8Array,
  signer: Signer,
  options: SignOptions,
): Promise<{ readonly prepared: PreparedSignature; readonly update: Uint8Array }> {
  const prepared = preparePdf(source, {
    ...options,
    certificateChain: signer.certificateChain,
    signatureAlgorithm: signer.signatureAlgorithm,
    maxSignatureSize: signer.maxSignatureSize(),
  });
  const signature = await signer.sign(new Uint8Array(Buffer.from(prepared.signedAttributes, 'base64')));
  return { prepared, update: embedSignature(prepared, signature) };
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
 * Signs the file at `inputPath` into `outputPath` without loading it: the original is copied by
 * the kernel, the update appended, and the result renamed into place only when complete (no
 * half-written output on failure).
 */
export async function signPdfFile(
  inputPath: string,
  outputPath: string,
  signer: Signer,
  options: SignOptions,
): Promise<PreparedSignature> {
  const source = FileSource.open(inputPath);
  let update: Uint8Array;
  let prepared: PreparedSignature;
  try {
    ({ prepared, update } = await signSource(source, signer, options));
  } finally {
    source.close();
  }
  writeFileAtomically(outputPath, inputPath, update);
  return prepared;
}

/** Writes `original ‖ update` to `outputPath` through a temporary file and a rename. */
export function writeFileAtomically(outputPath: string, originalPath: string, update: Uint8Array): void {
  const tmp = join(dirname(outputPath), `.${basename(outputPath)}.${randomBytes(6).toString('hex')}.tmp`);
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
