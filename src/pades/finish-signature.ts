/**
 * Phase two of staged signing, the one for every way of signing (CLI, signDoc, the gateway with
 * this RSSP or any CSC provider, the two-phase API): the CMS SignedData over the prepared signed
 * attributes (RFC 5652 §5.3), the signature-time-stamp from B-T on (ETSI EN 319 122-1 §5.3), the
 * container written into /Contents (ISO 32000-1 §12.8.1) after the overflow check, the DSS from
 * B-LT on and the document timestamp for B-LTA (EN 319 142-1 §6.4, §6.5), all into one sink.
 */
import { appendFileSync, renameSync, rmSync } from 'node:fs';
import { readContainer } from '../cms/ber.js';
import { defaultCmsLimits } from '../cms/parse-signed-data.js';
import { buildSignedData } from '../cms/signed-data.js';
import { fromHex } from '../core/bytes.js';
import { FileSource, type ByteSource } from '../pdf/index.js';
import { appendedSource } from './appended-source.js';
import { contentsDigits } from './byte-range.js';
import { PadesError } from './errors.js';
import { extendSource, levelAtLeast } from './extend-pdf.js';
import type { ExtensionWork } from './extension-steps.js';
import { addSignatureTimestamp } from './signature-timestamp.js';
import { writeFileAtomically, writeIntoSpool, type SignatureSink } from './signature-sink.js';
import type { PreparedDocument, SignatureValue } from './types.js';

/** Where phase two does its document work. */
export interface FinishOptions {
  /**
   * Where the B-LT/B-LTA steps parse and write the signed document (`extendSource`'s `work`):
   * inline when absent; `signet serve` passes its document workers.
   */
  readonly extension?: ExtensionWork;
}

/** The CMS SignedData of a raw signature value over the prepared signed attributes (B-B). */
export function buildContainer(prepared: PreparedDocument, signature: Uint8Array): Uint8Array {
  if (signature.length === 0) throw new PadesError('ERR_PADES_SIGNATURE_INVALID', 'the signature value is empty');
  return buildSignedData({
    signedAttributes: prepared.signedAttributes,
    signature,
    signatureAlgorithm: prepared.signatureAlgorithm,
    certificates: prepared.certificateChain,
  });
}

/**
 * The container phase two embeds: a finished CMS as given, or the SignedData of the raw value
 * with, from B-T on, the signature-time-stamp. A token larger than the plan measured does not
 * fit /Contents (ERR_PADES_CONTENTS_OVERFLOW); the next plan measures again.
 */
export async function signatureContainer(prepared: PreparedDocument, value: SignatureValue): Promise<Uint8Array> {
  if (value.kind === 'cms') return value.cms;
  const cms = buildContainer(prepared, value.signature);
  const { plan } = prepared;
  if (!levelAtLeast(plan.level, 'B-T')) return cms;
  if (!plan.timestamper) throw new PadesError('ERR_PADES_LEVEL_SOURCE', `level ${plan.level} needs a timestamper`);
  return addSignatureTimestamp(cms, plan.timestamper, prepared.digestAlgorithm);
}

/** The update with `cms` in its /Contents (a copy: the prepared update is never written to). */
export function signedUpdate(prepared: PreparedDocument, cms: Uint8Array): Uint8Array {
  const digits = contentsDigits(cms, prepared.contentsCapacity);
  const update = prepared.update.slice();
  // The '<' of the hex string sits at ByteRange[1]; the digits follow it.
  update.set(digits, prepared.byteRange[1] + 1 - prepared.documentLength);
  return update;
}

/**
 * The container phase two wrote into /Contents of `signed` (what `finishSignature` returned for
 * `prepared`), read at the prepared ByteRange (ISO 32000-1 §12.8.1: the hex string sits between
 * its two ranges) — the document is not parsed again. BER is re-encoded as DER.
 *
 * @example
 * ```ts
 * const cms = embeddedContainer(prepared, await finishSignature(prepared, value));
 * ```
 */
export function embeddedContainer(prepared: PreparedDocument, signed: Uint8Array): Uint8Array {
  const [, before, after] = prepared.byteRange;
  const bytes = after - 1 <= signed.length ? fromHex(new TextDecoder('latin1').decode(signed.subarray(before + 1, after - 1))) : undefined;
  if (bytes === undefined) throw new PadesError('ERR_PADES_PREPARED_INVALID', 'the signed document does not hold /Contents where it was prepared');
  return readContainer(bytes, defaultCmsLimits).der;
}

/** The updates that raise the signed document to the plan's level (B-LT and B-LTA). */
async function levelUpdates(prepared: PreparedDocument, signed: ByteSource, options: FinishOptions): Promise<Uint8Array> {
  const { plan } = prepared;
  return extendSource(
    signed,
    { ...plan, ...(prepared.password === undefined ? {} : { password: prepared.password }) },
    options.extension,
  );
}

function originalOf(prepared: PreparedDocument): ByteSource {
  const { source } = prepared;
  if (source === undefined) {
    throw new PadesError('ERR_PADES_LEVEL_SOURCE', 'phase two needs the original document (or a spool holding it)');
  }
  if (source.length !== prepared.documentLength) {
    throw new PadesError('ERR_PADES_PREPARED_INVALID', 'the document is not the one the signature was prepared on');
  }
  return source;
}

function concatenation(source: ByteSource, parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(source.length + parts.reduce((n, p) => n + p.length, 0));
  out.set(source.read(0, source.length), 0);
  let at = source.length;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * The updates phase two appends to the original document (the signed update, then from B-LT on
 * the DSS and document timestamp): what {@link finishSignature} writes, without a sink.
 */
export async function finishUpdates(prepared: PreparedDocument, value: SignatureValue, options: FinishOptions = {}): Promise<Uint8Array[]> {
  const update = signedUpdate(prepared, await signatureContainer(prepared, value));
  if (!levelAtLeast(prepared.plan.level, 'B-LT')) return [update];
  return [update, await levelUpdates(prepared, appendedSource(originalOf(prepared), update), options)];
}

/**
 * Phase two: finishes `prepared` with the raw signature over its signed attributes (or a finished
 * CMS) at the plan's level and writes the signed document into `sink` — returned from memory,
 * written atomically to a file, or completed in its spool and renamed into place. A container
 * that does not fit /Contents is `ERR_PADES_CONTENTS_OVERFLOW` and nothing is written.
 *
 * @example
 * ```ts
 * const prepared = prepareSignature(pdf, options, plan);
 * const signature = await signer.sign(prepared.signedAttributes);
 * const signed = await finishSignature(prepared, { kind: 'signature', signature });
 * ```
 */
export async function finishSignature(
  prepared: PreparedDocument,
  value: SignatureValue,
  sink?: { readonly kind: 'memory' },
  options?: FinishOptions,
): Promise<Uint8Array>;
export async function finishSignature(prepared: PreparedDocument, value: SignatureValue, sink: SignatureSink, options?: FinishOptions): Promise<Uint8Array | undefined>;
export async function finishSignature(
  prepared: PreparedDocument,
  value: SignatureValue,
  sink: SignatureSink = { kind: 'memory' },
  options: FinishOptions = {},
): Promise<Uint8Array | undefined> {
  if (sink.kind !== 'spool') {
    const parts = await finishUpdates(prepared, value, options);
    const original = originalOf(prepared);
    if (sink.kind === 'memory') return concatenation(original, parts);
    await writeFileAtomically(sink.path, original, parts);
    return undefined;
  }
  const { spoolPath } = sink;
  try {
    const digits = contentsDigits(await signatureContainer(prepared, value), prepared.contentsCapacity);
    writeIntoSpool(spoolPath, prepared.byteRange[1] + 1, digits);
    if (levelAtLeast(prepared.plan.level, 'B-LT')) {
      const signed = FileSource.open(spoolPath);
      let more: Uint8Array;
      try {
        more = await levelUpdates(prepared, signed, options);
      } finally {
        signed.close();
      }
      appendFileSync(spoolPath, more);
    }
    renameSync(spoolPath, sink.path);
  } catch (err) {
    rmSync(spoolPath, { force: true });
    throw err;
  }
  return undefined;
}
