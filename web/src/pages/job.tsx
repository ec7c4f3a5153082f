/** A signing job's progress (issue 13, journey 2). */
import type { JSX } from 'preact';
import { PageTitle } from '../components/page-title.js';

export function JobPage({ jobId }: { readonly jobId: string }): JSX.Element {
  return (
    <section aria-labelledby="page-title">
      <PageTitle>Signing job</PageTitle>
      <p>{jobId}</p>
    </section>
  );
}
