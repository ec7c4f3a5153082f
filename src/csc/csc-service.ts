/**
 * The CSC service (RSSP side of CSC API v2 and v1.0.4), framework-free: one method per operation
 * taking the parsed JSON body and the request context, plus `handle()` which dispatches by version
 * and path, maps every error to the spec's (status, error, error_description) and audits failures.
 */
import { appendFailureAudit } from '../audit/index.js';
import { retriableStoreError } from '../store/index.js';
import { authLogin, authRevoke, origin } from './auth-operations.js';
import {
  credentialsAuthorize,
  credentialsAuthorizeCheck,
  credentialsExtendTransaction,
  credentialsGetChallenge,
  credentialsInfo,
  credentialsList,
} from './credential-operations.js';
import type { CscDeps, CscRequestContext, CscResponse, CscVersion } from './csc-deps.js';
import { toCscError } from './error-mapping.js';
import { CscError } from './errors.js';
import { infoResponse, v1Methods, v2Methods } from './info.js';
import type { RequestTrail } from './request-scope.js';
import { signDoc } from './sign-doc.js';
import { signHash } from './sign-hash.js';
import { timestamp } from './timestamp.js';
import { v1RequestToV2, v2ResponseToV1 } from './v1-adapter.js';

type Operation = (
  deps: CscDeps,
  body: unknown,
  ctx: CscRequestContext,
  trail: RequestTrail,
) => Promise<object | undefined | void>;

const operations: Readonly<Record<string, Operation>> = {
  'auth/login': authLogin,
  'auth/revoke': authRevoke,
  'credentials/list': credentialsList,
  'credentials/info': credentialsInfo,
  'credentials/authorize': credentialsAuthorize,
  'credentials/authorizeCheck': credentialsAuthorizeCheck,
  'credentials/getChallenge': credentialsGetChallenge,
  'credentials/extendTransaction': credentialsExtendTransaction,
  'signatures/signHash': signHash,
  'signatures/signDoc': signDoc,
  'signatures/timestamp': timestamp,
};

/** Methods of the specification Signet answers with 501 not_implemented (asynchronous mode, online OTP). */
const notImplemented: Readonly<Record<CscVersion, readonly string[]>> = {
  v2: ['credentials/sendOTP', 'signatures/signPolling'],
  v1: ['credentials/sendOTP'],
};

/** The operation paths served under /csc/<version>/ (info included; unimplemented ones answer 501). */
export function cscOperations(version: CscVersion): readonly string[] {
  return ['info', ...(version === 'v2' ? v2Methods : v1Methods), ...notImplemented[version]];
}

function isImplemented(version: CscVersion, operation: string): boolean {
  return (version === 'v2' ? (v2Methods as readonly string[]) : (v1Methods as readonly string[])).includes(operation);
}

/** The service object built once at start-up. */
export interface CscService {
  /** Dispatches `POST /csc/<version>/<operation>`: never throws; errors come back as CSC error bodies. */
  handle(version: CscVersion, operation: string, body: unknown, ctx: CscRequestContext): Promise<CscResponse>;
  /** Answers and audits a failure detected by the transport (malformed JSON, media type, body size). */
  reject(version: CscVersion, operation: string, error: CscError, ctx: CscRequestContext): Promise<CscResponse>;
  info(version?: CscVersion): Record<string, unknown>;
  authLogin(body: unknown, ctx: CscRequestContext): Promise<object>;
  authRevoke(body: unknown, ctx: CscRequestContext): Promise<void>;
  credentialsList(body: unknown, ctx: CscRequestContext): Promise<object>;
  credentialsInfo(body: unknown, ctx: CscRequestContext): Promise<object>;
  credentialsAuthorize(body: unknown, ctx: CscRequestContext): Promise<object>;
  credentialsAuthorizeCheck(body: unknown, ctx: CscRequestContext): Promise<object>;
  credentialsGetChallenge(body: unknown, ctx: CscRequestContext): Promise<object>;
  credentialsExtendTransaction(body: unknown, ctx: CscRequestContext): Promise<object>;
  signHash(body: unknown, ctx: CscRequestContext): Promise<object>;
  signDoc(body: unknown, ctx: CscRequestContext): Promise<object>;
  timestamp(body: unknown, ctx: CscRequestContext): Promise<object>;
}

/**
 * Builds the CSC service.
 *
 * @example
 * ```ts
 * const csc = createCscService({ store, clock, audit, sads, authenticator, keyBackends, ca, tsa, info });
 * const { status, body } = await csc.handle('v2', 'credentials/list', {}, { authorization: 'Bearer …' });
 * ```
 */
export function createCscService(deps: CscDeps): CscService {
  async function audited(
    version: CscVersion,
    operation: string,
    error: CscError,
    ctx: CscRequestContext,
    trail: RequestTrail,
  ): Promise<CscResponse> {
    const wire = version === 'v1' ? v1Error(error) : error;
    // INV-5, docs/security.md AUD-09: every refusal leaves an entry (no secrets: codes and ids only).
    // If even that cannot be written, the answer is a server error (AUD-07: nothing unrecorded).
    // DOS-20: under a flood, failures past the per-minute policy are counted in summary entries.
    const auditFailure = await appendFailureAudit(
      deps.store,
      {
        type: `csc.${operation.replace('/', '.')}`,
        outcome: 'failure',
        ...(trail.userId === undefined ? {} : { actorUserId: trail.userId }),
        ...(trail.clientId === undefined ? {} : { actorClientId: trail.clientId }),
        ...(trail.credentialId === undefined ? {} : { subject: `credential:${trail.credentialId}` }),
        details: { version, error: wire.error, errorCode: error.code, description: error.message },
        ...origin(ctx),
      },
      deps.audit,
    ).then(
      () => undefined,
      (auditError: unknown) => auditError,
    );
    if (auditFailure !== undefined) {
      // FLT-06/09: with the database gone the refusal cannot be recorded either; the request did
      // nothing, so it is answered as retriable (503), any other audit failure as a server error.
      const failed =
        retriableStoreError(auditFailure) !== undefined
          ? new CscError('ERR_CSC_BACKEND_UNAVAILABLE', 'The signing service is temporarily unavailable', { cause: auditFailure })
          : new CscError('ERR_CSC_SERVER', 'Internal error', { cause: error });
      return { status: failed.status, body: failed.toBody(), error: failed };
    }
    return {
      status: wire.status,
      body: wire.toBody(),
      error,
      ...(error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds }),
    };
  }

  async function handle(
    version: CscVersion,
    operation: string,
    body: unknown,
    ctx: CscRequestContext,
  ): Promise<CscResponse> {
    if (operation === 'info') return { status: 200, body: infoResponse(deps, version) };
    const op = operations[operation];
    const trail: RequestTrail = {};
    if (op === undefined || !isImplemented(version, operation)) {
      return audited(version, operation, new CscError('ERR_CSC_NOT_IMPLEMENTED', 'Method not implemented'), ctx, trail);
    }
    try {
      const input = version === 'v1' ? v1RequestToV2(operation, body) : body;
      const result = await op(deps, input, ctx, trail);
      if (result === undefined) return { status: 204 };
      const out = result as Record<string, unknown>;
      return { status: 200, body: version === 'v1' ? v2ResponseToV1(operation, out) : out };
    } catch (err) {
      return audited(version, operation, toCscError(err, version), ctx, trail);
    }
  }

  const direct =
    (operation: string) =>
    async (body: unknown, ctx: CscRequestContext): Promise<never> => {
      const op = operations[operation] as Operation;
      try {
        return (await op(deps, body, ctx, {})) as never;
      } catch (err) {
        throw toCscError(err, 'v2');
      }
    };

  return {
    handle,
    reject: (version, operation, error, ctx) => audited(version, operation, error, ctx, {}),
    info: (version = 'v2') => infoResponse(deps, version),
    authLogin: direct('auth/login'),
    authRevoke: direct('auth/revoke'),
    credentialsList: direct('credentials/list'),
    credentialsInfo: direct('credentials/info'),
    credentialsAuthorize: direct('credentials/authorize'),
    credentialsAuthorizeCheck: direct('credentials/authorizeCheck'),
    credentialsGetChallenge: direct('credentials/getChallenge'),
    credentialsExtendTransaction: direct('credentials/extendTransaction'),
    signHash: direct('signatures/signHash'),
    signDoc: direct('signatures/signDoc'),
    timestamp: direct('signatures/timestamp'),
  };
}

/** v1.0.4 has no invalid_authentication_data: a generic v2 factor error becomes invalid_request. */
function v1Error(error: CscError): CscError {
  return error.code === 'ERR_CSC_INVALID_AUTH_DATA'
    ? new CscError('ERR_CSC_INVALID_REQUEST', error.message, { cause: error })
    : error;
}
