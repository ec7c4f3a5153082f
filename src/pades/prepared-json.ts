/**
 * The one conversion of a prepared signature to and from JSON (base64 bytes), for the process
 * edge: the two-phase HTTP API and state stored between requests. Everything else holds bytes.
 */
import { bytesSource, type ByteSource } from '../pdf/index.js';
import { PadesError } from './errors.js';
import { baselinePlan } from './level-plan.js';
import type { LevelPlan, PreparedDocument, PreparedSignature } from './types.js';

const b64 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('base64');
const fromB64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));

/**
 * The JSON form of `prepared` (its plan's sources, its original document and its password stay
 * behind: they are given again to {@link preparedFromJson}).
 *
 * @example
 * ```ts
 * const json = JSON.stringify(preparedToJson(prepareSignature(pdf, options)));
 * ```
 */
export function preparedToJson(prepared: PreparedDocument): PreparedSignature {
  return {
    version: 1,
    documentLength: prepared.documentLength,
    update: b64(prepared.update),
    byteRange: prepared.byteRange,
    contentsCapacity: prepared.contentsCapacity,
    digestAlgorithm: prepared.digestAlgorithm,
    documentDigest: b64(prepared.documentDigest),
    signedAttributes: b64(prepared.signedAttributes),
    dataToBeSignedDigest: b64(prepared.dataToBeSignedDigest),
    signatureAlgorithm: prepared.signatureAlgorithm,
    certificateChain: prepared.certificateChain.map(b64),
    signingTime: prepared.signingTime.toISOString(),
    fieldName: prepared.fieldName,
  };
}

/** What a prepared signature read back from JSON is finished with. */
export interface PreparedContext {
  /** The level plan (default B-B). */
  readonly plan?: LevelPlan;
  /** The original document (required by `finishSignature` unless the sink is a spool). */
  readonly source?: ByteSource | Uint8Array;
  readonly password?: string;
}

/**
 * Reads a prepared signature back, checking that its ByteRange matches its update; refuses
 * `ERR_PADES_PREPARED_INVALID`.
 *
 * @example
 * ```ts
 * const prepared = preparedFromJson(JSON.parse(text), { source: pdf });
 * ```
 */
export function preparedFromJson(json: PreparedSignature, context: PreparedContext = {}): PreparedDocument {
  if (json.version !== 1 || !Array.isArray(json.byteRange) || json.byteRange.length !== 4) {
    throw new PadesError('ERR_PADES_PREPARED_INVALID', 'unsupported prepared signature');
  }
  const update = fromB64(json.update);
  const [a, b, c, d] = json.byteRange;
  if (a !== 0 || b < json.documentLength || c !== b + 2 + json.contentsCapacity * 2 || c + d !== json.documentLength + update.length) {
    throw new PadesError('ERR_PADES_PREPARED_INVALID', 'the prepared byte range does not match its update');
  }
  const { source } = context;
  return {
    documentLength: json.documentLength,
    update,
    byteRange: [a, b, c, d],
    contentsCapacity: json.contentsCapacity,
    digestAlgorithm: json.digestAlgorithm,
    documentDigest: fromB64(json.documentDigest),
    signedAttributes: fromB64(json.signedAttributes),
    dataToBeSignedDigest: fromB64(json.dataToBeSignedDigest),
    signatureAlgorithm: json.signatureAlgorithm,
    certificateChain: json.certificateChain.map(fromB64),
    signingTime: new Date(json.signingTime),
    fieldName: json.fieldName,
    plan: context.plan ?? baselinePlan,
    ...(source === undefined ? {} : { source: source instanceof Uint8Array ? bytesSource(source) : source }),
    ...(context.password === undefined ? {} : { password: context.password }),
  };
}
