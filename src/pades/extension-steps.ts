/**
 * The document steps of raising a PAdES level (ETSI EN 319 142-1 §6.3–§6.5), apart from the
 * fetches: what a signed document needs (a document timestamp first? the certification paths
 * whose revocation evidence B-LT adds) and, given the fetched evidence, the DSS update and the
 * document timestamp prepared over it. They parse the untrusted document, so `signet serve` runs
 * them on its document workers; the timestamper and the revocation source stay with the caller.
 */
import { cmsOids } from '../cms/cms-oids.js';
import type { DigestAlgorithm } from '../cms/algorithms.js';
import type { SignedDataView } from '../cms/parse-signed-data.js';
import { PdfDocument, type ByteSource } from '../pdf/index.js';
import { readIndexedDss, writeDssUpdate, type DssIndex } from './document-security-store.js';
import { prepareDocumentTimestampOn, type PreparedDocumentTimestamp } from './document-timestamp.js';
import { PadesError } from './errors.js';
import { listPdfSignatures, type PdfSignature } from './pdf-signatures.js';
import { planEvidence, readSignedData, type EvidencePlan, type SignatureMaterial } from './validation-data.js';

/** What {@link planExtension} is asked (structured-clonable). */
export interface ExtensionPlanRequest {
  /** The user (or owner) password of an encrypted document. */
  readonly password?: string;
  /** Extra certificates for path building (intermediates the containers do not carry). */
  readonly certificates?: readonly Uint8Array[];
  /** Plan the validation data of B-LT (unless a document timestamp must come first). */
  readonly evidence: boolean;
}

/** What a signed document needs before it reaches the level (structured-clonable). */
export interface ExtensionPlan {
  /**
   * EN 319 142-1 §6.3: a signature has neither a signature-time-stamp nor a later document
   * timestamp, so B-T (and every level above) needs a document timestamp first.
   */
  readonly needsTimestamp: boolean;
  /** The validation data to fetch: when asked for and no document timestamp is needed first. */
  readonly evidence?: EvidencePlan;
  /** With `evidence`: the document's DSS as read for it, for {@link writeExtension} (not decoded again). */
  readonly dss?: DssIndex;
}

/** What {@link writeExtension} is asked (structured-clonable). */
export interface ExtensionWriteRequest {
  readonly password?: string;
  /** The DSS to write (B-LT): the fetched material of every signature. */
  readonly materials?: readonly SignatureMaterial[];
  /** The plan's `dss`, when the plan was made on this document (the DSS is then not decoded again). */
  readonly dss?: DssIndex;
  /** A document timestamp to prepare after it, with its measured room (B-T first, B-LTA last). */
  readonly timestamp?: { readonly capacity: number; readonly digestAlgorithm: DigestAlgorithm };
}

/** The updates written (structured-clonable): the DSS update, and the timestamp waiting for its token. */
export interface ExtensionWrite {
  readonly dss?: Uint8Array;
  readonly timestamp?: PreparedDocumentTimestamp;
}

/**
 * Where the document steps run: inline ({@link inlineExtensionWork}), or on a worker thread with
 * a heap limit and a deadline (`signet serve`). Each rejects with the document's coded error.
 */
export interface ExtensionWork {
  /** {@link planExtension} of `document`. */
  planExtension(document: ByteSource, request: ExtensionPlanRequest): Promise<ExtensionPlan>;
  /** {@link writeExtension} of `document`. */
  writeExtension(document: ByteSource, request: ExtensionWriteRequest): Promise<ExtensionWrite>;
}

/** EN 319 122-1 §5.3: the signature's SignerInfo carries a signature-time-stamp attribute. */
function hasSignatureTimestamp(sd: SignedDataView | undefined): boolean {
  return sd?.signerInfos.some((si) => si.unsignedAttributes.some((a) => a.oid === cmsOids.id_aa_signatureTimeStampToken)) ?? false;
}

/** End of the revision a signature covers (its ByteRange's end). */
function coveredEnd(sig: PdfSignature): number {
  const br = sig.byteRange;
  return br && br.length === 4 ? (br[2] as number) + (br[3] as number) : 0;
}

/**
 * Reads what `document` needs to be extended: `ERR_PADES_NOT_SIGNED` without a signature; whether
 * a document timestamp must come first; and when asked, the evidence plan of every signature and
 * timestamp (its containers parsed and its signers' paths built from the containers, the DSS and
 * `certificates`). Low level: prefer `extendSource`.
 *
 * @example
 * ```ts
 * const { needsTimestamp, evidence } = planExtension(bytesSource(pdf), { evidence: true });
 * ```
 */
export function planExtension(document: ByteSource, request: ExtensionPlanRequest): ExtensionPlan {
  const doc = PdfDocument.open(
    document,
    request.password === undefined ? {} : { password: request.password },
  );
  const signatures = listPdfSignatures(doc);
  const signed = signatures.filter((s) => !s.isDocumentTimestamp);
  if (signed.length === 0)
    throw new PadesError('ERR_PADES_NOT_SIGNED', 'the document has no signature to extend');
  // Each container is parsed once, for the timestamp question and for the evidence plan.
  const parsed = new Map<PdfSignature, SignedDataView | undefined>();
  const signedData = (sig: PdfSignature): SignedDataView | undefined => {
    if (!parsed.has(sig)) parsed.set(sig, readSignedData(sig.container));
    return parsed.get(sig);
  };
  // §6.3: B-T needs a signature-time-stamp or a later document timestamp for each signature.
  const lastDocTs = Math.max(0, ...signatures.filter((s) => s.isDocumentTimestamp).map(coveredEnd));
  const needsTimestamp = signed.some((s) => !hasSignatureTimestamp(signedData(s)) && lastDocTs < coveredEnd(s));
  if (!request.evidence || needsTimestamp) return { needsTimestamp };
  const { content, index } = readIndexedDss(doc);
  const extra = [...(request.certificates ?? []), ...content.certificates];
  return { needsTimestamp, evidence: planEvidence(signatures, extra, signedData), dss: index };
}

/**
 * Writes the DSS update for `request.materials` (ETSI EN 319 142-1 §5.4.2) and, when asked,
 * prepares a document timestamp over the document with it (§5.4.3). The updates are appended to
 * `document` in that order. Low level: prefer `extendSource`.
 *
 * @example
 * ```ts
 * const { dss, timestamp } = writeExtension(bytesSource(pdf), { materials, timestamp: { capacity, digestAlgorithm: 'SHA-256' } });
 * ```
 */
export function writeExtension(
  document: ByteSource,
  request: ExtensionWriteRequest,
): ExtensionWrite {
  // One parse for both updates: the timestamp is prepared over the document with the DSS update
  // appended, read from this parse (only the update's own cross-reference section is new).
  const doc = PdfDocument.open(document, request.password === undefined ? {} : { password: request.password });
  const dss = request.materials === undefined ? undefined : writeDssUpdate(doc, request.materials, request.dss);
  if (request.timestamp === undefined) return dss === undefined ? {} : { dss };
  const current = dss === undefined ? doc : doc.afterUpdate(dss);
  const password = request.password === undefined ? {} : { password: request.password };
  const timestamp = prepareDocumentTimestampOn(current, { ...request.timestamp, ...password });
  return { ...(dss === undefined ? {} : { dss }), timestamp };
}

/**
 * The document steps on the caller's thread (the CLI, tools, tests).
 *
 * @example
 * ```ts
 * const updates = await extendSource(source, options, inlineExtensionWork);
 * ```
 */
export const inlineExtensionWork: ExtensionWork = {
  planExtension: (document, request) =>
    Promise.resolve().then(() => planExtension(document, request)),
  writeExtension: (document, request) =>
    Promise.resolve().then(() => writeExtension(document, request)),
};
