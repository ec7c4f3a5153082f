/**
 * The authorization server's pages in Debian's Chromium with the CDP virtual authenticator (ctap2,
 * internal, user verification on) — real WebAuthn ceremonies, never a hand-made assertion (issue
 * 12 "Done means"): a three-document request whose consent page shows the three documents with
 * their first pages rendered by pdf.js (screenshot artifacts/consent-three-documents.png), sign-in
 * with password + "Use passkey", approval with the passkey over the commitment, and a token that
 * signs those three hashes and no other; then single sign-on from a Signet web session (the
 * approval still needs its own factor) and the browser's real approval assertion replayed into
 * another request, refused. No CSP violation, axe-core clean.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import type { Page } from 'playwright-core';
import { generateTotp } from '../../../src/auth/index.js';
import { createOAuthClient, s256Challenge } from '../../../src/auth/oauth2/index.js';
import type { Clock } from '../../../src/core/clock.js';
import { buildServer, type Services } from '../../../src/server/index.js';
import { webAppRoutes } from '../../../src/server/routes/web-app-routes.js';
import { credentialOperationsFor, serverSurfaces } from '../../../src/server/surfaces.js';
import { credentialCertificates, findCredential } from '../../../src/store/index.js';
import { addVirtualAuthenticator, launchBrowser, newContext, screenshot } from '../../support/browser.js';
import { documentBody, prepareDocument, type PreparedDocument } from '../../support/consent-documents.js';
import { openServices, serverEnv } from '../../server/support/server-fixture.js';
import { expectAccessible } from '../../e2e/support/web-server.js';
import { hiddenFields, sessionCookie } from './oauth2-env.js';

const SHA256_OID = '2.16.840.1.101.3.4.2.1';
const ECDSA_SHA256_OID = '1.2.840.10045.4.3.2';

interface Running {
  readonly base: string;
  readonly services: Services;
  readonly app: Awaited<ReturnType<typeof buildServer>>;
  readonly redirect: string;
  readonly client: { readonly id: string; readonly secret: string };
  readonly user: { readonly userId: string; readonly username: string; readonly password: string; readonly totp: Uint8Array; readonly credentialId: string };
  nextOtp(): string;
}

/** The whole server (without the web app) on SQLite, listening, addressed as http://localhost:PORT. */
async function start(t: Parameters<typeof serverEnv>[0]): Promise<Running | undefined> {
  const env = await serverEnv(t, 'sqlite');
  if (!env) return undefined;
  let offset = 0;
  const clock: Clock = { now: () => new Date(Date.now() + offset) };
  const services = await openServices(t, env, { clock, credentials: credentialOperationsFor });
  const surfaces = serverSurfaces(services).filter((s) => s.plugin !== (webAppRoutes as unknown));
  const app = await buildServer(services, { surfaces });
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.after(() => app.close());
  const port = (app.server.address() as { port: number }).port;
  const base = `http://localhost:${port}`;
  services.baseUrl.set(base);
  const redirect = `http://127.0.0.1:${port}/test-callback`;
  const c = await createOAuthClient(
    { store: services.store, clock, audit: services.audit, hasher: services.hasher },
    { name: 'Signing Gateway', clientType: 'confidential', clientId: 'gateway', redirectUris: [redirect], allowedScopes: ['service', 'credential'] },
  );
  const password = `pw-${randomBytes(6).toString('hex')}`;
  const userId = await services.authenticator.createUser({ username: 'ines', password });
  const { secret } = await services.authenticator.enrollTotp({ userId });
  await services.authenticator.confirmTotp({ userId, code: generateTotp(secret, clock.now()) });
  const { credentialID } = await credentialOperationsFor(services).create(
    { userId, backend: 'software', algorithm: 'EC-P256', commonName: 'Ines Signer', pin: '246810' },
    { via: 'api' },
  );
  return {
    base,
    services,
    app,
    redirect,
    client: { id: c.clientId, secret: c.clientSecret ?? '' },
    user: { userId, username: 'ines', password, totp: secret, credentialId: credentialID },
    nextOtp() {
      offset += 30_000;
      return generateTotp(secret, clock.now());
    },
  };
}

function basic(r: Running): string {
  return `Basic ${Buffer.from(`${r.client.id}:${r.client.secret}`).toString('base64')}`;
}

/** PAR for `hashes` (with their documents when given) → the browser's authorization URL. */
async function push(r: Running, hashes: readonly string[], docs?: readonly PreparedDocument[]): Promise<{ url: string; verifier: string }> {
  const refs: string[] = [];
  for (const d of docs ?? []) {
    const up = await r.app.inject({ method: 'POST', url: '/oauth2/documents', headers: { 'content-type': 'application/json', authorization: basic(r) }, payload: JSON.stringify(documentBody(d)) });
    assert.equal(up.statusCode, 201, up.body);
    assert.equal(up.json<{ hash: string }>().hash, d.hash, 'the AS computed the same DTBS/R hash');
    refs.push(up.json<{ document_ref: string }>().document_ref);
  }
  const verifier = randomBytes(32).toString('base64url');
  const pushed = await r.app.inject({
    method: 'POST',
    url: '/oauth2/pushed_authorize',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(r) },
    payload: new URLSearchParams({
      response_type: 'code',
      redirect_uri: r.redirect,
      state: 'browser',
      code_challenge: s256Challenge(verifier),
      code_challenge_method: 'S256',
      scope: 'credential',
      credentialID: r.user.credentialId,
      numSignatures: String(hashes.length),
      hashes: hashes.map((h) => Buffer.from(h, 'base64').toString('base64url')).join(','),
      hashAlgorithmOID: SHA256_OID,
      ...(refs.length === 0 ? {} : { document_refs: refs.join(',') }),
    }).toString(),
  });
  assert.equal(pushed.statusCode, 201, pushed.body);
  const q = new URLSearchParams({ client_id: r.client.id, request_uri: pushed.json<{ request_uri: string }>().request_uri });
  return { url: `${r.base}/oauth2/authorize?${q.toString()}`, verifier };
}

/** code → credential token (its SAD) → signHash through the CSC API. */
async function tokenFor(r: Running, code: string, verifier: string): Promise<(hashes: string[]) => Promise<LightMyRequestResponse>> {
  const token = await r.app.inject({
    method: 'POST',
    url: '/oauth2/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(r) },
    payload: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: r.redirect, code_verifier: verifier }).toString(),
  });
  assert.equal(token.statusCode, 200, token.body);
  const bearer = token.json<{ access_token: string }>().access_token;
  return (hashes) =>
    r.app.inject({
      method: 'POST',
      url: '/csc/v2/signatures/signHash',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
      payload: JSON.stringify({ credentialID: r.user.credentialId, hashes, hashAlgorithmOID: SHA256_OID, signAlgo: ECDSA_SHA256_OID }),
    });
}

/** Collects CSP refusals and page errors. */
function watch(page: Page): () => void {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content.Security.Policy|Refused to/i.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  return () => assert.deepEqual(problems, [], 'no CSP violation or uncaught error');
}

/** Registers a passkey for the user with the page's virtual authenticator (a real ceremony on the AS origin). */
async function registerPasskey(r: Running, page: Page): Promise<void> {
  const reg = await r.services.passkeys.startRegistration({ userId: r.user.userId });
  const response: unknown = await page.evaluate(
    async (optionsJSON) => {
      const lib = (globalThis as unknown as { SimpleWebAuthnBrowser: { startRegistration(o: { optionsJSON: unknown }): Promise<unknown> } }).SimpleWebAuthnBrowser;
      return lib.startRegistration({ optionsJSON });
    },
    reg.options as unknown,
  );
  await r.services.passkeys.finishRegistration({ userId: r.user.userId, ticket: reg.ticket, response, name: 'Virtual authenticator' });
}

/** True when the canvas has drawn (non-white) pixels: pdf.js rendered the page. */
async function isDrawn(page: Page, label: string): Promise<boolean> {
  const canvas = page.getByRole('img', { name: label });
  return canvas.evaluate((el) => {
    const c = el as unknown as { width: number; height: number; getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } };
    const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let dark = 0;
    for (let i = 0; i < data.length; i += 4) if ((data[i] ?? 255) < 128 && (data[i + 3] ?? 0) > 0) dark++;
    return dark > 50;
  });
}

describe('consent in Chromium: documents shown, passkey sign-in and approval bound to them', () => {
  it('three documents rendered by pdf.js; password + passkey; approval with the passkey; the SAD signs those three hashes and no other', async (t) => {
    const browser = await launchBrowser(t);
    if (browser === undefined) return;
    const r = await start(t);
    assert.ok(r);
    const row = await findCredential(r.services.store.db, r.user.credentialId);
    const chain = credentialCertificates(row!).map((c) => new Uint8Array(c));
    const alg = { scheme: 'ECDSA', digest: 'SHA-256' } as const;
    const docs = [
      await prepareDocument({ name: 'Offer.pdf', text: 'Offer of employment', chain, signatureAlgorithm: alg }),
      await prepareDocument({ name: 'Annex.pdf', text: 'Annex A: salary', chain, signatureAlgorithm: alg, visible: { page: 1, rect: [60, 60, 260, 120] } }),
      await prepareDocument({ name: 'Terms.pdf', text: 'General terms', pages: 2, chain, signatureAlgorithm: alg }),
    ];
    const hashes = docs.map((d) => d.hash);
    const { url, verifier } = await push(r, hashes, docs);

    const context = await newContext(browser);
    t.after(() => context.close());
    const page = await context.newPage();
    const noProblems = watch(page);
    const authenticator = await addVirtualAuthenticator(page);
    await page.goto(url);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await registerPasskey(r, page);
    await expectAccessible(page, 'sign-in page');

    await page.getByLabel('Username', { exact: true }).fill(r.user.username);
    await page.getByLabel('Password', { exact: true }).fill(r.user.password);
    await page.getByRole('button', { name: 'Use passkey' }).click();
    await page.getByRole('heading', { name: 'Authorise signatures' }).waitFor();

    // Every page drawn (the canvases appear before pdf.js has painted them).
    await page.waitForFunction(() => (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document.querySelectorAll('.pages[data-rendered="done"]').length === 3);
    for (const [i, d] of docs.entries()) {
      const region = page.getByRole('region', { name: `Document ${i + 1}: ${d.name}` });
      await region.waitFor();
      const first = `Page 1 of ${d.name === 'Terms.pdf' ? 2 : 1} of ${d.name}${d.name === 'Annex.pdf' ? ', with the place of your signature outlined' : ''}`;
      await page.getByRole('img', { name: first }).waitFor();
      assert.ok(await isDrawn(page, first), `pdf.js drew ${d.name}`);
      assert.ok(await region.getByText(d.hash, { exact: true }).isVisible(), `${d.name}: the hash is shown`);
      assert.ok(await region.getByText(/1 page|2 pages/).isVisible(), `${d.name}: the page count is shown`);
    }
    assert.equal(await page.getByRole('img', { name: /^Page \d of \d of / }).count(), 4, 'every page of the three documents');
    await page.getByText('Your signature appears in').first().waitFor();
    await expectAccessible(page, 'consent page with three documents');
    await screenshot(page, 'consent-three-documents');

    await page.getByLabel('Credential PIN', { exact: true }).fill('246810');
    assert.ok(await page.getByRole('radio', { name: 'Passkey' }).isChecked());
    const before = (await authenticator.credentials())[0]?.signCount ?? 0;
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.waitForURL(/\/test-callback\?/);
    const q = new URL(page.url()).searchParams;
    assert.equal(q.get('state'), 'browser');
    assert.ok(q.get('code'));
    assert.equal((await authenticator.credentials())[0]?.signCount, before + 1, 'one more assertion: the approval');
    noProblems();

    const consent = await r.services.store.db.selectFrom('audit_log').select('details').where('event_type', '=', 'oauth2.consent').where('outcome', '=', 'success').executeTakeFirstOrThrow();
    const details = JSON.parse(consent.details) as { factor: string; commitment: string; hashes: string[]; documents: string[] };
    assert.equal(details.factor, 'passkey');
    assert.deepEqual(details.hashes, hashes);
    assert.deepEqual(details.documents, ['Offer.pdf', 'Annex.pdf', 'Terms.pdf']);

    const signHash = await tokenFor(r, q.get('code') ?? '', verifier);
    const other = await signHash([hashes[0]!, Buffer.from(randomBytes(32)).toString('base64')]);
    assert.equal(other.statusCode, 400, other.body);
    const signed = await signHash(hashes);
    assert.equal(signed.statusCode, 200, signed.body);
    assert.equal(signed.json<{ signatures: string[] }>().signatures.length, 3);
    const again = await signHash([hashes[0]!]);
    assert.notEqual(again.statusCode, 200, 'the SAD is spent');
  });

  it('single sign-on from the Signet web session: straight to consent, a fresh passkey approval; the real assertion replayed into another request is refused', async (t) => {
    const browser = await launchBrowser(t);
    if (browser === undefined) return;
    const r = await start(t);
    assert.ok(r);
    const context = await newContext(browser);
    t.after(() => context.close());
    const page = await context.newPage();
    const noProblems = watch(page);
    await addVirtualAuthenticator(page);
    const hashes = [Buffer.from(randomBytes(32)).toString('base64')];
    const first = await push(r, hashes);
    await page.goto(first.url);
    await registerPasskey(r, page);

    // A Signet web session (contract 1) in this browser: the sign-in page is skipped.
    const session = await r.app.inject({
      method: 'POST',
      url: '/api/v1/session',
      headers: { 'content-type': 'application/json', 'x-signet-request': '1' },
      payload: JSON.stringify({ username: r.user.username, password: r.user.password, otp: r.nextOtp() }),
    });
    assert.equal(session.statusCode, 200, session.body);
    const token = /signet_session=([^;]+)/.exec(String(session.headers['set-cookie']))?.[1] ?? '';
    await context.addCookies([{ name: 'signet_session', value: token, url: r.base, httpOnly: true, sameSite: 'Lax' }]);
    const second = await push(r, hashes);
    await page.goto(second.url);
    await page.getByRole('heading', { name: 'Authorise signatures' }).waitFor();
    await page.getByText('Signet has not seen these documents: only their hashes.').waitFor();
    await expectAccessible(page, 'hash-only consent page');

    // Capture the approval as the browser posts it (a real assertion), and let it through.
    let posted = '';
    await page.route('**/oauth2/authorize', async (route) => {
      posted = route.request().postData() ?? '';
      await route.continue();
    });
    await page.getByLabel('Credential PIN', { exact: true }).fill('246810');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.waitForURL(/\/test-callback\?/);
    assert.ok(new URL(page.url()).searchParams.get('code'));
    const captured = new URLSearchParams(posted);
    assert.ok(captured.get('passkey_response'), 'the browser sent a passkey assertion');
    noProblems();

    // Replay that assertion into a third request (signed in with password + one-time code).
    const third = await push(r, hashes);
    const login = await r.app.inject({ method: 'GET', url: third.url.slice(r.base.length) });
    const consent = await r.app.inject({
      method: 'POST',
      url: '/oauth2/authorize',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `signet_oauth2=${sessionCookie(login) ?? ''}` },
      payload: new URLSearchParams({ ...hiddenFields(login.body), username: r.user.username, password: r.user.password, otp: r.nextOtp() }).toString(),
    });
    assert.equal(consent.statusCode, 200, consent.body);
    const newTicket = /"ticket":"([^"]+)"/.exec(consent.body)?.[1] ?? '';
    let body = consent.body;
    // The spent ticket of the real approval, then this request's own ticket with the old assertion.
    for (const ticket of [captured.get('passkey_ticket') ?? '', newTicket]) {
      const refused: LightMyRequestResponse = await r.app.inject({
        method: 'POST',
        url: '/oauth2/authorize',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `signet_oauth2=${sessionCookie(consent) ?? ''}` },
        payload: new URLSearchParams({
          ...hiddenFields(body),
          decision: 'approve',
          pin: '246810',
          passkey_ticket: ticket,
          passkey_response: captured.get('passkey_response') ?? '',
        }).toString(),
      });
      assert.equal(refused.statusCode, 400, refused.body);
      assert.match(refused.body, /did not confirm this approval/);
      body = refused.body;
    }
    const codes = await r.services.store.db.selectFrom('authorization_codes').select('code_hash').execute();
    assert.equal(codes.length, 1, 'only the real approval issued a code');
    const reasons = (await r.services.store.db.selectFrom('audit_log').select('details').where('event_type', '=', 'oauth2.consent').where('outcome', '=', 'failure').execute()).map(
      (x) => (JSON.parse(x.details) as { reason: string }).reason,
    );
    assert.deepEqual(reasons, ['ERR_WEBAUTHN_TICKET_INVALID', 'ERR_WEBAUTHN_CHALLENGE']);
  });

  it('a big request: a summary and a collapsed list; no page rendered until a document is opened (keyboard), then only its pages; one-time code approval', async (t) => {
    const browser = await launchBrowser(t);
    if (browser === undefined) return;
    const r = await start(t);
    assert.ok(r);
    const row = await findCredential(r.services.store.db, r.user.credentialId);
    const chain = credentialCertificates(row!).map((c) => new Uint8Array(c));
    const alg = { scheme: 'ECDSA', digest: 'SHA-256' } as const;
    const docs: PreparedDocument[] = [];
    for (let i = 1; i <= 12; i++) docs.push(await prepareDocument({ name: `Contract ${i}.pdf`, text: `Contract number ${i}`, pages: i === 12 ? 2 : 1, chain, signatureAlgorithm: alg }));
    const { url } = await push(r, docs.map((d) => d.hash), docs);

    const context = await newContext(browser);
    t.after(() => context.close());
    const page = await context.newPage();
    const noProblems = watch(page);
    await page.goto(url);
    await page.getByLabel('Username', { exact: true }).fill(r.user.username);
    await page.getByLabel('Password', { exact: true }).fill(r.user.password);
    await page.getByLabel('One-time code', { exact: true }).fill(r.nextOtp());
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Authorise signatures' }).waitFor();
    await page.getByText('12 documents', { exact: true }).waitFor();
    assert.equal(await page.getByRole('list', { name: 'Documents to sign' }).getByRole('listitem').count(), 12);
    assert.equal(await page.getByRole('img', { name: /^Page \d of \d of / }).count(), 0, 'nothing rendered while every document is closed');
    await expectAccessible(page, 'consent page with twelve documents, collapsed');
    await screenshot(page, 'consent-many-documents');

    // Open the last one from the keyboard: its two pages are drawn, no other document's.
    const summary = page.getByText('Document 12: Contract 12.pdf');
    await summary.focus();
    await page.keyboard.press('Enter');
    const region = page.getByRole('region', { name: 'Document 12: Contract 12.pdf (2 pages)' });
    await region.waitFor();
    await page.getByRole('img', { name: 'Page 2 of 2 of Contract 12.pdf' }).waitFor();
    await page.waitForFunction(() => (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document.querySelectorAll('.pages[data-rendered="done"]').length === 1);
    assert.ok(await isDrawn(page, 'Page 1 of 2 of Contract 12.pdf'), 'pdf.js drew the opened document');
    assert.equal(await page.getByRole('img', { name: /^Page \d of \d of / }).count(), 2, 'only the opened document');
    assert.ok(await region.getByText(docs[11]!.hash, { exact: true }).isVisible());
    await expectAccessible(page, 'consent page with one document opened');
    await screenshot(page, 'consent-many-documents-opened');

    await page.getByLabel('Credential PIN', { exact: true }).fill('246810');
    const otp = page.getByLabel('One-time code', { exact: true });
    if (await otp.isVisible()) await otp.fill(r.nextOtp());
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.waitForURL(/\/test-callback\?/);
    assert.ok(new URL(page.url()).searchParams.get('code'));
    noProblems();
  });
});
