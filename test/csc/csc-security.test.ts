/**
 * CSC sole-control and access-control attacks (docs/security.md §3.4 SAD-*, §3.7 AC-*; issue 6 negative
 * tests): each refusal is checked for the specified error (status, error, error_description), for
 * nothing having been signed, and for its audit entry. Runs on SQLite and PostgreSQL.
 */
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { issueAccessToken } from '../../src/auth/index.js';
import { findSignerCertificate, oids, parseSignedData, verifySignerInfo } from '../../src/cms/index.js';
import { revokeCredential, disableCredential, enableCredential } from '../../src/csc/index.js';
import { insertOAuthClient, setUserStatus } from '../../src/store/index.js';
import { verifyPdfSignatures } from '../../src/validation/index.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { requireStore, storeKinds, testStores } from '../support/stores.js';
import { cscHarness, type CscHarness, type TestUser } from './support/csc-harness.js';

const SHA256 = '2.16.840.1.101.3.4.2.1';
const SHA384 = '2.16.840.1.101.3.4.2.2';
const ES256 = oids.ecdsa_with_SHA256;
const b64 = (label: string): string => createHash('sha256').update(label).digest('base64');

interface Scenario {
  readonly h: CscHarness;
  readonly alice: TestUser;
  readonly bob: TestUser;
  readonly c1: string;
  readonly c2: string;
  readonly c3: string;
  readonly aliceToken: string;
  readonly bobToken: string;
}

async function scenario(t: TestContext, kind: 'sqlite' | 'postgres'): Promise<Scenario> {
  const { store } = await testStores(t)[kind]();
  const h = await cscHarness(t, store, { maxAttempts: 3 });
  const alice = await h.createUser('alice');
  const bob = await h.createUser('bob');
  const c1 = await h.createCredential(alice, { pin: '1234' });
  const c2 = await h.createCredential(alice, { pin: '1234' });
  const c3 = await h.createCredential(bob, { pin: '9999' });
  return { h, alice, bob, c1, c2, c3, aliceToken: await h.login('v2', alice), bobToken: await h.login('v2', bob) };
}

async function authorize(s: Scenario, credentialID: string, hashes: string[], n = hashes.length, user = s.alice, token = s.aliceToken, pin = '1234') {
  return s.h.call('v2', 'credentials/authorize', {
    credentialID,
    numSignatures: n,
    hashes,
    hashAlgorithmOID: SHA256,
    authData: [
      { id: 'PIN', value: pin },
      { id: 'OTP', value: s.h.nextOtp(user) },
    ],
  }, { bearer: token });
}

async function sad(s: Scenario, credentialID: string, hashes: string[], n = hashes.length): Promise<string> {
  const r = await authorize(s, credentialID, hashes, n);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.SAD as string;
}

function signHash(s: Scenario, body: Record<string, unknown>, token = s.aliceToken) {
  return s.h.call('v2', 'signatures/signHash', { signAlgo: ES256, ...body }, { bearer: token });
}

/** The newest audit entry of `type`. */
async function lastAudit(s: Scenario, type: string) {
  const row = await s.h.store.db.selectFrom('audit_log').selectAll().where('event_type', '=', type).orderBy('seq', 'desc').executeTakeFirst();
  assert.ok(row, `an audit entry ${type}`);
  return { ...row, details: JSON.parse(row.details) as Record<string, unknown> };
}

/** Asserts the CSC error and its audit entry (csc.<op>:failure with the wire error, source and trace). */
async function refused(s: Scenario, res: { status: number; body: any }, status: number, error: string, description: string | RegExp, op = 'csc.signatures.signHash') { // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.equal(res.body.error, error);
  if (typeof description === 'string') assert.equal(res.body.error_description, description);
  else assert.match(res.body.error_description as string, description);
  const entry = await lastAudit(s, op);
  assert.equal(entry.outcome, 'failure');
  assert.equal(entry.details['error'], error);
  assert.equal(entry.source_address, '127.0.0.1');
  assert.ok(entry.trace_id);
}

async function signatureCount(s: Scenario): Promise<number> {
  const rows = await s.h.store.db.selectFrom('audit_log').select('details').where('event_type', '=', 'sad.consume').where('outcome', '=', 'success').execute();
  return rows.reduce((n, r) => n + (JSON.parse(r.details) as { hashes: string[] }).hashes.length, 0);
}

describe('CSC sole control and access control', () => {
  for (const kind of storeKinds) {
    it(`${kind}: docs/security.md SAD-02…SAD-25, AC-01/02 and transport refusals`, async (t) => {
      if (!(await requireStore(t, kind))) return;
      const s = await scenario(t, kind);
      const { h } = s;

      await t.test('SAD-02 hash substitution: SAD for {h1,h2}, signHash {h1,h3} refused whole; h1 still signable', async () => {
        const token = await sad(s, s.c1, [b64('1'), b64('2')]);
        const before = await signatureCount(s);
        await refused(s, await signHash(s, { credentialID: s.c1, SAD: token, hashes: [b64('1'), b64('3')] }), 400, 'invalid_request', 'Hash is not authorized by the SAD');
        assert.equal((await lastAudit(s, 'sad.consume')).outcome, 'failure');
        assert.equal(await signatureCount(s), before, 'nothing signed');
        assert.equal((await signHash(s, { credentialID: s.c1, SAD: token, hashes: [b64('1')] })).status, 200);
      });

      await t.test('SAD-05/06/07 over-use, the same hash twice and an identical replayed request: refused, no second key operation', async () => {
        const token = await sad(s, s.c1, [b64('a'), b64('b')]);
        assert.equal((await signHash(s, { credentialID: s.c1, SAD: token, hashes: [b64('a')] })).status, 200);
        await refused(s, await signHash(s, { credentialID: s.c1, SAD: token, hashes: [b64('a')] }), 400, 'invalid_request', 'The SAD does not authorize these signatures any more');
        assert.equal((await signHash(s, { credentialID: s.c1, SAD: token, hashes: [b64('b')] })).status, 200);
        await refused(s, await signHash(s, { credentialID: s.c1, SAD: token, hashes: [b64('b')] }), 400, 'invalid_request', 'The SAD does not authorize these signatures any more');
      });

      await t.test('SAD-08 SAD of credential C1 used on C2 (same user) refused', async () => {
        const token = await sad(s, s.c1, [b64('x')]);
        await refused(s, await signHash(s, { credentialID: s.c2, SAD: token, hashes: [b64('x')] }), 400, 'invalid_request', 'Invalid parameter SAD');
      });

      await t.test('SAD-09 / AC-01 / AC-02 another user: not listed, info and authorize answered like an unknown id, SAD unusable', async () => {
        const list = await h.call('v2', 'credentials/list', {}, { bearer: s.bobToken });
        assert.deepEqual(list.body.credentialIDs, [s.c3]);
        const foreign = await h.call('v2', 'credentials/info', { credentialID: s.c1 }, { bearer: s.bobToken });
        const unknown = await h.call('v2', 'credentials/info', { credentialID: 'no-such-credential' }, { bearer: s.bobToken });
        assert.deepEqual(foreign.body, unknown.body);
        await refused(s, foreign, 400, 'invalid_request', 'Invalid parameter credentialID', 'csc.credentials.info');
        await refused(s, await authorize(s, s.c1, [b64('y')], 1, s.bob, s.bobToken, '9999'), 400, 'invalid_request', 'Invalid parameter credentialID', 'csc.credentials.authorize');
        assert.equal((await h.call('v2', 'credentials/list', { userID: s.alice.id }, { bearer: s.bobToken })).status, 400);
        const token = await sad(s, s.c1, [b64('y')]);
        await refused(s, await signHash(s, { credentialID: s.c1, SAD: token, hashes: [b64('y')] }, s.bobToken), 400, 'invalid_request', 'Invalid parameter credentialID');
        await refused(s, await signHash(s, { credentialID: s.c3, SAD: token, hashes: [b64('y')] }, s.bobToken), 400, 'invalid_request', 'Invalid parameter SAD');
      });

      await t.test('SAD-10 a SAD issued to client csc-login presented with another client\'s token is refused', async () => {
        await insertOAuthClient(h.store.db, { id: 'k2', name: 'Other app', clientType: 'confidential', secretHash: 'x', redirectUris: [], allowedScopes: ['service'], createdAt: 0 });
        const other = await h.store.transaction((trx) => issueAccessToken(trx, { userId: s.alice.id, clientId: 'k2', scope: 'service', ttlSeconds: 600, now: h.clock.now().getTime() }));
        const token = await sad(s, s.c1, [b64('k')]);
        await refused(s, await signHash(s, { credentialID: s.c1, SAD: token, hashes: [b64('k')] }, other.value), 400, 'invalid_request', 'Invalid parameter SAD');
        assert.equal((await lastAudit(s, 'csc.signatures.signHash')).actor_client_id, 'k2');
      });

      await t.test('SAD-11 algorithm mismatch: SHA-384 signAlgo on a SHA-256 SAD, RSA signAlgo on an EC key', async () => {
        const token = await sad(s, s.c1, [b64('m')]);
        const h384 = createHash('sha384').update('m').digest('base64');
        await refused(s, await signHash(s, { credentialID: s.c1, SAD: token, hashes: [h384], signAlgo: oids.ecdsa_with_SHA384 }), 400, 'invalid_request', 'Invalid parameter hashAlgorithmOID');
        await refused(s, await signHash(s, { credentialID: s.c1, SAD: token, hashes: [b64('m')], signAlgo: oids.sha256WithRSAEncryption }), 400, 'invalid_request', 'Invalid parameter signAlgo');
        await refused(s, await signHash(s, { credentialID: s.c1, SAD: token, hashes: [b64('m')], hashAlgorithmOID: SHA384 }), 400, 'invalid_request', 'String parameter hashAlgorithmOID contradicts with signAlgo parameter');
        await refused(s, await signHash(s, { credentialID: s.c1, SAD: token, hashes: [b64('m')], signAlgo: '1.2.840.113549.1.1.5' }), 400, 'invalid_request', 'Invalid parameter signAlgo');
      });

      await t.test('SAD-12 hash format: 31 and 33 bytes, base64url, whitespace, empty list', async () => {
        const token = await sad(s, s.c1, [b64('f')]);
        const bad = [
          Buffer.alloc(31, 1).toString('base64'),
          Buffer.alloc(33, 1).toString('base64'),
          createHash('sha256').update('f').digest('base64url'),
          ` ${b64('f')}`,
        ];
        for (const hash of bad) {
          const res = await signHash(s, { credentialID: s.c1, SAD: token, hashes: [hash] });
          await refused(s, res, 400, 'invalid_request', /^(Invalid digest value length|Invalid Base64 hash string parameter)$/);
        }
        await refused(s, await signHash(s, { credentialID: s.c1, SAD: token, hashes: [] }), 400, 'invalid_request', 'Empty hash array');
        await refused(s, await signHash(s, { credentialID: s.c1, SAD: token, hashes: [b64('f'), b64('f')] }), 400, 'invalid_request', 'Invalid parameter hashes');
        await refused(s, await authorize(s, s.c1, [Buffer.alloc(48, 2).toString('base64')]), 400, 'invalid_request', 'Invalid digest value length', 'csc.credentials.authorize');
        await refused(s, await authorize(s, s.c1, [b64('d'), b64('d')]), 400, 'invalid_request', 'Invalid parameter hashes', 'csc.credentials.authorize');
        assert.equal((await signHash(s, { credentialID: s.c1, SAD: token, hashes: [b64('f')] })).status, 200, 'the SAD is intact');
      });

      await t.test('SAD-13 mechanism abuse: RSA-PSS with an MGF1 hash ≠ hash and PSS without parameters are refused (any RFC 8017 salt length is accepted, issue 22)', async () => {
        const rsa = await h.createCredential(s.alice, { algorithm: 'RSA-2048', pin: '1234' });
        const token = await sad(s, rsa, [b64('p')]);
        // RSASSA-PSS-params SHA-256 / MGF1-SHA-384 / salt 20.
        const mgf384 = Buffer.from('3034a00f300d06096086480165030402010500a11c301a06092a864886f70d010108300d06096086480165030402020500a203020114', 'hex').toString('base64');
        await refused(s, await signHash(s, { credentialID: rsa, SAD: token, hashes: [b64('p')], signAlgo: oids.id_RSASSA_PSS, signAlgoParams: mgf384 }), 400, 'invalid_request', 'Invalid parameter signAlgoParams: the maskGenAlgorithm hash differs from hashAlgorithm');
        await refused(s, await signHash(s, { credentialID: rsa, SAD: token, hashes: [b64('p')], signAlgo: oids.id_RSASSA_PSS }), 400, 'invalid_request', 'Missing (or invalid type) string parameter signAlgoParams');
        await refused(s, await signHash(s, { credentialID: rsa, SAD: token, hashes: [b64('p')], signAlgo: oids.rsaEncryption }), 400, 'invalid_request', 'Missing (or invalid type) string parameter hashAlgorithmOID');
      });

      await t.test('SAD-14 expired SAD refused one second after expiry', async () => {
        const token = await sad(s, s.c1, [b64('e')]);
        h.clock.advance(301_000);
        await refused(s, await signHash(s, { credentialID: s.c1, SAD: token, hashes: [b64('e')] }), 400, 'invalid_request', 'SAD expired');
      });

      await t.test('SAD-17 extendTransaction: hashes required (SCAL2), a NEW SAD for them, the old one refused', async () => {
        const token = await sad(s, s.c1, [b64('t1')], 2);
        assert.equal((await signHash(s, { credentialID: s.c1, SAD: token, hashes: [b64('t1')] })).status, 200);
        h.clock.advance(200_000);
        await refused(s, await h.call('v2', 'credentials/extendTransaction', { credentialID: s.c1, SAD: token }, { bearer: s.aliceToken }), 400, 'invalid_request', 'Missing (or invalid type) array parameter hashes', 'csc.credentials.extendTransaction');
        const ext = await h.call('v2', 'credentials/extendTransaction', { credentialID: s.c1, SAD: token, hashes: [b64('t2')], hashAlgorithmOID: SHA256 }, { bearer: s.aliceToken });
        assert.equal(ext.status, 200, JSON.stringify(ext.body));
        assert.notEqual(ext.body.SAD, token);
        await refused(s, await signHash(s, { credentialID: s.c1, SAD: token, hashes: [b64('t2')] }), 400, 'invalid_request', 'Invalid parameter SAD');
        await refused(s, await h.call('v2', 'credentials/extendTransaction', { credentialID: s.c1, SAD: ext.body.SAD, hashes: [b64('t3'), b64('t4')], hashAlgorithmOID: SHA256 }, { bearer: s.aliceToken }), 400, 'invalid_request', 'Numbers of signatures is too high', 'csc.credentials.extendTransaction');
        assert.equal((await signHash(s, { credentialID: s.c1, SAD: ext.body.SAD, hashes: [b64('t2')] })).status, 200);
      });

      await t.test('SAD-18 inconsistent authorization: n < hashes, n = 0, n > multisign, no hashes; nothing issued', async () => {
        const count = async () => (await h.store.db.selectFrom('sads').select('id_hash').execute()).length;
        const before = await count();
        await refused(s, await authorize(s, s.c1, [b64('1'), b64('2')], 1), 400, 'invalid_request', 'Invalid value for parameter numSignatures', 'csc.credentials.authorize');
        await refused(s, await authorize(s, s.c1, [b64('1')], 0), 400, 'invalid_request', 'Invalid value for parameter numSignatures', 'csc.credentials.authorize');
        await refused(s, await authorize(s, s.c1, [b64('1')], 101), 400, 'invalid_request', 'Numbers of signatures is too high', 'csc.credentials.authorize');
        const noHashes = await h.call('v2', 'credentials/authorize', { credentialID: s.c1, numSignatures: 1, authData: [{ id: 'PIN', value: '1234' }, { id: 'OTP', value: h.nextOtp(s.alice) }] }, { bearer: s.aliceToken });
        await refused(s, noHashes, 400, 'invalid_request', 'Missing (or invalid type) array parameter hashes', 'csc.credentials.authorize');
        assert.equal(await count(), before);
      });

      await t.test('SAD-19 a service token alone cannot sign; SAD-20 forged SADs are refused', async () => {
        await refused(s, await signHash(s, { credentialID: s.c1, hashes: [b64('s')] }), 400, 'invalid_request', 'Missing (or invalid type) string parameter SAD');
        await refused(s, await signHash(s, { credentialID: s.c1, SAD: randomBytes(32).toString('base64url'), hashes: [b64('s')] }), 400, 'invalid_request', 'Invalid parameter SAD');
        await refused(s, await signHash(s, { credentialID: s.c1, SAD: 'x', hashes: [b64('s')] }), 400, 'invalid_request', 'Invalid parameter SAD');
      });

      await t.test('contract 2: a credential-scope access token carrying the SAD signs without a SAD parameter, only for its credential', async () => {
        const issued = await h.sads.issue({ userId: s.alice.id, credentialId: s.c1, clientId: 'csc-login', hashAlgorithmOid: SHA256, hashes: [Buffer.from(b64('cs'), 'base64')], numSignatures: 1, lifetimeSeconds: 300 });
        await h.store.transaction((trx) => issueAccessToken(trx, { userId: s.alice.id, clientId: 'csc-login', scope: 'credential', credentialId: s.c1, ttlSeconds: 300, now: h.clock.now().getTime(), value: issued.sad }));
        await refused(s, await signHash(s, { credentialID: s.c2, hashes: [b64('cs')] }, issued.sad), 400, 'invalid_request', 'Invalid parameter credentialID');
        assert.equal((await signHash(s, { credentialID: s.c1, hashes: [b64('cs')] }, issued.sad)).status, 200);
      });

      await t.test('SAD-25 wrong PIN / wrong OTP count; the third failure locks the credential (persisted, audited)', async () => {
        const c = await h.createCredential(s.alice, { pin: '4321' });
        await refused(s, await authorize(s, c, [b64('l')], 1, s.alice, s.aliceToken, '0000'), 400, 'invalid_authentication_data', 'The authentication data is invalid', 'csc.credentials.authorize');
        const wrongOtp = await h.call('v2', 'credentials/authorize', { credentialID: c, numSignatures: 1, hashes: [b64('l')], hashAlgorithmOID: SHA256, authData: [{ id: 'PIN', value: '4321' }, { id: 'OTP', value: '000000' }] }, { bearer: s.aliceToken });
        await refused(s, wrongOtp, 400, 'invalid_authentication_data', 'The authentication data is invalid', 'csc.credentials.authorize');
        await refused(s, await authorize(s, c, [b64('l')], 1, s.alice, s.aliceToken, '1111'), 400, 'invalid_authentication_data', 'The authentication data is invalid', 'csc.credentials.authorize');
        assert.equal((await lastAudit(s, 'credential.locked')).subject, `credential:${c}`);
        await refused(s, await authorize(s, c, [b64('l')], 1, s.alice, s.aliceToken, '4321'), 400, 'invalid_request', 'Credential locked', 'csc.credentials.authorize');
        const info = await h.call('v2', 'credentials/info', { credentialID: c }, { bearer: s.aliceToken });
        assert.equal(info.body.key.status, 'disabled');
        // A known PIN does not reset the count of wrong OTPs: three guesses lock.
        const d = await h.createCredential(s.alice, { pin: '4321' });
        for (let i = 0; i < 3; i++) {
          const guess = await h.call('v2', 'credentials/authorize', { credentialID: d, numSignatures: 1, hashes: [b64('g')], hashAlgorithmOID: SHA256, authData: [{ id: 'PIN', value: '4321' }, { id: 'OTP', value: String(100000 + i) }] }, { bearer: s.aliceToken });
          assert.equal(guess.body.error, 'invalid_authentication_data');
        }
        await refused(s, await authorize(s, d, [b64('g')], 1, s.alice, s.aliceToken, '4321'), 400, 'invalid_request', 'Credential locked', 'csc.credentials.authorize');
      });

      await t.test('SAD-16 state change after authorization: disabled, then revoked certificate; signing stops at once', async () => {
        const c = await h.createCredential(s.alice, { pin: '1234' });
        const token = await sad(s, c, [b64('r1'), b64('r2'), b64('r3')]);
        await disableCredential(h.lifecycle, { credentialId: c });
        await refused(s, await signHash(s, { credentialID: c, SAD: token, hashes: [b64('r1')] }), 400, 'invalid_request', 'The credential identified by credentialID is disabled');
        await enableCredential(h.lifecycle, { credentialId: c });
        assert.equal((await signHash(s, { credentialID: c, SAD: token, hashes: [b64('r1')] })).status, 200);
        await revokeCredential(h.lifecycle, { credentialId: c, reason: 'keyCompromise' });
        await refused(s, await signHash(s, { credentialID: c, SAD: token, hashes: [b64('r2')] }), 400, 'invalid_request', 'Signing certificate is revoked');
        const info = await h.call('v2', 'credentials/info', { credentialID: c }, { bearer: s.aliceToken });
        assert.deepEqual([info.body.key.status, info.body.cert.status], ['disabled', 'revoked']);
        const serial = (await h.call('v2', 'credentials/info', { credentialID: c, certInfo: true, certificates: 'none' }, { bearer: s.aliceToken })).body.cert.serialNumber as string;
        assert.equal((await h.pki.store.getCertificate(serial.toLowerCase()))?.revocation?.reason, 'keyCompromise');
        assert.equal((await lastAudit(s, 'credential.revoke')).subject, `credential:${c}`);
        await refused(s, await authorize(s, c, [b64('r4')]), 400, 'invalid_request', 'Signing certificate is revoked', 'csc.credentials.authorize');
      });

      await t.test('SAD-15 auth/revoke: the revoked token stops working at once', async () => {
        const token = await h.login('v2', s.bob);
        const res = await h.call('v2', 'auth/revoke', { token, token_type_hint: 'access_token' }, { bearer: token });
        assert.equal(res.status, 204);
        await refused(s, await h.call('v2', 'credentials/list', {}, { bearer: token }), 401, 'invalid_token', 'The access token is not valid', 'csc.credentials.list');
      });

      await t.test('auth/login: a wrong password is authentication_error; a missing header invalid_token', async () => {
        const basic = Buffer.from(`alice:wrong`).toString('base64');
        await refused(s, await h.call('v2', 'auth/login', {}, { basic }), 400, 'authentication_error', 'Authentication failed', 'csc.auth.login');
        await refused(s, await h.call('v2', 'signatures/signHash', { credentialID: s.c1, hashes: [b64('n')], signAlgo: ES256 }), 401, 'invalid_token', 'Missing or invalid access token');
      });

      await t.test('getChallenge and authorizeCheck: TOTP needs no challenge, no handle exists', async () => {
        await refused(s, await h.call('v2', 'credentials/getChallenge', { credentialID: s.c1, authObjectID: 'OTP' }, { bearer: s.aliceToken }), 400, 'invalid_request', 'Invalid parameter authObjectID', 'csc.credentials.getChallenge');
        await refused(s, await h.call('v2', 'credentials/authorizeCheck', { handle: 'abc' }, { bearer: s.aliceToken }), 400, 'invalid_request', 'Invalid parameter handle', 'csc.credentials.authorizeCheck');
      });

      await t.test('SAD-16 disabling the user stops its tokens and its SADs at once', async () => {
        const erin = await h.createUser('erin');
        const c = await h.createCredential(erin, { pin: '1234' });
        const token = await h.login('v2', erin);
        const r = await authorize(s, c, [b64('u1')], 1, erin, token);
        assert.equal(r.status, 200);
        await setUserStatus(h.store.db, erin.id, 'disabled');
        await refused(s, await signHash(s, { credentialID: c, SAD: r.body.SAD, hashes: [b64('u1')] }, token), 401, 'invalid_token', 'The access token is not valid');
      });

      await t.test('methods of the specification Signet does not offer answer 501 not_implemented', async () => {
        await refused(s, await h.call('v2', 'signatures/signPolling', { requestID: 'r1' }, { bearer: s.aliceToken }), 501, 'not_implemented', 'Method not implemented', 'csc.signatures.signPolling');
        await refused(s, await h.call('v2', 'credentials/sendOTP', { credentialID: s.c1 }, { bearer: s.aliceToken }), 501, 'not_implemented', 'Method not implemented', 'csc.credentials.sendOTP');
      });

      await t.test('transport: malformed JSON 400, non-JSON 415, huge body 413, a JSON array 400 — CSC error bodies, audited', async () => {
        const raw = async (payload: string, contentType: string) => {
          const res = await h.app.inject({ method: 'POST', url: '/csc/v2/signatures/signHash', headers: { 'content-type': contentType, authorization: `Bearer ${s.aliceToken}` }, payload });
          return { status: res.statusCode, body: JSON.parse(res.body) as unknown };
        };
        await refused(s, await raw('{"credentialID": ', 'application/json'), 400, 'invalid_request', 'The JSON body is malformed');
        await refused(s, await raw('credentialID=x', 'application/x-www-form-urlencoded'), 415, 'invalid_request', 'The request body must be application/json');
        await refused(s, await raw(JSON.stringify({ credentialID: s.c1, hashes: Array.from({ length: 9000 }, (_, i) => b64(String(i))) }), 'application/json'), 413, 'invalid_request', 'The request body is too large');
        await refused(s, await raw('[1,2]', 'application/json'), 400, 'invalid_request', 'The request body must be a JSON object');
        await refused(s, await raw('{"__proto__": {"isAdmin": true}}', 'application/json'), 400, 'invalid_request', 'The JSON body is malformed');
        // The same key spelt with JSON escapes (RFC 8259 §7) is caught too.
        await refused(s, await raw('{"\\u005f_proto__": {"isAdmin": true}}', 'application/json'), 400, 'invalid_request', 'The JSON body is malformed');
      });
    });
  }
});

describe('CSC signDoc and timestamp', () => {
  it('signDoc documents (PAdES B-B) verifies; an unauthorised document is 403 invalid_hash; documentDigests gives detached CMS; timestamp returns a token', async (t) => {
    const { store } = await testStores(t).sqlite();
    const h = await cscHarness(t, store);
    const alice = await h.createUser('alice');
    const c = await h.createCredential(alice, { pin: '1234' });
    const token = await h.login('v2', alice);
    const s = { h, alice, bob: alice, c1: c, c2: c, c3: c, aliceToken: token, bobToken: token };
    const pdf = makeBasePdf({ text: 'signDoc' });
    const docHash = createHash('sha256').update(pdf).digest('base64');
    const digest = b64('sdr');
    const pdfT = makeBasePdf({ text: 'signDoc B-T' });
    const docHashT = createHash('sha256').update(pdfT).digest('base64');
    const tokenSad = await sad(s, c, [docHash, digest, docHashT], 3);
    const other = makeBasePdf({ text: 'not authorised' });
    const bad = await h.call('v2', 'signatures/signDoc', { credentialID: c, SAD: tokenSad, documents: [{ document: Buffer.from(other).toString('base64'), signature_format: 'P', signAlgo: ES256 }] }, { bearer: token });
    await refused(s, bad, 403, 'invalid_hash', 'documentDigests or documents are not authorized by the SAD', 'csc.signatures.signDoc');
    const good = await h.call('v2', 'signatures/signDoc', { credentialID: c, SAD: tokenSad, documents: [{ document: Buffer.from(pdf).toString('base64'), signature_format: 'P', conformance_level: 'AdES-B-B', signAlgo: ES256 }] }, { bearer: token });
    assert.equal(good.status, 200, JSON.stringify(good.body));
    const signed = new Uint8Array(Buffer.from(good.body.DocumentWithSignature[0] as string, 'base64'));
    const report = verifyPdfSignatures(signed, { trustAnchors: [h.pki.hierarchy.root.certificate] });
    assert.equal(report.signatures[0]?.indication, 'TOTAL-PASSED', JSON.stringify(report.signatures[0]?.problems));
    const detached = await h.call('v2', 'signatures/signDoc', { credentialID: c, SAD: tokenSad, hashAlgorithmOID: SHA256, documentDigests: [{ hashes: [digest], signature_format: 'P', signAlgo: ES256 }] }, { bearer: token });
    assert.equal(detached.status, 200, JSON.stringify(detached.body));
    const sd = parseSignedData(new Uint8Array(Buffer.from(detached.body.SignatureObject[0] as string, 'base64')));
    const si = sd.signerInfos[0]!;
    const verdict = verifySignerInfo(si, { certificate: findSignerCertificate(sd, si)!, messageDigest: new Uint8Array(Buffer.from(digest, 'base64')) });
    assert.equal(verdict.isValid, true, JSON.stringify(verdict.problems));
    // B-T with the in-process TSA; B-LT needs a revocation source this deployment lacks.
    const lt = await h.call('v2', 'signatures/signDoc', { credentialID: c, SAD: tokenSad, documents: [{ document: Buffer.from(pdfT).toString('base64'), signature_format: 'P', conformance_level: 'AdES-B-LT', signAlgo: ES256 }] }, { bearer: token });
    await refused(s, lt, 400, 'invalid_request', 'Invalid parameter conformance_level', 'csc.signatures.signDoc');
    const bt = await h.call('v2', 'signatures/signDoc', { credentialID: c, SAD: tokenSad, documents: [{ document: Buffer.from(pdfT).toString('base64'), signature_format: 'P', conformance_level: 'AdES-B-T', signAlgo: ES256 }] }, { bearer: token });
    assert.equal(bt.status, 200, JSON.stringify(bt.body));
    const signedT = new Uint8Array(Buffer.from(bt.body.DocumentWithSignature[0] as string, 'base64'));
    const reportT = verifyPdfSignatures(signedT, { trustAnchors: [h.pki.hierarchy.root.certificate] });
    assert.equal(reportT.signatures[0]?.indication, 'TOTAL-PASSED', JSON.stringify(reportT.signatures[0]?.problems));
    const tsaHex = Buffer.from(h.pki.hierarchy.tsa.certificate).toString('hex');
    const text = Buffer.from(signedT).toString('latin1').toLowerCase();
    assert.ok(text.includes(tsaHex), 'the signature (hex in /Contents) carries the TSA token with its certificate');
    const info = await h.call('v2', 'info', {});
    assert.deepEqual(info.body.conformance_levels, ['Ades-B-B', 'Ades-B-T']);
    const ts = await h.call('v2', 'signatures/timestamp', { hash: digest, hashAlgo: SHA256, nonce: '0a1b2c' }, { bearer: token });
    assert.equal(ts.status, 200, JSON.stringify(ts.body));
    const tsd = parseSignedData(new Uint8Array(Buffer.from(ts.body.timestamp as string, 'base64')));
    assert.equal(tsd.signerInfos.length, 1);
  });
});
