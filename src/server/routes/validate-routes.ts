/**
 * `POST /api/v1/validate` (docs/decisions/0001 Contract 4): the Verify page's back end. The body
 * is the PDF itself (`application/pdf`) or a `multipart/form-data` form whose part `file` is the
 * PDF (RFC 7578), size-limited either way; it is validated in memory with Signet's
 * validation library (ETSI EN 319 102-1 indications, PAdES levels of EN 319 142-1) and never
 * stored. Trust anchors: the service's own root CA, so its own signatures are TOTAL-PASSED, plus
 * the certificates of `SIGNET_TRUST_ANCHORS_FILE` (PEM). Revocation comes from the document's DSS,
 * else from the service's own OCSP responder and CRL (in process); without evidence a signature is
 * INDETERMINATE / TRY_LATER. Rate-limited like the rest of /api/ (request-limits.ts). With
 * `documents` (signet serve: signDoc's document workers) the PDF is read only on a worker thread
 * with a heap limit and a deadline — in one job that asks this thread for the revocation lookups
 * it needs, then validates the same open document — so a hostile file never stalls the event
 * loop (docs/security.md INV-7).
 */
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyPluginAsync, preHandlerAsyncHookHandler } from 'fastify';
import type {} from '@fastify/swagger';
import type { Clock } from '../../core/clock.js';
import { isSignetError } from '../../core/errors.js';
import { pemCertificates } from '../../pki/index.js';
import type { RevocationSource } from '../../pades/index.js';
import {
  defaultValidationPolicy,
  fetchRevocationEvidence,
  fetchWantedRevocation,
  readValidationPolicy,
  verifyPdfLongTerm,
  type DocumentReport,
  type RevocationMode,
  type ValidationPolicy,
} from '../../validation/index.js';
import { ServerError } from '../errors.js';
import { fileFromMultipart } from '../multipart-pdf.js';
import type { PooledPdfPreparer } from '../pdf-preparation-pool.js';

/** Options of the validate plugin. */
export interface ValidateRoutesOptions {
  readonly clock: Clock;
  /** DER trust anchors: the service's root first, then configured ones. */
  readonly trustAnchors: readonly Uint8Array[];
  /** Largest accepted PDF in bytes. */
  readonly maxBytes: number;
  /** Authentication of the caller (the web session's requireWebUser); none when absent. */
  readonly authenticate?: preHandlerAsyncHookHandler;
  /** Where revocation evidence the document lacks is looked up; absent: offline (never TOTAL-PASSED without evidence in the document). */
  readonly revocation?: RevocationSource;
  /** Document workers (heap limit, deadline) that read the PDF; absent: read on the caller's thread. */
  readonly documents?: Pick<PooledPdfPreparer, 'validate'>;
  /** The validation policy (SIGNET_VALIDATION_POLICY_FILE); absent: the default policy. */
  readonly policy?: ValidationPolicy;
}

/** Room for the multipart envelope (boundaries, part headers, small text fields) beyond the PDF's limit. */
const multipartOverhead = 64 * 1024;

/** Default size limit of a PDF to validate (the consent documents' default, Contract 3). */
export const defaultValidateMaxBytes = 20 * 1024 * 1024;

/** The validation policy of SIGNET_VALIDATION_POLICY_FILE (JSON, docs/validation.md), or the default; ERR_SERVER_CONFIG when it does not fit. */
function loadValidationPolicy(env: NodeJS.ProcessEnv): ValidationPolicy {
  const file = env['SIGNET_VALIDATION_POLICY_FILE'];
  if (file === undefined || file === '') return defaultValidationPolicy;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new ServerError('ERR_SERVER_CONFIG', `SIGNET_VALIDATION_POLICY_FILE (${file}) cannot be read as JSON`, { cause });
  }
  const read = readValidationPolicy(json);
  if ('problems' in read) {
    throw new ServerError('ERR_SERVER_CONFIG', `SIGNET_VALIDATION_POLICY_FILE (${file}) does not fit: ${read.problems.join('; ')}`);
  }
  return read.policy;
}

/** The validate settings from the environment: SIGNET_VALIDATE_MAX_BYTES, SIGNET_TRUST_ANCHORS_FILE, SIGNET_VALIDATION_POLICY_FILE. */
export function loadValidateSettings(env: NodeJS.ProcessEnv): {
  readonly maxBytes: number;
  readonly extraAnchors: readonly Uint8Array[];
  readonly policy: ValidationPolicy;
} {
  const policy = loadValidationPolicy(env);
  const text = env['SIGNET_VALIDATE_MAX_BYTES'];
  const maxBytes = text === undefined ? defaultValidateMaxBytes : Number(text);
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1024) {
    throw new ServerError(
      'ERR_SERVER_CONFIG',
      'SIGNET_VALIDATE_MAX_BYTES must be an integer of at least 1024',
    );
  }
  const file = env['SIGNET_TRUST_ANCHORS_FILE'];
  if (file === undefined || file === '') return { maxBytes, extraAnchors: [], policy };
  let extraAnchors: Uint8Array[];
  try {
    extraAnchors = pemCertificates(readFileSync(file, 'latin1'));
    for (const der of extraAnchors) new X509Certificate(der);
  } catch (cause) {
    throw new ServerError(
      'ERR_SERVER_CONFIG',
      `SIGNET_TRUST_ANCHORS_FILE (${file}) holds no readable PEM certificate`,
      { cause },
    );
  }
  if (extraAnchors.length === 0)
    throw new ServerError(
      'ERR_SERVER_CONFIG',
      `SIGNET_TRUST_ANCHORS_FILE (${file}) holds no PEM certificate`,
    );
  return { maxBytes, extraAnchors, policy };
}

function subjectOf(der: Uint8Array): string {
  try {
    return new X509Certificate(der).subject.split('\n').join(', ');
  } catch {
    return '(unreadable certificate)';
  }
}

const errorSchema = {
  type: 'object',
  required: ['error', 'error_description'],
  properties: { error: { type: 'string' }, error_description: { type: 'string' } },
} as const;

/** The validate plugin; register under `/api/v1`. */
export const validateRoutes: FastifyPluginAsync<ValidateRoutesOptions> = async (app, options) => {
  const anchors = [...options.trustAnchors];
  const anchorSubjects = anchors.map(subjectOf);

  // Encapsulated: application/pdf bodies are accepted by this plugin's route only, as raw bytes.
  app.addContentTypeParser(
    'application/pdf',
    { parseAs: 'buffer', bodyLimit: options.maxBytes },
    (_request, body, done) => {
      done(null, body);
    },
  );
  // RFC 7578: a form with the PDF as its part `file`; the envelope is parsed in the handler.
  app.addContentTypeParser(
    'multipart/form-data',
    { parseAs: 'buffer', bodyLimit: options.maxBytes + multipartOverhead },
    (_request, body, done) => {
      done(null, { multipart: body });
    },
  );

  /** The report of `bytes`: on the document workers when there are some, else on this thread. */
  const validate = async (bytes: Uint8Array, at: Date): Promise<DocumentReport> => {
    const policy = options.policy ?? defaultValidationPolicy;
    const timeoutMs = policy.revocation.timeoutMs;
    const workers = options.documents;
    // A policy without online lookups: the document's DSS only.
    const source = policy.revocation.fetchOnline ? options.revocation : undefined;
    if (workers !== undefined) {
      // One worker job, the document read once: the worker asks for the lookups it needs mid-job.
      return workers.validate(
        bytes,
        anchors,
        at,
        source === undefined
          ? { mode: 'offline' }
          : (wanted) => fetchWantedRevocation(wanted, { source, clock: options.clock, timeoutMs }),
        policy,
      );
    }
    const revocation: RevocationMode =
      source === undefined
        ? { mode: 'offline' }
        : await fetchRevocationEvidence(bytes, {
            source,
            trustAnchors: anchors,
            clock: options.clock,
            timeoutMs,
            policy,
          });
    return verifyPdfLongTerm(bytes, {
      trustAnchors: anchors,
      clock: { now: () => at },
      unreadable: 'throw',
      revocation,
      policy,
    });
  };

  app.post(
    '/validate',
    {
      bodyLimit: options.maxBytes,
      // The body is bytes (or a form's bytes), checked by the handler: the schema documents it.
      validatorCompiler: () => () => true,
      ...(options.authenticate !== undefined ? { preHandler: options.authenticate } : {}),
      schema: {
        summary:
          'Validates the signatures of a PDF (the body, or the part "file" of a form); the document is not stored',
        description:
          'The PDF is the request body (Content-Type: application/pdf) or the part named "file" of a multipart/form-data body (RFC 7578), at most SIGNET_VALIDATE_MAX_BYTES (413 beyond). It is read on a document worker with a heap limit and a deadline (SIGNET_PDF_WORKER_HEAP_MB, SIGNET_PDF_WORKER_TIMEOUT_MS: ERR_PDF_LIMIT_MEMORY, ERR_PDF_LIMIT_TIME) and never stored. ETSI EN 319 102-1 indications per signature, with the PAdES level reached (EN 319 142-1). Trust anchors: the service root CA and SIGNET_TRUST_ANCHORS_FILE; revocation of every certificate of each path from the document DSS, else the service own OCSP/CRL (without evidence: INDETERMINATE/TRY_LATER). Each signature carries typed findings {code, check, severity, message}.',
        tags: ['user'],
        consumes: ['application/pdf', 'multipart/form-data'],
        // For the OpenAPI document only (the route's validator accepts the bytes as they come):
        // the PDF, or a form whose part "file" is the PDF.
        body: {
          type: 'string',
          format: 'binary',
          description: 'The PDF; as multipart/form-data, the part named "file" holds it',
        },
        response: {
          400: errorSchema,
          401: errorSchema,
          413: errorSchema,
          415: errorSchema,
          429: errorSchema,
        },
      },
    },
    async (request, reply) => {
      const raw = request.body;
      const body =
        typeof raw === 'object' &&
        raw !== null &&
        'multipart' in raw &&
        Buffer.isBuffer(raw.multipart)
          ? fileFromMultipart(raw.multipart, request.headers['content-type'] ?? '')
          : raw;
      if (!Buffer.isBuffer(body) || body.length === 0) {
        throw new ServerError(
          'ERR_SERVER_INVALID_REQUEST',
          'send the PDF as the request body (Content-Type: application/pdf) or as the part "file" of a multipart/form-data body',
        );
      }
      if (body.length > options.maxBytes) {
        // As a raw body beyond the limit (FST_ERR_CTP_BODY_TOO_LARGE): 413.
        return reply
          .code(413)
          .send({ error: 'invalid_request', error_description: 'the request body is too large' });
      }
      const bytes = new Uint8Array(body.buffer, body.byteOffset, body.length);
      const started = options.clock.now();
      let report: DocumentReport;
      try {
        // The Verify page explains a file the reader cannot open from the error code (400).
        report = await validate(bytes, started);
      } catch (cause) {
        // Issue 14: a document worker's deadline or heap limit stops the validation like any other
        // reader limit — a report whose file-level finding names the limit (EN 319 102-1 §5.1.3:
        // the result is not known, INDETERMINATE), not a 400.
        if (isSignetError(cause) && (cause.code === 'ERR_PDF_LIMIT_TIME' || cause.code === 'ERR_PDF_LIMIT_MEMORY')) {
          const message = `the validation could not finish within the document worker's limits: ${cause.code}: ${cause.message}`;
          report = {
            signatures: [],
            warnings: [],
            indication: 'INDETERMINATE',
            findings: [{ code: 'ERR_VALIDATION_INCOMPLETE', check: 'document', severity: 'error', message }],
          };
        } else if (isSignetError(cause)) throw cause;
        else
        // Bad input is never a 500: a structure the reader did not foresee is the file's problem.
        throw new ServerError(
          'ERR_SERVER_PDF_UNREADABLE',
          'the PDF could not be read far enough to check its signatures',
          {
            cause,
            detail: { error: cause instanceof Error ? cause.message : String(cause) },
          },
        );
      }
      request.log.info(
        { size: body.length, signatures: report.signatures.length },
        'validated a PDF',
      );
      return {
        document: { size: body.length, sha256: createHash('sha256').update(body).digest('hex') },
        validatedAt: started.toISOString(),
        trustAnchors: anchorSubjects,
        signatures: report.signatures,
        warnings: report.warnings,
        // A file whose reading a limit stopped (a field-tree bomb): its own verdict and finding.
        ...(report.indication === undefined ? {} : { indication: report.indication }),
        ...(report.subIndication === undefined ? {} : { subIndication: report.subIndication }),
        ...(report.findings === undefined ? {} : { findings: report.findings }),
      };
    },
  );
  await Promise.resolve();
};
