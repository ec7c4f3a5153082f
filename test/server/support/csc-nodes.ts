/**
 * Server nodes built as `signet serve` builds them (createServices + buildServer, own listener and
 * pool) and a demo CSC session over them: login, credentials/authorize with PIN + TOTP, signHash.
 * Shared by the multi-node and fault tests (docs/security.md FLT-05, FLT-06, FLT-21).
 */
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { decodeBase32, generateTotp } from '../../../src/auth/index.js';
import type { Clock } from '../../../src/core/clock.js';
import { buildServer, type Services } from '../../../src/server/index.js';
import { ensureDemoAccount } from '../../../src/server/demo.js';
import { credentialOperationsFor, serverSurfaces } from '../../../src/server/surfaces.js';
import { openServices, type ServerEnv } from './server-fixture.js';

export const SHA256 = '2.16.840.1.101.3.4.2.1';
export const ES256 = '1.2.840.10045.4.3.2';

/**
 * One clock for every node, moved a TOTP step (RFC 6238 §5.2: a code is accepted once) per
 * authorization. `toRealTime()` puts it back on the wall clock: the nodes' TSA refuses to stamp
 * with a clock that disagrees with the database's (docs/security.md FLT-17).
 */
export function sharedClock(): Clock & { advance(ms: number): void; toRealTime(): void } {
  let t = Math.floor(Date.now() / 30_000) * 30_000 + 1_000;
  return { now: () => new Date(t), advance: (ms) => void (t += ms), toRealTime: () => void (t = Date.now()) };
}

/** One server node. */
export interface CscNode {
  readonly services: Services;
  readonly app: FastifyInstance;
  readonly url: string;
}

/** Starts a node on `env` (closed after the test); the per-node failure bucket (DOS-17) is off. */
export async function startNode(
  t: Parameters<typeof openServices>[0],
  env: ServerEnv,
  nodeId: string,
  clock: Clock,
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<CscNode> {
  const services = await openServices(
    t,
    { ...env, env: { ...env.env, SIGNET_NODE_ID: nodeId, SIGNET_FAILED_REQUESTS_PER_MINUTE: '0', ...extraEnv } },
    { credentials: credentialOperationsFor, clock },
  );
  const app = await buildServer(services, { surfaces: serverSurfaces(services) });
  t.after(() => app.close());
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  const url = `http://127.0.0.1:${port}`;
  services.baseUrl.set(url);
  return { services, app, url };
}

/** A CSC answer: status, parsed body, and the Retry-After header when present. */
export interface CscAnswer {
  readonly status: number;
  readonly body: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  readonly retryAfter: string | null;
}

/** POSTs a CSC v2 operation to a node (any base URL: a node or a proxy in front of it). */
export async function post(node: { readonly url: string }, operation: string, body: unknown, authorization: string): Promise<CscAnswer> {
  const res = await fetch(`${node.url}/csc/v2/${operation}`, {
    method: 'POST',
    headers: { authorization, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any>, retryAfter: res.headers.get('retry-after') }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** The demo user's session: its credential, bearer token, and the two calls of the signing flow. */
export interface DemoSession {
  readonly credentialID: string;
  readonly bearer: string;
  /** credentials/authorize for exactly `hashes` (numSignatures = hashes.length) with PIN + a fresh TOTP. */
  authorize(node: { readonly url: string }, hashes: readonly string[]): Promise<string>;
  signHash(node: { readonly url: string }, SAD: string, hash: string): Promise<CscAnswer>;
}

/** Creates the demo account through `owner` and logs in through `loginNode`. */
export async function demoSession(
  owner: CscNode,
  loginNode: { readonly url: string },
  clock: Clock & { advance(ms: number): void },
): Promise<DemoSession> {
  const { demo } = await ensureDemoAccount(owner.services);
  const secret = decodeBase32(demo.totpSecret);
  const login = await post(loginNode, 'auth/login', {}, `Basic ${Buffer.from(`${demo.username}:${demo.password}`).toString('base64')}`);
  assert.equal(login.status, 200, JSON.stringify(login.body));
  const bearer = `Bearer ${login.body['access_token'] as string}`;
  return {
    credentialID: demo.credentialID,
    bearer,
    authorize: async (node, hashes) => {
      clock.advance(30_000);
      const r = await post(
        node,
        'credentials/authorize',
        {
          credentialID: demo.credentialID,
          numSignatures: hashes.length,
          hashes,
          hashAlgorithmOID: SHA256,
          authData: [
            { id: 'PIN', value: demo.pin },
            { id: 'OTP', value: generateTotp(secret, clock.now()) },
          ],
        },
        bearer,
      );
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body['SAD'] as string;
    },
    signHash: (node, SAD, hash) =>
      post(node, 'signatures/signHash', { credentialID: demo.credentialID, SAD, hashes: [hash], hashAlgorithmOID: SHA256, signAlgo: ES256 }, bearer),
  };
}

/**
 * The hashes whose consumption is audited: the `hashes` of every successful `sad.consume` entry
 * (plain signHash) and `signing.started` entry (idempotent signing), which commit with the
 * consumption. Each hash is counted as often as it was consumed.
 */
export async function auditedConsumptions(db: Services['store']['db']): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('audit_log')
    .select(['details'])
    .where('outcome', '=', 'success')
    .where('event_type', 'in', ['sad.consume', 'signing.started'])
    .execute();
  const counts = new Map<string, number>();
  for (const row of rows) {
    const details = JSON.parse(String(row.details)) as { hashes?: unknown };
    if (!Array.isArray(details.hashes)) continue;
    for (const h of details.hashes) counts.set(String(h), (counts.get(String(h)) ?? 0) + 1);
  }
  return counts;
}
