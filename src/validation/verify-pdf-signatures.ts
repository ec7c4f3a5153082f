/**
 * Validates the signatures of a PDF (ISO 32000-1 §12.8; ETSI EN 319 102-1). First pass, the
 * facts: ByteRange structure and coverage, the CMS container (BER read as DER) and what its
 * /SubFilter says it signs, the message digest and signature whatever the algorithm (`isIntact`),
 * the signer certificate and its path, the revisions after the signature. Second pass, the
 * judgement: basic-signature-validation.ts (EN 319 102-1 §5.3) with the validation policy's
 * algorithm acceptance (validation-policy.ts). Verdicts are report data; only misuse throws.
 */
import type { X509Certificate } from 'node:crypto';
import { systemClock, type Clock } from '../core/clock.js';
import { isSignetError, type SignetError } from '../core/errors.js';
import type { ParseLimits } from '../core/limits.js';
import { bytesEqual } from '../core/bytes.js';
import {
  cmsOids,
  defaultCmsLimits,
  digestOf,
  findSignerCertificate,
  parseSignedData,
  readContainer,
  verifySignerInfo,
  verifySignerInfoWithoutAttributes,
  type QcStatementsInfo,
  type SignerInfoProblem,
  type SignerInfoVerification,
} from '../cms/index.js';
import {
  PdfDocument,
  PdfName,
  PdfRef,
  PdfString,
  bytesSource,
  type ByteSource,
  type ObjectLocation,
  type PdfDict,
  type PdfObject,
} from '../pdf/index.js';
import { digestByteRange, listSignatureFields, parsePdfDate } from '../pades/index.js';
import { basicSignatureValidation } from './basic-signature-validation.js';
import { buildCertificatePath } from './certificate-path.js';
import { qualifiedCertificateStatements } from './qualified-certificate.js';
import { checkCertificationStructure, type SignedField } from './certification-structure.js';
import { fieldLocksOf, lockPermissionOf, type FieldLock, type LockPermission } from './field-locks.js';
import { FindingList } from './report-findings.js';
import { analyseLaterRevisions, pageContentOverLimit } from './revision-changes.js';
import { acceptanceRefusals, publicKeyFacts } from './signature-acceptance.js';
import { defaultValidationPolicy, type ValidationPolicy } from './validation-policy.js';
import type { ChainStatus, DocumentReport, SignatureReport } from './types.js';

/** Options of `verifyPdfSignatures`. */
export interface VerifyOptions {
  /** DER trust anchors; without them no signature can be TOTAL-PASSED. */
  readonly trustAnchors?: readonly Uint8Array[];
  readonly clock?: Clock;
  /** Parser limits for untrusted input (time, decoded stream size, objects). */
  readonly limits?: Partial<ParseLimits>;
  /** The user (or owner) password of an encrypted document; the empty user password is tried when absent. */
  readonly password?: string;
  /**
   * A file the reader cannot open: `report` (default) answers with a file-level finding and
   * indication; `throw` rethrows the reader's error (an API that answers it as a 4xx).
   */
  readonly unreadable?: 'report' | 'throw';
  /** The validation policy (default: default-policy.json, docs/validation.md). */
  readonly policy?: ValidationPolicy;
}

/** CMS-based /SubFilters (ISO 32000-1 §12.8.3.3, ISO 32000-2 §12.8.3.4). */
const CMS_SUBFILTERS = new Set(['ETSI.CAdES.detached', 'adbe.pkcs7.detached', 'adbe.pkcs7.sha1']);

function isHexDigit(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66);
}

/**
 * Checks /ByteRange (docs/security.md V1, V2): four integers, starting at 0, a hole that is exactly
 * /Contents. Read as poppler's pdfsig and pyHanko read it: the array, and each of its numbers, may
 * be an indirect object (ISO 32000-1 §7.3.10 allows any value to be one) and is resolved with
 * `resolve`; anything else stays refused: more than two ranges (pdfsig accepts them; they leave
 * bytes other than the /Contents value unsigned, which ISO 32000-1 §12.8.1 Table 252's ByteRange
 * exists to prevent), a negative or non-integer number, a hole that is not exactly the
 * hexadecimal /Contents string.
 */
export function checkByteRange(
  source: ByteSource,
  dict: PdfDict,
  problems: string[],
  resolve: (o: PdfObject | undefined) => PdfObject | undefined = (o) => o,
): [number, number, number, number] | undefined {
  const array = resolve(dict.get('ByteRange'));
  const br = Array.isArray(array) ? array.map((v) => resolve(v)) : undefined;
  if (!Array.isArray(br) || br.length !== 4 || !br.every((v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0)) {
    problems.push('/ByteRange is not an array of four non-negative integers');
    return undefined;
  }
  const [a, b, c, d] = br as [number, number, number, number];
  if (a !== 0 || b <= 0 || c <= b + 1 || c + d > source.length) {
    problems.push(`/ByteRange [${a} ${b} ${c} ${d}] is inconsistent with a file of ${source.length} bytes`);
    return undefined;
  }
  const hole = source.read(b, c - b);
  if (hole[0] !== 0x3c || hole[hole.length - 1] !== 0x3e || !hole.subarray(1, -1).every(isHexDigit)) {
    problems.push('the /ByteRange hole is not exactly the hexadecimal /Contents string');
    return undefined;
  }
  return [a, b, c, d];
}

/** How far before /Contents the signature dictionary's object may start (its other entries). */
const MAX_DICT_PREFIX = 1 << 20;

/**
 * V2: the hole must be this signature dictionary's own /Contents, i.e. inside the object the
 * field's /V points to — not another object's string (colliding or wrapped signatures, PDF-09).
 */
export function holeInOwnObject(source: ByteSource, location: ObjectLocation | undefined, holeStart: number): boolean {
  if (location?.kind !== 'offset') return false; // a dictionary in an object stream has no raw /Contents
  const prefix = holeStart - location.offset;
  if (prefix <= 0 || prefix > MAX_DICT_PREFIX) return false;
  return !Buffer.from(source.read(location.offset, prefix)).includes('endobj', 0, 'latin1');
}

/**
 * The CMS inside /Contents and whether non-zero bytes follow it (V3, PDF-11: only 0x00 padding
 * may follow; the caller fails the format but still reports the cryptography). BER, as several
 * producers write it, is read as its DER equivalent (X.690 §10; RFC 5652 §5.4 hashes the signed
 * attributes as DER).
 */
function extractCms(contents: Uint8Array): { der: Uint8Array; hasTrailingBytes: boolean; wasBer: boolean } | undefined {
  try {
    const { der, end, wasBer } = readContainer(contents, defaultCmsLimits);
    return { der, wasBer, hasTrailingBytes: contents.subarray(end).some((b) => b !== 0) };
  } catch {
    return undefined;
  }
}

function commonName(cert: X509Certificate): string {
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject);
  return cn?.[1] ?? cert.subject.replace(/\n/g, ', ');
}

/** What the document says about one signature beyond its own dictionary (V9). */
interface DocumentRules {
  /** The DocMDP permission enforced (the strictest claimed). */
  readonly certification: 1 | 2 | 3 | undefined;
  /** Certification-structure faults of this signature (PDF-24). */
  readonly structureProblems: readonly string[];
  /** The fields this signature locks (FieldMDP, PDF-25). */
  readonly isLocked: FieldLock | undefined;
  /** The DocMDP permission the signature's field lock grants after it (ISO 32000-2 §12.7.5.5 /P). */
  readonly lockPermission: LockPermission | undefined;
}

/**
 * SignerInfo problems that are the policy's business, not facts: the key-size floor of the
 * signing side's algorithm table (cms/algorithms.ts) is replaced by the policy's dated key sizes.
 */
const POLICY_PROBLEMS = new Set<SignerInfoProblem>(['KEY_NOT_ACCEPTED']);

function verifyOne(
  source: ByteSource,
  doc: PdfDocument,
  rules: DocumentRules,
  fieldName: string,
  dict: PdfDict,
  location: ObjectLocation | undefined,
  options: VerifyOptions,
): SignatureReport {
  const out = new FindingList();
  const subFilter = dict.getName('SubFilter');
  const m = dict.get('M');
  const claimedSigningTime = m instanceof PdfString ? parsePdfDate(m.toText()) : undefined;
  const base = { fieldName, subFilter, claimedSigningTime };

  let formatOk = true;
  // V9 (PDF-24): a certification structure ISO 32000-1 §12.8.2.2.1 forbids fails the signature.
  if (rules.structureProblems.length > 0) {
    for (const p of rules.structureProblems) out.error('ERR_VALIDATION_CERTIFICATION', 'format-checking', p);
    formatOk = false;
  }
  if (!(dict.get('Filter') instanceof PdfName)) out.warning('ERR_VALIDATION_SUBFILTER', 'format-checking', '/Filter is missing');
  const isCms = subFilter !== undefined && CMS_SUBFILTERS.has(subFilter);
  if (!isCms) {
    out.error('ERR_VALIDATION_SUBFILTER', 'format-checking', `unsupported /SubFilter ${subFilter ?? '(none)'}`);
    formatOk = false;
  }
  const brProblems: string[] = [];
  const claimedByteRange = checkByteRange(source, dict, brProblems, (o) => doc.resolve(o));
  let byteRange = claimedByteRange;
  if (byteRange && !holeInOwnObject(source, location, byteRange[1])) {
    brProblems.push("the /ByteRange hole is not inside this signature dictionary's own object");
    byteRange = undefined;
  }
  for (const p of brProblems) out.error('ERR_VALIDATION_BYTE_RANGE', 'format-checking', p);
  const contents = dict.get('Contents');
  if (!(contents instanceof PdfString) || contents.bytes.length === 0) {
    out.error('ERR_VALIDATION_CONTENTS', 'format-checking', '/Contents is missing or empty');
    formatOk = false;
  }
  if (!byteRange) formatOk = false;
  const container = contents instanceof PdfString && contents.bytes.length > 0 ? extractCms(contents.bytes) : undefined;
  if (contents instanceof PdfString && contents.bytes.length > 0 && !container) {
    out.error('ERR_VALIDATION_CONTENTS', 'format-checking', '/Contents does not hold a DER or BER signature container');
  }
  if (!container) formatOk = false;
  else {
    if (container.wasBer) out.info('ERR_VALIDATION_CMS_BER', 'format-checking', 'the signature container is BER-encoded; it was read as its DER equivalent (X.690 §10)');
    if (container.hasTrailingBytes) {
      out.error('ERR_VALIDATION_CONTENTS', 'format-checking', 'non-zero bytes follow the signature container in /Contents');
      formatOk = false;
    }
  }

  // The cryptographic check runs over the claimed ByteRange even when V2/V3 already failed the
  // format: the report then says "intact but malformed" (what pdfsig and DSS call the signature
  // intact), while the indication stays FORMAT_FAILURE. Other /SubFilters (a document
  // timestamp's RFC 3161 token) are not detached CMS signatures over the ByteRange.
  let crypto: SignerInfoVerification | undefined;
  let signerDer: Uint8Array | undefined;
  let pool: readonly Uint8Array[] = [];
  const constraintFailures: string[] = [];
  const weakCrypto: string[] = [];
  if (container && claimedByteRange && isCms) {
    try {
      // Facts first: every algorithm a verifier can compute is read; its strength is judged below.
      const sd = parseSignedData(container.der, undefined, { algorithms: 'verifiable' });
      pool = sd.certificates;
      // EN 319 142-1 §6.3 (PAdES): exactly one SignerInfo — more is a format failure; the first
      // one's facts (integrity) are still established, as pdfsig does.
      const si = sd.signerInfos[0];
      if (sd.signerInfos.length !== 1) {
        out.error('ERR_VALIDATION_CMS_STRUCTURE', 'format-checking', `the container has ${sd.signerInfos.length} SignerInfos (exactly one expected)`);
        formatOk = false;
      }
      if (si !== undefined) {
        const content = contentCheck(subFilter as string, sd.contentType, sd.content, out);
        if (!content.ok) formatOk = false;
        signerDer = findSignerCertificate(sd, si);
        if (signerDer) {
          let messageDigest: Uint8Array;
          let contentMatches = true;
          if (subFilter === 'adbe.pkcs7.sha1' && sd.content !== undefined) {
            // ISO 32000-1 §12.8.3.3.1: the SHA-1 digest of the ByteRange is the encapsulated
            // content; the CMS message digest is taken over that content.
            contentMatches = bytesEqual(sd.content, digestByteRange(source, new Uint8Array(0), claimedByteRange, 'SHA-1'));
            messageDigest = digestOf(si.digestAlgorithm, sd.content);
          } else messageDigest = digestByteRange(source, new Uint8Array(0), claimedByteRange, si.digestAlgorithm);
          // ISO 32000-1 §12.8.3.3: plain PKCS #7 (adbe.pkcs7.*) may sign the content digest
          // without signed attributes (RFC 5652 §5.4); CAdES requires them (EN 319 122-1 §5.1).
          const v =
            si.signedAttributes === undefined && subFilter !== 'ETSI.CAdES.detached'
              ? verifySignerInfoWithoutAttributes(si, { certificate: signerDer, contentDigest: messageDigest })
              : verifySignerInfo(si, { certificate: signerDer, messageDigest });
          // RFC 5652 §5.4: with eContent present the message digest is the digest of eContent, so
          // such a container does not sign the ByteRange as the detached /SubFilter says (pdfsig
          // reports a digest mismatch): integrity is not established, whatever the attribute says.
          if (sd.content !== undefined && subFilter !== 'adbe.pkcs7.sha1') contentMatches = false;
          // adbe.pkcs7.* (ISO 32000-1 §12.8.3.3) predate CAdES: no ESS signing-certificate attribute is required.
          const essOptional = subFilter !== 'ETSI.CAdES.detached';
          const problems = v.problems.filter((p) => !(essOptional && p === 'SIGNING_CERTIFICATE_MISSING'));
          crypto = { ...v, isMessageDigestValid: v.isMessageDigestValid && contentMatches };
          if (!contentMatches) {
            out.error(
              'ERR_VALIDATION_DIGEST_MISMATCH',
              'cryptographic-verification',
              subFilter === 'adbe.pkcs7.sha1' ? 'CMS: the encapsulated SHA-1 digest does not match the ByteRange' : 'CMS: the signature covers its encapsulated content, not the ByteRange',
            );
          }
          for (const p of problems) {
            const message = `CMS: ${p}`;
            if (p === 'MESSAGE_DIGEST_MISMATCH' || p === 'MESSAGE_DIGEST_MISSING') out.error('ERR_VALIDATION_DIGEST_MISMATCH', 'cryptographic-verification', message);
            else if (p === 'SIGNATURE_INVALID' || p === 'KEY_ALGORITHM_MISMATCH') out.error('ERR_VALIDATION_SIGNATURE_INVALID', 'cryptographic-verification', message);
            else if (!POLICY_PROBLEMS.has(p)) {
              constraintFailures.push(p);
              out.error('ERR_VALIDATION_SIGNED_ATTRIBUTES', 'cryptographic-verification', message);
            }
          }
          // Second pass, signature acceptance (EN 319 102-1 §5.2.8): the policy judges each digest
          // used and the signer's key size at validation time (long-term.ts judges again at the
          // best signature time a time-stamp proves).
          const policy = options.policy ?? defaultValidationPolicy;
          const facts = {
            digests: [si.digestAlgorithm, si.signatureAlgorithm.digest, ...(subFilter === 'adbe.pkcs7.sha1' ? (['SHA-1'] as const) : [])],
            publicKey: publicKeyFacts(signerDer),
          };
          for (const refusal of acceptanceRefusals(policy, facts, (options.clock ?? systemClock).now())) {
            weakCrypto.push(refusal);
            out.error('ERR_VALIDATION_WEAK_ALGORITHM', 'signature-acceptance', refusal);
          }
        } else out.error('ERR_VALIDATION_SIGNER_CERTIFICATE', 'identification-of-the-signing-certificate', 'the signer certificate is not in the container');
      }
    } catch (err) {
      out.error('ERR_VALIDATION_CMS_STRUCTURE', 'format-checking', isSignetError(err) ? `${err.code}: ${err.message}` : 'the signature container cannot be parsed');
      formatOk = false;
    }
  }

  const covers = byteRange !== undefined && byteRange[2] + byteRange[3] === source.length;
  // V4/V5/V8/V9 (INV-8): whatever follows the signed revision must be an allowed change.
  let modified = false;
  if (byteRange && !covers) {
    const analysis = analyseLaterRevisions(source, doc, byteRange[2] + byteRange[3], {
      certification: rules.certification,
      ...(rules.isLocked ? { isLocked: rules.isLocked } : {}),
      ...(rules.lockPermission ? { lockPermission: rules.lockPermission } : {}),
    });
    modified = analysis.disallowed.length > 0;
    for (const d of analysis.disallowed) out.error('ERR_VALIDATION_MODIFIED', 'modification', `modified after signing: ${d}`);
    // Identical changes (40 pages sharing one content bomb, each annotated) are one warning with a count.
    const counts = new Map<string, number>();
    for (const c of analysis.changes) counts.set(c, (counts.get(c) ?? 0) + 1);
    for (const [c, n] of counts) out.warning('ERR_VALIDATION_LATER_REVISION', 'modification', `later revision (${analysis.level}): ${c}${n > 1 ? ` (${n} times)` : ''}`);
    // Issue 14/15: a page-content bomb stops the overlap check (V10); the check did not finish.
    const unfinished = analysis.changes.filter((c) => c.includes(pageContentOverLimit)).length;
    if (unfinished > 0) {
      out.error('ERR_VALIDATION_INCOMPLETE', 'modification', `whether ${unfinished} change(s) after signing lie over signed page content could not be checked: ${pageContentOverLimit}`);
    }
  }
  let chainStatus: ChainStatus | undefined;
  let chain: string[] = [];
  let signerSubject: string | undefined;
  let qcStatements: QcStatementsInfo | undefined;
  let chainErrors = 0;
  if (signerDer) {
    const path = buildCertificatePath(signerDer, pool, options.trustAnchors ?? [], (options.clock ?? systemClock).now());
    chainStatus = path.status;
    chain = path.chain.map(commonName);
    signerSubject = chain[0];
    qcStatements = qualifiedCertificateStatements(signerDer);
    for (const p of path.problems) out.error('ERR_VALIDATION_CHAIN', 'x509-certificate-validation', p);
    chainErrors = path.problems.length;
  }
  const explained = out.findings.filter((f) => f.severity === 'error' && f.code !== 'ERR_VALIDATION_CHAIN' && f.code !== 'ERR_VALIDATION_WEAK_ALGORITHM').length;
  const [indication, subIndication] = basicSignatureValidation({
    formatOk,
    modified,
    hasCert: signerDer !== undefined,
    crypto,
    constraintFailures,
    weakCrypto,
    chain: chainStatus,
    otherErrors: explained + (chainStatus === 'trusted' ? chainErrors : 0),
  });
  return {
    ...base,
    indication,
    subIndication,
    signerSubject,
    ...(qcStatements !== undefined ? { qcStatements } : {}),
    byteRange: claimedByteRange,
    coversWholeDocument: covers,
    isIntact: crypto?.isSignatureValid === true && crypto.isMessageDigestValid,
    chainStatus,
    chain,
    problems: out.problems,
    warnings: out.warnings,
    findings: out.findings,
  };
}

/**
 * Format checking of the encapsulated content (EN 319 102-1 §5.2.2): the detached SubFilters
 * sign the ByteRange outside the CMS, so eContent must be absent (RFC 5652 §5.2; ETSI EN 319
 * 142-1 §6.3 and ISO 32000-1 §12.8.3.3.1 for adbe.pkcs7.detached); adbe.pkcs7.sha1 encapsulates
 * the 20-byte SHA-1 digest as id-data. An enveloping CMS carrying the document fails here.
 */
function contentCheck(subFilter: string, contentType: string, content: Uint8Array | undefined, out: FindingList): { ok: boolean } {
  if (contentType !== cmsOids.id_data) {
    out.error('ERR_VALIDATION_ENCAPSULATED_CONTENT', 'format-checking', `the encapsulated content type is ${contentType}, not id-data`);
    return { ok: false };
  }
  if (subFilter === 'adbe.pkcs7.sha1') {
    if (content?.length !== 20) {
      out.error('ERR_VALIDATION_ENCAPSULATED_CONTENT', 'format-checking', 'adbe.pkcs7.sha1 needs the 20-byte SHA-1 digest of the ByteRange as encapsulated content');
      return { ok: false };
    }
    return { ok: true };
  }
  if (content !== undefined) {
    out.error(
      'ERR_VALIDATION_ENCAPSULATED_CONTENT',
      'format-checking',
      `the CMS encapsulates ${content.length} bytes of content (eContent present); /SubFilter ${subFilter} requires a detached signature`,
    );
    return { ok: false };
  }
  return { ok: true };
}

/**
 * Validates every signed signature field of a PDF.
 *
 * @example
 * ```ts
 * const report = verifyPdfSignatures(signedBytes, { trustAnchors: [rootDer] });
 * report.signatures.every((s) => s.indication === 'TOTAL-PASSED');
 * ```
 */
export function verifyPdfSignatures(input: ByteSource | Uint8Array | PdfDocument, options: VerifyOptions = {}): DocumentReport {
  let doc: PdfDocument;
  if (input instanceof PdfDocument) {
    // An open document (its limits and password were given when it was opened): the streams it
    // has decoded and its decode budget are shared with whoever opened it (issue 15).
    doc = input;
  } else {
    try {
      doc = PdfDocument.open(input instanceof Uint8Array ? bytesSource(input) : input, {
        ...(options.limits === undefined ? {} : { limits: options.limits }),
        ...(options.password === undefined ? {} : { password: options.password }),
      });
    } catch (err) {
      if (!isSignetError(err) || options.unreadable === 'throw') throw err;
      return unreadableDocument(err);
    }
  }
  const source = doc.source;
  const signatures: SignatureReport[] = [];
  const signed: (SignedField & { readonly ref: PdfRef; readonly fieldDict: PdfDict })[] = [];
  let fields: ReturnType<typeof listSignatureFields>;
  try {
    fields = listSignatureFields(doc);
  } catch (err) {
    if (!isSignetError(err)) throw err;
    // A form whose fields a reader limit stops (issue 15: fields in inflating object streams):
    // which signatures the file has is not known — the report says so (INDETERMINATE).
    if (/_LIMIT/.test(err.code)) return unfinishedDocument('listing the signature fields', err, doc.warnings);
    if (options.unreadable === 'throw') throw err;
    return unreadableDocument(err);
  }
  for (const f of fields) {
    try {
      const value = f.dict.get('V');
      const v = doc.resolveDict(value);
      if (v !== undefined) signed.push({ fieldName: f.fullName, value: value instanceof PdfRef ? value : v, dict: v, ref: f.ref, fieldDict: f.dict });
    } catch (err) {
      // V16: a signature whose dictionary cannot be read fails on its own; the others are still reported.
      if (!isSignetError(err)) throw err;
      signatures.push(unreadableSignature(f.fullName, `${err.code}: ${err.message}`));
    }
  }
  const certification = checkCertificationStructure(doc, signed);
  for (const f of signed) {
    try {
      // A direct /V dictionary lives inside the field's own object.
      const location = doc.objectLocation(f.value instanceof PdfRef ? f.value : f.ref);
      const rules: DocumentRules = {
        certification: certification.permission,
        structureProblems: certification.problems.get(f.fieldName) ?? [],
        isLocked: fieldLocksOf(doc, f.dict, f.fieldDict),
        lockPermission: lockPermissionOf(doc, f.dict, f.fieldDict),
      };
      signatures.push(verifyOne(source, doc, rules, f.fieldName, f.dict, location, options));
    } catch (err) {
      if (!isSignetError(err)) throw err;
      signatures.push(unreadableSignature(f.fieldName, `${err.code}: ${err.message}`));
    }
  }
  return { signatures: failCollisions(signatures), warnings: doc.warnings };
}

/**
 * The report of a file the reader cannot open (issue 14: every file gets a report). A limit the
 * reader enforces leaves the question open (INDETERMINATE); a file that is not a readable PDF
 * fails the format check (EN 319 102-1 §5.2.2: TOTAL-FAILED/FORMAT_FAILURE).
 */
export function unreadableDocument(err: SignetError): DocumentReport {
  const isLimit = /_LIMIT/.test(err.code);
  const message = `${isLimit ? "the file cannot be read within the reader's limits" : 'the file cannot be read as a PDF'}: ${err.code}: ${err.message}`;
  return {
    signatures: [],
    warnings: [],
    findings: [{ code: 'ERR_VALIDATION_FILE_UNREADABLE', check: 'document', severity: 'error', message }],
    ...(isLimit ? { indication: 'INDETERMINATE' } : { indication: 'TOTAL-FAILED', subIndication: 'FORMAT_FAILURE' }),
  };
}

/**
 * The report of a file whose reading a reader limit stopped after it was opened: the step that
 * could not finish is named in an ERR_VALIDATION_INCOMPLETE finding, INDETERMINATE (§5.1.3).
 */
function unfinishedDocument(step: string, err: SignetError, warnings: readonly string[]): DocumentReport {
  const message = `${step} could not finish within the reader's limits: ${err.code}: ${err.message}`;
  return { signatures: [], warnings, findings: [{ code: 'ERR_VALIDATION_INCOMPLETE', check: 'document', severity: 'error', message }], indication: 'INDETERMINATE' };
}

/** The report of a signature field whose signature dictionary cannot be parsed (V16). */
function unreadableSignature(fieldName: string, reason: string): SignatureReport {
  const message = `the signature dictionary cannot be read: ${reason}`;
  return {
    fieldName,
    indication: 'TOTAL-FAILED',
    subIndication: 'FORMAT_FAILURE',
    subFilter: undefined,
    signerSubject: undefined,
    claimedSigningTime: undefined,
    byteRange: undefined,
    coversWholeDocument: false,
    isIntact: false,
    chainStatus: undefined,
    chain: [],
    problems: [message],
    warnings: [],
    findings: [{ code: 'ERR_VALIDATION_SIGNATURE_UNREADABLE', check: 'format-checking', severity: 'error', message }],
  };
}

/** V6 (PDF-09): signatures whose holes coincide or overlap are all FAILED. */
function failCollisions(reports: readonly SignatureReport[]): SignatureReport[] {
  return reports.map((r, i) => {
    const [, b = 0, c = 0] = r.byteRange ?? [];
    if (r.byteRange === undefined) return r;
    const clash = reports.find((o, j) => {
      const [, ob = 0, oc = 0] = o.byteRange ?? [];
      return j !== i && o.byteRange !== undefined && b < oc && ob < c;
    });
    if (clash === undefined) return r;
    const message = `its /ByteRange hole collides with the one of signature ${clash.fieldName}`;
    return {
      ...r,
      indication: 'TOTAL-FAILED',
      subIndication: 'FORMAT_FAILURE',
      problems: [...r.problems, message],
      findings: [...(r.findings ?? []), { code: 'ERR_VALIDATION_COLLISION', check: 'format-checking', severity: 'error', message }],
    };
  });
}
