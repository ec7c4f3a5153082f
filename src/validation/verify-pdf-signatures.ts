/**
 * Validates the signatures of a PDF (ISO 32000-1 §12.8; ETSI EN 319 102-1 basic validation,
 * simplified): ByteRange structure and coverage, the CMS signature and message digest, and a
 * certification path to the given trust anchors. Verdicts are report data; only misuse throws.
 */
import type { X509Certificate } from 'node:crypto';
import { systemClock, type Clock } from '../core/clock.js';
import { isSignetError } from '../core/errors.js';
import type { ParseLimits } from '../core/limits.js';
import {
  findSignerCertificate,
  parseSignedData,
  readElement,
  verifySignerInfo,
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
} from '../pdf/index.js';
import { digestByteRange, listSignatureFields, parsePdfDate } from '../pades/index.js';
import { buildCertificatePath } from './certificate-path.js';
import { checkCertificationStructure, type SignedField } from './certification-structure.js';
import { fieldLocksOf, type FieldLock } from './field-locks.js';
import { analyseLaterRevisions } from './revision-changes.js';
import type { ChainStatus, DocumentReport, Indication, SignatureReport, SubIndication } from './types.js';

/** Options of `verifyPdfSignatures`. */
export interface VerifyOptions {
  /** DER trust anchors; without them no signature can be TOTAL-PASSED. */
  readonly trustAnchors?: readonly Uint8Array[];
  readonly clock?: Clock;
  /** Parser limits for untrusted input (time, decoded stream size, objects). */
  readonly limits?: Partial<ParseLimits>;
}

const CADES_SUBFILTERS = new Set(['ETSI.CAdES.detached', 'adbe.pkcs7.detached']);

function isHexDigit(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66);
}

/** Checks /ByteRange (SECURITY.md V1, V2): four integers, starting at 0, a hole that is exactly /Contents. */
export function checkByteRange(source: ByteSource, dict: PdfDict, problems: string[]): [number, number, number, number] | undefined {
  const br = dict.get('ByteRange');
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
 * The CMS DER inside /Contents and whether non-zero bytes follow it (V3, PDF-11: only 0x00
 * padding may follow; the caller fails the format but still reports the cryptography).
 */
function extractCms(contents: Uint8Array, problems: string[]): { der: Uint8Array; hasTrailingBytes: boolean } | undefined {
  try {
    const end = readElement(contents, 0).end;
    return { der: contents.subarray(0, end), hasTrailingBytes: contents.subarray(end).some((b) => b !== 0) };
  } catch {
    problems.push('/Contents does not hold a DER signature container');
    return undefined;
  }
}

function commonName(cert: X509Certificate): string {
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject);
  return cn?.[1] ?? cert.subject.replace(/\n/g, ', ');
}

function verdict(
  problems: readonly string[],
  formatOk: boolean,
  crypto: SignerInfoVerification | undefined,
  hasCert: boolean,
  chain: ChainStatus | undefined,
  modified: boolean,
): [Indication, SubIndication | undefined] {
  if (!formatOk) return ['TOTAL-FAILED', 'FORMAT_FAILURE'];
  // V8/V9: a disallowed change after signing fails the signature whatever its cryptography.
  if (modified) return ['TOTAL-FAILED', 'SIG_CONSTRAINTS_FAILURE'];
  if (!hasCert) return ['INDETERMINATE', 'NO_SIGNING_CERTIFICATE_FOUND'];
  if (crypto && !crypto.isMessageDigestValid) return ['TOTAL-FAILED', 'HASH_FAILURE'];
  if (crypto && !crypto.isSignatureValid) return ['TOTAL-FAILED', 'SIG_CRYPTO_FAILURE'];
  if (!crypto || !crypto.isValid) return ['TOTAL-FAILED', 'SIG_CONSTRAINTS_FAILURE'];
  if (chain === 'invalid') return ['INDETERMINATE', 'CHAIN_CONSTRAINTS_FAILURE'];
  if (chain === 'expired') return ['INDETERMINATE', 'OUT_OF_BOUNDS_NO_POE'];
  if (chain !== 'trusted') return ['INDETERMINATE', 'NO_CERTIFICATE_CHAIN_FOUND'];
  if (problems.length > 0) return ['INDETERMINATE', undefined];
  return ['TOTAL-PASSED', undefined];
}

/** What the document says about one signature beyond its own dictionary (V9). */
interface DocumentRules {
  /** The DocMDP permission enforced (the strictest claimed). */
  readonly certification: 1 | 2 | 3 | undefined;
  /** Certification-structure faults of this signature (PDF-24). */
  readonly structureProblems: readonly string[];
  /** The fields this signature locks (FieldMDP, PDF-25). */
  readonly isLocked: FieldLock | undefined;
}

function verifyOne(
  source: ByteSource,
  doc: PdfDocument,
  rules: DocumentRules,
  fieldName: string,
  dict: PdfDict,
  location: ObjectLocation | undefined,
  options: VerifyOptions,
): SignatureReport {
  const problems: string[] = [];
  const warnings: string[] = [];
  const subFilter = dict.getName('SubFilter');
  const m = dict.get('M');
  const claimedSigningTime = m instanceof PdfString ? parsePdfDate(m.toText()) : undefined;
  const base = { fieldName, subFilter, claimedSigningTime };

  let formatOk = true;
  // V9 (PDF-24): a certification structure ISO 32000-1 §12.8.2.2.1 forbids fails the signature.
  if (rules.structureProblems.length > 0) {
    problems.push(...rules.structureProblems);
    formatOk = false;
  }
  if (!(dict.get('Filter') instanceof PdfName)) warnings.push('/Filter is missing');
  const isCades = subFilter !== undefined && CADES_SUBFILTERS.has(subFilter);
  if (!isCades) {
    problems.push(`unsupported /SubFilter ${subFilter ?? '(none)'}`);
    formatOk = false;
  }
  const claimedByteRange = checkByteRange(source, dict, problems);
  let byteRange = claimedByteRange;
  if (byteRange && !holeInOwnObject(source, location, byteRange[1])) {
    problems.push("the /ByteRange hole is not inside this signature dictionary's own object");
    byteRange = undefined;
  }
  const contents = dict.get('Contents');
  if (!(contents instanceof PdfString) || contents.bytes.length === 0) {
    problems.push('/Contents is missing or empty');
    formatOk = false;
  }
  if (!byteRange) formatOk = false;
  const container = contents instanceof PdfString && contents.bytes.length > 0 ? extractCms(contents.bytes, problems) : undefined;
  if (!container) formatOk = false;
  else if (container.hasTrailingBytes) {
    problems.push('non-zero bytes follow the signature container in /Contents');
    formatOk = false;
  }

  // The cryptographic check runs over the claimed ByteRange even when V2/V3 already failed the
  // format: the report then says "intact but malformed" (what pdfsig and DSS call the signature
  // intact), while the indication stays FORMAT_FAILURE. Other /SubFilters (a document
  // timestamp's RFC 3161 token) are not detached CMS signatures over the ByteRange.
  let crypto: SignerInfoVerification | undefined;
  let signerDer: Uint8Array | undefined;
  let pool: readonly Uint8Array[] = [];
  if (container && claimedByteRange && isCades) {
    try {
      const sd = parseSignedData(container.der);
      pool = sd.certificates;
      const si = sd.signerInfos.length === 1 ? sd.signerInfos[0] : undefined;
      if (!si) {
        problems.push(`the container has ${sd.signerInfos.length} SignerInfos (exactly one expected)`);
        formatOk = false;
      } else {
        signerDer = findSignerCertificate(sd, si);
        if (signerDer) {
          const digest = digestByteRange(source, new Uint8Array(0), claimedByteRange, si.digestAlgorithm);
          crypto = verifySignerInfo(si, { certificate: signerDer, messageDigest: digest });
          problems.push(...crypto.problems.map((p) => `CMS: ${p}`));
        } else problems.push('the signer certificate is not in the container');
      }
    } catch (err) {
      problems.push(isSignetError(err) ? `${err.code}: ${err.message}` : 'the signature container cannot be parsed');
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
    });
    modified = analysis.disallowed.length > 0;
    problems.push(...analysis.disallowed.map((d) => `modified after signing: ${d}`));
    warnings.push(...analysis.changes.map((c) => `later revision (${analysis.level}): ${c}`));
  }
  let chainStatus: ChainStatus | undefined;
  let chain: string[] = [];
  let signerSubject: string | undefined;
  if (signerDer) {
    const path = buildCertificatePath(signerDer, pool, options.trustAnchors ?? [], (options.clock ?? systemClock).now());
    chainStatus = path.status;
    chain = path.chain.map(commonName);
    signerSubject = chain[0];
    problems.push(...path.problems);
  }
  const [indication, subIndication] = verdict(problems.filter((p) => !p.startsWith('no path') && !p.startsWith('certificate not valid')), formatOk, crypto, signerDer !== undefined, chainStatus, modified);
  return {
    ...base,
    indication,
    subIndication,
    signerSubject,
    byteRange: claimedByteRange,
    coversWholeDocument: covers,
    isIntact: crypto?.isSignatureValid === true && crypto.isMessageDigestValid,
    chainStatus,
    chain,
    problems,
    warnings,
  };
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
export function verifyPdfSignatures(input: ByteSource | Uint8Array, options: VerifyOptions = {}): DocumentReport {
  const source = input instanceof Uint8Array ? bytesSource(input) : input;
  const doc = PdfDocument.open(source, options.limits === undefined ? {} : { limits: options.limits });
  const signatures: SignatureReport[] = [];
  const signed: (SignedField & { readonly ref: PdfRef; readonly fieldDict: PdfDict })[] = [];
  for (const f of listSignatureFields(doc)) {
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
      };
      signatures.push(verifyOne(source, doc, rules, f.fieldName, f.dict, location, options));
    } catch (err) {
      if (!isSignetError(err)) throw err;
      signatures.push(unreadableSignature(f.fieldName, `${err.code}: ${err.message}`));
    }
  }
  return { signatures: failCollisions(signatures), warnings: doc.warnings };
}

/** The report of a signature field whose signature dictionary cannot be parsed (V16). */
function unreadableSignature(fieldName: string, reason: string): SignatureReport {
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
    problems: [`the signature dictionary cannot be read: ${reason}`],
    warnings: [],
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
    return {
      ...r,
      indication: 'TOTAL-FAILED',
      subIndication: 'FORMAT_FAILURE',
      problems: [...r.problems, `its /ByteRange hole collides with the one of signature ${clash.fieldName}`],
    };
  });
}
