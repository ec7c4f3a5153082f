/**
 * The whole service as `signet serve` assembles it, with the web app built from the current
 * sources (test/support/web-app.ts), listening on 127.0.0.1 and addressed as
 * http://localhost:PORT (WebAuthn refuses an IP address as relying-party id). Its clock is the
 * wall clock; a TOTP code is single use per 30 s step (RFC 6238 §5.2), so when a user needs a
 * second code within one step the clock is moved ahead to the next unused step (the TSA then
 * refuses to stamp, docs/security.md FLT-17: flows that time-stamp approve with a passkey instead).
 * Users get a password, a confirmed TOTP (confirmed with the previous step's code, so the
 * current step is free for signing in) and an EC P-256 credential.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { generateTotp } from '../../../src/auth/index.js';
import type { Clock } from '../../../src/core/clock.js';
import { buildServer, type Services } from '../../../src/server/index.js';
import { loadGatewayConfig, type GatewayConfig } from '../../../src/server/gateway-config.js';
import { webAppRoutes } from '../../../src/server/routes/web-app-routes.js';
import { credentialOperationsFor, serverSurfaces } from '../../../src/server/surfaces.js';
import type { StoreKind } from '../../../src/store/index.js';
import { addVirtualAuthenticator, artifactsDir, newContext, screenshot } from '../../support/browser.js';
import { buildWebApp } from '../../support/web-app.js';
import { openServices, serverEnv } from '../../server/support/server-fixture.js';

/** The wall clock plus an offset tests move forward. */
export interface MovableClock extends Clock {
  advance(ms: number): void;
  /** Back to the wall clock. */
  toRealTime(): void;
}

function movableClock(): MovableClock {
  let offset = 0;
  return { now: () => new Date(Date.now() + offset), advance: (ms) => void (offset += ms), toRealTime: () => void (offset = 0) };
}

const step = (ms: number): number => Math.floor(ms / 30_000);

/** A person with a password, TOTP and one credential. */
export interface WebUserAccount {
  readonly userId: string;
  readonly username: string;
  readonly password: string;
  readonly totpSecret: Uint8Array;
  readonly credentialId: string;
}

/** The running service. */
export interface WebServer {
  readonly base: string;
  readonly services: Services;
  readonly clock: MovableClock;
  addUser(username: string, options?: { readonly role?: 'user' | 'admin' }): Promise<WebUserAccount>;
  /** A TOTP code of the earliest step not used yet by `user` (moving the clock there if ahead). */
  nextOtp(user: WebUserAccount): string;
}

/** Options of webServer. */
export interface WebServerOptions {
  /** The gateway's settings (default: from the environment, this Signet as the provider). */
  readonly gateway?: Partial<GatewayConfig>;
  /** Address the service as http://127.0.0.1:PORT instead of http://localhost:PORT (no passkeys then). */
  readonly loopbackIp?: boolean;
}

/** Starts the service on `kind` (undefined when PostgreSQL is skipped). */
export async function webServer(t: TestContext, kind: StoreKind = 'sqlite', env: NodeJS.ProcessEnv = {}, options: WebServerOptions = {}): Promise<WebServer | undefined> {
  const base = await serverEnv(t, kind);
  if (!base) return undefined;
  const clock = movableClock();
  const services = await openServices(t, { ...base, env: { ...base.env, ...env } }, { clock, credentials: credentialOperationsFor });
  const webRoot = await buildWebApp();
  const defaults = loadGatewayConfig(process.env);
  const gateway = { ...defaults, ...options.gateway, limits: { ...defaults.limits, ...options.gateway?.limits } };
  const surfaces = serverSurfaces(services, undefined, gateway).map((s) => (s.plugin === (webAppRoutes as unknown) ? { ...s, options: { webRoot } } : s));
  const app = await buildServer(services, { surfaces });
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.after(() => app.close());
  const port = (app.server.address() as { port: number }).port;
  const url = `http://${options.loopbackIp === true ? '127.0.0.1' : 'localhost'}:${port}`;
  services.baseUrl.set(url);
  const credentials = credentialOperationsFor(services);
  const lastStep = new Map<string, number>();
  return {
    base: url,
    services,
    clock,
    async addUser(username, options = {}) {
      const password = `pw-${username}-${randomBytes(4).toString('hex')}`;
      const userId = await services.authenticator.createUser({ username, password });
      if (options.role === 'admin') await services.admin.setRole(userId, 'admin', { via: 'cli' });
      const { secret } = await services.authenticator.enrollTotp({ userId });
      const previous = new Date(clock.now().getTime() - 30_000);
      await services.authenticator.confirmTotp({ userId, code: generateTotp(secret, previous) });
      lastStep.set(userId, step(previous.getTime()));
      const { credentialID } = await credentials.create(
        { userId, backend: 'software', algorithm: 'EC-P256', commonName: `${username} signer`, multisign: 500 },
        { via: 'api' },
      );
      return { userId, username, password, totpSecret: secret, credentialId: credentialID };
    },
    nextOtp(user) {
      const wanted = Math.max(step(Date.now()), (lastStep.get(user.userId) ?? -1) + 1);
      if (wanted > step(clock.now().getTime())) clock.advance(wanted * 30_000 + 1_000 - clock.now().getTime());
      lastStep.set(user.userId, wanted);
      return generateTotp(user.totpSecret, clock.now());
    },
  };
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Runs axe-core in the page and fails on serious or critical violations. Evaluated through the
 * DevTools protocol (not a script tag), so the page's CSP stays as strict as in production.
 */
export async function expectAccessible(page: Page, label: string): Promise<void> {
  if (!(await page.evaluate('typeof window.axe === "object"'))) await page.evaluate(axeSource);
  const violations = (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] }).then((r) =>
    r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) })))`)) as unknown[];
  assert.deepEqual(violations, [], `axe-core on ${label}`);
}

/**
 * Screenshots of the page at 1280 px and 360 px wide (artifacts/<name>-1280.png, -360.png); at
 * 360 px nothing may be wider than the screen (a phone would scroll sideways to read it).
 */
export async function screenshots(page: Page, name: string): Promise<void> {
  const size = page.viewportSize() ?? { width: 1280, height: 900 };
  await screenshot(page, `${name}-1280`);
  await page.setViewportSize({ width: 360, height: 740 });
  await screenshot(page, `${name}-360`);
  const width = (await page.evaluate('document.documentElement.scrollWidth')) as number;
  await page.setViewportSize(size);
  assert.ok(width <= 360, `${name}: the page is ${width} px wide at a 360 px viewport`);
}

/** Collects CSP violations and page errors; call the result at the end to assert there were none. */
export function watchPage(page: Page): () => void {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content.Security.Policy|Refused to/i.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  return () => assert.deepEqual(problems, [], 'no CSP violation or uncaught error in the page');
}

/**
 * Copies artifacts/<shot>.png to docs/images/<name>.png when SIGNET_UPDATE_DOC_IMAGES=1 (the
 * pictures in the docs are refreshed on purpose, not by every test run).
 */
export function keepForDocs(shot: string, name: string): void {
  if (process.env['SIGNET_UPDATE_DOC_IMAGES'] !== '1') return;
  const dir = join(process.cwd(), 'docs', 'images');
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(artifactsDir, `${shot}.png`), join(dir, `${name}.png`));
}

/** Signs in on the app's sign-in form with password and one-time code. */
export async function signIn(page: Page, s: WebServer, user: WebUserAccount): Promise<void> {
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.getByLabel('Username', { exact: true }).fill(user.username);
  await page.getByLabel('Password', { exact: true }).fill(user.password);
  await page.getByLabel('One-time code', { exact: true }).fill(s.nextOtp(user));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('link', { name: 'Sign out' }).waitFor();
}

/** Adds a passkey on the Account page (the page's virtual authenticator answers). */
export async function addPasskeyOnAccount(page: Page, name = 'Test passkey'): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Account' }).click();
  await page.getByLabel('Passkey name', { exact: true }).fill(name);
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await page.getByText('Passkey added.').waitFor();
}

/**
 * A person about to sign `files`: a new browser context (closed after the test) whose page has a
 * virtual authenticator, signed in from `start` with password and one-time code, a passkey added
 * on the Account page (the approval will be the passkey's), and the files chosen on Sign documents.
 * `noProblems` asserts the page logged no error and no request failed.
 */
export async function signerWithDocuments(
  t: TestContext,
  browser: Browser,
  s: WebServer,
  user: WebUserAccount,
  files: readonly string[],
  start = '/sign',
): Promise<{ readonly page: Page; readonly noProblems: () => void }> {
  const context = await newContext(browser);
  t.after(() => context.close());
  const page = await context.newPage();
  const noProblems = watchPage(page);
  await addVirtualAuthenticator(page);
  await page.goto(`${s.base}${start}`);
  await signIn(page, s, user);
  await addPasskeyOnAccount(page);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sign documents' }).click();
  await page.getByRole('heading', { name: 'Sign documents' }).waitFor();
  await page.getByLabel('Documents', { exact: true }).setInputFiles([...files]);
  await page.getByRole('heading', { name: `${files.length} documents to sign` }).waitFor();
  return { page, noProblems };
}

/**
 * On the authorization server's consent page (issue 12): approves with the passkey ("Approve";
 * the assertion's challenge is the commitment to the documents), and waits to be back on the
 * app's /jobs/:id. Returns the job id.
 */
export async function approveWithPasskey(page: Page, timeoutMs = 60_000): Promise<string> {
  const refused = page.getByRole('alert');
  await Promise.race([page.waitForURL(/\/oauth2\//, { timeout: timeoutMs }), refused.waitFor({ timeout: timeoutMs })]);
  if (!/\/oauth2\//.test(page.url())) assert.fail(`no consent page: ${await refused.innerText()}`);
  const approve = page.getByRole('button', { name: 'Approve' });
  await approve.waitFor();
  const passkey = page.getByRole('radio', { name: 'Passkey' });
  if ((await passkey.count()) > 0) await passkey.check();
  await screenshots(page, 'web-07-consent');
  await approve.click();
  await page.waitForURL(/\/jobs\/[^/]+$/, { timeout: timeoutMs });
  return new URL(page.url()).pathname.split('/').pop() as string;
}
