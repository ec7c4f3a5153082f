/**
 * Validation data fetched once per batch (issue 19): a revocation source for the B-LT/B-LTA
 * signatures of one batch that asks the wrapped source once per certificate and issuer and answers
 * every further request from that answer (the signer's certificate, its CA's and the TSA's are the
 * same for every document of a batch), at most `maxConcurrent` fetches at a time. A failure is
 * not remembered: the next request asks again.
 */
import { createHash } from 'node:crypto';
import { monotonicMs } from '../core/clock.js';
import type { RevocationEvidence } from './ltv-sources.js';

/** What pades asks of a revocation source (pades' RevocationSource, revocationSourceFromClients). */
export interface RevocationFetcher {
  fetch(certificate: Uint8Array, issuer: Uint8Array): Promise<RevocationEvidence>;
}

/** Options of {@link revocationSourceForBatch}. */
export interface BatchRevocationOptions {
  /**
   * How long an answer is reused (default 60 s): a batch that runs longer asks again, so its
   * evidence is never older than this.
   */
  readonly maxAgeMs?: number;
  /** Fetches of different certificates running at once (default 4). */
  readonly maxConcurrent?: number;
  /** Monotonic milliseconds (tests). */
  readonly monotonic?: () => number;
}

/** A revocation source for one batch, and how many fetches it passed on. */
export interface BatchRevocationSource extends RevocationFetcher {
  /** Requests answered by the wrapped source (the rest were answered from the batch's answers). */
  fetched(): number;
}

/**
 * Wraps `source` for one batch: create one per batch and drop it with the batch.
 *
 * @example
 * ```ts
 * const revocation = revocationSourceForBatch(revocationSourceFromClients({ ocsp, crl }));
 * for (const pdf of batch) await signPdf(pdf, signer, { level: 'B-LT', timestamper, revocation });
 * ```
 */
export function revocationSourceForBatch(
  source: RevocationFetcher,
  options: BatchRevocationOptions = {},
): BatchRevocationSource {
  const maxAgeMs = options.maxAgeMs ?? 60_000;
  const maxConcurrent = Math.max(1, options.maxConcurrent ?? 4);
  const monotonic = options.monotonic ?? monotonicMs;
  const answers = new Map<
    string,
    { readonly at: number; readonly evidence: Promise<RevocationEvidence> }
  >();
  const waiting: (() => void)[] = [];
  let running = 0;
  let fetched = 0;

  async function bounded(certificate: Uint8Array, issuer: Uint8Array): Promise<RevocationEvidence> {
    if (running >= maxConcurrent) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    fetched++;
    try {
      return await source.fetch(certificate, issuer);
    } finally {
      running--;
      waiting.shift()?.();
    }
  }

  return {
    fetch(certificate, issuer) {
      const key = `${digestHex(issuer)} ${digestHex(certificate)}`;
      const now = monotonic();
      const hit = answers.get(key);
      if (hit !== undefined && now - hit.at < maxAgeMs) return hit.evidence;
      const evidence = bounded(certificate, issuer);
      answers.set(key, { at: now, evidence });
      evidence.catch(() => {
        if (answers.get(key)?.evidence === evidence) answers.delete(key);
      });
      return evidence;
    },
    fetched: () => fetched,
  };
}

function digestHex(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}
