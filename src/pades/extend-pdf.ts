/**
 * Raises the PAdES level of a signed document (ETSI EN 319 142-1 §6): B-T by a document
 * timestamp when a signature has no signature-time-stamp (§6.3 allows either), B-LT by a DSS with
 * the validation data of every signature and timestamp (§6.4), B-LTA by a document timestamp over
 * it (§6.5). Running B-LTA again on a B-LTA file adds the data for the previous timestamp and a
 * new one (archive renewal). Works on files signed by any tool; only appends updates.
 */
import { cmsOids } from '../cms/cms-oids.js';
import { parseSignedData } from '../cms/parse-signed-data.js';
import { PdfDocument, bytesSource, type ByteSource } from '../pdf/index.js';
import { appendedSource } from './appended-source.js';
import { buildDssUpdate, readDss } from './document-security-store.js';
import { addDocumentTimestamp } from './document-timestamp.js';
import { PadesError } from './errors.js';
import { documentTimestampCapacity, measureTimestampToken } from './timestamp-reserve.js';
import { listPdfSignatures, type PdfSignature } from './pdf-signatures.js';
import type { LevelOptions, PadesLevel, RevocationSource, Timestamper } from './types.js';
import { ValidationDataCollector } from './validation-data.js';

const RANK: Readonly<Record<PadesLevel, number>> = { 'B-B': 0, 'B-T': 1, 'B-LT': 2, 'B-LTA': 3 };

/** Options of {@link extendPdf}: the target level and its sources. */
export interface ExtendOptions extends LevelOptions {
  readonly level: PadesLevel;
  /** The user (or owner) password of an encrypted document; the empty user password is tried when absent. */
  readonly password?: string;
  /** /Contents capacity of document timestamps, as a level plan measured it; measured once here when absent. */
  readonly documentTimestampCapacity?: number;
}

/** True when the rank of `level` is at least that of `floor`. */
export function levelAtLeast(level: PadesLevel | undefined, floor: PadesLevel): boolean {
  return RANK[level ?? 'B-B'] >= RANK[floor];
}

function hasSignatureTimestamp(sig: PdfSignature): boolean {
  if (!sig.container) return false;
  try {
    return parseSignedData(sig.container).signerInfos.some((si) =>
      si.unsignedAttributes.some((a) => a.oid === cmsOids.id_aa_signatureTimeStampToken),
    );
  } catch {
    return false;
  }
}

/** End of the revision a signature covers (its ByteRange's end). */
function coveredEnd(sig: PdfSignature): number {
  const br = sig.byteRange;
  return br && br.length === 4 ? (br[2] as number) + (br[3] as number) : 0;
}

function requireTimestamper(options: LevelOptions): Timestamper {
  if (!options.timestamper) throw new PadesError('ERR_PADES_LEVEL_SOURCE', `level ${options.level ?? 'B-B'} needs a timestamper`);
  return options.timestamper;
}

function requireRevocation(options: LevelOptions): RevocationSource {
  if (!options.revocation) throw new PadesError('ERR_PADES_LEVEL_SOURCE', `level ${options.level ?? 'B-B'} needs a revocation source`);
  return options.revocation;
}

/**
 * Extends `input` to `options.level` and returns only the appended updates (the result is
 * `input ‖ updates`; the input is never loaded whole when it is a file source).
 */
export async function extendSource(input: ByteSource, options: ExtendOptions): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let tail = new Uint8Array(0);
  const current = (): ByteSource => appendedSource(input, tail);
  const append = (update: Uint8Array): void => {
    parts.push(update);
    const next = new Uint8Array(tail.length + update.length);
    next.set(tail, 0);
    next.set(update, tail.length);
    tail = next;
  };

  const open = options.password === undefined ? {} : { password: options.password };
  const first = PdfDocument.open(input, open);
  const signatures = listPdfSignatures(first);
  const signed = signatures.filter((s) => !s.isDocumentTimestamp);
  if (signed.length === 0) throw new PadesError('ERR_PADES_NOT_SIGNED', 'the document has no signature to extend');
  if (options.level === 'B-B') return new Uint8Array(0);
  const timestamper = requireTimestamper(options);
  const digestAlgorithm = options.timestampDigestAlgorithm ?? 'SHA-256';
  const revocation = levelAtLeast(options.level, 'B-LT') ? requireRevocation(options) : undefined;

  // §6.3: B-T needs a signature-time-stamp or a later document timestamp for each signature.
  const lastDocTs = Math.max(0, ...signatures.filter((s) => s.isDocumentTimestamp).map(coveredEnd));
  const needsT = signed.some((s) => !hasSignatureTimestamp(s) && lastDocTs < coveredEnd(s));
  // Also for B-LTA: the B-LT step must hold the data of the timestamp giving B-T (EU DSS does the same).
  // One measure for every document timestamp of this call, unless the plan carries it.
  let capacity = options.documentTimestampCapacity;
  const stamp = async (): Promise<Uint8Array> => {
    capacity ??= documentTimestampCapacity(await measureTimestampToken(timestamper, digestAlgorithm));
    return addDocumentTimestamp(current(), { timestamper, digestAlgorithm, capacity, ...open });
  };
  if (needsT) {
    append(await stamp());
  }

  if (revocation) {
    const doc = PdfDocument.open(current(), open);
    const existing = readDss(doc);
    const collector = new ValidationDataCollector(revocation, [...(options.certificates ?? []), ...existing.certificates]);
    const materials = [];
    for (const sig of listPdfSignatures(doc)) materials.push(await collector.collect(sig));
    append(buildDssUpdate(current(), materials, options.password));
  }

  if (options.level === 'B-LTA') {
    append(await stamp());
  }
  return tail;
}

/**
 * Extends a signed PDF held in memory to `level` and returns the extended file.
 *
 * @example
 * ```ts
 * const lta = await extendPdf(signed, { level: 'B-LTA', timestamper, revocation });
 * // Many files: plan once, so the document timestamp's room is measured once.
 * const plan = await planLevel({ level: 'B-LTA', timestamper, revocation }, 'SHA-256');
 * const next = await extendPdf(other, plan);
 * ```
 */
export async function extendPdf(pdf: Uint8Array, options: ExtendOptions): Promise<Uint8Array> {
  const updates = await extendSource(bytesSource(pdf), options);
  const out = new Uint8Array(pdf.length + updates.length);
  out.set(pdf, 0);
  out.set(updates, pdf.length);
  return out;
}
