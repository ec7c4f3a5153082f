/**
 * The Prometheus metrics of one server process (prom-client, text exposition format 0.0.4):
 * names prefixed `signet_`, units in the names, and label values from small fixed sets (route
 * templates, status classes, backend kinds, algorithms, outcomes, error codes), never a user,
 * credential or client id nor a hash. Each instance has its own registry.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Clock } from '../../core/clock.js';
import { systemClock } from '../../core/clock.js';

/** A connection pool's figures (store/connect.ts poolStats). */
export interface PoolFigures {
  readonly store: string;
  readonly size: number;
  readonly inUse: number;
  readonly waiting: number;
}

/** The software signing pool's figures (keys/software/signing-pool.ts stats). */
export interface SigningPoolFigures {
  readonly threads: number;
  readonly busy: number;
  readonly queued: number;
}

/** One PKCS#11 token's session pool (keys/pkcs11 session-pool.ts SessionPoolStats). */
export interface TokenFigures {
  readonly open: number;
  readonly idle: number;
  readonly waiting: number;
  readonly reconnects: number;
}

/** Where the collected gauges read their values at scrape time. */
export interface MetricSources {
  readonly storePool?: () => PoolFigures | undefined;
  readonly signingPool?: () => SigningPoolFigures | undefined;
  readonly pkcs11Tokens?: () => Readonly<Record<string, TokenFigures>> | undefined;
  /** The document workers (server/pdf-preparation-pool.ts). */
  readonly pdfWorkers?: () => {
    readonly size: number;
    readonly busy: number;
    readonly queued: number;
  };
  /** The database clock (store/database-clock.ts), compared with this machine's at scrape time. */
  readonly databaseClock?: Clock;
}

const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Every metric Signet exports.
 *
 * @example
 * ```ts
 * const metrics = new SignetMetrics();
 * metrics.signatures.inc({ backend: 'software', algorithm: 'ECDSA-SHA-256', outcome: 'success' });
 * const text = await metrics.registry.metrics();
 * ```
 */
export class SignetMetrics {
  readonly registry = new Registry();
  #sources: MetricSources = {};
  #processMetrics = false;

  // HTTP.
  readonly httpRequestDuration = this.#histogram(
    'signet_http_request_duration_seconds',
    'HTTP requests by route template and status class: duration from arrival to the last byte sent',
    ['method', 'route', 'status_class'],
  );
  readonly rateLimited = this.#counter(
    'signet_http_rate_limited_requests_total',
    'Requests refused by a rate limit (audited server.rate_limit entries)',
    [],
  );

  // Signing.
  readonly signatures = this.#counter(
    'signet_signatures_total',
    'Key operations that produced (or failed to produce) a signature, by key backend, algorithm and outcome',
    ['backend', 'algorithm', 'outcome'],
  );
  readonly keyOperationDuration = this.#histogram(
    'signet_key_operation_duration_seconds',
    'Key operations (sign; prepare: find and unwrap the key) by key backend',
    ['backend', 'operation'],
  );
  readonly sadsIssued = this.#counter(
    'signet_sads_issued_total',
    'Signature Activation Data issued',
    [],
  );
  readonly sadsConsumed = this.#counter(
    'signet_sads_consumed_total',
    'SAD uses that authorised signatures',
    [],
  );
  readonly sadsRefused = this.#counter(
    'signet_sads_refused_total',
    'SAD uses refused, by reason (ERR_SAD_EXPIRED: expired)',
    ['reason'],
  );
  readonly idempotentRequests = this.#counter(
    'signet_idempotent_requests_total',
    'Idempotent signing requests by event (started, completed, replayed, retried, abandoned); in flight = started - completed - abandoned',
    ['event'],
  );

  // PKI.
  readonly tsaResponses = this.#counter(
    'signet_tsa_responses_total',
    'RFC 3161 time-stamp responses by PKIStatus (granted: a token was issued)',
    ['status'],
  );
  readonly ocspResponses = this.#counter(
    'signet_ocsp_responses_total',
    'OCSP responses by certificate status, or by response status when unsuccessful',
    ['status'],
  );
  readonly ocspPresigned = this.#counter(
    'signet_ocsp_presigned_answers_total',
    'OCSP answers served from a response signed ahead for the certificate (RFC 5019), not signed for the request',
    [],
  );
  readonly crlsIssued = this.#counter('signet_crls_issued_total', 'CRLs served, by CA', ['ca']);
  readonly certificates = this.#counter(
    'signet_certificates_total',
    'Certificates issued, renewed and revoked by the CA',
    ['operation'],
  );
  readonly renewalRuns = this.#counter(
    'signet_certificate_renewal_runs_total',
    'Certificate renewal job rounds by outcome (ran, skipped: another node held the lock, failed)',
    ['outcome'],
  );

  // Auth.
  readonly logins = this.#counter(
    'signet_auth_logins_total',
    'Logins by channel (csc, web, oidc, admin) and outcome',
    ['channel', 'outcome'],
  );
  readonly factorResults = this.#counter(
    'signet_auth_factor_results_total',
    'Authentication factor checks by factor and outcome',
    ['factor', 'outcome'],
  );
  readonly lockouts = this.#counter(
    'signet_auth_lockouts_total',
    'Accounts and credentials locked after too many failures',
    ['subject'],
  );

  // Store and audit.
  readonly storeTransactionDuration = this.#histogram(
    'signet_store_transaction_duration_seconds',
    'Database transactions by kind (write, snapshot)',
    ['kind'],
  );
  readonly storeErrors = this.#counter(
    'signet_store_errors_total',
    'Failed database transactions by error class',
    ['class'],
  );
  readonly auditAppends = this.#counter(
    'signet_audit_appends_total',
    'Audit entries appended, by event outcome',
    ['outcome'],
  );
  readonly auditAppendFailures = this.#counter(
    'signet_audit_append_failures_total',
    'Audit appends that failed (the change they recorded was rolled back)',
    [],
  );

  constructor() {
    const sources = (): MetricSources => this.#sources;
    // Labelled by store kind, so a store without a pool (SQLite: one connection) shows no sample.
    const pool = (pick: (p: PoolFigures) => number) => (g: Gauge) => {
      g.reset();
      const figures = sources().storePool?.();
      if (figures !== undefined) g.set({ store: figures.store }, pick(figures));
    };
    this.#gauge(
      'signet_store_pool_connections',
      'Database connections open (PostgreSQL pool)',
      ['store'],
      pool((p) => p.size),
    );
    this.#gauge(
      'signet_store_pool_connections_in_use',
      'Database connections lent out',
      ['store'],
      pool((p) => p.inUse),
    );
    this.#gauge(
      'signet_store_pool_waiting_requests',
      'Callers waiting for a database connection',
      ['store'],
      pool((p) => p.waiting),
    );
    this.#gauge(
      'signet_store_clock_offset_seconds',
      'Database clock minus this machine’s clock',
      [],
      (g) => {
        const clock = sources().databaseClock;
        if (clock !== undefined)
          g.set((clock.now().getTime() - systemClock.now().getTime()) / 1000);
      },
    );
    this.#gauge('signet_signing_pool_threads', 'Software signing threads configured', [], (g) =>
      setIf(g, sources().signingPool?.()?.threads),
    );
    this.#gauge('signet_signing_pool_busy_threads', 'Software signing threads with work', [], (g) =>
      setIf(g, sources().signingPool?.()?.busy),
    );
    this.#gauge(
      'signet_signing_pool_queued_jobs',
      'Signatures sent to the signing threads and not yet answered',
      [],
      (g) => setIf(g, sources().signingPool?.()?.queued),
    );
    this.#gauge(
      'signet_pdf_workers',
      'Document worker threads allowed (parsing, preparing, validating PDFs)',
      [],
      (g) => setIf(g, sources().pdfWorkers?.().size),
    );
    this.#gauge('signet_pdf_workers_busy', 'Document worker threads running a job', [], (g) =>
      setIf(g, sources().pdfWorkers?.().busy),
    );
    this.#gauge('signet_pdf_worker_queued_jobs', 'Document jobs waiting for a worker', [], (g) =>
      setIf(g, sources().pdfWorkers?.().queued),
    );
    const tokens = (pick: (t: TokenFigures) => number) => (g: Gauge) => {
      g.reset();
      for (const [token, figures] of Object.entries(sources().pkcs11Tokens?.() ?? {}))
        g.set({ token }, pick(figures));
    };
    this.#gauge(
      'signet_pkcs11_sessions',
      'PKCS#11 sessions open, by token label',
      ['token'],
      tokens((t) => t.open),
    );
    this.#gauge(
      'signet_pkcs11_sessions_in_use',
      'PKCS#11 sessions lent out, by token label',
      ['token'],
      tokens((t) => t.open - t.idle),
    );
    this.#gauge(
      'signet_pkcs11_session_waiters',
      'Callers waiting for a PKCS#11 session, by token label',
      ['token'],
      tokens((t) => t.waiting),
    );
    this.#gauge(
      'signet_pkcs11_token_reconnects',
      'PKCS#11 token failures that reopened the sessions since start, by token label',
      ['token'],
      tokens((t) => t.reconnects),
    );
  }

  /** Sets where the collected gauges read from (called once the services exist). */
  watch(sources: MetricSources): void {
    this.#sources = { ...this.#sources, ...sources };
  }

  /** Adds prom-client's process metrics (event-loop lag, heap, GC, CPU, handles) once. */
  collectProcessMetrics(): void {
    if (this.#processMetrics) return;
    this.#processMetrics = true;
    collectDefaultMetrics({ register: this.registry, prefix: 'signet_' });
    // Gauges named *_total break the naming rule promtool checks; the per-type gauges without the
    // suffix (signet_nodejs_active_handles, …) carry the same figures.
    for (const name of [
      'active_handles_total',
      'active_requests_total',
      'active_resources_total',
    ]) {
      this.registry.removeSingleMetric(`signet_nodejs_${name}`);
    }
  }

  /** The exposition text (Prometheus text format 0.0.4). */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  #counter<L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  #histogram<L extends string>(name: string, help: string, labelNames: readonly L[]): Histogram<L> {
    return new Histogram({
      name,
      help,
      labelNames,
      buckets: latencyBuckets,
      registers: [this.registry],
    });
  }

  #gauge(
    name: string,
    help: string,
    labelNames: readonly string[],
    collect: (gauge: Gauge) => void,
  ): void {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        collect(this);
      },
    });
  }
}

function setIf(gauge: Gauge, value: number | undefined): void {
  if (value !== undefined) gauge.set(value);
}
