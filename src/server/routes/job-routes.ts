/**
 * The web gateway's API under /api/v1 (docs/decisions/0001 Contract 4): credentials, jobs,
 * uploads, sign, the OAuth callback, progress and downloads — all under the web session
 * (`requireWebUser`), state-changing requests with `X-Signet-Request: 1` (CSRF). Thin: parse,
 * call src/gateway/jobs, map GatewayError codes to HTTP statuses.
 */
import { Readable } from 'node:stream';
import type { FastifyPluginAsync, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { appendAudit } from '../../audit/index.js';
import { isSignetError } from '../../core/errors.js';
import {
  addDocument,
  completeAuthorization,
  completeProviderConnection,
  contentDisposition,
  createJob,
  documentReceipt,
  downloadDocument,
  getJob,
  jobZipEntries,
  listCredentialViews,
  listJobs,
  providerStatus,
  setDocumentVisible,
  startProviderConnection,
  startSigning,
  type JobContext,
  type JobRunner,
  writeZip,
} from '../../gateway/index.js';
import { replyStoreUnavailable } from '../store-unavailable.js';

/** How the routes learn who is signed in (W's web session, Contract 1). */
export interface WebAuth {
  /** The preHandler that answers 401 unless a web session is present (403 without X-Signet-Request: 1 on a change). */
  readonly preHandler: preHandlerAsyncHookHandler;
  /** The signed-in user's id (after the preHandler). */
  userId(request: FastifyRequest): string;
  /** The web session's id (after the preHandler): a foreign provider's service authorization is kept per session. */
  sessionId?(request: FastifyRequest): string;
}

/** Options of the job routes plugin. */
export interface JobRoutesOptions {
  readonly jobs: JobContext;
  readonly runner: JobRunner;
  readonly webAuth: WebAuth;
  /** How often this node looks for jobs to resume and to purge. */
  readonly sweepIntervalMs: number;
}

const statusOf: Readonly<Record<string, number>> = {
  ERR_GATEWAY_JOB_NOT_FOUND: 404,
  ERR_GATEWAY_JOB_STATE: 409,
  ERR_GATEWAY_UPLOAD_TOO_LARGE: 413,
  ERR_GATEWAY_UPLOAD_QUOTA: 413,
  ERR_GATEWAY_PROVIDER_NOT_CONNECTED: 409,
};

const errorSchema = {
  type: 'object',
  required: ['error', 'error_description'],
  properties: { error: { type: 'string' }, error_description: { type: 'string' } },
} as const;

const idParam = { type: 'string', minLength: 1, maxLength: 64 } as const;

function origin(request: FastifyRequest): { sourceAddress: string; traceId: string } {
  return { sourceAddress: request.ip, traceId: request.id };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The job routes; register with `{ prefix: '/api/v1' }`. */
export const jobRoutes: FastifyPluginAsync<JobRoutesOptions> = async (app, { jobs, runner, webAuth, sweepIntervalMs }) => {
  const { uploadMaxBytes } = jobs.limits;

  app.addContentTypeParser('application/pdf', { parseAs: 'buffer', bodyLimit: uploadMaxBytes + 1 }, (_request, body, done) => done(null, body));

  // The session check includes the CSRF rule (X-Signet-Request: 1 on state-changing requests).
  const preHandler = webAuth.preHandler;

  app.setErrorHandler((err, request, reply) => {
    const unavailable = replyStoreUnavailable(err, request, reply, 'temporarily_unavailable');
    if (unavailable !== undefined) return unavailable;
    if (isSignetError(err)) {
      request.log.warn({ code: err.code, detail: err.detail }, err.message);
      return reply.code(statusOf[err.code] ?? 400).send({ error: err.code, error_description: err.message });
    }
    const e = err as { code?: string; validation?: unknown; statusCode?: number; message?: string };
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.code(413).send({ error: 'ERR_GATEWAY_UPLOAD_TOO_LARGE', error_description: `the file is larger than ${uploadMaxBytes} bytes` });
    }
    if (e.validation !== undefined || (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500)) {
      return reply.code(e.statusCode ?? 400).send({ error: 'invalid_request', error_description: e.message ?? 'invalid request' });
    }
    request.log.error({ err }, 'gateway request failed');
    return reply.code(500).send({ error: 'server_error', error_description: 'internal error' });
  });

  const sessionOf = (request: FastifyRequest): string => webAuth.sessionId?.(request) ?? '';

  app.get('/me/credentials', { preHandler, schema: { summary: "The signed-in person's signing credentials (at a foreign provider: listed there, 409 until connected)", tags: ['web'] } }, async (request) =>
    listCredentialViews(jobs, webAuth.userId(request), sessionOf(request)),
  );

  app.get('/provider', { preHandler, schema: { summary: 'Where signing happens: {name, foreign, connected}', tags: ['web'] } }, async (request) =>
    providerStatus(jobs, sessionOf(request)),
  );

  app.post('/provider/connect', { preHandler, schema: { summary: "Starts the service authorization at the foreign provider; answers the URL to send the browser to", tags: ['web'] } }, async (request) =>
    startProviderConnection(jobs, webAuth.userId(request), sessionOf(request), origin(request)),
  );

  app.post<{ Body: Record<string, unknown> }>(
    '/jobs',
    {
      preHandler,
      schema: {
        summary: 'Creates a signing job (draft)',
        tags: ['web'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['credentialID'],
          properties: {
            credentialID: { type: 'string', maxLength: 200 },
            level: { type: 'string', enum: ['B-B', 'B-T', 'B-LT', 'B-LTA'] },
            reason: { type: 'string', maxLength: 200 },
            location: { type: 'string', maxLength: 200 },
          },
        },
        response: { 201: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } }, 400: errorSchema },
      },
    },
    async (request, reply) => reply.code(201).send(await createJob(jobs, webAuth.userId(request), request.body, sessionOf(request))),
  );

  app.get('/jobs', { preHandler, schema: { summary: "The person's jobs, newest first", tags: ['web'] } }, async (request) => ({
    jobs: await listJobs(jobs, webAuth.userId(request)),
  }));

  app.get<{ Params: { id: string } }>(
    '/jobs/:id',
    { preHandler, schema: { summary: 'A job: state, progress, documents (another person\'s job is 404)', tags: ['web'], params: { type: 'object', properties: { id: idParam } } } },
    async (request) => getJob(jobs, webAuth.userId(request), request.params.id),
  );

  app.post<{ Params: { id: string }; Querystring: { name?: string }; Body: Buffer }>(
    '/jobs/:id/documents',
    {
      preHandler,
      bodyLimit: uploadMaxBytes + 1,
      schema: {
        summary: 'Uploads one PDF (body application/pdf) to a draft job',
        tags: ['web'],
        params: { type: 'object', properties: { id: idParam } },
        querystring: { type: 'object', properties: { name: { type: 'string', maxLength: 1000 } } },
      },
    },
    async (request, reply) => {
      if (!Buffer.isBuffer(request.body)) return reply.code(415).send({ error: 'invalid_request', error_description: 'the body must be application/pdf' });
      const doc = await addDocument(jobs, webAuth.userId(request), request.params.id, request.query.name, new Uint8Array(request.body));
      return reply.code(201).send(doc);
    },
  );

  app.patch<{ Params: { id: string; doc: string }; Body: { visible?: unknown } }>(
    '/jobs/:id/documents/:doc',
    {
      preHandler,
      schema: {
        summary: 'Places ({page, rect}) or removes (null) the visible signature of a document',
        tags: ['web'],
        params: { type: 'object', properties: { id: idParam, doc: idParam } },
        body: { type: 'object', additionalProperties: false, required: ['visible'], properties: { visible: { type: 'object', nullable: true, additionalProperties: false, required: ['page', 'rect'], properties: { page: { type: 'integer' }, rect: { type: 'array', minItems: 4, maxItems: 4, items: { type: 'number' } } } } } },
      },
    },
    async (request) => setDocumentVisible(jobs, webAuth.userId(request), request.params.id, request.params.doc, request.body),
  );

  for (const which of ['original', 'signed'] as const) {
    app.get<{ Params: { id: string; doc: string } }>(
      `/jobs/:id/documents/:doc/${which}`,
      { preHandler, schema: { summary: `The ${which} PDF`, tags: ['web'], params: { type: 'object', properties: { id: idParam, doc: idParam } } } },
      async (request, reply) => {
        const { name, bytes } = await downloadDocument(jobs, webAuth.userId(request), request.params.id, request.params.doc, which, origin(request));
        return reply
          .header('content-type', 'application/pdf')
          .header('content-disposition', contentDisposition(name))
          .header('content-length', String(bytes.length))
          .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
      },
    );
  }

  // Issue 21: the document's batch receipt (docs/transparency.md), for signet receipt verify.
  app.get<{ Params: { id: string; doc: string } }>(
    '/jobs/:id/documents/:doc/receipt',
    { preHandler, schema: { summary: "The signed document's batch receipt (JSON), for signet receipt verify", tags: ['web'], params: { type: 'object', properties: { id: idParam, doc: idParam } } } },
    async (request, reply) => {
      const { name, receipt } = await documentReceipt(jobs, webAuth.userId(request), request.params.id, request.params.doc);
      return reply
        .header('content-type', 'application/json')
        .header('content-disposition', contentDisposition(`${name.replace(/\.pdf$/i, '')}.receipt.json`))
        .send(receipt);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/jobs/:id/signed.zip',
    { preHandler, schema: { summary: 'Every signed PDF of the job in one ZIP', tags: ['web'], params: { type: 'object', properties: { id: idParam } } } },
    async (request, reply) => {
      const userId = webAuth.userId(request);
      const { entries, count } = await jobZipEntries(jobs, userId, request.params.id);
      await jobs.store.transaction((trx) =>
        appendAudit(trx, { type: 'gateway.job.download', outcome: 'success', actorUserId: userId, subject: `job:${request.params.id}`, details: { documents: count }, ...origin(request) }, jobs.audit),
      );
      return reply
        .header('content-type', 'application/zip')
        .header('content-disposition', contentDisposition('signed.zip'))
        .send(Readable.from(writeZip(entries, jobs.clock.now())));
    },
  );

  app.post<{ Params: { id: string } }>(
    '/jobs/:id/sign',
    { preHandler, schema: { summary: 'Prepares the documents and starts the approval; answers the authorization URL', tags: ['web'], params: { type: 'object', properties: { id: idParam } } } },
    async (request) => startSigning(jobs, webAuth.userId(request), request.params.id, origin(request), sessionOf(request)),
  );

  app.get('/oauth/callback', { preHandler: webAuth.preHandler, schema: { summary: 'The OAuth 2.0 redirect URI of the web gateway (303 to /jobs/:id)', tags: ['web'] } }, async (request, reply) => {
    const url = new URL(request.url, jobs.callbackUrl());
    const callback = new URL(jobs.callbackUrl());
    callback.search = url.search;
    try {
      // One redirect URI: the state names either the session's connection to the provider or a job.
      if ((await completeProviderConnection(jobs, webAuth.userId(request), sessionOf(request), callback, origin(request))) !== undefined) {
        return reply.code(303).header('location', '/sign?connected=1').send();
      }
      const { jobId } = await completeAuthorization(jobs, webAuth.userId(request), callback, origin(request));
      runner.start(jobId);
      return reply.code(303).header('location', `/jobs/${jobId}`).send();
    } catch (err) {
      if (!isSignetError(err)) throw err;
      if (!(request.headers.accept ?? '').includes('text/html')) return reply.code(400).send({ error: err.code, error_description: err.message });
      const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Approval not accepted</title></head><body><main><h1>Approval not accepted</h1><p>${escapeHtml(err.message)}</p><p><small>${escapeHtml(err.code)}</small></p><p><a href="/">Back to Signet</a></p></main></body></html>`;
      return reply.code(400).header('content-type', 'text/html; charset=utf-8').send(page);
    }
  });

  // Every node resumes jobs whose node died and purges jobs past retention.
  app.addHook('onReady', async () => runner.startSweeper(sweepIntervalMs));
  app.addHook('onClose', async () => runner.stop());
  await Promise.resolve();
};
