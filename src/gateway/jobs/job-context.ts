/**
 * What the web gateway's jobs run on: the store, clock, audit, the secret box that seals every
 * document byte and OAuth secret at rest (AES-256-GCM, associated data naming the row and the
 * column, so a sealed value moved to another row or column does not open), the provider the jobs
 * sign at, and the limits.
 */
import type { AuditContext } from '../../audit/index.js';
import type { SecretBox, SecretHasher } from '../../auth/index.js';
import type { Clock } from '../../core/clock.js';
import type { ExtensionWork, LevelPlan, PrepareOptions, PreparedDocument } from '../../pades/index.js';
import type { Store } from '../../store/index.js';
import { GatewayError } from '../errors.js';
import type { OAuthFetch } from '../oauth-code-flow.js';

/** Limits and timings of the jobs (from the server's environment). */
export interface JobLimits {
  /** Largest uploaded file (SIGNET_UPLOAD_MAX_BYTES, default 25 MiB). */
  readonly uploadMaxBytes: number;
  /** Bytes of documents a user may hold (SIGNET_USER_QUOTA_BYTES, default 1 GiB). */
  readonly userQuotaBytes: number;
  /** Documents per job (500). */
  readonly maxDocuments: number;
  /** How long a job is kept after its last change (SIGNET_JOB_RETENTION_HOURS, default 24 h). */
  readonly retentionMs: number;
  /** Hashes per signHash call (default 50). */
  readonly hashesPerCall: number;
  /** How long a node's lease on a running job holds without renewal (default 30 s). */
  readonly leaseMs: number;
}

/** Test-only fault points of a signing run (like SIGNET_FAULT_HOOKS of the RSSP): 'halt' stops the run as a dead node would. */
export interface JobFaults {
  afterSignHash?(jobId: string, chunk: number): 'halt' | undefined | Promise<'halt' | undefined>;
}

/**
 * A CSC provider that shares nothing with this node (SIGNET_GATEWAY_PROVIDER_URL with
 * SIGNET_GATEWAY_CLIENT_ID): the gateway is a client registered there, the person's credentials
 * are listed there under a service-scope authorization, and their chains come from there.
 */
export interface ForeignProvider {
  /** The name the web app shows ("Connect to <name>"). */
  readonly name: string;
  /** This gateway's client id at the provider. */
  readonly clientId: string;
  /** Its secret (client_secret_basic); absent for a public client (PKCE only). */
  readonly clientSecret?: string;
}

/**
 * Where the jobs read untrusted PDFs (issue 15): `signet serve` passes its pool of worker threads
 * with a heap limit and a deadline, so an upload or a Sign never stalls the event loop; absent,
 * the work runs inline (tools, tests). Both reject with the reader's coded error.
 */
export interface JobDocumentWork {
  /** The page count of an uploaded PDF. */
  pageCount(pdf: Uint8Array): Promise<number>;
  /** Phase one of a document (`preparePdf`). */
  prepare(pdf: Uint8Array, options: PrepareOptions, plan?: LevelPlan): Promise<PreparedDocument>;
  /** Where phase two's B-LT/B-LTA document steps run (finishSignature's `extension`); inline when absent. */
  readonly extension?: ExtensionWork;
}

/** The gateway jobs' dependencies. */
export interface JobContext {
  readonly store: Store;
  readonly clock: Clock;
  readonly audit: AuditContext;
  readonly secretBox: SecretBox;
  readonly hasher: SecretHasher;
  /** This node's id (lease owner prefix). */
  readonly nodeId: string;
  /** The provider's base URL (its OAuth issuer; CSC at `/csc/v2`, TSA at `/pki/tsa`). */
  providerUrl(): string;
  /**
   * The OCSP responder to ask for every certificate (B-LT and above) instead of the AIA's, when
   * the provider is this Signet: its certificates may name a base URL learnt after they were
   * issued. Undefined: each certificate's AIA (RFC 5280 §4.2.2.1).
   */
  ocspUrl?(): string;
  /**
   * Where a CRL distribution point of this Signet's own certificates is fetched, when the provider
   * is this Signet (the same reason as ocspUrl: the issuing CA certificate may name a base URL
   * learnt after it was issued). Undefined: the distribution point itself.
   */
  crlUrl?(distributionPoint: string): string;
  /** Undefined: the provider is this Signet (its own credentials, the built-in client `signet-web`). */
  readonly foreign?: ForeignProvider;
  /** The RFC 3161 TSA for B-T and above; undefined: `<provider>/pki/tsa`. */
  tsaUrl?(): string;
  /** This gateway's redirect URI (`<base URL>/api/v1/oauth/callback`). */
  callbackUrl(): string;
  readonly limits: JobLimits;
  /** The web session's idle timeout, ms (a provider connection ends with its session); default 30 min. */
  readonly sessionIdleMs?: number;
  readonly documents?: JobDocumentWork;
  readonly fetch?: OAuthFetch;
  readonly faults?: JobFaults;
  readonly log?: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

/** Default limits. */
export const defaultJobLimits: JobLimits = {
  uploadMaxBytes: 25 * 1024 * 1024,
  userQuotaBytes: 1024 * 1024 * 1024,
  maxDocuments: 500,
  retentionMs: 24 * 3600_000,
  hashesPerCall: 50,
  leaseMs: 30_000,
};

/** Associated data of a sealed document column. */
export function documentAad(jobId: string, documentId: string, column: 'original' | 'prepared' | 'signed'): string {
  return `gateway_job_documents:${jobId}:${documentId}:${column}`;
}

/** Associated data of a sealed job column. */
export function jobAad(jobId: string, column: 'oauth_pending' | 'approved' | 'access_token'): string {
  return `gateway_jobs:${jobId}:${column}`;
}

/**
 * Opens a sealed value; a value that does not open (changed, or moved from another row) is
 * ERR_GATEWAY_DOCUMENT_CHANGED: what is stored is no longer what the gateway wrote.
 */
export function openSealed(context: Pick<JobContext, 'secretBox'>, sealed: Uint8Array | null, aad: string): Uint8Array {
  if (sealed === null) throw new GatewayError('ERR_GATEWAY_DOCUMENT_CHANGED', 'a stored document part is missing');
  try {
    return context.secretBox.open(sealed, aad);
  } catch (cause) {
    throw new GatewayError('ERR_GATEWAY_DOCUMENT_CHANGED', 'a stored document part was changed after it was written', { cause });
  }
}
