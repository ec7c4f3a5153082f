/** What the CSC service is wired with (server/ builds these at start-up) and what each request carries. */
import type { Clock } from '../core/clock.js';
import type { AuditContext } from '../audit/index.js';
import type { Authenticator, SadService } from '../auth/index.js';
import type { KeyBackend } from '../keys/index.js';
import type { ExtensionWork, LevelPlan, PrepareOptions, PreparedDocument, RevocationSource, Timestamper } from '../pades/index.js';
import type { CertificateAuthority, TimestampAuthority } from '../pki/index.js';
import type { Store } from '../store/index.js';
import type { KeyPool } from './key-pool.js';
import type { SigningFaultHooks } from './signing-faults.js';

/** Service metadata for `info` (CSC API v2 §11.1). */
export interface CscInfoMetadata {
  readonly name: string;
  /** URI of a JPEG/PNG logo ≤ 256×256. */
  readonly logo: string;
  /** ISO 3166-1 alpha-2. */
  readonly region: string;
  /** RFC 5646 tag. */
  readonly lang: string;
  readonly description: string;
  /**
   * RFC 8414 issuer of the OAuth 2.0 authorization server (CSC v2 `oauth2Issuer`); when set,
   * `oauth2code` and `oauth2client` are advertised. v1 `info` reports it as `oauth2`.
   */
  readonly oauth2Issuer?: string;
  /** Whether the AS accepts RFC 9396 authorization_details (CSC v2.1 `supportsRar`). */
  readonly supportsRar?: boolean;
}

/** Limits (INV-7): requests past them are refused with invalid_request. */
export interface CscLimits {
  /** Hashes per authorize/signHash call (default 1000, the SAD maximum). */
  readonly maxHashes?: number;
  /** Documents per signDoc call (default 20). */
  readonly maxDocuments?: number;
  /** Decoded bytes per signDoc document (default 32 MiB). */
  readonly maxDocumentBytes?: number;
  /** SAD lifetime from credentials/authorize, seconds (default 300). */
  readonly sadLifetimeSeconds?: number;
  /** Service token lifetime from auth/login, seconds (default 3600, CSC v2 §11.2 default). */
  readonly loginTokenSeconds?: number;
}

/** The CSC service's dependencies: plain objects, passed in (no service locator). */
export interface CscDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly audit: AuditContext;
  readonly sads: SadService;
  readonly authenticator: Authenticator;
  /** Key backends keyed by `credentials.backend_kind`. */
  readonly keyBackends: ReadonlyMap<string, KeyBackend>;
  /**
   * Signatures in flight and back-offs of the keys of this node, for credentials on several
   * tokens (issue 16 §2); absent, one pool per `keyBackends` map.
   */
  readonly keyPool?: KeyPool;
  /** The issuing CA: its store is consulted for certificate revocation at authorize and sign time. */
  readonly ca?: CertificateAuthority;
  /** The TSA behind `signatures/timestamp` (and PAdES B-T in signDoc). */
  readonly tsa?: TimestampAuthority;
  readonly info: CscInfoMetadata;
  readonly limits?: CscLimits;
  /**
   * Sources of the PAdES levels beyond B-B for signDoc (ETSI EN 319 142-1 §6): the timestamper
   * (B-T; defaults to `tsa` in process) and the revocation source (B-LT and B-LTA).
   */
  readonly pades?: { readonly timestamper?: Timestamper; readonly revocation?: RevocationSource };
  /** Idempotent signing (requests with an `Idempotency-Key`, idempotent-signing.ts). */
  readonly signing?: SigningOptions;
  /**
   * Where signDoc parses and prepares documents (issue 15): `signet serve` passes a pool of worker
   * threads with a heap limit and a deadline; absent, preparation runs inline (tools, tests).
   */
  readonly documents?: DocumentPreparer;
}

/** Prepares a PDF for signing (`preparePdf`) somewhere other than the caller's thread. */
export interface DocumentPreparer {
  /** Phase one (`prepareSignature`) of `pdf` at `plan`'s level; the result holds `pdf` as its source and the whole plan. */
  prepare(pdf: Uint8Array, options: PrepareOptions, plan?: LevelPlan): Promise<PreparedDocument>;
  /** Where phase two's B-LT/B-LTA document steps run (finishSignature's `extension`); inline when absent. */
  readonly extension?: ExtensionWork;
}

/** Options of idempotent signing. */
export interface SigningOptions {
  /**
   * The bound T after which a request still `in_flight` is abandoned by the sweeper, in ms
   * (default 60 000; docs/security.md §3.10). Stored results are kept until the SAD's expiry plus T.
   */
  readonly abandonAfterMs?: number;
  /** Test-only fault hooks (signing-faults.ts); absent in production, where they cost nothing. */
  readonly faults?: SigningFaultHooks;
}

/** What the transport layer passes with every call. */
export interface CscRequestContext {
  /** The raw `Authorization` header. */
  readonly authorization?: string | undefined;
  readonly sourceAddress?: string | undefined;
  readonly traceId?: string | undefined;
  /** The raw `Idempotency-Key` header (draft-ietf-httpapi-idempotency-key-header), if sent. */
  readonly idempotencyKey?: string | undefined;
  /**
   * RFC 8705 §3.1 `x5t#S256` of the TLS connection's client certificate, if one was presented: a
   * certificate-bound access token is accepted only with it.
   */
  readonly clientCertificateThumbprint?: string | undefined;
}

/** The two API versions served (CSC API v2 under /csc/v2, v1.0.4 under /csc/v1). */
export type CscVersion = 'v1' | 'v2';

/** A transport-neutral answer. */
export interface CscResponse {
  /** 200, 204, or the error's status (4xx/5xx). */
  readonly status: number;
  readonly body?: Readonly<Record<string, unknown>>;
  /** The error behind a failure answer, for the server's log only (never sent). */
  readonly error?: Error;
  /** `Retry-After` delay-seconds for a retriable failure. */
  readonly retryAfterSeconds?: number;
}
