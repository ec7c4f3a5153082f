/**
 * One-shot PAdES signing of bytes or files: prepare → Signer.sign → embed, then the levels of
 * ETSI EN 319 142-1 §6 on request (B-T signature-time-stamp, B-LT DSS, B-LTA document timestamp).
 */
import { copyFile } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import type { Signer } from '../cms/signer.js';
import { FileSource, type ByteSource } from '../pdf/index.js';
import { finishSignature, finishUpdates, signatureContainer } from './finish-signature.js';
import { planFor, planLevel } from './level-plan.js';
import { preparedFromJson } from './prepared-json.js';
import { prepareSignature } from './prepare-signature.js';
import { appendToSpool, temporaryPathFor, writeFileAtomicallySync } from './signature-sink.js';
import { documentTimestampCapacity } from './timestamp-reserve.js';
import type { LevelOptions, LevelPlan, PrepareOptions, PreparedDocument, PreparedSignature } from './types.js';

/** Options of the one-shot helpers: PrepareOptions minus what the Signer provides, plus the level. */
export type SignOptions = Omit<PrepareOptions, 'certificateChain' | 'signatureAlgorithm' | 'maxSignatureSize'> &
  LevelOptions & {
    /** A plan made already for these level options (a batch plans once); made here when absent. */
    readonly plan?: LevelPlan;
  };

/** Options of {@link completeSignature}. */
export interface CompleteOptions extends LevelOptions {
  /** The original document (the one `preparePdf` read); required from B-LT on. */
  readonly document?: ByteSource | Uint8Array;
  /** Its password when it is encrypted and the empty user password does not open it (B-LT on reopen it). */
  readonly password?: string;
}

/**
 * `reserveBytes` for `preparePdf` when the signature will be completed at `options.level`: room
 * for a signature-time-stamp token measured from the timestamper (0 for B-B). Staged signing
 * takes it itself: `prepareSignature(source, options, await planLevel(level, digest))`.
 *
 * @example
 * ```ts
 * const reserveBytes = await reserveForLevel({ level: 'B-LTA', timestamper }, 'SHA-256');
 * ```
 */
export async function reserveForLevel(options: LevelOptions, digestAlgorithm: PreparedSignature['digestAlgorithm']): Promise<number> {
  return (await planLevel(options, digestAlgorithm)).timestampReserve;
}

/**
 * Phase two at a PAdES level for a prepared signature in its JSON form (`finishSignature` after
 * `preparedFromJson`). Returns every update to append to the original document, in order. The
 * prepared signature must have been made with `reserveBytes` from {@link reserveForLevel}; a token
 * that does not fit is `ERR_PADES_CONTENTS_OVERFLOW`, never a corrupt file.
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
  // The reserve was taken by the caller: the plan keeps the level and its sources. For B-LTA the
  // signature-time-stamp token measures the document timestamp's room when both use one digest
  // (as planLevel does), instead of one more token from the TSA per completion.
  const plan = planFor(options);
  const documentDigest = options.timestampDigestAlgorithm ?? 'SHA-256';
  let tokenSize: number | undefined;
  const { timestamper } = options;
  const measuring: LevelPlan =
    plan.level === 'B-LTA' && timestamper !== undefined
      ? {
          ...plan,
          timestamper: {
            timestamp: async (digest, digestAlgorithm) => {
              const token = await timestamper.timestamp(digest, digestAlgorithm);
              if (digestAlgorithm === documentDigest) tokenSize = token.length;
              return token;
            },
          },
        }
      : plan;
  const document = preparedFromJson(prepared, {
    plan: measuring,
    ...(options.document === undefined ? {} : { source: options.document }),
    ...(options.password === undefined ? {} : { password: options.password }),
  });
  const cms = await signatureContainer(document, { kind: 'signature', signature });
  const measured = tokenSize === undefined ? plan : { ...plan, documentTimestampCapacity: documentTimestampCapacity(tokenSize) };
  const parts = await finishUpdates({ ...document, plan: measured }, { kind: 'cms', cms });
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Phase one against `signer`'s chain and algorithm, at the options' level (planned here unless given). */
async function prepareFor(source: ByteSource | Uint8Array, signer: Signer, options: SignOptions): Promise<PreparedDocument> {
  const plan = options.plan ?? (await planLevel(options, signer.signatureAlgorithm.digest));
  return prepareSignature(
    source,
    {
      ...options,
      certificateChain: signer.certificateChain,
      signatureAlgorithm: signer.signatureAlgorithm,
      maxSignatureSize: signer.maxSignatureSize(),
    },
    plan,
  );
}

/**
 * Runs both phases against `signer` on a document source; returns the prepared signature and the
 * update(s) to append.
 */
export async function signSource(
  source: ByteSource | Uint8Array,
  signer: Signer,
  options: SignOptions,
): Promise<{ readonly prepared: PreparedDocument; readonly update: Uint8Array }> {
  const prepared = await prepareFor(source, signer, options);
  const parts = await finishUpdates(prepared, { kind: 'signature', signature: await signer.sign(prepared.signedAttributes) });
  return { prepared, update: parts.length === 1 ? (parts[0] as Uint8Array) : Buffer.concat(parts) };
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
  const prepared = await prepareFor(pdf, signer, options);
  return finishSignature(prepared, { kind: 'signature', signature: await signer.sign(prepared.signedAttributes) });
}

/**
 * Signs the file at `inputPath` into `outputPath` without loading it: the kernel copies the
 * original into the spool (a temporary file beside the output) while the digest reads it (issue
 * 18 §5: the copy overlaps the one user-space pass, so a 200 MB file costs about one SHA-256
 * pass), the update is appended to it, and phase two completes the spool and renames it into
 * place only when complete (no half-written output).
 */
export async function signPdfFile(
  inputPath: string,
  outputPath: string,
  signer: Signer,
  options: SignOptions,
): Promise<PreparedDocument> {
  const source = FileSource.open(inputPath);
  if (source.length <= WHOLE_FILE_MAX) {
    // Issue 18 §4: a small file is read with one call and written with one, without the thread
    // pool (a batch of 200 × 100 KB files spent its time in per-file system calls).
    // One positioned read into one buffer (not the block cache, which read and copied it again),
    // and the output written by writev on this thread (see writeFileAtomicallySync).
    let bytes = new Uint8Array(source.length);
    try {
      bytes = bytes.subarray(0, source.readInto(0, bytes));
    } finally {
      source.close();
    }
    const prepared = await prepareFor(bytes, signer, options);
    const signature = await signer.sign(prepared.signedAttributes);
    writeFileAtomicallySync(outputPath, bytes, await finishUpdates(prepared, { kind: 'signature', signature }));
    return prepared;
  }
  const spoolPath = temporaryPathFor(outputPath);
  const copied = copyFile(inputPath, spoolPath);
  try {
    const prepared = await prepareFor(source, signer, options);
    await copied;
    appendToSpool(spoolPath, prepared);
    const signature = await signer.sign(prepared.signedAttributes);
    await finishSignature(prepared, { kind: 'signature', signature }, { kind: 'spool', spoolPath, path: outputPath });
    return prepared;
  } catch (err) {
    await copied.catch(() => undefined);
    rmSync(spoolPath, { force: true });
    throw err;
  } finally {
    source.close();
  }
}

/** Files up to this size are signed in memory: one read, one write. */
const WHOLE_FILE_MAX = 4 * 1024 * 1024;
