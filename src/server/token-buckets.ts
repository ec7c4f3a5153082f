/**
 * Token buckets keyed by string (per source address, per client credential), refilled
 * continuously at `perMinute` tokens a minute up to `perMinute`. Held in process memory: in a
 * multi-node deployment each node counts on its own, so the effective limit is the per-node limit
 * times the nodes the load balancer spreads a client over (docs/security.md DOS-17). The map is bounded;
 * the least recently used keys are dropped first (a dropped key starts again with a full bucket).
 */
import type { Clock } from '../core/clock.js';

interface Bucket {
  tokens: number;
  at: number;
}

/** Keyed token buckets of one rate. */
export class TokenBuckets {
  readonly perMinute: number;
  readonly #clock: Clock;
  readonly #maxKeys: number;
  readonly #buckets = new Map<string, Bucket>();

  constructor(perMinute: number, clock: Clock, maxKeys = 100_000) {
    this.perMinute = perMinute;
    this.#clock = clock;
    this.#maxKeys = maxKeys;
  }

  /** Takes one token; false (nothing taken) when the bucket is empty. */
  take(key: string): boolean {
    const bucket = this.#refill(key);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** Gives back a token taken for a request that turned out not to count. */
  give(key: string): void {
    const bucket = this.#refill(key);
    bucket.tokens = Math.min(this.perMinute, bucket.tokens + 1);
  }

  /** Whole seconds until the next token (RFC 9110 §10.2.3 Retry-After delay-seconds), at least 1. */
  retryAfterSeconds(key: string): number {
    const bucket = this.#refill(key);
    const missing = Math.max(0, 1 - bucket.tokens);
    return Math.max(1, Math.ceil((missing * 60) / this.perMinute));
  }

  #refill(key: string): Bucket {
    const now = this.#clock.now().getTime();
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      bucket = { tokens: this.perMinute, at: now };
      if (this.#buckets.size >= this.#maxKeys) {
        const oldest = this.#buckets.keys().next().value;
        if (oldest !== undefined) this.#buckets.delete(oldest);
      }
    } else {
      const elapsed = Math.max(0, now - bucket.at);
      bucket.tokens = Math.min(this.perMinute, bucket.tokens + (elapsed * this.perMinute) / 60_000);
      bucket.at = now;
      // Re-inserted so the map's order is least recently used first.
      this.#buckets.delete(key);
    }
    this.#buckets.set(key, bucket);
    return bucket;
  }
}
