/**
 * Verify (issue 13, journey 3): the file input "Signed PDF" sends the document to
 * POST /api/v1/validate (validated on the server with Signet's validation library and not stored)
 * and shows, per signature and in plain words, who signed, when, the PAdES level reached, whether
 * the document changed since, and the ETSI EN 319 102-1 indication with its sub-indication
 * explained, and each typed finding in plain words with its code in small print; details expand;
 * the JSON report can be downloaded.
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { asApiError, postPdf, type ApiError } from '../api.js';
import { ErrorNote } from '../components/error-note.js';
import { PageTitle } from '../components/page-title.js';
import { StatusIcon, type Tone } from '../components/status-icon.js';
import { formatDate, formatSize, plural, safeFileName } from '../format.js';

interface TimestampReport {
  readonly kind: 'signature' | 'document';
  readonly isValid: boolean;
  readonly genTime?: string;
  readonly tsaSubject?: string;
  readonly problems: readonly string[];
}

interface SignatureReport {
  readonly fieldName: string;
  readonly indication: 'TOTAL-PASSED' | 'TOTAL-FAILED' | 'INDETERMINATE';
  readonly subIndication?: string;
  readonly subFilter?: string;
  readonly signerSubject?: string;
  readonly claimedSigningTime?: string;
  readonly coversWholeDocument: boolean;
  readonly isIntact: boolean;
  readonly chainStatus?: string;
  readonly chain: readonly string[];
  readonly problems: readonly string[];
  readonly warnings: readonly string[];
  readonly isDocumentTimestamp?: boolean;
  readonly level?: string;
  readonly timestamps?: readonly TimestampReport[];
  readonly revocation?: {
    readonly status: string;
    readonly source?: string;
    readonly origin?: string;
    readonly revocationTime?: string;
  };
  readonly findings?: readonly Finding[];
}

/** A typed finding of the report (docs/errors/validation.md). */
interface Finding {
  readonly code: string;
  readonly check: string;
  readonly severity: 'error' | 'warning' | 'info';
  readonly message: string;
}

/** The answer of POST /api/v1/validate. */
export interface ValidationAnswer {
  readonly document: { readonly size: number; readonly sha256: string };
  readonly validatedAt: string;
  readonly trustAnchors: readonly string[];
  readonly signatures: readonly SignatureReport[];
  readonly warnings: readonly string[];
  /** Set when the file as a whole could not be validated (a reader limit stopped it). */
  readonly indication?: SignatureReport['indication'];
  readonly subIndication?: string;
  readonly findings?: readonly Finding[];
}

const indicationWords: Record<
  SignatureReport['indication'],
  { readonly text: string; readonly tone: Tone }
> = {
  'TOTAL-PASSED': { text: 'Valid', tone: 'good' },
  'TOTAL-FAILED': { text: 'Not valid', tone: 'bad' },
  INDETERMINATE: { text: 'Could not be confirmed', tone: 'unknown' },
};

/** ETSI EN 319 102-1 §5.1.3 sub-indications in plain words. */
const subIndicationWords: Record<string, string> = {
  FORMAT_FAILURE:
    'The signature is not built the way the standard requires, so it cannot be checked.',
  HASH_FAILURE: 'The signed content no longer matches the signature: the document was altered.',
  SIG_CRYPTO_FAILURE: "The signature value does not verify with the signer's certificate.",
  NO_SIGNING_CERTIFICATE_FOUND:
    "The signer's certificate is missing, so nobody can tell who signed.",
  NO_CERTIFICATE_CHAIN_FOUND:
    "The signer's certificate does not lead to a certificate authority this service trusts.",
  OUT_OF_BOUNDS_NO_POE:
    "The signer's certificate was not valid at the time, and nothing proves the signature was made while it was.",
  SIG_CONSTRAINTS_FAILURE:
    'The signature breaks a rule, for example the document was changed after signing in a way that is not allowed.',
  CHAIN_CONSTRAINTS_FAILURE:
    "A certificate in the signer's chain breaks a rule (for example, it may not issue certificates).",
  REVOKED: "The signer's certificate has been revoked.",
  REVOKED_NO_POE:
    "The signer's certificate was revoked, and nothing proves the signature was made before that.",
  REVOKED_CA_NO_POE:
    "A certificate authority in the signer's chain was revoked, and nothing proves the signature was made before that.",
  CRYPTO_CONSTRAINTS_FAILURE:
    'The signature uses an algorithm or key size that is no longer considered secure.',
  CRYPTO_CONSTRAINTS_FAILURE_NO_POE:
    'The signature uses an algorithm or key size that is no longer considered secure, and nothing proves it was made while it still was.',
  TRY_LATER:
    'Whether a certificate has been revoked could not be found out now; checking again later may give an answer.',
  REVOCATION_OUT_OF_BOUNDS_NO_POE:
    'The revocation information is too old or too new to judge the signature.',
};

/** The typed findings' codes in plain words (docs/errors/validation.md). */
const findingWords: Record<string, string> = {
  ERR_VALIDATION_FILE_UNREADABLE: 'The file cannot be read as a PDF.',
  ERR_VALIDATION_SIGNATURE_UNREADABLE: 'The signature entry in the PDF cannot be read.',
  ERR_VALIDATION_SUBFILTER: 'The signature is of a kind this service does not check.',
  ERR_VALIDATION_BYTE_RANGE:
    'The signature does not say correctly which part of the file it covers.',
  ERR_VALIDATION_CONTENTS: 'The signature value stored in the PDF is missing or damaged.',
  ERR_VALIDATION_CMS_BER:
    'The signature is written in an older encoding; it was read as the standard one.',
  ERR_VALIDATION_CMS_STRUCTURE:
    'The signature container is not built the way the standard requires.',
  ERR_VALIDATION_ENCAPSULATED_CONTENT:
    'The signature carries its own copy of the content instead of signing the PDF.',
  ERR_VALIDATION_CERTIFICATION:
    'The certification of the document is set up in a way the PDF standard forbids.',
  ERR_VALIDATION_COLLISION: 'Two signatures claim the same place in the file.',
  ERR_VALIDATION_SIGNER_CERTIFICATE: "The signer's certificate is missing from the signature.",
  ERR_VALIDATION_DIGEST_MISMATCH: 'The signed content has changed since it was signed.',
  ERR_VALIDATION_SIGNATURE_INVALID: "The signature value does not match the signer's certificate.",
  ERR_VALIDATION_SIGNED_ATTRIBUTES: 'Information the signature must carry is missing or wrong.',
  ERR_VALIDATION_WEAK_ALGORITHM:
    'The signature uses an algorithm or key size that is no longer considered secure.',
  ERR_VALIDATION_CHAIN:
    "The signer's certificate does not lead to a trusted certificate authority, or was not valid at the time.",
  ERR_VALIDATION_MODIFIED:
    'The document was changed after signing in a way the signature does not allow.',
  ERR_VALIDATION_LATER_REVISION:
    'Something was added after signing, of a kind the signature allows.',
  ERR_VALIDATION_SIGNATURE_TIMESTAMP: "The signature's time-stamp does not verify.",
  ERR_VALIDATION_DOCUMENT_TIMESTAMP: 'The document time-stamp does not verify.',
  ERR_VALIDATION_REVOKED: 'A certificate involved has been revoked.',
  ERR_VALIDATION_NO_REVOCATION:
    'Whether a certificate involved has been revoked could not be checked.',
  ERR_VALIDATION_REVOCATION_NOT_FRESH:
    'The information on whether a certificate was revoked is too old to speak about the time of signing.',
  ERR_VALIDATION_INCOMPLETE:
    'A check could not finish: the file makes the reader do too much work (it may be built to overload validators).',
};

const severityWords: Record<Finding['severity'], string> = {
  error: 'Problem',
  warning: 'Warning',
  info: 'Note',
};

/** The EN 319 102-1 building blocks a finding comes from, in words. */
const checkWords: Record<string, string> = {
  document: 'the file',
  'format-checking': 'format',
  'identification-of-the-signing-certificate': "signer's certificate",
  'cryptographic-verification': 'signature value',
  'x509-certificate-validation': 'certificate path',
  'signature-acceptance': 'algorithms',
  modification: 'changes after signing',
  'time-stamp': 'time-stamp',
  revocation: 'revocation',
};

function FindingsList({
  findings,
  index,
}: {
  readonly findings: readonly Finding[];
  readonly index: number | 'file';
}): JSX.Element | null {
  if (findings.length === 0) return null;
  return (
    <section aria-labelledby={`findings-${index}`}>
      <h3 id={`findings-${index}`}>What the checks found</h3>
      <ul class="findings" aria-labelledby={`findings-${index}`}>
        {findings.map((f, i) => (
          <li key={i} class={`finding finding-${f.severity}`}>
            <strong>{severityWords[f.severity]}:</strong> {findingWords[f.code] ?? f.message}
            <small class="block">
              {f.message} — {f.code}, {checkWords[f.check] ?? f.check}
            </small>
          </li>
        ))}
      </ul>
    </section>
  );
}

const chainWords: Record<string, string> = {
  trusted: 'Leads to a trusted root certificate authority.',
  untrusted: 'Does not lead to a root certificate authority this service trusts.',
  expired: 'A certificate of the path was not valid at the time.',
  invalid: 'The certificate path is broken (a signature or a rule of a certificate fails).',
};

const revocationWords: Record<string, string> = {
  good: 'Not revoked',
  revoked: 'Revoked',
  unknown: 'Unknown: the revocation information does not say',
  none: 'No revocation information found',
};

function revocationText(r: NonNullable<SignatureReport['revocation']>): string {
  const where = r.origin === 'online' ? 'asked online when checking' : 'in the document';
  const from = r.source !== undefined ? ` (from ${r.source.toUpperCase()}, ${where})` : '';
  return `${revocationWords[r.status] ?? r.status}${from}${r.revocationTime !== undefined ? `, revoked ${formatDate(r.revocationTime)}` : ''}`;
}

const levelWords: Record<string, string> = {
  'B-B': 'basic signature (B-B)',
  'B-T': 'signature with a trusted time-stamp (B-T)',
  'B-LT': 'signature with a time-stamp and the validation data to check it later (B-LT)',
  'B-LTA':
    'long-term archival signature: time-stamp, validation data and an archive time-stamp (B-LTA)',
};

function changeWords(s: SignatureReport): string {
  // Whether anything was added after the signature; the signed bytes themselves are judged by
  // the result (a broken signature must not read as "nothing has changed").
  if (s.coversWholeDocument && !s.isIntact)
    return 'Nothing was added after this signature, but the signed content itself does not match it (see the result).';
  if (s.coversWholeDocument)
    return 'Nothing has changed since this signature: it covers the whole document.';
  if (s.indication === 'TOTAL-FAILED' && s.subIndication === 'SIG_CONSTRAINTS_FAILURE') {
    return 'The document was changed after this signature in a way that is not allowed.';
  }
  return 'Later additions were made after this signature (such as other signatures, time-stamps or validation data); the checks found only permitted changes.';
}

function SignatureCard({
  s,
  index,
}: {
  readonly s: SignatureReport;
  readonly index: number;
}): JSX.Element {
  const words = indicationWords[s.indication];
  const stamps = (s.timestamps ?? []).filter(
    (t) => t.kind === 'signature' || s.isDocumentTimestamp === true,
  );
  const title =
    s.isDocumentTimestamp === true ? `Document time-stamp ${index + 1}` : `Signature ${index + 1}`;
  return (
    <article class={`card report report-${words.tone}`} aria-labelledby={`sig-${index}`}>
      <header class="report-head">
        <StatusIcon tone={words.tone} label={words.text} />
        <h2 id={`sig-${index}`}>
          {title}: {words.text}
        </h2>
      </header>
      <dl class="facts">
        <dt>{s.isDocumentTimestamp === true ? 'Time-stamp authority' : 'Signed by'}</dt>
        <dd>{s.signerSubject ?? 'Unknown (no certificate)'}</dd>
        {s.isDocumentTimestamp !== true && (
          <>
            <dt>Signed at (claimed)</dt>
            <dd>
              {s.claimedSigningTime !== undefined
                ? `${formatDate(s.claimedSigningTime)}, as stated by the signer's computer`
                : 'Not stated'}
            </dd>
          </>
        )}
        <dt>Time-stamped</dt>
        <dd>
          {stamps.length === 0
            ? 'No trusted time-stamp'
            : stamps.map((t, i) => (
                <span key={i} class="block">
                  {formatDate(t.genTime)} by {t.tsaSubject ?? 'an unknown authority'}
                  {t.isValid ? '' : ' (this time-stamp does not verify)'}
                </span>
              ))}
        </dd>
        {s.level !== undefined && (
          <>
            <dt>Level reached</dt>
            <dd>{levelWords[s.level] ?? s.level}</dd>
          </>
        )}
        <dt>Changes since</dt>
        <dd>{changeWords(s)}</dd>
        <dt>Result</dt>
        <dd>
          <strong>
            {words.text} ({s.indication}
            {s.subIndication !== undefined ? ` / ${s.subIndication}` : ''})
          </strong>
          {s.subIndication !== undefined && (
            <span class="block">{subIndicationWords[s.subIndication] ?? s.subIndication}</span>
          )}
        </dd>
      </dl>
      <FindingsList findings={s.findings ?? []} index={index} />
      <details>
        <summary>Details</summary>
        <dl class="facts small">
          <dt>Field</dt>
          <dd>{s.fieldName}</dd>
          <dt>Format</dt>
          <dd>{s.subFilter ?? '—'}</dd>
          <dt>Integrity</dt>
          <dd>
            {s.isIntact
              ? 'The signed bytes are unchanged (signature and digest verify).'
              : 'The signed bytes do not verify.'}
          </dd>
          <dt>Certificate</dt>
          <dd>
            {s.chainStatus === undefined ? '—' : (chainWords[s.chainStatus] ?? s.chainStatus)}
          </dd>
          <dt>Certificate path</dt>
          <dd>{s.chain.length === 0 ? '—' : s.chain.join(' → ')}</dd>
          <dt>Revocation</dt>
          <dd>{s.revocation === undefined ? '—' : revocationText(s.revocation)}</dd>
          {s.problems.length > 0 && (
            <>
              <dt>Problems</dt>
              <dd>
                <ul>
                  {s.problems.map((p, i) => (
                    <li key={i}>{p}</li>
                  ))}
                </ul>
              </dd>
            </>
          )}
          {s.warnings.length > 0 && (
            <>
              <dt>Warnings</dt>
              <dd>
                <ul>
                  {s.warnings.map((w, i) => (
                    <li key={i}>{w}</li>
                  ))}
                </ul>
              </dd>
            </>
          )}
        </dl>
      </details>
    </article>
  );
}

export function VerifyPage(): JSX.Element {
  const [file, setFile] = useState<File | undefined>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>();
  const [report, setReport] = useState<ValidationAnswer | undefined>();
  const [jsonUrl, setJsonUrl] = useState<string | undefined>();

  useEffect(
    () => () => {
      if (jsonUrl !== undefined) URL.revokeObjectURL(jsonUrl);
    },
    [jsonUrl],
  );

  const check = async (chosen: File): Promise<void> => {
    setFile(chosen);
    setBusy(true);
    setError(undefined);
    setReport(undefined);
    setJsonUrl(undefined);
    try {
      const answer = await postPdf<ValidationAnswer>('/api/v1/validate', chosen);
      setReport(answer);
      setJsonUrl(
        URL.createObjectURL(
          new Blob([JSON.stringify(answer, null, 2)], { type: 'application/json' }),
        ),
      );
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  };

  const passed = report?.signatures.filter((s) => s.indication === 'TOTAL-PASSED').length ?? 0;
  return (
    <section aria-labelledby="page-title">
      <PageTitle>Verify a signed PDF</PageTitle>
      <p>
        Choose a signed PDF. Signet checks every signature in it and tells you who signed, when, and
        whether anything changed. The file is checked on the server and not kept.
      </p>
      <div class="field">
        <label for="signed-pdf">Signed PDF</label>
        <input
          id="signed-pdf"
          type="file"
          accept="application/pdf,.pdf"
          onChange={(e) => {
            const chosen = e.currentTarget.files?.[0];
            if (chosen !== undefined) void check(chosen);
          }}
        />
      </div>
      <div aria-live="polite">
        {busy && <p>Checking {file?.name}…</p>}
        {report !== undefined && file !== undefined && (
          <p class="summary">
            {file.name} ({formatSize(report.document.size)}):{' '}
            {report.signatures.length === 0
              ? 'this document has no signatures.'
              : `${plural(report.signatures.length, 'signature')}, ${passed} valid.`}
          </p>
        )}
      </div>
      <ErrorNote error={error} />
      {report !== undefined && (
        <>
          {report.signatures.map((s, i) => (
            <SignatureCard key={`${s.fieldName}-${i}`} s={s} index={i} />
          ))}
          {report.indication !== undefined && (
            <div class="card">
              <h2>The file: {indicationWords[report.indication].text}</h2>
              <p>
                <strong>
                  {indicationWords[report.indication].text} ({report.indication}
                  {report.subIndication !== undefined ? ` / ${report.subIndication}` : ''})
                </strong>
              </p>
              <FindingsList findings={report.findings ?? []} index="file" />
            </div>
          )}
          {report.warnings.length > 0 && (
            <div class="card">
              <h2>About the file</h2>
              <ul>
                {report.warnings.map((w, i) => (
                  <li key={i}>{w}</li>
                ))}
              </ul>
            </div>
          )}
          <p class="small">
            Checked {formatDate(report.validatedAt)} against{' '}
            {plural(report.trustAnchors.length, 'trusted root')}: {report.trustAnchors.join('; ')}.
            SHA-256 of the file: <code class="hash">{report.document.sha256}</code>
          </p>
          {jsonUrl !== undefined && file !== undefined && (
            <p>
              <a
                class="button"
                href={jsonUrl}
                download={`${safeFileName(file.name).replace(/\.pdf$/i, '')}-report.json`}
              >
                Download the report (JSON)
              </a>
            </p>
          )}
        </>
      )}
    </section>
  );
}
