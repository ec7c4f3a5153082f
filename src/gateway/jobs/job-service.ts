/**
 * Signing jobs of the web gateway (docs/decisions/0001 Contract 4): a person's job holds up to
 * 500 PDFs, each checked as a PDF and sealed at rest; the job and its documents are visible only
 * to their owner — anything else is answered like a missing job (docs/security.md AC-05). Sign,
 * callback and the signing run are in job-authorization.ts and job-runner.ts.
 */
import { randomBytes } from 'node:crypto';
import { appendAudit } from '../../audit/index.js';
import { isSignetError } from '../../core/errors.js';
import { keyLabel } from '../../keys/index.js';
import { PdfDocument } from '../../pdf/index.js';
import {
  findCredential,
  findGatewayDocument,
  findGatewayJob,
  gatewayDocumentSlots,
  insertGatewayDocument,
  insertGatewayJob,
  listGatewayDocuments,
  listUserCredentials,
  listUserGatewayJobs,
  setGatewayDocumentVisible,
  updateGatewayJob,
  userGatewayBytes,
  type GatewayDocumentSummary,
  type GatewayJobRow,
  findBatchReceiptsByHash,
  listBatchReceiptHashes,
} from '../../store/index.js';
import type { PadesLevel, VisibleSignature } from '../../pades/index.js';
import { GatewayError } from '../errors.js';
import { displayName, uniqueEntryNames } from './file-name.js';
import { listProviderCredentials } from './provider-connection.js';
import { documentAad, openSealed, type JobContext } from './job-context.js';
import type { ZipEntry } from './zip-writer.js';

/** Job states (Contract 4). */
export type JobState = 'draft' | 'authorizing' | 'signing' | 'done' | 'failed';

/** A job's signing options. */
export interface JobOptions {
  readonly level: PadesLevel;
  readonly reason?: string;
  readonly location?: string;
}

/** A document as the API shows it. */
export interface JobDocumentView {
  readonly id: string;
  readonly name: string;
  readonly pages: number;
  readonly size: number;
  readonly state: string;
  readonly visible: VisibleSignature | null;
  /** Issue 21: GET …/documents/{id}/receipt answers this signed document's batch receipt. */
  readonly hasReceipt: boolean;
  readonly error?: { readonly code: string; readonly message: string };
}

/** A job as the API shows it. */
export interface JobView {
  readonly id: string;
  readonly state: JobState;
  readonly credentialID: string;
  readonly level: PadesLevel;
  readonly reason?: string;
  readonly location?: string;
  readonly total: number;
  readonly signed: number;
  readonly failed: number;
  readonly createdAt: number;
  readonly error?: { readonly code: string; readonly message: string };
  readonly documents: readonly JobDocumentView[];
}

/** A credential as the web app lists it. */
export interface CredentialView {
  readonly credentialID: string;
  readonly subject: string;
  readonly status: string;
  readonly notAfter: string | null;
  readonly algorithm: string;
}

const levels: readonly PadesLevel[] = ['B-B', 'B-T', 'B-LT', 'B-LTA'];

function notFound(): never {
  throw new GatewayError('ERR_GATEWAY_JOB_NOT_FOUND', 'no such job');
}

/** The job `id` when `userId` owns it, else ERR_GATEWAY_JOB_NOT_FOUND (the same answer for both). */
export async function ownedJob(context: JobContext, userId: string, id: string): Promise<GatewayJobRow> {
  const job = /^[A-Za-z0-9_-]{22}$/.test(id) ? await findGatewayJob(context.store.db, id) : undefined;
  if (job === undefined || job.user_id !== userId) notFound();
  return job;
}

/** The job's options as stored. */
export function jobOptions(job: GatewayJobRow): JobOptions {
  return JSON.parse(job.options) as JobOptions;
}

function documentView(d: GatewayDocumentSummary, hasReceipt = false): JobDocumentView {
  return {
    id: d.id,
    name: d.name,
    pages: d.pages,
    size: d.size,
    state: d.state,
    visible: d.visible === null ? null : (JSON.parse(d.visible) as VisibleSignature),
    hasReceipt,
    ...(d.error_code !== null ? { error: { code: d.error_code, message: d.error_message ?? '' } } : {}),
  };
}

function jobView(job: GatewayJobRow, documents: readonly GatewayDocumentSummary[], withReceipt: ReadonlySet<string> = new Set()): JobView {
  const options = jobOptions(job);
  return {
    id: job.id,
    state: job.state as JobState,
    credentialID: job.credential_id,
    level: options.level,
    ...(options.reason !== undefined ? { reason: options.reason } : {}),
    ...(options.location !== undefined ? { location: options.location } : {}),
    total: documents.length,
    signed: documents.filter((d) => d.state === 'signed').length,
    failed: documents.filter((d) => d.state === 'failed').length,
    createdAt: job.created_at,
    ...(job.error_code !== null ? { error: { code: job.error_code, message: job.error_message ?? '' } } : {}),
    documents: documents.map((d) => documentView(d, d.dtbs_hash !== null && withReceipt.has(d.dtbs_hash))),
  };
}

/**
 * The DTBS/R hashes (base64) of the job's signed documents that have a batch receipt, found as
 * {@link documentReceipt} finds one: a job signed through this Signet, under the job's credential.
 */
async function hashesWithReceipt(context: JobContext, job: GatewayJobRow, documents: readonly GatewayDocumentSummary[]): Promise<ReadonlySet<string>> {
  if (job.provider_credential !== null) return new Set();
  const signed = [...new Set(documents.flatMap((d) => (d.state === 'signed' && d.dtbs_hash !== null ? [d.dtbs_hash] : [])))];
  const receipts = await listBatchReceiptHashes(context.store.db, job.user_id, signed.map((h) => new Uint8Array(Buffer.from(h, 'base64'))));
  return new Set(receipts.filter((r) => r.credential_id === job.credential_id).map((r) => Buffer.from(r.hash).toString('base64')));
}

function optionalText(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  // eslint-disable-next-line no-control-regex -- control characters are refused
  if (typeof value !== 'string' || value.length > 200 || /[\u0000-\u001f\u007f]/.test(value)) {
    throw new GatewayError('ERR_GATEWAY_JOB_INPUT', `${field} must be text of at most 200 characters`);
  }
  return value;
}

/** The user's credentials (GET /api/v1/me/credentials). */
export async function listCredentialViews(context: JobContext, userId: string, sessionId = ''): Promise<readonly CredentialView[]> {
  // At a foreign provider the person's credentials are the provider's (service authorization).
  if (context.foreign !== undefined) return listProviderCredentials(context, sessionId);
  const { X509Certificate } = await import('node:crypto');
  const rows = await listUserCredentials(context.store.db, userId);
  return rows.map((row) => {
    const leaf = (JSON.parse(row.certificate_chain) as string[])[0];
    let subject = '';
    let notAfter: string | null = null;
    let algorithm = '';
    if (leaf !== undefined) {
      const cert = new X509Certificate(Buffer.from(leaf, 'base64'));
      subject = cert.subject.replace(/\n/g, ', ');
      notAfter = new Date(cert.validTo).toISOString();
      const key = cert.publicKey;
      algorithm = keyLabel(key);
    }
    return { credentialID: row.id, subject, status: row.status, notAfter, algorithm };
  });
}

/** The credential id of a new job when it is one of the person's active credentials (here or at the foreign provider). */
async function jobCredentialId(context: JobContext, userId: string, credentialID: unknown, sessionId: string): Promise<string> {
  if (typeof credentialID !== 'string' || credentialID.length === 0 || credentialID.length > 200) throw new GatewayError('ERR_GATEWAY_CREDENTIAL', 'no such credential');
  if (context.foreign !== undefined) {
    const listed = (await listProviderCredentials(context, sessionId)).find((c) => c.credentialID === credentialID);
    if (listed === undefined) throw new GatewayError('ERR_GATEWAY_CREDENTIAL', 'no such credential');
    if (listed.status !== 'active') throw new GatewayError('ERR_GATEWAY_CREDENTIAL', `the credential is ${listed.status}`);
    return credentialID;
  }
  const credential = await findCredential(context.store.db, credentialID);
  if (credential === undefined || credential.user_id !== userId) throw new GatewayError('ERR_GATEWAY_CREDENTIAL', 'no such credential');
  if (credential.status !== 'active') throw new GatewayError('ERR_GATEWAY_CREDENTIAL', `the credential is ${credential.status}`);
  return credential.id;
}

/** Creates a draft job for `userId` with one of their active credentials. */
export async function createJob(context: JobContext, userId: string, request: { readonly credentialID?: unknown; readonly level?: unknown; readonly reason?: unknown; readonly location?: unknown }, sessionId = ''): Promise<{ readonly id: string }> {
  const level = request.level ?? 'B-B';
  if (typeof level !== 'string' || !levels.includes(level as PadesLevel)) throw new GatewayError('ERR_GATEWAY_JOB_INPUT', 'level must be B-B, B-T, B-LT or B-LTA');
  const credentialID = request.credentialID;
  const credential = await jobCredentialId(context, userId, credentialID, sessionId);
  const reason = optionalText(request.reason, 'reason');
  const location = optionalText(request.location, 'location');
  const options: JobOptions = { level: level as PadesLevel, ...(reason !== undefined ? { reason } : {}), ...(location !== undefined ? { location } : {}) };
  // 128 random bits: the id is unguessable (AC-05), and still checked against the owner.
  const id = randomBytes(16).toString('base64url');
  const now = context.clock.now().getTime();
  await context.store.transaction(async (trx) => {
    await insertGatewayJob(trx, {
      id,
      user_id: userId,
      credential_id: credential,
      options: JSON.stringify(options),
      state: 'draft',
      total: 0,
      signed_count: 0,
      failed_count: 0,
      state_hash: null,
      oauth_pending: null,
      approved: null,
      access_token: null,
      token_expires_at: null,
      provider_credential: null,
      lease_owner: null,
      lease_until: null,
      error_code: null,
      error_message: null,
      created_at: now,
      updated_at: now,
      purge_at: now + context.limits.retentionMs,
    });
    await appendAudit(trx, { type: 'gateway.job.create', outcome: 'success', actorUserId: userId, subject: `job:${id}`, details: { credentialID: credential, level: options.level } }, context.audit);
  });
  return { id };
}

/**
 * The page count of `bytes` as a PDF, read on the server's document workers when it has them; a
 * broken or encrypted file is a clear coded error, a reader limit (ERR_PDF_LIMIT_*: a
 * decompression bomb, a worker's heap or deadline) is that limit's code, as signDoc answers it.
 */
async function checkPdf(context: JobContext, bytes: Uint8Array): Promise<number> {
  try {
    const pages = context.documents !== undefined ? await context.documents.pageCount(bytes) : PdfDocument.open(bytes).pages().length;
    if (pages < 1) throw new GatewayError('ERR_GATEWAY_PDF_UNREADABLE', 'the PDF has no pages');
    return pages;
  } catch (cause) {
    if (cause instanceof GatewayError) throw cause;
    if (isSignetError(cause) && /^ERR_PDF_LIMIT_/.test(cause.code)) throw cause;
    if (isSignetError(cause) && (cause.code === 'ERR_PDF_ENCRYPTED' || cause.code === 'ERR_PDF_PASSWORD')) {
      throw new GatewayError('ERR_GATEWAY_PDF_ENCRYPTED', 'the PDF is encrypted (password-protected) and cannot be signed; remove the protection and upload it again', { cause });
    }
    throw new GatewayError('ERR_GATEWAY_PDF_UNREADABLE', 'the file is not a readable PDF', { cause });
  }
}

/** Adds an uploaded PDF to a draft job. */
export async function addDocument(context: JobContext, userId: string, jobId: string, givenName: string | undefined, bytes: Uint8Array): Promise<JobDocumentView> {
  const job = await ownedJob(context, userId, jobId);
  if (job.state !== 'draft') throw new GatewayError('ERR_GATEWAY_JOB_STATE', 'documents can be added only before signing');
  if (bytes.length > context.limits.uploadMaxBytes) throw new GatewayError('ERR_GATEWAY_UPLOAD_TOO_LARGE', `the file is larger than ${context.limits.uploadMaxBytes} bytes`);
  const pages = await checkPdf(context, bytes);
  const name = displayName(givenName);
  const id = randomBytes(16).toString('base64url');
  const now = context.clock.now().getTime();
  const sealed = context.secretBox.seal(bytes, documentAad(jobId, id, 'original'));
  await context.store.transaction(async (trx) => {
    const slots = await gatewayDocumentSlots(trx, jobId);
    if (slots.count >= context.limits.maxDocuments) throw new GatewayError('ERR_GATEWAY_JOB_LIMIT', `a job holds at most ${context.limits.maxDocuments} documents`);
    const used = await userGatewayBytes(trx, userId);
    if (used + bytes.length > context.limits.userQuotaBytes) {
      throw new GatewayError('ERR_GATEWAY_UPLOAD_QUOTA', 'your stored documents would exceed your quota; delete or wait for older jobs to expire');
    }
    await insertGatewayDocument(trx, {
      id,
      job_id: jobId,
      position: slots.nextPosition,
      name,
      size: bytes.length,
      pages,
      visible: null,
      original: sealed,
      prepared: null,
      dtbs_hash: null,
      state: 'uploaded',
      error_code: null,
      error_message: null,
      signed: null,
      signed_size: null,
      updated_at: now,
    });
    if (!(await updateGatewayJob(trx, jobId, ['draft'], { total: slots.count + 1, updated_at: now, purge_at: now + context.limits.retentionMs }))) {
      throw new GatewayError('ERR_GATEWAY_JOB_STATE', 'documents can be added only before signing');
    }
    await appendAudit(trx, { type: 'gateway.document.upload', outcome: 'success', actorUserId: userId, subject: `job:${jobId}`, details: { document: id, size: bytes.length, pages } }, context.audit);
  });
  return { id, name, pages, size: bytes.length, state: 'uploaded', visible: null, hasReceipt: false };
}

/** Parses a `visible` request value: {page, rect: [x1, y1, x2, y2]} in PDF user space, or null. */
function parseVisible(value: unknown, pages: number): VisibleSignature | null {
  if (value === null) return null;
  const v = value as { page?: unknown; rect?: unknown } | undefined;
  const page = v?.page;
  const rect = v?.rect;
  if (typeof page !== 'number' || !Number.isInteger(page) || page < 1 || page > pages) {
    throw new GatewayError('ERR_GATEWAY_JOB_INPUT', `page must be between 1 and ${pages}`);
  }
  if (!Array.isArray(rect) || rect.length !== 4 || !rect.every((n) => typeof n === 'number' && Number.isFinite(n) && Math.abs(n) < 1e6)) {
    throw new GatewayError('ERR_GATEWAY_JOB_INPUT', 'rect must be [x1, y1, x2, y2] in PDF user space');
  }
  const [x1, y1, x2, y2] = rect as [number, number, number, number];
  if (x2 - x1 < 1 || y2 - y1 < 1) throw new GatewayError('ERR_GATEWAY_JOB_INPUT', 'rect must have x1 < x2 and y1 < y2');
  return { page, rect: [x1, y1, x2, y2] };
}

/** Sets or clears a document's visible signature (draft jobs only). */
export async function setDocumentVisible(context: JobContext, userId: string, jobId: string, documentId: string, body: { readonly visible?: unknown }): Promise<JobDocumentView> {
  const job = await ownedJob(context, userId, jobId);
  const doc = await findGatewayDocument(context.store.db, jobId, documentId, 'original');
  if (doc === undefined) notFound();
  if (job.state !== 'draft') throw new GatewayError('ERR_GATEWAY_JOB_STATE', 'the signature can be placed only before signing');
  if (!('visible' in body)) throw new GatewayError('ERR_GATEWAY_JOB_INPUT', 'visible is required ({page, rect} or null)');
  const visible = parseVisible(body.visible, doc.pages);
  const now = context.clock.now().getTime();
  const changed = await context.store.transaction((trx) => setGatewayDocumentVisible(trx, jobId, documentId, visible === null ? null : JSON.stringify(visible), now));
  if (!changed) throw new GatewayError('ERR_GATEWAY_JOB_STATE', 'the signature can be placed only before signing');
  return documentView({ ...doc, visible: visible === null ? null : JSON.stringify(visible) });
}

/** A job with its documents. */
export async function getJob(context: JobContext, userId: string, jobId: string): Promise<JobView> {
  const job = await ownedJob(context, userId, jobId);
  const documents = await listGatewayDocuments(context.store.db, jobId);
  return jobView(job, documents, await hashesWithReceipt(context, job, documents));
}

/** The user's jobs, newest first (without document lists). */
export async function listJobs(context: JobContext, userId: string): Promise<readonly Omit<JobView, 'documents'>[]> {
  const jobs = await listUserGatewayJobs(context.store.db, userId, 100);
  return jobs.map((job) => {
    const options = jobOptions(job);
    return {
      id: job.id,
      state: job.state as JobState,
      credentialID: job.credential_id,
      level: options.level,
      total: job.total,
      signed: job.signed_count,
      failed: job.failed_count,
      createdAt: job.created_at,
    };
  });
}

/** A document's original or signed bytes for download (audited before it is answered). */
export async function downloadDocument(
  context: JobContext,
  userId: string,
  jobId: string,
  documentId: string,
  which: 'original' | 'signed',
  origin: { readonly sourceAddress?: string; readonly traceId?: string } = {},
): Promise<{ readonly name: string; readonly bytes: Uint8Array }> {
  await ownedJob(context, userId, jobId);
  const doc = /^[A-Za-z0-9_-]{22}$/.test(documentId) ? await findGatewayDocument(context.store.db, jobId, documentId, which) : undefined;
  if (doc === undefined) notFound();
  if (which === 'signed' && doc.state !== 'signed') throw new GatewayError('ERR_GATEWAY_JOB_STATE', 'the document is not signed');
  const bytes = openSealed(context, doc.blob, documentAad(jobId, documentId, which));
  await context.store.transaction((trx) =>
    appendAudit(trx, { type: 'gateway.document.download', outcome: 'success', actorUserId: userId, subject: `job:${jobId}`, details: { document: documentId, which }, ...origin }, context.audit),
  );
  return { name: doc.name, bytes };
}

/**
 * Issue 21: the batch receipt of a signed document (JSON text), when the job signed through this
 * Signet (the receipt was stored with the consumption of its DTBS/R hash); a foreign provider's
 * job, or a SAD without a batch root, has none (answered like a missing job).
 */
export async function documentReceipt(context: JobContext, userId: string, jobId: string, documentId: string): Promise<{ readonly name: string; readonly receipt: string }> {
  const job = await ownedJob(context, userId, jobId);
  const doc = /^[A-Za-z0-9_-]{22}$/.test(documentId) ? (await listGatewayDocuments(context.store.db, jobId)).find((d) => d.id === documentId) : undefined;
  if (doc === undefined) notFound();
  if (doc.state !== 'signed' || doc.dtbs_hash === null) throw new GatewayError('ERR_GATEWAY_JOB_STATE', 'the document is not signed');
  const receipts = job.provider_credential === null ? await findBatchReceiptsByHash(context.store.db, userId, new Uint8Array(Buffer.from(doc.dtbs_hash, 'base64'))) : [];
  const receipt = receipts.find((r) => r.credential_id === job.credential_id);
  if (receipt === undefined) notFound();
  return { name: doc.name, receipt: receipt.receipt };
}

/** The ZIP entries of a job's signed documents (each read from the database when written). */
export async function jobZipEntries(context: JobContext, userId: string, jobId: string): Promise<{ readonly entries: readonly ZipEntry[]; readonly count: number }> {
  await ownedJob(context, userId, jobId);
  const docs = (await listGatewayDocuments(context.store.db, jobId)).filter((d) => d.state === 'signed');
  if (docs.length === 0) throw new GatewayError('ERR_GATEWAY_JOB_STATE', 'no document of this job is signed yet');
  const names = uniqueEntryNames(docs.map((d) => d.name));
  const entries = docs.map((d, i) => ({
    name: names[i] as string,
    read: async (): Promise<Uint8Array> => {
      const row = await findGatewayDocument(context.store.db, jobId, d.id, 'signed');
      return openSealed(context, row?.blob ?? null, documentAad(jobId, d.id, 'signed'));
    },
  }));
  return { entries, count: docs.length };
}
