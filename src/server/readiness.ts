/**
 * Readiness of one server process, as a load balancer sees it: ready while the database answers,
 * every key backend reports healthy and the process is not draining. Liveness (the process runs
 * and answers HTTP) is separate, so a database outage takes a node out of rotation without getting
 * it restarted (docs/security.md FLT-06, FLT-19).
 */
import { sql } from 'kysely';
import { appendAudit, type AuditContext } from '../audit/index.js';
import type { KeyBackend } from '../keys/index.js';
import type { Store } from '../store/index.js';
import { ServerError } from './errors.js';

/**
 * Seconds a client waits before retrying a 503 (RFC 9110 §10.2.3 Retry-After): about the time a
 * pool needs to reconnect after a database restart (docs/security.md FLT-06).
 */
export const retryAfterSeconds = 1;

/** One readiness answer: each dependency ok or not, and whether the process is draining. */
export interface ReadinessReport {
  readonly ready: boolean;
  /** True until the start-up work after listening (the demo bootstrap) has finished. */
  readonly starting: boolean;
  readonly draining: boolean;
  readonly database: boolean;
  /** False after an audit append failed, until a test append (rolled back) succeeds (§3.10). */
  readonly audit: boolean;
  readonly keys: Readonly<Record<string, boolean>>;
}

/** Options of Readiness. */
export interface ReadinessOptions {
  readonly store: Store;
  readonly backends: ReadonlyMap<string, KeyBackend>;
  /** The audit context whose `health` the readiness reflects (docs/security.md §3.10: audit insert fails → red). */
  readonly audit?: AuditContext;
  /**
   * How long a probe waits for the database before counting it as down (default 2000 ms): a
   * database that stops answering (FLT-21) must not hang the probe.
   */
  readonly probeTimeoutMs?: number;
  /** Not ready until started() is called (work that must finish after listening, e.g. --demo). */
  readonly starting?: boolean;
}

/**
 * Every local key backend healthy, and at least one remote token server (`remote:NAME`) when there
 * are any: every node shares the token servers, so one that is down would take every node out of
 * rotation at once while the others still sign (a credential on several tokens leaves it out,
 * docs/csc.md); `keys` still reports it down.
 */
function keysReady(keys: Readonly<Record<string, boolean>>): boolean {
  const entries = Object.entries(keys);
  const remote = entries.filter(([kind]) => kind.startsWith('remote:'));
  const local = entries.filter(([kind]) => !kind.startsWith('remote:'));
  return local.every(([, ok]) => ok) && (remote.length === 0 || remote.some(([, ok]) => ok));
}

/** The probe's answer; `false` when it fails or takes longer than `ms`. */
async function within(ms: number, probe: () => Promise<boolean>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([
      probe().catch(() => false),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The readiness state: `drain()` turns it false for good (the first step of a graceful shutdown);
 * `check()` probes the database and key backends.
 *
 * @example
 * ```ts
 * const readiness = new Readiness({ store, backends });
 * const { ready } = await readiness.check();
 * ```
 */
export class Readiness {
  readonly #store: Store;
  readonly #backends: ReadonlyMap<string, KeyBackend>;
  readonly #audit: AuditContext | undefined;
  readonly #probeTimeoutMs: number;
  #draining = false;
  #starting: boolean;

  constructor(options: ReadinessOptions) {
    this.#starting = options.starting ?? false;
    this.#store = options.store;
    this.#backends = options.backends;
    this.#audit = options.audit;
    this.#probeTimeoutMs = options.probeTimeoutMs ?? 2000;
  }

  /** True once drain() was called. */
  get isDraining(): boolean {
    return this.#draining;
  }

  /** Ends the starting phase: readiness follows the probes from now on. */
  started(): void {
    this.#starting = false;
  }

  /** Marks the process as shutting down: readiness answers false from now on. */
  drain(): void {
    this.#draining = true;
  }

  /** Probes the database (`select 1`) and every key backend, each bounded by the probe timeout. */
  async check(): Promise<ReadinessReport> {
    const database = await within(this.#probeTimeoutMs, async () => {
      await sql`select 1`.execute(this.#store.db);
      return true;
    });
    const audit = database && (await this.#auditWorks());
    const keys: Record<string, boolean> = {};
    for (const [kind, backend] of this.#backends) {
      keys[kind] = await within(this.#probeTimeoutMs, async () => (await backend.health()).ok);
    }
    const ready = !this.#starting && !this.#draining && database && audit && keysReady(keys);
    return { ready, starting: this.#starting, draining: this.#draining, database, audit, keys };
  }

  /**
   * True when no audit append has failed since the last good one; after a failure, a test append
   * in a transaction that is then rolled back (the log never holds it) must succeed first.
   */
  async #auditWorks(): Promise<boolean> {
    const context = this.#audit;
    if (context?.health === undefined || context.health.ok) return true;
    // Thrown only to roll the probe's transaction back; recognised by identity.
    const rolledBack = new ServerError('ERR_SERVER_UNAVAILABLE', 'readiness probe: rolled back on purpose');
    return within(this.#probeTimeoutMs, async () => {
      try {
        await this.#store.transaction(async (trx) => {
          await appendAudit(trx, { type: 'server.readiness.probe', outcome: 'success' }, context);
          throw rolledBack;
        });
      } catch (err) {
        if (err !== rolledBack) return false;
      }
      return context.health?.ok ?? true;
    });
  }
}
