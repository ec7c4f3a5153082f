/**
 * A signing job after approval (issue 13, journey 2): a progress bar "Signing 37 of 200" (role
 * progressbar, that text as its accessible name) fed by polling GET /api/v1/jobs/:id, so it
 * survives a reload and shows the same on any node; per-document status with errors in plain
 * words (code in small print); "Download" per signed file (with "Download receipt" when it has a
 * batch receipt) and "Download all (ZIP)".
 */
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { asApiError, get, post, type ApiError } from '../api.js';
import { ErrorNote } from '../components/error-note.js';
import { PageTitle } from '../components/page-title.js';
import { StatusIcon } from '../components/status-icon.js';
import { plural } from '../format.js';
import { describeError } from '../messages.js';
import { Link } from '../router.js';
import type { Job, JobDocument } from './job-types.js';

/** How often the page asks for progress while the job runs. */
const pollMs = 700;

function progressText(job: Job): string {
  if (job.state === 'done') return job.failed > 0 ? `Signed ${job.signed} of ${job.total}, ${job.failed} failed` : `Signed ${job.signed} of ${job.total}`;
  if (job.state === 'failed') return `Stopped: ${job.signed} of ${job.total} signed`;
  if (job.state === 'signing') return `Signing ${job.signed} of ${job.total}`;
  if (job.state === 'authorizing') return `Waiting for your approval (0 of ${job.total})`;
  return `Not signed yet (0 of ${job.total})`;
}

function documentWords(doc: JobDocument): string {
  switch (doc.state) {
    case 'signed':
      return 'Signed';
    case 'failed':
      return 'Not signed';
    case 'signing':
    case 'prepared':
      return 'Signing…';
    default:
      return 'Waiting';
  }
}

function DocumentRow({ jobId, doc }: { readonly jobId: string; readonly doc: JobDocument }): JSX.Element {
  const error = doc.error === undefined ? undefined : describeError({ status: 0, code: doc.error.code, message: doc.error.message } as ApiError);
  return (
    <li>
      <span class="doc-name">
        {doc.state === 'signed' && <StatusIcon tone="good" label="Signed" />}
        {doc.state === 'failed' && <StatusIcon tone="bad" label="Not signed" />} <strong>{doc.name}</strong>{' '}
        <span class="small">({plural(doc.pages, 'page')})</span>
      </span>
      <span>
        {documentWords(doc)}
        {error !== undefined && (
          <span class="block">
            {error.message} <small>Error code: {error.code}</small>
          </span>
        )}
      </span>
      {doc.state === 'signed' && (
        <span class="doc-actions">
          {doc.hasReceipt === true && (
            // Issue 21: the proof that this document was one of the approved batch (signet receipt verify).
            <a href={`/api/v1/jobs/${jobId}/documents/${doc.id}/receipt`} aria-label={`Download receipt for ${doc.name}`}>
              Download receipt
            </a>
          )}
          <a class="button" href={`/api/v1/jobs/${jobId}/documents/${doc.id}/signed`} download={doc.name} aria-label={`Download ${doc.name}`}>
            Download
          </a>
        </span>
      )}
    </li>
  );
}

export function JobPage({ jobId }: { readonly jobId: string }): JSX.Element {
  const [job, setJob] = useState<Job | undefined>();
  const [error, setError] = useState<ApiError | undefined>();
  const [busy, setBusy] = useState(false);
  const timer = useRef<number | undefined>();

  useEffect(() => {
    let stopped = false;
    const poll = async (): Promise<void> => {
      try {
        const next = await get<Job>(`/api/v1/jobs/${jobId}`);
        if (stopped) return;
        setJob(next);
        setError(undefined);
        if (next.state === 'signing' || next.state === 'authorizing') timer.current = window.setTimeout(() => void poll(), next.state === 'signing' ? pollMs : pollMs * 3);
      } catch (err) {
        if (stopped) return;
        const e = asApiError(err);
        setError(e);
        // A passing network hiccup: keep asking; a refusal (404, 401) ends the polling.
        if (e.status === 0 || e.status >= 500 || e.status === 429) timer.current = window.setTimeout(() => void poll(), pollMs * 3);
      }
    };
    void poll();
    return () => {
      stopped = true;
      window.clearTimeout(timer.current);
    };
  }, [jobId]);

  const approveAgain = async (): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      const { authorizationUrl } = await post<{ authorizationUrl: string }>(`/api/v1/jobs/${jobId}/sign`, {});
      window.location.assign(authorizationUrl);
    } catch (err) {
      setError(asApiError(err));
      setBusy(false);
    }
  };

  const text = job === undefined ? 'Loading…' : progressText(job);
  const done = job?.signed ?? 0;
  const total = job?.total ?? 0;
  return (
    <section aria-labelledby="page-title">
      <PageTitle>Signing job</PageTitle>
      <ErrorNote error={error} />
      {job !== undefined && (
        <>
          <div
            class="progress"
            role="progressbar"
            aria-label={text}
            aria-valuemin={0}
            aria-valuemax={Math.max(total, 1)}
            aria-valuenow={done}
            aria-valuetext={text}
          >
            <div
              class="progress-bar"
              ref={(el) => {
                if (el !== null) el.style.width = `${total === 0 ? 0 : Math.round((done / total) * 100)}%`;
              }}
            />
          </div>
          <p class="summary" aria-live="polite">
            {text}
          </p>
          {job.error !== undefined && <ErrorNote error={{ status: 0, code: job.error.code, message: job.error.message } as ApiError} />}
          {(job.state === 'draft' || job.state === 'authorizing') && (
            <div class="actions">
              <button type="button" class="primary" disabled={busy} onClick={() => void approveAgain()}>
                Go to approval
              </button>
              <span class="help">The documents are signed only after you approve them.</span>
            </div>
          )}
          {job.signed > 0 && (job.state === 'done' || job.state === 'failed') && (
            <p>
              <a class="button primary" href={`/api/v1/jobs/${jobId}/signed.zip`} download="signed.zip">
                Download all (ZIP)
              </a>
            </p>
          )}
          <h2>Documents</h2>
          <ul class="status-list">
            {job.documents.map((doc) => (
              <DocumentRow key={doc.id} jobId={jobId} doc={doc} />
            ))}
          </ul>
          {(job.state === 'done' || job.state === 'failed') && (
            <p>
              <Link href="/sign">Sign more documents</Link> · <Link href="/verify">Verify a signed PDF</Link>
            </p>
          )}
        </>
      )}
    </section>
  );
}
