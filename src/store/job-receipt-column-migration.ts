/**
 * Migration 0019 (issue 21): drops `gateway_job_documents.receipt`, which 0017 added and nothing
 * ever wrote. A job document's receipt is the one `batch_receipts` holds for its DTBS/R hash under
 * the job's credential (written with the consumption that signed it), so a copy per document would
 * only be a second place to keep in step. SQLite drops a column since 3.35 (ALTER TABLE DROP COLUMN).
 */
import type { Kysely, Migration } from 'kysely';

/** The column drop (both stores). */
export const jobReceiptColumnMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('gateway_job_documents').dropColumn('receipt').execute();
  },
};
