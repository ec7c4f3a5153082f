/**
 * What a person should know about a document before signing it, in plain words: earlier
 * signatures that are already broken or that the new signature would break (ISO 32000-1 §12.8.2.2
 * DocMDP, §12.8.1 incremental updates; the revision analysis of verifyPdfSignatures), a
 * certification that forbids any change, and active or hidden content — JavaScript (§12.6.4.16),
 * launch actions (§12.6.4.5), embedded files (§7.11.4), hidden annotations (§12.5.3) and optional
 * content switched off (§8.11). Findings that make signing unsafe carry `blocksSigning`.
 */
import type { ParseLimits } from '../core/limits.js';
import { isSignetError } from '../core/errors.js';
import { PdfDict, PdfRef, PdfStream, isPdfLimitError, type PdfDocument, type PdfObject } from '../pdf/index.js';
import { certificationPermission } from '../pades/index.js';
import { verifyPdfSignatures } from './verify-pdf-signatures.js';

/** One finding. `code` is stable (shown in small print), `message` is for people. */
export interface PreSigningFinding {
  readonly code:
    | 'signature-broken'
    | 'signature-would-break'
    | 'modified-after-signature'
    | 'certified-no-changes'
    | 'javascript'
    | 'launch-action'
    | 'embedded-file'
    | 'hidden-content'
    | 'unreadable';
  readonly message: string;
  readonly blocksSigning: boolean;
}

/** What the findings look at. */
export interface PreSigningInput {
  /** The prepared document (with the new placeholder). */
  readonly doc: PdfDocument;
  readonly pdf: Uint8Array;
  /** The placeholder's field, left out of the signature findings. */
  readonly fieldName: string;
  readonly limits?: Partial<ParseLimits>;
}

/** Most objects scanned for active content (bounded work on hostile files). */
const MAX_SCANNED_OBJECTS = 200_000;

/** The file as it was before the prepared update (its previous revision, with its end of line). */
function originalBytes(doc: PdfDocument, pdf: Uint8Array): Uint8Array | undefined {
  const previous = doc.revisions[1];
  if (previous === undefined) return undefined;
  let end = previous.endOffset;
  while (end < pdf.length && (pdf[end] === 0x0a || pdf[end] === 0x0d)) end++;
  return pdf.subarray(0, end);
}

function signatureFindings(input: PreSigningInput): PreSigningFinding[] {
  const out: PreSigningFinding[] = [];
  const opts = input.limits === undefined ? {} : { limits: input.limits };
  const now = verifyPdfSignatures(input.pdf, opts).signatures.filter((s) => s.fieldName !== input.fieldName);
  if (now.length === 0) return out;
  const original = originalBytes(input.doc, input.pdf);
  let before: ReturnType<typeof verifyPdfSignatures>['signatures'] = [];
  try {
    before = original === undefined ? [] : verifyPdfSignatures(original, opts).signatures;
  } catch (err) {
    if (!isSignetError(err)) throw err;
  }
  for (const s of now) {
    const earlier = before.find((b) => b.fieldName === s.fieldName);
    const modifiedNow = s.problems.some((p) => p.startsWith('modified after signing'));
    const modifiedBefore = earlier?.problems.some((p) => p.startsWith('modified after signing')) ?? false;
    const who = s.signerSubject === undefined ? `signature "${s.fieldName}"` : `the signature of ${s.signerSubject}`;
    if (modifiedNow && !modifiedBefore) {
      out.push({
        code: 'signature-would-break',
        message: `Signing would invalidate ${who}: the document does not allow this change after it.`,
        blocksSigning: true,
      });
    } else if (modifiedBefore) {
      out.push({
        code: 'modified-after-signature',
        message: `The document was changed after ${who} in a way that signature does not allow.`,
        blocksSigning: false,
      });
    } else if (s.indication === 'TOTAL-FAILED' || !s.isIntact) {
      out.push({
        code: 'signature-broken',
        message: `${who.charAt(0).toUpperCase()}${who.slice(1)} is already broken (${s.subIndication ?? 'failed'}).`,
        blocksSigning: false,
      });
    }
  }
  return out;
}

/** Most pages whose content is scanned for invisible text. */
const MAX_SCANNED_PAGES = 5_000;

/**
 * Pages that draw text in rendering mode 3 (neither fill nor stroke, ISO 32000-1 §9.3.6): text a
 * reader does not see but a search, copy or another tool does. Decoding is bounded by the parser
 * limits (a decompression bomb ends in ERR_PDF_LIMIT_DECOMPRESSED).
 */
function invisibleTextPages(doc: PdfDocument): number {
  let pages = 0;
  for (const page of doc.pages().slice(0, MAX_SCANNED_PAGES)) {
    const contents = doc.resolve(page.dict.get('Contents'));
    const streams = (Array.isArray(contents) ? contents.map((c) => doc.resolve(c)) : [contents]).filter(
      (c): c is PdfStream => c instanceof PdfStream,
    );
    const isInvisible = streams.some((st) => {
      try {
        return /(^|[\s\]])3\s+Tr\b/.test(Buffer.from(doc.decodeStream(st)).toString('latin1'));
      } catch (err) {
        if (isSignetError(err) && !isPdfLimitError(err)) return false;
        throw err;
      }
    });
    if (isInvisible) pages++;
  }
  return pages;
}

function isAction(d: PdfDict, kind: string): boolean {
  return d.getName('S') === kind;
}

function activeContentFindings(doc: PdfDocument): PreSigningFinding[] {
  const seen = new Set<PreSigningFinding['code']>();
  let hidden = 0;
  let count = 0;
  for (const [num, loc] of doc.objectLocations()) {
    if (++count > MAX_SCANNED_OBJECTS) break;
    let obj: PdfObject;
    try {
      obj = doc.getObject(new PdfRef(num, loc.kind === 'offset' ? loc.gen : 0));
    } catch (err) {
      if (!isSignetError(err) || isPdfLimitError(err)) throw err;
      continue;
    }
    const d = obj instanceof PdfStream ? obj.dict : obj instanceof PdfDict ? obj : undefined;
    if (d === undefined) continue;
    if (isAction(d, 'JavaScript') || d.has('JS')) seen.add('javascript');
    if (isAction(d, 'Launch')) seen.add('launch-action');
    if (d.getName('Type') === 'EmbeddedFile' || d.getName('Subtype') === 'FileAttachment' || d.has('EF')) seen.add('embedded-file');
    const flags = d.getNumber('F');
    // §12.5.3 Table 165: bit 2 Hidden, bit 6 NoView; a signature widget may be hidden on purpose.
    if (d.getName('Type') === 'Annot' || d.has('Subtype')) {
      if (flags !== undefined && (flags & 0b100010) !== 0 && d.getName('FT') !== 'Sig') hidden++;
    }
  }
  hidden += invisibleTextPages(doc);
  const ocOff = doc.resolveArray(doc.resolveDict(doc.resolveDict(doc.catalog.get('OCProperties'))?.get('D'))?.get('OFF'));
  const out: PreSigningFinding[] = [];
  if (seen.has('javascript')) {
    out.push({ code: 'javascript', message: 'The document contains JavaScript, which some viewers run and which can change what they show.', blocksSigning: false });
  }
  if (seen.has('launch-action')) {
    out.push({ code: 'launch-action', message: 'The document tries to start another program or open another file (a launch action).', blocksSigning: true });
  }
  if (seen.has('embedded-file')) {
    out.push({ code: 'embedded-file', message: 'The document carries attached files that are not shown here; your signature covers them too.', blocksSigning: false });
  }
  if (hidden > 0 || (ocOff !== undefined && ocOff.length > 0)) {
    out.push({ code: 'hidden-content', message: 'The document has hidden content (invisible text, hidden annotations or layers switched off) that is not shown here.', blocksSigning: false });
  }
  return out;
}

/**
 * The findings for one prepared document; never throws for what a document contains (an
 * unreadable part is itself a finding), only for parser limits.
 *
 * @example
 * ```ts
 * const findings = preSigningFindings({ doc, pdf, fieldName: 'Signature1' });
 * const blocked = findings.some((f) => f.blocksSigning);
 * ```
 */
export function preSigningFindings(input: PreSigningInput): PreSigningFinding[] {
  const out: PreSigningFinding[] = [];
  // §12.8.2.2.2 Table 254: P = 1 permits no change at all, so no further signature.
  if (certificationPermission(input.doc) === 1) {
    out.push({
      code: 'certified-no-changes',
      message: 'The document is certified by its author with no changes allowed, so it cannot be signed again.',
      blocksSigning: true,
    });
  }
  try {
    out.push(...signatureFindings(input));
  } catch (err) {
    if (!isSignetError(err) || isPdfLimitError(err)) throw err;
    out.push({ code: 'unreadable', message: `The earlier signatures could not be checked (${err.code}).`, blocksSigning: true });
  }
  out.push(...activeContentFindings(input.doc));
  return out;
}
