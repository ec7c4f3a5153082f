/**
 * docs/security.md AUD-09 through the assembled server on both stores: a wrong PIN, a wrong OTP, SAD
 * misuse, a lockout and IDOR attempts each leave exactly one refusal entry for the request
 * (`csc.<operation>`, outcome failure) carrying the client id, the source address and the trace id
 * (the caller's W3C traceparent, adopted by the server), and every other entry the attempt wrote
 * (the factor's attempt count, the lock, the SAD check) carries the same three.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { listAuditRows, type AuditRow } from '../../src/store/index.js';
import { storeKinds } from '../support/stores.js';
import { ECDSA_SHA256_OID, SHA256_OID, apiServer, someHashes, type ApiServer } from './support/api-fixture.js';

const source = '198.51.100.23';

/** A request's trace: a fresh W3C trace id sent as traceparent (W3C Trace Context §3.2). */
function trace(): { id: string; headers: Record<string, string> } {
  const id = randomBytes(16).toString('hex');
  return { id, headers: { traceparent: `00-${id}-${randomBytes(8).toString('hex')}-01` } };
}

async function entriesOf(s: ApiServer, traceId: string): Promise<AuditRow[]> {
  return (await listAuditRows(s.services.store.db, { afterSeq: 0, limit: 100_000 })).filter((r) => r.trace_id === traceId);
}

/** Exactly one refusal entry of `operation` for the trace, and every entry of the trace in context. */
async function assertOneRefusal(s: ApiServer, r: LightMyRequestResponse, traceId: string, operation: string, error: string): Promise<AuditRow[]> {
  assert.equal(r.headers['x-trace-id'], traceId, 'the server adopted the trace id');
  assert.equal(r.json<{ error: string }>().error, error, r.body);
  const entries = await entriesOf(s, traceId);
  const refusals = entries.filter((e) => e.event_type === `csc.${operation.replace('/', '.')}` && e.outcome === 'failure');
  assert.equal(refusals.length, 1, `one refusal entry: ${entries.map((e) => e.event_type).join(', ')}`);
  assert.equal(JSON.parse((refusals[0] as AuditRow).details).error, error);
  for (const e of entries) {
    assert.equal(e.actor_client_id, 'csc-login', `${e.event_type}: client`);
    assert.equal(e.source_address, source, `${e.event_type}: source address`);
    assert.equal(e.trace_id, traceId);
  }
  return entries;
}

for (const kind of storeKinds) {
  describe(`failures are audited over HTTP (${kind})`, () => {
    it('AUD-09: wrong PIN, wrong OTP, SAD misuse, lockout and IDOR each leave one refusal entry with client, source address and trace id', async (t) => {
      const s = await apiServer(t, kind);
      if (!s) return;
      const alice = await s.addSigner('alina');
      const bob = await s.addSigner('boris');
      const aliceToken = await s.login(alice, { remoteAddress: source });
      const bobToken = await s.login(bob, { remoteAddress: source });
      const authorize = (token: string, credentialId: string, pin: string, otp: string, headers: Record<string, string>) =>
        s.csc('credentials/authorize', { credentialID: credentialId, numSignatures: 1, hashes: someHashes(1), hashAlgorithmOID: SHA256_OID, authData: [{ id: 'PIN', value: pin }, { id: 'OTP', value: otp }] }, { bearer: token, remoteAddress: source, headers });

      // Wrong PIN: the refusal, and the PIN attempt counted on the credential.
      const wrongPin = trace();
      const pinEntries = await assertOneRefusal(s, await authorize(aliceToken, alice.credentialId, '000000', s.nextOtp(alice), wrongPin.headers), wrongPin.id, 'credentials/authorize', 'invalid_authentication_data');
      assert.ok(pinEntries.some((e) => e.event_type === 'auth.pin' && e.outcome === 'failure'));

      // Wrong OTP (right PIN).
      const wrongOtp = trace();
      const otpEntries = await assertOneRefusal(s, await authorize(aliceToken, alice.credentialId, alice.pin, '000000', wrongOtp.headers), wrongOtp.id, 'credentials/authorize', 'invalid_authentication_data');
      assert.ok(otpEntries.some((e) => e.event_type === 'auth.otp' && e.outcome === 'failure'));

      // SAD misuse: a hash the SAD does not cover, then the consumed SAD again.
      const hashes = someHashes(1);
      const sad = await s.authorize(alice, aliceToken, hashes, { remoteAddress: source });
      const substituted = trace();
      const sub = await s.csc('signatures/signHash', { credentialID: alice.credentialId, SAD: sad, hashes: someHashes(1), hashAlgorithmOID: SHA256_OID, signAlgo: ECDSA_SHA256_OID }, { bearer: aliceToken, remoteAddress: source, headers: substituted.headers });
      const sadEntries = await assertOneRefusal(s, sub, substituted.id, 'signatures/signHash', 'invalid_request');
      assert.ok(sadEntries.some((e) => e.event_type === 'sad.consume' && e.outcome === 'failure'));
      const ok = await s.csc('signatures/signHash', { credentialID: alice.credentialId, SAD: sad, hashes, hashAlgorithmOID: SHA256_OID, signAlgo: ECDSA_SHA256_OID }, { bearer: aliceToken, remoteAddress: source });
      assert.equal(ok.statusCode, 200, ok.body);
      const replay = trace();
      await assertOneRefusal(s, await s.csc('signatures/signHash', { credentialID: alice.credentialId, SAD: sad, hashes, hashAlgorithmOID: SHA256_OID, signAlgo: ECDSA_SHA256_OID }, { bearer: aliceToken, remoteAddress: source, headers: replay.headers }), replay.id, 'signatures/signHash', 'invalid_request');

      // IDOR: Bob names Alice's credential (info, authorize, signHash): refused like an unknown id.
      for (const [operation, body] of [
        ['credentials/info', { credentialID: alice.credentialId }],
        ['credentials/authorize', { credentialID: alice.credentialId, numSignatures: 1, hashes: someHashes(1), hashAlgorithmOID: SHA256_OID, authData: [{ id: 'PIN', value: alice.pin }, { id: 'OTP', value: '123456' }] }],
        ['signatures/signHash', { credentialID: alice.credentialId, SAD: sad, hashes, hashAlgorithmOID: SHA256_OID, signAlgo: ECDSA_SHA256_OID }],
      ] as const) {
        const idor = trace();
        const r = await s.csc(operation, body, { bearer: bobToken, remoteAddress: source, headers: idor.headers });
        const entries = await assertOneRefusal(s, r, idor.id, operation, 'invalid_request');
        assert.equal(r.json<{ error_description: string }>().error_description, 'Invalid parameter credentialID');
        const refusal = entries.find((e) => e.event_type.startsWith('csc.')) as AuditRow;
        assert.equal(refusal.actor_user_id, bob.userId);
        assert.equal(refusal.subject, `credential:${alice.credentialId}`);
        assert.ok(!entries.some((e) => e.event_type === 'auth.pin'), 'no PIN attempt is spent on a foreign credential');
      }

      // Lockout: wrong PINs up to the limit (5) lock the credential; the locking attempt records
      // the lock too; the next attempt, even with the right PIN, is refused as locked.
      let lockEntries: AuditRow[] = [];
      for (let i = 0; i < 5; i++) {
        const attempt = trace();
        lockEntries = await assertOneRefusal(s, await authorize(bobToken, bob.credentialId, '999999', s.nextOtp(bob), attempt.headers), attempt.id, 'credentials/authorize', 'invalid_authentication_data');
      }
      assert.ok(lockEntries.some((e) => e.event_type === 'credential.locked'), lockEntries.map((e) => e.event_type).join(', '));
      const locked = trace();
      const lockedAnswer = await authorize(bobToken, bob.credentialId, bob.pin, s.nextOtp(bob), locked.headers);
      const afterLock = await assertOneRefusal(s, lockedAnswer, locked.id, 'credentials/authorize', 'invalid_request');
      assert.equal(lockedAnswer.json<{ error_description: string }>().error_description, 'Credential locked');
      assert.deepEqual(afterLock.map((e) => e.event_type), ['csc.credentials.authorize'], 'refused before any factor is tried');
    });
  });
}
