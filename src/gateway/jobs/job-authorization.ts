/**
 * Sign and callback of a web job. Sign prepares every document (phase one, ETSI EN 319 142-1
 * with the credential's chain), fixes the list of DTBS/R hashes the person will approve, and
 * starts the OAuth 2.0 code flow with PKCE at the provider (RFC 6749 §4.1, RFC 7636), pushed
 * (RFC 9126) when offered, scope `credential` with the hashes (CSC v2 §8.4.2). The callback
 * checks `state` — bound to the job and to the signed-in person — and `iss` (RFC 9207), spends
 * the state once (a replayed or foreign response is refused and audited), redeems the code and
 * hands the job to the signing run.
 */
import { createHash, randomBytes } from 'node:crypto';
import { appendAudit, appendFailureAudit } from '../../audit/index.js';
import { digestAlgorithms } from '../../cms/index.js';
import { isSignetError } from '../../core/errors.js';
import {
  findCredential,
  findGatewayJob,
  findGatewayJobByStateHash,
  lockGatewayJobForSign,
  unlockGatewayJobForSign,
  listGatewayDocumentBlobs,
  setGatewayDocumentFailed,
  setGatewayDocumentPrepared,
  updateGatewayJob,
} from '../../store/index.js';
import { planLevel, preparedToJson, type PrepareOptions, type PreparedSignature, type VisibleSignature } from '../../pades/index.js';
import { GatewayError } from '../errors.js';
import {
  checkAuthorizationResponse,
  credentialScopeParams,
  pushConsentDocument,
  pushConsentDocuments,
  type ConsentDocument,
  redeemAuthorizationCode,
  beginAuthorization,
  type OAuthClientRegistration,
  type PendingAuthorization,
} from '../oauth-code-flow.js';
import { spoolDocument, spoolPrepared } from '../spooled-document.js';
import type { BatchDocument } from '../types.js';
import { documentAad, jobAad, openSealed, type JobContext } from './job-context.js';
import { levelOptionsFor } from './job-levels.js';
import { jobOptions, ownedJob } from './job-service.js';
import { localCredential } from './local-credential.js';
import { gatewayClient, gatewayClientId, providerCredential, providerServer } from './provider-connection.js';
import type { RemoteCredential } from '../../csc/client/index.js';

/** Where a request came from (audit). */
export interface RequestOrigin {
  readonly sourceAddress?: string;
  readonly traceId?: string;
}

/** What is sealed per prepared document: the prepared signature and its update bytes. */
export interface SealedPrepared {
  /** PreparedSignature without its update and chain (kept once per job). */
  readonly prepared: Omit<PreparedSignature, 'update' | 'certificateChain'>;
  /** Base64 of the incremental update with a zeroed /Contents. */
  readonly update: string;
}

const stateHash = (state: string): Uint8Array => new Uint8Array(createHash('sha256').update(state, 'utf8').digest());

/** Where prepared documents are pushed for consent (Signet's Contract 3 endpoint at the provider). */
interface ConsentPush {
  readonly endpoint: string;
  /** The batch endpoint, when announced: one client authentication per batch. */
  readonly batchEndpoint?: string;
  readonly client: OAuthClientRegistration;
  /** False when the provider's metadata announces no such endpoint, or it answered that it has none. */
  enabled: boolean;
}

/**
 * Phase one for every document of the job, each prepared document pushed for consent as it is
 * made; returns the approved hash list (unique, in document order) and their document_refs.
 */
async function prepareDocuments(
  context: JobContext,
  jobId: string,
  credential: RemoteCredential,
  options: ReturnType<typeof jobOptions>,
  push: ConsentPush,
): Promise<{ readonly hashes: string[]; readonly refs: string[] }> {
  const refs = new Map<string, string>();
  const byHash = new Map<string, string[]>();
  const failedPushes = new Map<string, unknown>();
  const inFlight = new Set<Promise<void>>();
  const hashAlgorithmOID = digestAlgorithms[credential.algorithm.signatureAlgorithm.digest].oid;
  const levelOptions = levelOptionsFor(context, options.level);
  const { signatureAlgorithm } = credential.algorithm;
  // The level plan (its signature-time-stamp reserve measured once for the job).
  const plan = await planLevel(levelOptions, signatureAlgorithm.digest);
  const hashes: string[] = [];
  const budget = { remaining: Number.MAX_SAFE_INTEGER, perDocument: Number.MAX_SAFE_INTEGER };
  type PushItem = { readonly hash: string; readonly document: ConsentDocument };
  const accept = (item: PushItem, pushed: { readonly documentRef: string; readonly hash: string }): void => {
    if (!Buffer.from(pushed.hash, 'base64').equals(Buffer.from(item.hash, 'base64'))) {
      failedPushes.set(item.hash, new GatewayError('ERR_GATEWAY_DOCUMENT_CHANGED', 'the authorization server computed another hash for this document'));
    } else refs.set(item.hash, pushed.documentRef);
  };
  const pushOne = (item: PushItem): Promise<void> =>
    pushConsentDocument(push.endpoint, push.client, item.document, context.fetch).then(
      (pushed) => {
        if (pushed === undefined) push.enabled = false;
        else accept(item, pushed);
      },
      (error: unknown) => void failedPushes.set(item.hash, error),
    );
  const track = (task: Promise<void>): void => {
    inFlight.add(task);
    void task.finally(() => inFlight.delete(task));
  };
  // Batches: one client authentication per batch on the server, its inspections in its worker pool.
  let batch: PushItem[] = [];
  let batchBytes = 0;
  const pushBatch = async (items: readonly PushItem[]): Promise<void> => {
    let pushed: Awaited<ReturnType<typeof pushConsentDocuments>>;
    try {
      pushed = await pushConsentDocuments(push.batchEndpoint as string, push.client, items.map((i) => i.document), context.fetch);
    } catch (error) {
      for (const item of items) failedPushes.set(item.hash, error);
      return;
    }
    if (pushed === undefined) {
      // The batch as a whole was not taken (too large for the server, say): one by one.
      for (const item of items) if (push.enabled) await pushOne(item);
      return;
    }
    for (const [i, item] of items.entries()) {
      const one = pushed[i];
      if (one === undefined) continue;
      if ('error' in one) failedPushes.set(item.hash, one.error);
      else accept(item, one);
    }
  };
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    track(pushBatch(batch));
    batch = [];
    batchBytes = 0;
    if (inFlight.size >= batchConcurrency) await Promise.race(inFlight);
  };
  for (let from = 0; ; ) {
    // One document at a time: memory stays at one original and its update.
    const [doc] = await listGatewayDocumentBlobs(context.store.db, jobId, 'original', from, 1);
    if (doc === undefined) break;
    from = doc.position + 1;
    const now = context.clock.now().getTime();
    try {
      const original = openSealed(context, doc.blob, documentAad(jobId, doc.id, 'original'));
      const visible = doc.visible === null ? undefined : (JSON.parse(doc.visible) as VisibleSignature);
      const document: BatchDocument = { id: doc.id, source: { kind: 'bytes', bytes: original }, sink: { kind: 'bytes', accept: () => undefined } };
      const prepareOptions: PrepareOptions = {
        ...(options.reason !== undefined ? { reason: options.reason } : {}),
        ...(options.location !== undefined ? { location: options.location } : {}),
        ...(visible !== undefined ? { visible } : {}),
        signingTime: context.clock.now(),
        certificateChain: credential.certificateChain,
        signatureAlgorithm,
        maxSignatureSize: credential.key.maxSignatureSize,
      };
      // On the server's document workers when it has them (issue 15): a hostile file costs a worker, not the event loop.
      const spooled =
        context.documents !== undefined
          ? spoolPrepared(document, original, await context.documents.prepare(original, prepareOptions, plan), budget)
          : spoolDocument(document, prepareOptions, plan, budget);
      if (spooled.spool.kind !== 'memory') throw new GatewayError('ERR_GATEWAY_USAGE', 'a prepared document was not kept in memory');
      // The update travels beside it, the chain is the credential's: neither is stored twice.
      // Stored between requests: the JSON form (the process edge), read back by the signing run.
      const json = preparedToJson({ ...spooled.prepared, certificateChain: [] });
      const prepared = Object.fromEntries(Object.entries(json).filter(([k]) => k !== 'update' && k !== 'certificateChain')) as SealedPrepared['prepared'];
      const sealed: SealedPrepared = { prepared, update: json.update };
      const bytes = context.secretBox.seal(Buffer.from(JSON.stringify(sealed), 'utf8'), documentAad(jobId, doc.id, 'prepared'));
      await context.store.transaction((trx) => setGatewayDocumentPrepared(trx, doc.id, bytes, spooled.hash, now));
      const same = byHash.get(spooled.hash);
      if (same !== undefined) same.push(doc.id);
      else {
        byHash.set(spooled.hash, [doc.id]);
        hashes.push(spooled.hash);
        if (push.enabled) {
          const item = { hash: spooled.hash, document: { name: doc.name, document: Buffer.concat([original, spooled.prepared.update]), signedAttributes: spooled.prepared.signedAttributes, hashAlgorithmOID } };
          if (push.batchEndpoint !== undefined) {
            batch.push(item);
            batchBytes += item.document.document.length;
            if (batch.length >= batchDocuments || batchBytes >= batchMaxBytes) await flush();
          } else {
            // Pushed a few at a time (each push authenticates the client: one KDF on the server).
            track(pushOne(item));
            if (inFlight.size >= pushConcurrency) await Promise.race(inFlight);
          }
        }
      }
    } catch (error) {
      const code = isSignetError(error) ? error.code : 'ERR_GATEWAY_NOT_SIGNED';
      const message = isSignetError(error) ? error.message : 'the document cannot be prepared';
      await context.store.transaction((trx) => setGatewayDocumentFailed(trx, doc.id, code, message, now));
    }
  }
  await flush();
  await Promise.all(inFlight);
  // A document the authorization server refused is not offered for approval.
  for (const [hash, error] of failedPushes) {
    const code = isSignetError(error) ? error.code : 'ERR_GATEWAY_OAUTH_REFUSED';
    const message = isSignetError(error) ? error.message : 'the authorization server refused the document';
    const now = context.clock.now().getTime();
    await context.store.transaction(async (trx) => {
      for (const id of byHash.get(hash) ?? []) await setGatewayDocumentFailed(trx, id, code, message, now);
    });
  }
  const offered = hashes.filter((h) => !failedPushes.has(h));
  return { hashes: offered, refs: push.enabled ? offered.map((h) => refs.get(h) as string) : [] };
}

/** Consent pushes in flight at once (one document each). */
const pushConcurrency = 4;
/** Documents per batch push, the bytes that close a batch early, and batches in flight at once. */
const batchDocuments = 25;
const batchMaxBytes = 4 * 1024 * 1024;
const batchConcurrency = 2;

/**
 * POST /api/v1/jobs/:id/sign: prepares the documents, pushes the authorization request and
 * returns the URL to send the browser to.
 */
export async function startSigning(context: JobContext, userId: string, jobId: string, origin: RequestOrigin = {}, sessionId = ''): Promise<{ readonly authorizationUrl: string }> {
  const job = await ownedJob(context, userId, jobId);
  if (job.state !== 'draft' && job.state !== 'authorizing') throw new GatewayError('ERR_GATEWAY_JOB_STATE', 'the job is already signing or finished');
  if (job.total === 0) throw new GatewayError('ERR_GATEWAY_JOB_STATE', 'the job has no documents');
  // One Sign at a time per job: a second one meanwhile is refused, not interleaved.
  const lock = `sign:${randomBytes(8).toString('hex')}`;
  const started = context.clock.now().getTime();
  if (!(await context.store.transaction((trx) => lockGatewayJobForSign(trx, jobId, lock, started, started + 10 * 60_000)))) {
    throw new GatewayError('ERR_GATEWAY_JOB_STATE', 'the job is being prepared for signing already');
  }
  try {
    return await prepareAndAuthorize(context, userId, job, lock, origin, sessionId);
  } finally {
    await context.store.transaction((trx) => unlockGatewayJobForSign(trx, jobId, lock));
  }
}

/**
 * The job's credential: this Signet's own record, or — at a foreign provider — its
 * credentials/info read now under the person's service authorization (kept with the job, so the
 * run on any node embeds the same chain).
 */
async function jobCredential(context: JobContext, userId: string, job: Awaited<ReturnType<typeof ownedJob>>, sessionId: string): Promise<{ readonly credential: RemoteCredential; readonly kept: string | null }> {
  if (context.foreign !== undefined) {
    const { credential, info } = await providerCredential(context, sessionId, job.credential_id);
    return { credential, kept: JSON.stringify(info) };
  }
  const row = await findCredential(context.store.db, job.credential_id);
  if (row === undefined || row.user_id !== userId) throw new GatewayError('ERR_GATEWAY_CREDENTIAL', 'no such credential');
  return { credential: localCredential(row), kept: null };
}

async function prepareAndAuthorize(context: JobContext, userId: string, job: Awaited<ReturnType<typeof ownedJob>>, lock: string, origin: RequestOrigin, sessionId: string): Promise<{ readonly authorizationUrl: string }> {
  const jobId = job.id;
  const { credential, kept } = await jobCredential(context, userId, job, sessionId);
  const options = jobOptions(job);
  if (job.total > credential.multisign) {
    throw new GatewayError('ERR_GATEWAY_JOB_LIMIT', `the credential signs at most ${credential.multisign} documents per approval; split the job`);
  }
  const server = await providerServer(context);
  const client = await gatewayClient(context);
  // Contract 3 push only where the provider's metadata announces it; else hashes alone (CSC v2 §8.4.2).
  const push: ConsentPush = {
    endpoint: server.consentDocumentsEndpoint ?? '',
    ...(server.consentDocumentsBatchEndpoint !== undefined ? { batchEndpoint: server.consentDocumentsBatchEndpoint } : {}),
    client,
    enabled: server.consentDocumentsEndpoint !== undefined,
  };
  const { hashes, refs } = await prepareDocuments(context, jobId, credential, options, push);
  if (hashes.length === 0) throw new GatewayError('ERR_GATEWAY_JOB_STATE', 'none of the documents can be signed');
  const params = credentialScopeParams({
    credentialID: credential.credentialID,
    hashes,
    hashAlgorithmOID: digestAlgorithms[credential.algorithm.signatureAlgorithm.digest].oid,
    numSignatures: hashes.length,
  });
  // Contract 3: the consent page shows the pushed documents, one ref per hash, in hash order.
  if (refs.length > 0) params['document_refs'] = refs.join(',');
  const { authorizationUrl, pending } = await beginAuthorization(server, client, params, context.fetch);
  const now = context.clock.now().getTime();
  await context.store.transaction(async (trx) => {
    const moved = (await lockHeld(trx, jobId, lock)) && (await updateGatewayJob(trx, jobId, ['draft', 'authorizing'], {
      state: 'authorizing',
      state_hash: stateHash(pending.state),
      oauth_pending: context.secretBox.seal(Buffer.from(JSON.stringify(pending), 'utf8'), jobAad(jobId, 'oauth_pending')),
      approved: context.secretBox.seal(Buffer.from(JSON.stringify(hashes), 'utf8'), jobAad(jobId, 'approved')),
      provider_credential: kept,
      error_code: null,
      error_message: null,
      updated_at: now,
      purge_at: now + context.limits.retentionMs,
    }));
    if (!moved) throw new GatewayError('ERR_GATEWAY_JOB_STATE', 'the job is already signing or finished');
    await appendAudit(trx, { type: 'gateway.job.authorize', outcome: 'success', actorUserId: userId, actorClientId: gatewayClientId(context), subject: `job:${jobId}`, details: { credentialID: credential.credentialID, hashes: hashes.length }, ...origin }, context.audit);
  });
  return { authorizationUrl };
}

/** True while `lock` still holds the job's Sign lock. */
async function lockHeld(trx: Parameters<typeof lockGatewayJobForSign>[0], jobId: string, lock: string): Promise<boolean> {
  const row = await findGatewayJob(trx, jobId);
  return row?.lease_owner === lock;
}

/** Refuses a callback: audited as a failure (replayed, foreign, or refused), then thrown. */
async function refuse(context: JobContext, userId: string, jobId: string | undefined, error: GatewayError, origin: RequestOrigin): Promise<never> {
  await appendFailureAudit(context.store, {
    type: 'gateway.job.callback',
    outcome: 'failure',
    actorUserId: userId,
    actorClientId: gatewayClientId(context),
    ...(jobId !== undefined ? { subject: `job:${jobId}` } : {}),
    details: { errorCode: error.code },
    ...origin,
  }, context.audit);
  throw error;
}

/**
 * GET /api/v1/oauth/callback: the authorization response for one of the person's jobs. Returns
 * the job id; the signing run is started by the caller.
 */
export async function completeAuthorization(context: JobContext, userId: string, callback: URL, origin: RequestOrigin = {}): Promise<{ readonly jobId: string }> {
  const states = callback.searchParams.getAll('state');
  const state = states.length === 1 ? states[0] : undefined;
  const job = state === undefined || state.length > 512 ? undefined : await findGatewayJobByStateHash(context.store.db, stateHash(state));
  // RFC 9700 §4.7: a response this gateway is not waiting for — replayed, forged, another
  // person's — is refused before anything else is read from it.
  if (job === undefined || job.user_id !== userId || job.state !== 'authorizing') {
    return refuse(context, userId, job?.user_id === userId ? job.id : undefined, new GatewayError('ERR_GATEWAY_OAUTH_STATE', 'this approval is not expected (already used, or for another request); start signing again'), origin);
  }
  const pending = JSON.parse(Buffer.from(openSealed(context, job.oauth_pending, jobAad(job.id, 'oauth_pending'))).toString('utf8')) as PendingAuthorization;
  const server = await providerServer(context);
  let code: string;
  try {
    code = checkAuthorizationResponse(server, pending, callback);
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    if (error.code === 'ERR_GATEWAY_OAUTH_REFUSED') {
      // The person declined (or the server refused): the job goes back to draft.
      await context.store.transaction((trx) => updateGatewayJob(trx, job.id, ['authorizing'], { state: 'draft', state_hash: null, oauth_pending: null, error_code: error.code, error_message: 'the approval was declined or refused', updated_at: context.clock.now().getTime() }));
    }
    return refuse(context, userId, job.id, error, origin);
  }
  // Spend the state first (single use, atomic): a second arrival of this response finds nothing.
  const spent = await context.store.transaction((trx) =>
    updateGatewayJob(trx, job.id, ['authorizing'], { state_hash: null, oauth_pending: null, updated_at: context.clock.now().getTime() }),
  );
  if (!spent) return refuse(context, userId, job.id, new GatewayError('ERR_GATEWAY_OAUTH_STATE', 'this approval was already used'), origin);
  let token;
  try {
    token = await redeemAuthorizationCode(server, await gatewayClient(context), pending, code, context.fetch);
    if (token.credentialID !== undefined && token.credentialID !== job.credential_id) {
      throw new GatewayError('ERR_GATEWAY_OAUTH_REFUSED', 'the token was issued for another credential');
    }
  } catch (error) {
    // A credential revoked or disabled since the approval: say so, and the job cannot go on
    // (known here only for this Signet's own credentials).
    const row = context.foreign === undefined ? await findCredential(context.store.db, job.credential_id) : undefined;
    const unusable = context.foreign === undefined && (row === undefined || row.status !== 'active');
    const failure = unusable
      ? new GatewayError('ERR_GATEWAY_CREDENTIAL', `your signing key is ${row?.status ?? 'gone'}: nothing can be signed with it`, { cause: error })
      : error instanceof GatewayError
        ? error
        : new GatewayError('ERR_GATEWAY_OAUTH_REFUSED', 'the approval could not be redeemed', { cause: error });
    await context.store.transaction((trx) =>
      updateGatewayJob(trx, job.id, ['authorizing'], { state: unusable ? 'failed' : 'draft', error_code: failure.code, error_message: failure.message, updated_at: context.clock.now().getTime() }),
    );
    return refuse(context, userId, job.id, failure, origin);
  }
  const now = context.clock.now().getTime();
  await context.store.transaction(async (trx) => {
    const moved = await updateGatewayJob(trx, job.id, ['authorizing'], {
      state: 'signing',
      access_token: context.secretBox.seal(Buffer.from(token.accessToken, 'utf8'), jobAad(job.id, 'access_token')),
      token_expires_at: token.expiresIn === undefined ? null : now + token.expiresIn * 1000,
      lease_owner: null,
      lease_until: null,
      updated_at: now,
    });
    if (!moved) throw new GatewayError('ERR_GATEWAY_JOB_STATE', 'the job changed meanwhile');
    await appendAudit(trx, { type: 'gateway.job.authorized', outcome: 'success', actorUserId: userId, actorClientId: gatewayClientId(context), subject: `job:${job.id}`, ...origin }, context.audit);
  });
  return { jobId: job.id };
}
