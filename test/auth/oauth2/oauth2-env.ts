/**
 * A real OAuth2 environment for tests: a migrated store (SQLite or PostgreSQL), the real
 * Authenticator (scrypt, TOTP, lockout), SadService, registered clients, a user with TOTP and a
 * credential with a PIN, and the Fastify plugin driven like a browser (cookies, forms, redirects).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import type { Clock } from '../../../src/core/clock.js';
import { createAuditKey, type AuditContext } from '../../../src/audit/index.js';
import type { SecretHasher } from '../../../src/auth/index.js';
import {
  Authenticator,
  SadService,
  createAesGcmSecretBox,
  createScryptHasher,
  generateTotp,
} from '../../../src/auth/index.js';
import {
  createOAuth2Service,
  createOAuthClient,
  s256Challenge,
  type OAuth2Deps,
} from '../../../src/auth/oauth2/index.js';
import { insertCredential, type Store, type StoreKind } from '../../../src/store/index.js';
import { oauth2Routes } from '../../../src/server/routes/oauth2-routes.js';
import { testStores } from '../../support/stores.js';

export const ISSUER = 'https://signet.test';
export const PUBLIC_REDIRECT = 'https://app.example/cb';
export const GATEWAY_REDIRECT = 'https://gw.example/oauth/callback?tenant=7';
export const PASSWORD = 'correct horse battery staple';
export const PIN = '4321';
export const SHA256 = '2.16.840.1.101.3.4.2.1';

export interface TestClock extends Clock {
  advance(ms: number): void;
}

function testClock(start: string): TestClock {
  let t = new Date(start).getTime();
  return { now: () => new Date(t), advance: (ms) => void (t += ms) };
}

export interface OAuth2Env {
  readonly store: Store;
  readonly clock: TestClock;
  readonly app: FastifyInstance;
  readonly sads: SadService;
  readonly audit: AuditContext;
  readonly userId: string;
  readonly totpSecret: Uint8Array;
  readonly credentialId: string;
  /** Another user's credential (Bob's). */
  readonly foreignCredentialId: string;
  /** public, scopes service+credential, redirect PUBLIC_REDIRECT */
  readonly publicClient: string;
  /** confidential, scopes service+credential, redirect GATEWAY_REDIRECT */
  readonly gateway: { readonly id: string; readonly secret: string };
  /** confidential, scope service only, redirect PUBLIC_REDIRECT */
  readonly serviceOnly: { readonly id: string; readonly secret: string };
  /** The secret hasher of every node (client secrets, PINs): a test may count its checks. */
  readonly hasher: SecretHasher;
  /** A fresh TOTP code (advances the clock one step, so every login has an unused step). */
  nextTotp(): string;
  /** Another node: its own connection (pool) to the same database and its own app. */
  secondNode(): Promise<FastifyInstance>;
}

const hasher = createScryptHasher({ N: 2 ** 10, r: 8, p: 1 }, { minimumN: 2 ** 10 });

/** Builds the environment on `kind`; everything is closed after the test. */
export async function makeEnv(
  t: TestContext,
  kind: StoreKind,
  options: Partial<Pick<OAuth2Deps, 'pkceRequiredForConfidentialClients' | 'codeTtlSeconds' | 'documents'>> = {},
): Promise<OAuth2Env> {
  const database = await testStores(t)[kind]();
  const { store } = database;
  const clock = testClock('2026-06-01T08:00:00Z');
  const audit: AuditContext = { key: createAuditKey(randomBytes(32)), nodeId: 'node-a', clock };
  const secretBox = createAesGcmSecretBox(randomBytes(32));
  const authenticator = new Authenticator({
    store,
    clock,
    audit,
    hasher,
    secretBox,
    userLockout: { maxAttempts: 5, lockSeconds: 900 },
    credentialLockout: { maxAttempts: 3 },
  });
  const sads = new SadService({ store, clock, audit });
  const userId = await authenticator.createUser({ username: 'alice', password: PASSWORD });
  const { secret: totpSecret } = await authenticator.enrollTotp({ userId });
  await authenticator.confirmTotp({ userId, code: generateTotp(totpSecret, clock.now()) });
  const bobId = await authenticator.createUser({ username: 'bob', password: PASSWORD });
  const pinHash = await hasher.hash(PIN);
  for (const [id, owner] of [
    ['cred-alice', userId],
    ['cred-bob', bobId],
  ] as const) {
    await insertCredential(store.db, {
      id,
      userId: owner,
      keyRef: `soft:${id}`,
      backendKind: 'software',
      certificateChain: [],
      pinHash,
      multisign: 1000,
      scal: 'SCAL2',
      createdAt: clock.now().getTime(),
    });
  }
  const reg = { store, clock, audit, hasher };
  const pub = await createOAuthClient(reg, {
    name: 'Public App',
    clientType: 'public',
    clientId: 'public-app',
    redirectUris: [PUBLIC_REDIRECT, 'http://127.0.0.1/native-cb'],
    allowedScopes: ['service', 'credential'],
  });
  const gw = await createOAuthClient(reg, {
    name: 'Gateway',
    clientType: 'confidential',
    clientId: 'gateway',
    redirectUris: [GATEWAY_REDIRECT],
    allowedScopes: ['service', 'credential'],
  });
  const svc = await createOAuthClient(reg, {
    name: 'Service Only',
    clientType: 'confidential',
    clientId: 'service-only',
    redirectUris: [PUBLIC_REDIRECT],
    allowedScopes: ['service'],
  });
  const mount = async (on: Store): Promise<FastifyInstance> => {
    const authenticatorOn =
      on === store
        ? authenticator
        : new Authenticator({
            store: on,
            clock,
            audit,
            hasher,
            secretBox,
            userLockout: { maxAttempts: 5, lockSeconds: 900 },
            credentialLockout: { maxAttempts: 3 },
          });
    const oauth2 = createOAuth2Service({
      store: on,
      clock,
      audit,
      authenticator: authenticatorOn,
      sads: on === store ? sads : new SadService({ store: on, clock, audit }),
      hasher,
      issuer: ISSUER,
      ...options,
    });
    const a = Fastify();
    await a.register(oauth2Routes, { oauth2 });
    await a.ready();
    t.after(() => a.close());
    return a;
  };
  const app = await mount(store);
  return {
    store,
    clock,
    app,
    sads,
    audit,
    userId,
    totpSecret,
    credentialId: 'cred-alice',
    foreignCredentialId: 'cred-bob',
    publicClient: pub.clientId,
    gateway: { id: gw.clientId, secret: gw.clientSecret ?? '' },
    serviceOnly: { id: svc.clientId, secret: svc.clientSecret ?? '' },
    secondNode: async () => mount(await database.connectAgain()),
    hasher,
    nextTotp() {
      clock.advance(30_000);
      return generateTotp(totpSecret, clock.now());
    },
  };
}

/** A PKCE pair. */
export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: s256Challenge(verifier) };
}

/** The hidden fields of the page's form, parsed like a browser would. */
export function hiddenFields(html: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    out[m[1] as string] = (m[2] as string).replace(/&#(\d+);/g, (_, n: string) =>
      String.fromCharCode(Number(n)),
    );
  }
  return out;
}

/** The interaction cookie a response set ("" when cleared, undefined when untouched). */
export function sessionCookie(res: LightMyRequestResponse): string | undefined {
  const raw = res.headers['set-cookie'];
  const line = Array.isArray(raw) ? raw[0] : raw;
  if (line === undefined) return undefined;
  const m = /^signet_oauth2=([^;]*)/.exec(line);
  return m?.[1];
}

/** GET /oauth2/authorize with these parameters. */
export function getAuthorize(
  env: OAuth2Env,
  params: Record<string, string>,
): Promise<LightMyRequestResponse> {
  return env.app.inject({
    method: 'GET',
    url: `/oauth2/authorize?${new URLSearchParams(params).toString()}`,
  });
}

/** POSTs a form to /oauth2/authorize with the session cookie, as the browser does. */
export function postForm(
  env: OAuth2Env,
  cookie: string | undefined,
  fields: Record<string, string>,
): Promise<LightMyRequestResponse> {
  return env.app.inject({
    method: 'POST',
    url: '/oauth2/authorize',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(cookie === undefined ? {} : { cookie: `signet_oauth2=${cookie}` }),
    },
    payload: new URLSearchParams(fields).toString(),
  });
}

/** The page after a successful login: its cookie and hidden fields. */
export interface Page {
  readonly res: LightMyRequestResponse;
  readonly cookie: string | undefined;
  readonly fields: Record<string, string>;
}

/** GET authorize → login page. */
export async function openLogin(env: OAuth2Env, params: Record<string, string>): Promise<Page> {
  const res = await getAuthorize(env, params);
  assert.equal(res.statusCode, 200, res.body);
  return { res, cookie: sessionCookie(res), fields: hiddenFields(res.body) };
}

/** Submits the login form with the right password and a fresh TOTP → the consent page. */
export async function signIn(env: OAuth2Env, login: Page, password = PASSWORD): Promise<Page> {
  const res = await postForm(env, login.cookie, {
    ...login.fields,
    username: 'alice',
    password,
    otp: env.nextTotp(),
  });
  return { res, cookie: sessionCookie(res) ?? login.cookie, fields: hiddenFields(res.body) };
}

/** Approves on the consent page (with the PIN for scope credential) → the redirect. */
export function approve(
  env: OAuth2Env,
  consent: Page,
  pin?: string,
): Promise<LightMyRequestResponse> {
  return postForm(env, consent.cookie, {
    ...consent.fields,
    decision: 'approve',
    ...(pin === undefined ? {} : { pin }),
  });
}

/** Runs the whole browser part and returns the redirect's query parameters. */
export async function authorizeAll(
  env: OAuth2Env,
  params: Record<string, string>,
  pin?: string,
): Promise<URLSearchParams> {
  const login = await openLogin(env, params);
  const consent = await signIn(env, login);
  assert.equal(consent.res.statusCode, 200, consent.res.body);
  const done = await approve(env, consent, pin);
  assert.equal(done.statusCode, 303, done.body);
  return new URL(String(done.headers.location)).searchParams;
}

/** POST /oauth2/token (form-encoded) with optional Basic client authentication. */
export function postToken(
  env: OAuth2Env,
  fields: Record<string, string>,
  basic?: { readonly id: string; readonly secret: string },
  path = '/oauth2/token',
): Promise<LightMyRequestResponse> {
  return env.app.inject({
    method: 'POST',
    url: path,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(basic === undefined
        ? {}
        : {
            authorization: `Basic ${Buffer.from(`${encodeURIComponent(basic.id)}:${encodeURIComponent(basic.secret)}`).toString('base64')}`,
          }),
    },
    payload: new URLSearchParams(fields).toString(),
  });
}

/** Standard authorize parameters for the public client (service scope). */
export function serviceParams(
  env: OAuth2Env,
  challenge: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    response_type: 'code',
    client_id: env.publicClient,
    redirect_uri: PUBLIC_REDIRECT,
    scope: 'service',
    state: 'st-1',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...extra,
  };
}

/** Audit event types (in order) recorded so far. */
export async function auditTypes(store: Store): Promise<string[]> {
  const rows = await store.db
    .selectFrom('audit_log')
    .select(['event_type', 'outcome'])
    .orderBy('seq')
    .execute();
  return rows.map((r) => `${r.event_type}:${r.outcome}`);
}
