/**
 * The periodic certificate renewal job of `signet serve` (docs/security.md FLT-20): every interval,
 * the credential certificates (profile `signing`) expiring within the window are re-issued by the
 * CA with the same key, and each credential moves to its successor in the renewal's transaction
 * (ca-records.ts recordCaChanges), audited once. With several nodes on one PostgreSQL only one runs
 * a round (advisory lock, try-only: the others skip it), and each renewal is also an atomic claim
 * in the CA store, so even two rounds at once issue one successor per certificate.
 */
import type { Logger } from 'pino';
import { renewCertificates, type CertificateAuthority, type RenewalReport } from '../pki/index.js';
import { tryAdvisoryLock, type Store } from '../store/index.js';

/** What the job needs. */
export interface RenewalJobDeps {
  readonly store: Store;
  readonly ca: CertificateAuthority;
  readonly logger: Logger;
  /** This node's id: the claimant of its renewals. */
  readonly nodeId: string;
  /** Told how each timer round ended (the metrics count them). */
  readonly onRound?: (outcome: 'ran' | 'skipped' | 'failed') => void;
}

/** Interval and window (ServerConfig.renewal). */
export interface RenewalJobOptions {
  /** Milliseconds between rounds; 0 turns the timer off (runOnce still works). */
  readonly intervalMs: number;
  readonly withinDays: number;
}

/** One round: skipped when another node (or this one) is running a round. */
export type RenewalRound = { readonly ran: true; readonly report: RenewalReport } | { readonly ran: false };

/** A running job. */
export interface RenewalJob {
  /** Runs one round now (also what the timer calls). */
  runOnce(): Promise<RenewalRound>;
  /** Stops the timer and waits for a round in progress. */
  stop(): Promise<void>;
}

/** The advisory lock of a renewal round. */
const renewalLock = 'certificate-renewal';

/**
 * Starts the job; the first round runs one interval after start.
 *
 * @example
 * ```ts
 * const job = startRenewalJob({ store, ca, logger, nodeId }, { intervalMs: 3_600_000, withinDays: 30 });
 * await job.stop();
 * ```
 */
export function startRenewalJob(deps: RenewalJobDeps, options: RenewalJobOptions): RenewalJob {
  let running: Promise<RenewalRound> | undefined;
  let stopped = false;
  const round = async (): Promise<RenewalRound> => {
    const result = await tryAdvisoryLock(deps.store, renewalLock, () =>
      renewCertificates({ ca: deps.ca, withinDays: options.withinDays, claimant: deps.nodeId }),
    );
    if (result.ran) {
      const { renewed, skipped } = result.value;
      if (renewed.length + skipped.length > 0) {
        deps.logger.info({ renewed: renewed.map((r) => ({ from: r.from, to: r.to.serialHex })), skipped }, 'certificate renewal round');
      }
      return { ran: true, report: result.value };
    }
    return { ran: false };
  };
  const runOnce = (): Promise<RenewalRound> => {
    // One round at a time on this node; a caller arriving meanwhile gets "skipped".
    if (running !== undefined) return Promise.resolve({ ran: false });
    running = round().finally(() => {
      running = undefined;
    });
    return running;
  };
  const timer =
    options.intervalMs > 0
      ? setInterval(() => {
          if (stopped) return;
          runOnce().then(
            (round) => deps.onRound?.(round.ran ? 'ran' : 'skipped'),
            (err: unknown) => {
              deps.onRound?.('failed');
              deps.logger.error({ err }, 'certificate renewal round failed');
            },
          );
        }, options.intervalMs)
      : undefined;
  timer?.unref();
  return {
    runOnce,
    stop: async () => {
      stopped = true;
      if (timer !== undefined) clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
