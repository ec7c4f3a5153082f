/**
 * Raises the PAdES level of a signed document (ETSI EN 319 142-1 §6): B-T by a document
 * timestamp when a signature has no signature-time-stamp (§6.3 allows either), B-LT by a DSS with
 * the validation data of every signature and timestamp (§6.4), B-LTA by a document timestamp over
 * it (§6.5). Running B-LTA again on a B-LTA file adds the data for the previous timestamp and a
 * new one (archive renewal). Works on files signed by any tool; only appends updates.
 */
import { bytesSource, type ByteSource } from '../pdf/index.js';
import { appendedSource } from './appended-source.js';
import { stampDocumentTimestamp } from './document-timestamp.js';
import { PadesError } from './errors.js';
import { inlineExtensionWork, type ExtensionWork } from './extension-steps.js';
import { documentTimestampCapacity, measureTimestampToken } from './timestamp-reserve.js';
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
 * `input ‖ updates`; the input is never loaded whole when it is a file source). The document
 * steps (parse, plan, write) run on `work` — inline by default, a worker thread in `signet
 * serve` —; the time-stamps and the revocation evidence are fetched here, between them.
 *
 * @example
 * ```ts
 * const updates = await extendSource(FileSource.open(path), { level: 'B-LT', timestamper, revocation });
 * ```
 */
export async function extendSource(input: ByteSource, options: ExtendOptions, work: ExtensionWork = inlineExtensionWork): Promise<Uint8Array> {
  let tail = new Uint8Array(0);
  const current = (): ByteSource => appendedSource(input, tail);
  const append = (update: Uint8Array): void => {
    const next = new Uint8Array(tail.length + update.length);
    next.set(tail, 0);
    next.set(update, tail.length);
    tail = next;
  };

  const password = options.password === undefined ? {} : { password: options.password };
  const wantsEvidence = levelAtLeast(options.level, 'B-LT') && options.revocation !== undefined;
  const planRequest = { ...password, evidence: wantsEvidence, ...(options.certificates === undefined ? {} : { certificates: options.certificates }) };
  const first = await work.planExtension(input, planRequest);
  if (options.level === 'B-B') return new Uint8Array(0);
  const timestamper = requireTimestamper(options);
  const digestAlgorithm = options.timestampDigestAlgorithm ?? 'SHA-256';
  const revocation = levelAtLeast(options.level, 'B-LT') ? requireRevocation(options) : undefined;
  // One measure for every document timestamp of this call, unless the plan carries it.
  let capacity = options.documentTimestampCapacity;
  const room = async (): Promise<{ capacity: number; digestAlgorithm: typeof digestAlgorithm }> => {
    capacity ??= documentTimestampCapacity(await measureTimestampToken(timestamper, digestAlgorithm));
    return { capacity, digestAlgorithm };
  };

  let plan = first;
  // Also for B-LTA: the B-LT step must hold the data of the timestamp giving B-T (EU DSS does the same).
  if (first.needsTimestamp) {
    const { timestamp } = await work.writeExtension(current(), { ...password, timestamp: await room() });
    if (timestamp === undefined) throw new PadesError('ERR_PADES_PREPARED_INVALID', 'the document timestamp was not prepared');
    append(await stampDocumentTimestamp(timestamp, timestamper));
    if (revocation) plan = await work.planExtension(current(), planRequest);
  }

  if (revocation) {
    const { evidence, dss } = plan;
    if (evidence === undefined) throw new PadesError('ERR_PADES_PREPARED_INVALID', 'the validation data was not planned');
    const materials = await new ValidationDataCollector(revocation).collectPlanned(evidence);
    // §6.5: the document timestamp of B-LTA covers the DSS, so it is prepared over the DSS update.
    const lta = options.level === 'B-LTA' ? { timestamp: await room() } : {};
    // The plan was made on this document (nothing appended since): its DSS is not decoded again.
    const written = await work.writeExtension(current(), { ...password, materials, ...(dss === undefined ? {} : { dss }), ...lta });
    if (written.dss !== undefined) append(written.dss);
    if (written.timestamp !== undefined) append(await stampDocumentTimestamp(written.timestamp, timestamper));
  }
  return tail;
}

/**
 * Extends a signed PDF held in memory to `level` and returns the extended file (the document
 * steps on `work`, as in {@link extendSource}).
 *
 * @example
 * ```ts
 * const lta = await extendPdf(signed, { level: 'B-LTA', timestamper, revocation });
 * ```
 */
export async function extendPdf(pdf: Uint8Array, options: ExtendOptions, work: ExtensionWork = inlineExtensionWork): Promise<Uint8Array> {
  const updates = await extendSource(bytesSource(pdf), options, work);
  const out = new Uint8Array(pdf.length + updates.length);
  out.set(pdf, 0);
  out.set(updates, pdf.length);
  return out;
}
