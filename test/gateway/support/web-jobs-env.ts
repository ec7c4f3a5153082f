/**
 * A real listening Signet for the web gateway tests: createServices + buildServer with every
 * surface `signet serve` registers, on port 0, its base URL set, so the gateway reaches its own
 * authorization server, CSC API and TSA over HTTP. A signer with password, TOTP and a credential
 * (PIN 123456, multisign 1000); a browser-like HTTP client (cookies, forms, no auto-redirect)
 * that signs in, and drives the authorization server's login and consent pages.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { generateTotp } from '../../../src/auth/index.js';
import type { Clock } from '../../../src/core/clock.js';
import { buildServer, type Services } from '../../../src/server/index.js';
import { loadGatewayConfig, type GatewayConfig } from '../../../src/server/gateway-config.js';
import { credentialOperationsFor, serverSurfaces } from '../../../src/server/surfaces.js';
import type { StoreKind } from '../../../src/store/index.js';
import { openServices, serverEnv, type ServerEnv } from '../../server/support/server-fixture.js';

/**
 * One clock for every node: the wall clock plus an offset. A TOTP code is accepted once per step
 * (RFC 6238 §5.2), so each sign-in or approval moves the clock to a step not used yet;
 * `toRealTime()` puts it back on the wall clock before the TSA is asked (docs/security.md FLT-17: the
 * TSA refuses a clock off from its reference).
 */
export interface SharedClock extends Clock {
  /** Moves the clock to the start (+1 s) of TOTP step `step`. */
  toStep(step: number): void;
  toRealTime(): void;
}

export function sharedClock(): SharedClock {
  let offset = 0;
  return {
    now: () => new Date(Date.now() + offset),
    toStep: (step) => void (offset = step * 30_000 + 1_000 - Date.now()),
    toRealTime: () => void (offset = 0),
  };
}

/** A person who signs. */
export interface WebSigner {
  readonly userId: string;
  readonly username: string;
  readonly password: string;
  readonly totpSecret: Uint8Array;
  readonly credentialId: string;
  readonly pin: string;
}

/** A browser: its cookies per origin-independent name, and requests without auto-redirect. */
export class Browser {
  readonly cookies = new Map<string, string>();

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async request(url: string, init: { method?: string; headers?: Record<string, string>; body?: string | Uint8Array } = {}): Promise<Response> {
    const res = await fetch(url, {
      method: init.method ?? 'GET',
      redirect: 'manual',
      headers: { ...(this.cookies.size > 0 ? { cookie: this.cookieHeader() } : {}), ...init.headers },
      ...(init.body !== undefined ? { body: init.body } : {}),
    });
    for (const line of res.headers.getSetCookie()) {
      const m = /^([^=;\s]+)=([^;]*)/.exec(line);
      if (m === null) continue;
      if (m[2] === '' || /max-age=0/i.test(line)) this.cookies.delete(m[1] as string);
      else this.cookies.set(m[1] as string, m[2] as string);
    }
    return res;
  }
}

/** One node. */
export interface WebNode {
  readonly services: Services;
  readonly app: FastifyInstance;
  readonly url: string;
}

/** The environment. */
export interface WebJobsEnv {
  readonly kind: StoreKind;
  readonly env: ServerEnv;
  readonly clock: SharedClock;
  readonly node: WebNode;
  addSigner(username: string, options?: { readonly multisign?: number }): Promise<WebSigner>;
  nextOtp(signer: WebSigner): string;
  /** A browser signed in to the web app as `signer` (Contract 1). */
  signIn(signer: WebSigner, node?: WebNode): Promise<Browser>;
  /** Another node on the same database (its own pool, listener and runner). */
  startNode(nodeId: string, gateway?: Partial<GatewayConfig>): Promise<WebNode>;
}

/** The hidden fields of a page's form. */
export function hiddenFields(html: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    out[m[1] as string] = (m[2] as string).replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)));
  }
  return out;
}

/** Who approves at an authorization server: sign-in secrets, the credential PIN, one-time codes. */
export interface Approver {
  readonly username: string;
  readonly password: string;
  readonly pin: string;
  /** The one-time code to send now (asked for at sign-in and, when the consent asks, at approval). */
  otp(): string;
}

/**
 * The person at an authorization server: opens `authorizationUrl` (signed in already through the
 * web session, the server goes straight to consent; otherwise it signs in with password and a
 * one-time code), approves with the credential PIN (and a one-time code when the consent page
 * asks for one); `onApproved` runs right after the approval is sent. Returns the redirect (the
 * callback URL).
 */
export async function approveAt(
  browser: Browser,
  authorizationUrl: string,
  person: Approver,
  hooks: { readonly onConsent?: ((html: string) => void) | undefined; readonly onApproved?: () => void } = {},
): Promise<string> {
  const first = await browser.request(authorizationUrl);
  let html = await first.text();
  assert.equal(first.status, 200, html);
  const form = (fields: Record<string, string>): Promise<Response> =>
    browser.request(new URL('/oauth2/authorize', authorizationUrl).toString(), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
  if (hiddenFields(html)['step'] === 'login') {
    const consent = await form({ ...hiddenFields(html), username: person.username, password: person.password, otp: person.otp() });
    html = await consent.text();
    assert.equal(consent.status, 200, html);
  }
  assert.equal(hiddenFields(html)['step'], 'consent', html);
  hooks.onConsent?.(html);
  const needsOtp = /<input name="otp"/.test(html);
  const done = await form({ ...hiddenFields(html), decision: 'approve', pin: person.pin, ...(needsOtp ? { otp: person.otp() } : {}) });
  hooks.onApproved?.();
  assert.equal(done.status, 303, await done.text());
  return String(done.headers.get('location'));
}

/**
 * approveAt for a signer of this environment: a fresh TOTP code each time one is asked for; the
 * shared clock back to real time once approved.
 */
export function approveInBrowser(env: WebJobsEnv, browser: Browser, signer: WebSigner, authorizationUrl: string, onConsent?: (html: string) => void): Promise<string> {
  return approveAt(
    browser,
    authorizationUrl,
    { username: signer.username, password: signer.password, pin: signer.pin, otp: () => env.nextOtp(signer) },
    { onConsent, onApproved: () => env.clock.toRealTime() },
  );
}

async function startWebNode(t: TestContext, env: ServerEnv, nodeId: string, clock: Clock, gateway: GatewayConfig): Promise<WebNode> {
  const services = await openServices(t, { ...env, env: { ...env.env, SIGNET_NODE_ID: nodeId, SIGNET_FAILED_REQUESTS_PER_MINUTE: '0' } }, { credentials: credentialOperationsFor, clock });
  const app = await buildServer(services, { surfaces: serverSurfaces(services, undefined, gateway) });
  t.after(() => app.close());
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  services.baseUrl.set(url);
  return { services, app, url };
}

/** Opens the environment on `kind` (undefined when PostgreSQL is skipped). */
export async function webJobsEnv(t: TestContext, kind: StoreKind, gateway: Partial<GatewayConfig> = {}): Promise<WebJobsEnv | undefined> {
  const base = await serverEnv(t, kind);
  if (!base) return undefined;
  const clock = sharedClock();
  const config = (extra: Partial<GatewayConfig>): GatewayConfig => {
    const defaults = loadGatewayConfig({});
    return { ...defaults, sweepIntervalMs: 100, ...gateway, ...extra, limits: { ...defaults.limits, ...gateway.limits, ...extra.limits } };
  };
  const node = await startWebNode(t, base, 'node-a', clock, config({}));
  const credentials = credentialOperationsFor(node.services);
  const lastStep = new Map<string, number>();
  const env: WebJobsEnv = {
    kind,
    env: base,
    clock,
    node,
    async addSigner(username, options = {}) {
      const password = `pw-${username}-${randomBytes(4).toString('hex')}`;
      const userId = await node.services.authenticator.createUser({ username, password });
      const { secret } = await node.services.authenticator.enrollTotp({ userId });
      clock.toRealTime();
      await node.services.authenticator.confirmTotp({ userId, code: generateTotp(secret, clock.now()) });
      lastStep.set(userId, Math.floor(clock.now().getTime() / 30_000));
      const { credentialID } = await credentials.create(
        { userId, backend: 'software', algorithm: 'EC-P256', commonName: `${username} signer`, pin: '123456', multisign: options.multisign ?? 1000 },
        { via: 'api' },
      );
      return { userId, username, password, totpSecret: secret, credentialId: credentialID, pin: '123456' };
    },
    nextOtp(signer) {
      // A step after the last one used (RFC 6238 §5.2), never behind the wall clock's.
      const step = Math.max((lastStep.get(signer.userId) ?? 0) + 1, Math.floor(Date.now() / 30_000));
      lastStep.set(signer.userId, step);
      clock.toStep(step);
      return generateTotp(signer.totpSecret, clock.now());
    },
    async signIn(signer, on = node) {
      // Contract 1: POST /api/v1/session with password and a fresh TOTP code sets signet_session.
      const browser = new Browser();
      const res = await browser.request(`${on.url}/api/v1/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-signet-request': '1' },
        body: JSON.stringify({ username: signer.username, password: signer.password, otp: env.nextOtp(signer) }),
      });
      clock.toRealTime();
      assert.equal(res.status, 200, await res.text());
      assert.ok(browser.cookies.has('signet_session'));
      return browser;
    },
    startNode: (nodeId, extra = {}) => startWebNode(t, base, nodeId, clock, config(extra)),
  };
  return env;
}

/** JSON helpers over a browser session against a node's /api/v1 (with the CSRF header on changes). */
export async function api<T = Record<string, any>>(browser: Browser, node: { readonly url: string }, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await browser.request(`${node.url}/api/v1${path}`, {
    method,
    headers: { ...(method === 'GET' ? {} : { 'x-signet-request': '1' }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text === '' ? {} : JSON.parse(text)) as T };
}

/** Uploads a PDF. */
export async function upload(browser: Browser, node: { readonly url: string }, jobId: string, name: string, pdf: Uint8Array): Promise<{ status: number; body: Record<string, any> }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await browser.request(`${node.url}/api/v1/jobs/${jobId}/documents?name=${encodeURIComponent(name)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/pdf', 'x-signet-request': '1' },
    body: pdf,
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Polls the job until `done` returns true (a condition, checked every 25 ms, bounded). */
export async function waitForJob(browser: Browser, node: { readonly url: string }, jobId: string, done: (job: Record<string, any>) => boolean, timeoutMs = 60_000): Promise<Record<string, any>> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const until = Date.now() + timeoutMs;
  for (;;) {
    const { status, body } = await api(browser, node, 'GET', `/jobs/${jobId}`);
    assert.equal(status, 200, JSON.stringify(body));
    if (done(body)) return body;
    if (Date.now() > until) assert.fail(`job ${jobId} did not reach the condition: ${JSON.stringify({ state: body['state'], signed: body['signed'], failed: body['failed'] })}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
