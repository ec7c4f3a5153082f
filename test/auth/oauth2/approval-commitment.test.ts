/**
 * The approval commitment (issue 12, docs/decisions/0001 contract 3; docs/security.md SCA-10…17,
 * SAD-03/04) through the whole server on both stores, with hand-crafted WebAuthn responses (a
 * software authenticator) so each refusal breaks exactly one thing: sign in with password +
 * passkey on the authorization server's page; the approval ceremony's challenge is
 * SHA-256(canonical JSON {credentialID, hashAlgorithmOID, hashes, numSignatures, requestId,
 * nonce}); an assertion for another challenge, without user verification, or replayed into
 * another request is refused and audited and issues no code; the SAD signs exactly the
 * consented hashes and nothing else.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { createOAuthClient, s256Challenge } from '../../../src/auth/oauth2/index.js';
import { credentialCertificates, findCredential } from '../../../src/store/index.js';
import { storeKinds } from '../../support/stores.js';
import { SoftAuthenticator, authenticatorFlags } from '../../support/soft-authenticator.js';
import { documentBody, prepareDocument } from '../../support/consent-documents.js';
import { ECDSA_SHA256_OID, SHA256_OID, apiServer, someHashes, type ApiServer, type Signer } from '../../server/support/api-fixture.js';
import { hiddenFields, sessionCookie } from './oauth2-env.js';

const ORIGIN = 'http://localhost:8080';
const REDIRECT = 'https://gw.example/cb';

interface Client {
  readonly id: string;
  readonly secret: string;
}

function basic(c: Client): string {
  return `Basic ${Buffer.from(`${c.id}:${c.secret}`).toString('base64')}`;
}

function form(s: ApiServer, url: string, cookie: string | undefined, fields: Record<string, string>): Promise<LightMyRequestResponse> {
  return s.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie === undefined ? {} : { cookie: `signet_oauth2=${cookie}` }) },
    payload: new URLSearchParams(fields).toString(),
  });
}

/** The approval ceremony the consent page carries for its script. */
function approvalOf(html: string): { ticket: string; options: { challenge: string; rpId: string } } {
  const m = /<script type="application\/json" id="signet-page-data">([^<]*)<\/script>/.exec(html);
  assert.ok(m?.[1], 'the consent page carries a passkey approval');
  return (JSON.parse(m[1]) as { approval: { ticket: string; options: { challenge: string; rpId: string } } }).approval;
}

/** RFC 9162 §2.1.1 MTH written out recursively (issue 21's batch root), independent of src/transparency. */
function mth(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 1) return createHash('sha256').update(Buffer.from([0])).update(leaves[0]!).digest();
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return createHash('sha256').update(Buffer.from([1])).update(mth(leaves.slice(0, k))).update(mth(leaves.slice(k))).digest();
}

/** The commitment recomputed independently: sorted keys, no white space, SHA-256, base64url. */
function expectedCommitment(v: { credentialID: string; hashes: string[]; numSignatures: number; requestId: string; nonce: string }): string {
  const text = JSON.stringify({
    batchRoot: mth(v.hashes.map((h) => Buffer.from(h, 'base64'))).toString('base64'),
    credentialID: v.credentialID,
    hashAlgorithmOID: SHA256_OID,
    hashes: v.hashes,
    nonce: v.nonce,
    numSignatures: v.numSignatures,
    requestId: v.requestId,
  });
  return createHash('sha256').update(text).digest('base64url');
}

interface Setup {
  readonly s: ApiServer;
  readonly u: Signer;
  readonly authr: SoftAuthenticator;
  readonly client: Client;
}

async function setup(t: Parameters<typeof apiServer>[0], kind: (typeof storeKinds)[number]): Promise<Setup | undefined> {
  const s = await apiServer(t, kind);
  if (!s) return undefined;
  s.services.baseUrl.set(ORIGIN);
  const u = await s.addSigner('ada');
  const authr = new SoftAuthenticator(ORIGIN);
  const reg = await s.services.passkeys.startRegistration({ userId: u.userId });
  const made = authr.register(reg.options);
  await s.services.passkeys.finishRegistration({ userId: u.userId, ticket: reg.ticket, response: made.response, name: 'Laptop' });
  authr.keep(made.credential);
  const c = await createOAuthClient(
    { store: s.services.store, clock: s.clock, audit: s.services.audit, hasher: s.services.hasher },
    { name: 'Gateway', clientType: 'confidential', clientId: 'gw', redirectUris: [REDIRECT], allowedScopes: ['service', 'credential'] },
  );
  return { s, u, authr, client: { id: c.clientId, secret: c.clientSecret ?? '' } };
}

/** PAR (optionally with documents) → login page → password + passkey → the consent page. */
async function toConsent(
  x: Setup,
  hashes: readonly string[],
  refs: readonly string[] | undefined,
): Promise<{ consent: LightMyRequestResponse; cookie: string; verifier: string }> {
  const { s, u, authr, client } = x;
  const verifier = randomBytes(32).toString('base64url');
  const pushed = await s.app.inject({
    method: 'POST',
    url: '/oauth2/pushed_authorize',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(client) },
    payload: new URLSearchParams({
      response_type: 'code',
      redirect_uri: REDIRECT,
      code_challenge: s256Challenge(verifier),
      code_challenge_method: 'S256',
      scope: 'credential',
      credentialID: u.credentialId,
      numSignatures: String(hashes.length),
      hashes: hashes.map((h) => Buffer.from(h, 'base64').toString('base64url')).join(','),
      hashAlgorithmOID: SHA256_OID,
      ...(refs === undefined ? {} : { document_refs: refs.join(',') }),
    }).toString(),
  });
  assert.equal(pushed.statusCode, 201, pushed.body);
  const login = await s.app.inject({
    method: 'GET',
    url: `/oauth2/authorize?${new URLSearchParams({ client_id: client.id, request_uri: pushed.json<{ request_uri: string }>().request_uri }).toString()}`,
  });
  assert.equal(login.statusCode, 200, login.body);
  assert.match(login.body, />Use passkey</);
  const start = await form(s, '/oauth2/login/passkey', sessionCookie(login), {
    csrf_token: hiddenFields(login.body)['csrf_token'] ?? '',
    username: u.username,
    password: u.password,
  });
  assert.equal(start.statusCode, 200, start.body);
  const ceremony = start.json<{ ticket: string; options: { challenge: string; rpId: string }; csrf_token: string }>();
  const consent = await form(s, '/oauth2/authorize', sessionCookie(start), {
    step: 'passkey',
    csrf_token: ceremony.csrf_token,
    passkey_ticket: ceremony.ticket,
    passkey_response: JSON.stringify(authr.assert(ceremony.options)),
  });
  assert.equal(consent.statusCode, 200, consent.body);
  return { consent, cookie: sessionCookie(consent) ?? '', verifier };
}

async function approve(x: Setup, page: LightMyRequestResponse, cookie: string, assertion: Record<string, unknown>, ticket: string): Promise<LightMyRequestResponse> {
  return form(x.s, '/oauth2/authorize', cookie, {
    ...hiddenFields(page.body),
    decision: 'approve',
    pin: x.u.pin,
    passkey_ticket: ticket,
    passkey_response: JSON.stringify(assertion),
  });
}

async function consentAudits(s: ApiServer): Promise<{ outcome: string; details: Record<string, unknown> }[]> {
  const rows = await s.services.store.db.selectFrom('audit_log').select(['outcome', 'details']).where('event_type', '=', 'oauth2.consent').orderBy('seq').execute();
  return rows.map((r) => ({ outcome: r.outcome, details: JSON.parse(r.details) as Record<string, unknown> }));
}

async function codeCount(s: ApiServer): Promise<number> {
  const r = await s.services.store.db.selectFrom('authorization_codes').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

describe('approval bound to the documents: the passkey assertion signs the commitment', () => {
  for (const kind of storeKinds) {
    it(`${kind}: password + passkey sign-in; wrong challenge, no UV and replay refused; the SAD signs exactly the consented hashes`, async (t) => {
      const x = await setup(t, kind);
      if (!x) return;
      const { s, u, authr, client } = x;
      const row = await findCredential(s.services.store.db, u.credentialId);
      const chain = credentialCertificates(row!).map((c) => new Uint8Array(c));
      const docs = await Promise.all(
        ['Offer', 'Annex'].map((w) => prepareDocument({ name: `${w}.pdf`, text: w, chain, signatureAlgorithm: { scheme: 'ECDSA', digest: 'SHA-256' } })),
      );
      const refs: string[] = [];
      for (const d of docs) {
        const up = await s.app.inject({ method: 'POST', url: '/oauth2/documents', headers: { 'content-type': 'application/json', authorization: basic(client) }, payload: JSON.stringify(documentBody(d)) });
        assert.equal(up.statusCode, 201, up.body);
        refs.push(up.json<{ document_ref: string }>().document_ref);
      }
      const hashes = docs.map((d) => d.hash);
      const { consent, cookie, verifier } = await toConsent(x, hashes, refs);
      for (const d of docs) assert.ok(consent.body.includes(d.name));

      // The challenge is the commitment, recomputed here from the consent record's request id and nonce.
      const interaction = await s.services.store.db.selectFrom('oauth_interactions').select('request').where('stage', '=', 'consent').executeTakeFirstOrThrow();
      const stored = JSON.parse(interaction.request) as { requestId: string; nonce: string };
      const commitment = expectedCommitment({ credentialID: u.credentialId, hashes, numSignatures: 2, requestId: stored.requestId, nonce: stored.nonce });
      let approval = approvalOf(consent.body);
      assert.equal(approval.options.challenge, commitment);
      assert.match(consent.body, new RegExp(`<code id="commitment">${commitment}</code>`));

      // An assertion made for another challenge: refused, audited, no code.
      const otherChallenge = randomBytes(32).toString('base64url');
      let page = await approve(x, consent, cookie, authr.assert(approval.options, { challenge: otherChallenge }), approval.ticket);
      assert.equal(page.statusCode, 400, page.body);
      assert.match(page.body, /did not confirm this approval/);
      // User verification missing: refused (UV is required for an approval).
      approval = approvalOf(page.body);
      page = await approve(x, page, cookie, authr.assert(approval.options, { flags: authenticatorFlags.UP }), approval.ticket);
      assert.equal(page.statusCode, 400, page.body);
      assert.equal(await codeCount(s), 0);
      const failures = (await consentAudits(s)).filter((a) => a.outcome === 'failure').map((a) => a.details['reason']);
      assert.deepEqual(failures, ['ERR_WEBAUTHN_CHALLENGE', 'ERR_WEBAUTHN_USER_VERIFICATION']);

      // The right assertion: the code is issued and the consent record holds the commitment.
      approval = approvalOf(page.body);
      const good = authr.assert(approval.options);
      const done = await approve(x, page, cookie, good, approval.ticket);
      assert.equal(done.statusCode, 303, done.body);
      const q = new URL(String(done.headers.location)).searchParams;
      const success = (await consentAudits(s)).find((a) => a.outcome === 'success');
      assert.equal(success?.details['commitment'], commitment);
      assert.equal(success?.details['factor'], 'passkey');
      assert.deepEqual(success?.details['hashes'], hashes);

      // Replayed into another request: the spent ticket, or the old assertion with a new ticket.
      const second = await toConsent(x, someHashes(1), undefined);
      const secondApproval = approvalOf(second.consent.body);
      const replay = await approve(x, second.consent, second.cookie, good, approval.ticket);
      assert.equal(replay.statusCode, 400, replay.body);
      const replay2 = await approve(x, replay, second.cookie, good, approvalOf(replay.body).ticket);
      assert.equal(replay2.statusCode, 400, replay2.body);
      assert.notEqual(secondApproval.options.challenge, commitment, 'each request has its own commitment');
      assert.equal(await codeCount(s), 1, 'no code for a replayed assertion');
      const reasons = (await consentAudits(s)).filter((a) => a.outcome === 'failure').map((a) => a.details['reason']);
      assert.deepEqual(reasons.slice(2), ['ERR_WEBAUTHN_TICKET_INVALID', 'ERR_WEBAUTHN_CHALLENGE']);

      // The token's SAD signs exactly those two hashes, and refuses anything else (nothing signed).
      const token = await s.app.inject({
        method: 'POST',
        url: '/oauth2/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(client) },
        payload: new URLSearchParams({ grant_type: 'authorization_code', code: q.get('code') ?? '', redirect_uri: REDIRECT, code_verifier: verifier }).toString(),
      });
      assert.equal(token.statusCode, 200, token.body);
      const bearer = token.json<{ access_token: string }>().access_token;
      const sign = (hs: string[]): Promise<LightMyRequestResponse> =>
        s.csc('signatures/signHash', { credentialID: u.credentialId, hashes: hs, hashAlgorithmOID: SHA256_OID, signAlgo: ECDSA_SHA256_OID }, { bearer });
      const outside = await sign([hashes[0]!, someHashes(1)[0]!]);
      assert.equal(outside.statusCode, 400, outside.body);
      assert.equal(outside.json<{ error_description: string }>().error_description, 'Hash is not authorized by the SAD');
      const ok = await sign(hashes);
      assert.equal(ok.statusCode, 200, ok.body);
      assert.equal(ok.json<{ signatures: string[] }>().signatures.length, 2);
      const sadFailures = await s.services.store.db.selectFrom('audit_log').select('event_type').where('outcome', '=', 'failure').where('event_type', 'like', 'sad%').execute();
      assert.ok(sadFailures.length >= 1, 'the refused signHash is audited');
    });
  }
});
