/** The gateway's job as GET /api/v1/jobs/:id returns it (docs/decisions/0001 Contract 4). */

export type JobState = 'draft' | 'authorizing' | 'signing' | 'done' | 'failed';

export interface JobDocument {
  readonly id: string;
  readonly name: string;
  readonly pages: number;
  readonly state: string;
  /** A batch receipt is at …/documents/{id}/receipt (issue 21). */
  readonly hasReceipt?: boolean;
  readonly error?: { readonly code: string; readonly message: string };
}

export interface JobSummary {
  readonly id: string;
  readonly state: JobState;
  readonly total: number;
  readonly signed: number;
  readonly failed: number;
  readonly level?: string;
  readonly createdAt?: number;
  /** Why the whole job stopped, when it did. */
  readonly error?: { readonly code: string; readonly message: string };
}

export interface Job extends JobSummary {
  readonly documents: readonly JobDocument[];
}

/** The job's state in plain words. */
export function jobStateWords(job: JobSummary): string {
  switch (job.state) {
    case 'draft':
      return 'not signed yet';
    case 'authorizing':
      return 'waiting for your approval';
    case 'signing':
      return `signing ${job.signed} of ${job.total}`;
    case 'done':
      return job.failed > 0 ? `done: ${job.signed} signed, ${job.failed} failed` : `done: ${job.signed} signed`;
    case 'failed':
      return 'failed';
    default:
      return String(job.state as string);
  }
}
