/**
 * Request limits of the API surfaces (docs/security.md DOS-17) and the CORS refusal (AC-07), as Fastify
 * hooks registered by buildServer on the CSC (/csc), OAuth2 (/oauth2, /.well-known), user (/api)
 * and admin (/admin) routes.
 *
 * Two token buckets per source address and per presented client credential (the Authorization
 * header: a bearer token is bound to one client and user, Basic carries the client or user id):
 * one counts every request (a high default, so a batch gateway signing at full speed is never
 * slowed), the other counts refused answers only (4xx other than 429), so a flood of invalid calls
 * is cut off quickly while valid work from other clients goes on. A refusal is 429 with Retry-After
 * (RFC 6585 §4, RFC 9110 §10.2.3) and the CSC / RFC 6749 §5.2 error body `temporarily_unavailable`.
 *
 * The buckets are per process: behind a load balancer each node counts separately. `trustProxy`
 * is off, so the source address is the TCP peer; behind a reverse proxy every client shares the
 * proxy's address, and the per-address limits must then be raised or the proxy must limit.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { appendFailureAudit, type AuditContext } from '../audit/index.js';
import type { Clock } from '../core/clock.js';
import type { Store } from '../store/index.js';
import { TokenBuckets } from './token-buckets.js';

/** Per-minute limits (0: off). */
export interface RequestLimits {
  readonly failuresPerMinute: number;
  readonly requestsPerMinute: number;
}

/** What the hooks need. */
export interface RequestLimitsDeps {
  readonly limits: RequestLimits;
  readonly clock: Clock;
  readonly store: Store;
  readonly audit: AuditContext;
}

/** The URL prefixes the limits and the CORS refusal apply to. */
const limitedPrefixes = ['/csc/', '/oauth2/', '/.well-known/', '/api/', '/admin/'] as const;

function isLimited(url: string): boolean {
  return limitedPrefixes.some((p) => url.startsWith(p));
}

/**
 * The source key of an address: an IPv4 address as is, an IPv6 address by its /64 prefix (one
 * customer network: RFC 6177 §2 assigns whole /64s or larger, so rotating within it buys nothing).
 */
export function sourceKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1] !== undefined) return mapped[1];
  if (!address.includes(':')) return address;
  const [head = '', tail] = address.toLowerCase().split('%')[0]?.split('::') ?? [];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/** The keys a request is counted under: its source address and, when present, its credential. */
function keysOf(request: FastifyRequest): string[] {
  const keys = [`ip:${sourceKey(request.ip)}`];
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string' && authorization !== '') {
    // A digest, so no token value is held in memory longer than the request.
    keys.push(`client:${createHash('sha256').update(authorization).digest('base64url').slice(0, 22)}`);
  }
  return keys;
}

function refuse(reply: FastifyReply, retryAfter: number, description: string): FastifyReply {
  return reply
    .code(429)
    .header('retry-after', String(retryAfter))
    .send({ error: 'temporarily_unavailable', error_description: description });
}

/**
 * Adds the hooks to `app` (the root instance, before the surfaces are registered).
 *
 * @example
 * ```ts
 * registerRequestLimits(app, { limits: config.rateLimits, clock, store, audit });
 * ```
 */
export function registerRequestLimits(app: FastifyInstance, deps: RequestLimitsDeps): void {
  const { limits } = deps;
  const requests = limits.requestsPerMinute > 0 ? new TokenBuckets(limits.requestsPerMinute, deps.clock) : undefined;
  const failures = limits.failuresPerMinute > 0 ? new TokenBuckets(limits.failuresPerMinute, deps.clock) : undefined;
  // One audit entry per key and minute while a limit refuses (DOS-20: refusals must not flood the log).
  const lastAudited = new Map<string, number>();

  const audit = async (request: FastifyRequest, key: string, limit: 'requests' | 'failures'): Promise<void> => {
    const now = deps.clock.now().getTime();
    const last = lastAudited.get(key);
    if (last !== undefined && now - last < 60_000) return;
    if (lastAudited.size >= 10_000) lastAudited.clear();
    lastAudited.set(key, now);
    await appendFailureAudit(
      deps.store,
      {
        type: 'server.rate_limit',
        outcome: 'failure',
        sourceAddress: request.ip,
        traceId: request.id,
        details: { limit, key: key.startsWith('ip:') ? 'source-address' : 'client-credential', path: request.url.split('?')[0] ?? '' },
      },
      deps.audit,
    ).catch((err: unknown) => request.log.error({ err }, 'rate-limit audit failed'));
  };

  // The failure tokens a request holds: taken before it runs, so a burst of concurrent invalid
  // calls cannot all pass before the first answer; given back when the answer is not a refusal.
  const held = new WeakMap<FastifyRequest, readonly string[]>();
  const giveBack = (keys: readonly string[]): void => {
    for (const key of keys) failures?.give(key);
  };

  app.addHook('onRequest', async (request, reply) => {
    // docs/security.md AC-07: no cross-origin access to the API surfaces: a CORS preflight is refused
    // and no Access-Control-Allow-* header is ever sent, so browsers keep other origins out.
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined) {
      return reply
        .code(403)
        .send({ error: 'access_denied', error_description: 'cross-origin requests are not allowed' });
    }
    if (!isLimited(request.url)) return undefined;
    const taken: string[] = [];
    for (const key of keysOf(request)) {
      if (failures !== undefined) {
        if (!failures.take(key)) {
          giveBack(taken);
          await audit(request, key, 'failures');
          return refuse(reply, failures.retryAfterSeconds(key), 'too many refused requests; retry later');
        }
        taken.push(key);
      }
      if (requests !== undefined && !requests.take(key)) {
        giveBack(taken);
        await audit(request, key, 'requests');
        return refuse(reply, requests.retryAfterSeconds(key), 'too many requests; retry later');
      }
    }
    held.set(request, taken);
    return undefined;
  });

  if (failures !== undefined) {
    app.addHook('onResponse', async (request, reply) => {
      const taken = held.get(request);
      if (taken === undefined) return;
      const status = reply.statusCode;
      // Refusals of the client's request (4xx) keep their token; successes and server errors do not count.
      if (status < 400 || status >= 500) giveBack(taken);
    });
  }
}
