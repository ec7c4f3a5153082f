/**
 * The signing run of a web job, resumable on any node. A node takes the job's lease (owner,
 * until) in the database and renews it while it runs; the sweeper on every node resumes a job
 * whose lease expired (its node died). The approved hashes are signed in fixed chunks through
 * `signatures/signHash` (CSC v2 §11.10), each with an Idempotency-Key derived from the job id and
 * the chunk index, so a resumed chunk gets the RSSP's stored signatures instead of new ones
 * (docs/security.md SAD-07): nothing lost, nothing signed twice. Each document's outcome is recorded
 * as it completes (progress is rows). Before embedding, each document's signed attributes must
 * hash to the approved value (SAD-04): a document changed in the database after approval — or
 * added to the job — is refused and audited.
 */
import { createHash, randomBytes } from 'node:crypto';
import { appendAudit } from '../../audit/index.js';
import { digestAlgorithms } from '../../cms/index.js';
import { isSignetError } from '../../core/errors.js';
import { CscClient, CscClientError, checkRemoteSignature, type RemoteCredential } from '../../csc/client/index.js';
import { documentTimestampCapacity, finishSignature, measureTimestampToken, planFor, preparedFromJson, type LevelPlan } from '../../pades/index.js';
import {
  acquireGatewayJobLease,
  findCredential,
  findGatewayDocument,
  findGatewayJob,
  listGatewayDocuments,
  hasPurgeableGatewayJobs,
  listResumableGatewayJobs,
  purgeGatewayJobs,
  hasExpiredGatewayProviderSessions,
  purgeGatewayProviderSessions,
  recountGatewayJob,
  setGatewayDocumentFailed,
  setGatewayDocumentSigned,
  updateGatewayJob,
  type GatewayDocumentSummary,
  type GatewayJobRow,
} from '../../store/index.js';
import { GatewayError } from '../errors.js';
import { documentAad, jobAad, openSealed, type JobContext } from './job-context.js';
import type { SealedPrepared } from './job-authorization.js';
import { levelOptionsFor } from './job-levels.js';
import { jobOptions } from './job-service.js';
import { localCredential } from './local-credential.js';
import { endOrphanedProviderConnections, gatewayClientId, keptCredential } from './provider-connection.js';

/** The Idempotency-Key of chunk `index` of job `jobId` (stable across nodes and restarts). */
export function chunkIdempotencyKey(jobId: string, index: number): string {
  return `signet-job-${jobId}-${index}`;
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * `plan` with the room of its B-LTA document timestamps measured once for the run (one token,
 * EN 319 142-1 §6.5) instead of once per document; unchanged below B-LTA, or when the TSA does
 * not answer (each document then measures for itself and fails with the TSA's coded error).
 */
async function withDocumentTimestampRoom(plan: LevelPlan): Promise<LevelPlan> {
  if (plan.level !== 'B-LTA' || plan.timestamper === undefined) return plan;
  try {
    const size = await measureTimestampToken(plan.timestamper, plan.timestampDigestAlgorithm ?? 'SHA-256');
    return { ...plan, documentTimestampCapacity: documentTimestampCapacity(size) };
  } catch {
    return plan;
  }
}

/** Documents of a chunk finished at once: their time-stamp and validation-data requests overlap (issue 19). */
const FINISH_CONCURRENCY = 4;

/** Runs `work` over `items`, at most `limit` at a time. */
async function eachBounded<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
}

/** Why signing stopped, in the words a person reads (the code stays with it). */
function refusal(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  if (error instanceof CscClientError && error.remote !== undefined) {
    const said = error.remote.errorDescription ?? error.remote.error;
    return new GatewayError('ERR_GATEWAY_SIGNING_REFUSED', `the signing service refused to sign: ${said}`, { cause: error });
  }
  if (isSignetError(error)) return new GatewayError('ERR_GATEWAY_SIGNING_REFUSED', error.message, { cause: error });
  return new GatewayError('ERR_GATEWAY_SIGNING_REFUSED', 'the signing service refused to sign', { cause: error });
}

/** Runs and resumes signing jobs on this node. */
export class JobRunner {
  readonly #context: JobContext;
  /** Unique per process: a restarted node with the same id waits for its old lease like any other node. */
  readonly #owner: string;
  readonly #running = new Map<string, Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  /** The tail of the documents' outcome writes (see #serially). */
  #writing: Promise<unknown> = Promise.resolve();

  constructor(context: JobContext) {
    this.#context = context;
    this.#owner = `${context.nodeId}:${randomBytes(6).toString('hex')}`;
  }

  /** Starts (in the background) the run of `jobId` unless this node runs it already. */
  start(jobId: string): void {
    if (this.#stopped || this.#running.has(jobId)) return;
    const run = this.run(jobId)
      .catch((err: unknown) => this.#context.log?.error({ err, jobId }, 'signing run failed; the job resumes when its lease expires'))
      .finally(() => this.#running.delete(jobId));
    this.#running.set(jobId, run);
  }

  /** Resolves when every run this node started has ended. */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running.values()]);
  }

  /** One sweep: resume jobs whose lease expired, purge jobs past retention. */
  async sweep(): Promise<void> {
    const now = this.#context.clock.now().getTime();
    for (const id of await listResumableGatewayJobs(this.#context.store.db, now, 20)) this.start(id);
    // Expired service authorizations at a foreign provider are of no use: deleted. Those of web
    // sessions that have ended are revoked at the provider first.
    if (await hasExpiredGatewayProviderSessions(this.#context.store.db, now)) {
      await this.#context.store.transaction((trx) => purgeGatewayProviderSessions(trx, now));
    }
    await endOrphanedProviderConnections(this.#context);
    if (!(await hasPurgeableGatewayJobs(this.#context.store.db, now))) return;
    const purged = await this.#context.store.transaction(async (trx) => {
      const n = await purgeGatewayJobs(trx, now);
      if (n > 0) await appendAudit(trx, { type: 'gateway.job.purge', outcome: 'success', details: { jobs: n } }, this.#context.audit);
      return n;
    });
    if (purged > 0) this.#context.log?.warn({ purged }, 'purged gateway jobs past retention');
  }

  /** Sweeps every `intervalMs` until stop(). */
  startSweeper(intervalMs: number): void {
    const tick = (): void => {
      this.#timer = setTimeout(() => {
        this.sweep()
          .catch((err: unknown) => this.#context.log?.error({ err }, 'gateway job sweep failed'))
          .finally(() => {
            if (!this.#stopped) tick();
          });
      }, intervalMs);
      this.#timer.unref();
    };
    tick();
  }

  /** Stops sweeping and starting runs; waits for the runs in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    await this.idle();
  }

  async #lease(jobId: string): Promise<boolean> {
    const now = this.#context.clock.now().getTime();
    return this.#context.store.transaction((trx) => acquireGatewayJobLease(trx, jobId, this.#owner, now, now + this.#context.limits.leaseMs));
  }

  /** Runs `jobId` here when its lease can be taken (resolves when the run ends). */
  async run(jobId: string): Promise<void> {
    if (!(await this.#lease(jobId))) return;
    const renew = setInterval(() => {
      this.#lease(jobId).catch(() => undefined);
    }, Math.max(50, Math.floor(this.#context.limits.leaseMs / 3)));
    renew.unref();
    try {
      const job = await findGatewayJob(this.#context.store.db, jobId);
      if (job === undefined || job.state !== 'signing') return;
      await this.#sign(job);
    } finally {
      clearInterval(renew);
    }
  }

  async #failDocuments(jobId: string, docs: readonly GatewayDocumentSummary[], error: GatewayError): Promise<void> {
    const now = this.#context.clock.now().getTime();
    await this.#context.store.transaction(async (trx) => {
      for (const d of docs) await setGatewayDocumentFailed(trx, d.id, error.code, error.message, now);
      await recountGatewayJob(trx, jobId, now);
    });
  }

  async #tampered(job: GatewayJobRow, documentId: string, reason: string): Promise<void> {
    await this.#context.store.transaction((trx) =>
      appendAudit(trx, { type: 'gateway.document.tampered', outcome: 'failure', actorUserId: job.user_id, actorClientId: gatewayClientId(this.#context), subject: `job:${job.id}`, details: { document: documentId, reason } }, this.#context.audit),
    );
  }

  async #sign(job: GatewayJobRow): Promise<void> {
    const context = this.#context;
    const docs = await listGatewayDocuments(context.store.db, job.id);
    let approved: string[];
    let accessToken: string;
    try {
      approved = JSON.parse(Buffer.from(openSealed(context, job.approved, jobAad(job.id, 'approved'))).toString('utf8')) as string[];
      accessToken = Buffer.from(openSealed(context, job.access_token, jobAad(job.id, 'access_token'))).toString('utf8');
    } catch (error) {
      await this.#tampered(job, '-', 'the approved hash list or the authorization no longer opens');
      await this.#failDocuments(job.id, docs.filter((d) => d.state !== 'signed'), refusal(error));
      return this.#finish(job, refusal(error));
    }
    // SAD-04: the job's document list is the approved one — nothing added, no hash changed.
    const approvedSet = new Set(approved);
    for (const d of docs) {
      if ((d.state === 'prepared' || d.state === 'uploaded') && (d.dtbs_hash === null || !approvedSet.has(d.dtbs_hash))) {
        await this.#tampered(job, d.id, 'not among the approved documents');
        await this.#failDocuments(job.id, [d], new GatewayError('ERR_GATEWAY_DOCUMENT_CHANGED', 'this document was not among the documents you approved; it was not signed'));
      }
    }
    let credential: RemoteCredential;
    try {
      if (job.provider_credential !== null) {
        // A foreign provider's credential, as its credentials/info described it at Sign.
        credential = keptCredential(job.credential_id, job.provider_credential);
      } else {
        const row = await findCredential(context.store.db, job.credential_id);
        if (row === undefined) throw new GatewayError('ERR_GATEWAY_CREDENTIAL', 'the credential no longer exists');
        credential = localCredential(row);
      }
    } catch (error) {
      const failure = error instanceof GatewayError && error.code === 'ERR_GATEWAY_CREDENTIAL'
        ? new GatewayError('ERR_GATEWAY_CREDENTIAL', `${error.message.replace(/^the credential/, 'your signing key')}: nothing more can be signed with it`)
        : refusal(error);
      await this.#failDocuments(job.id, (await listGatewayDocuments(context.store.db, job.id)).filter((d) => d.state === 'prepared'), failure);
      return this.#finish(job, failure);
    }
    const options = jobOptions(job);
    // The documents were prepared with the level's reserve already: the plan's level and sources.
    const plan = await withDocumentTimestampRoom(planFor(levelOptionsFor(context, options.level)));
    const csc = new CscClient({ baseUrl: `${context.providerUrl()}/csc/v2`, auth: { kind: 'bearer', accessToken }, userAgent: 'signet-web-gateway' });
    const { signAlgo, signAlgoParams, hashAlgorithmOID } = credential.algorithm;
    const digest = digestAlgorithms[credential.algorithm.signatureAlgorithm.digest];

    for (const [index, part] of chunk(approved, context.limits.hashesPerCall).entries()) {
      if (this.#stopped) return;
      const current = (await listGatewayDocuments(context.store.db, job.id)).filter((d) => d.state === 'prepared' && d.dtbs_hash !== null && part.includes(d.dtbs_hash));
      if (current.length === 0) continue;
      let signatures: readonly string[];
      try {
        ({ signatures } = await csc.signHash(
          {
            credentialID: credential.credentialID,
            hashes: part,
            signAlgo,
            ...(hashAlgorithmOID === undefined ? {} : { hashAlgorithmOID: digest.oid }),
            ...(signAlgoParams === undefined ? {} : { signAlgoParams }),
          },
          { idempotencyKey: chunkIdempotencyKey(job.id, index) },
        ));
      } catch (error) {
        const lost = error instanceof CscClientError && (error.code === 'ERR_CSC_CLIENT_NETWORK' || error.code === 'ERR_CSC_CLIENT_TIMEOUT');
        if (lost) throw error; // the lease expires and the chunk is sent again, with the same key
        const failure = refusal(error);
        await this.#failDocuments(job.id, (await listGatewayDocuments(context.store.db, job.id)).filter((d) => d.state === 'prepared'), failure);
        return this.#finish(job, failure);
      }
      if ((await context.faults?.afterSignHash?.(job.id, index)) === 'halt') {
        this.#stopped = true; // as a node killed here: no more writes, the lease is left to expire
        return;
      }
      await eachBounded(current, FINISH_CONCURRENCY, (d) => {
        const value = signatures[part.indexOf(d.dtbs_hash as string)] as string;
        return this.#embed(job, d, part, value, credential, digest.nodeName, plan);
      });
      await this.#lease(job.id);
    }
    return this.#finish(job, undefined);
  }

  async #embed(
    job: GatewayJobRow,
    doc: GatewayDocumentSummary,
    approvedPart: readonly string[],
    value: string,
    credential: RemoteCredential,
    digestName: string,
    plan: LevelPlan,
  ): Promise<void> {
    const context = this.#context;
    try {
      const [preparedRow, originalRow] = await Promise.all([
        findGatewayDocument(context.store.db, job.id, doc.id, 'prepared'),
        findGatewayDocument(context.store.db, job.id, doc.id, 'original'),
      ]);
      if (preparedRow === undefined || originalRow === undefined) throw new GatewayError('ERR_GATEWAY_DOCUMENT_CHANGED', 'the document disappeared before it was signed');
      let sealed: SealedPrepared;
      let original: Uint8Array;
      try {
        sealed = JSON.parse(Buffer.from(openSealed(context, preparedRow.blob, documentAad(job.id, doc.id, 'prepared'))).toString('utf8')) as SealedPrepared;
        original = openSealed(context, originalRow.blob, documentAad(job.id, doc.id, 'original'));
      } catch (error) {
        await this.#tampered(job, doc.id, 'a stored part no longer opens');
        throw new GatewayError('ERR_GATEWAY_DOCUMENT_CHANGED', 'this document was changed after you approved it; it was not signed', { cause: error });
      }
      const prepared = {
        ...preparedFromJson({ ...sealed.prepared, update: sealed.update, certificateChain: [] }, { plan, source: original }),
        certificateChain: credential.certificateChain,
      };
      const { signedAttributes } = prepared;
      const hash = createHash(digestName).update(signedAttributes).digest('base64');
      // SAD-04: the signature goes only on the exact data the person approved.
      if (!approvedPart.includes(hash) || hash !== doc.dtbs_hash || hash !== sealed.prepared.dataToBeSignedDigest) {
        await this.#tampered(job, doc.id, 'its data to be signed differs from the approved hash');
        throw new GatewayError('ERR_GATEWAY_DOCUMENT_CHANGED', 'this document was changed after you approved it; it was not signed');
      }
      const signature = checkRemoteSignature(credential, signedAttributes, new Uint8Array(Buffer.from(value, 'base64')));
      // B-LT/B-LTA: the signed document is parsed and written on the document workers when there are any.
      const extension = context.documents?.extension;
      const signed = await finishSignature(prepared, { kind: 'signature', signature }, { kind: 'memory' }, extension === undefined ? {} : { extension });
      const now = context.clock.now().getTime();
      await this.#serially(() =>
        context.store.transaction(async (trx) => {
          await setGatewayDocumentSigned(trx, doc.id, context.secretBox.seal(signed, documentAad(job.id, doc.id, 'signed')), signed.length, now);
          await recountGatewayJob(trx, job.id, now);
        }),
      );
    } catch (error) {
      const failure = isSignetError(error) ? error : new GatewayError('ERR_GATEWAY_NOT_SIGNED', 'the document could not be signed', { cause: error });
      const now = context.clock.now().getTime();
      await this.#serially(() =>
        context.store.transaction(async (trx) => {
          await setGatewayDocumentFailed(trx, doc.id, failure.code, failure.message, now);
          await recountGatewayJob(trx, job.id, now);
        }),
      );
    }
  }

  /**
   * Runs the outcome writes of documents finished at once one after another: each recount then
   * sees the outcome before it (two concurrent READ COMMITTED transactions would each count
   * without the other's document, and the later one would store the smaller count).
   */
  #serially<T>(write: () => Promise<T>): Promise<T> {
    const run = this.#writing.then(write, write);
    this.#writing = run.catch(() => undefined);
    return run;
  }

  async #finish(job: GatewayJobRow, failure: GatewayError | undefined): Promise<void> {
    const context = this.#context;
    const now = context.clock.now().getTime();
    await context.store.transaction(async (trx) => {
      const { signed, failed, total } = await recountGatewayJob(trx, job.id, now);
      const state = signed === 0 && total > 0 ? 'failed' : 'done';
      const moved = await updateGatewayJob(trx, job.id, ['signing'], {
        state,
        access_token: null,
        token_expires_at: null,
        lease_owner: null,
        lease_until: null,
        ...(failure !== undefined ? { error_code: failure.code, error_message: failure.message } : {}),
        updated_at: now,
        purge_at: now + context.limits.retentionMs,
      });
      if (!moved) return;
      await appendAudit(trx, {
        type: 'gateway.job.complete',
        outcome: state === 'done' ? 'success' : 'failure',
        actorUserId: job.user_id,
        actorClientId: gatewayClientId(this.#context),
        subject: `job:${job.id}`,
        details: { signed, failed, total, ...(failure !== undefined ? { errorCode: failure.code } : {}) },
      }, context.audit);
    });
  }
}
