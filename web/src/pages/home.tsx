/** The start page: what the person can do, and their recent signing jobs (GET /api/v1/jobs). */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { asApiError, get, type ApiError, type SessionUser } from '../api.js';
import { ErrorNote } from '../components/error-note.js';
import { PageTitle } from '../components/page-title.js';
import { formatDate } from '../format.js';
import { Link } from '../router.js';
import { jobStateWords, type JobSummary } from './job-types.js';

export function HomePage({ user }: { readonly user: SessionUser }): JSX.Element {
  const [jobs, setJobs] = useState<readonly JobSummary[] | undefined>();
  const [error, setError] = useState<ApiError | undefined>();
  useEffect(() => {
    get<readonly JobSummary[] | { jobs: readonly JobSummary[] }>('/api/v1/jobs').then(
      (answer) => setJobs(Array.isArray(answer) ? answer : (answer as { jobs: readonly JobSummary[] }).jobs),
      (err: unknown) => {
        const e = asApiError(err);
        if (e.status !== 404) setError(e);
        setJobs([]);
      },
    );
  }, []);
  return (
    <section aria-labelledby="page-title">
      <PageTitle>Welcome, {user.username}</PageTitle>
      <div class="tiles">
        <Link href="/sign" class="tile">
          <strong>Sign documents</strong>
          <span>Upload PDFs, check them, sign them all with one approval.</span>
        </Link>
        <Link href="/verify" class="tile">
          <strong>Verify</strong>
          <span>Check who signed a PDF and whether it changed since.</span>
        </Link>
        <Link href="/account" class="tile">
          <strong>Account</strong>
          <span>Passkeys, one-time codes, your certificates and activity.</span>
        </Link>
      </div>
      <h2>Your recent signing jobs</h2>
      <ErrorNote error={error} />
      {jobs === undefined && <p>Loading…</p>}
      {jobs !== undefined && jobs.length === 0 && <p>No signing jobs yet.</p>}
      {jobs !== undefined && jobs.length > 0 && (
        <ul class="plain">
          {jobs.slice(0, 20).map((job) => (
            <li key={job.id}>
              <Link href={`/jobs/${job.id}`}>
                {job.total} document{job.total === 1 ? '' : 's'}
                {job.createdAt !== undefined ? `, ${formatDate(job.createdAt)}` : ''}
              </Link>{' '}
              — {jobStateWords(job)}
              {job.level !== undefined && <span class="small"> ({job.level})</span>}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
