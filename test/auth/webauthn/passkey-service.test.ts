/**
 * The WebAuthn refusal suite (docs/security.md SCA-10…14, 16, 17; W3C WebAuthn L2 §7.1/§7.2; FIDO
 * Resp-2/Resp-3) on both stores: real authenticator responses built in the test (node:crypto
 * EC P-256, CBOR attestation `none`, correct authenticatorData and clientDataJSON), accepted
 * as built, then broken one element at a time. Each refusal carries a stable code and is audited;
 * a ticket started on one store connection (node) finishes on another, once.
 */
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import type { Clock } from '../../../src/core/clock.js';
import { createAuditKey, verifyAuditStore, type AuditContext } from '../../../src/audit/index.js';
import { PasskeyService, WebAuthnError, type PasskeyPurpose, type WebAuthnErrorCode } from '../../../src/auth/index.js';
import {
  findWebauthnCredentialByCredentialId,
  insertUser,
  listAuditRows,
  type Store,
  type StoreKind,
} from '../../../src/store/index.js';
import { requireStore, storeKinds, testStores } from '../../support/stores.js';
import { SoftAuthenticator, authenticatorFlags, type SoftCredential, type Tamper } from '../../support/soft-authenticator.js';

const origin = 'http://localhost:8080';
const relyingParty = { rpId: 'localhost', rpName: 'Signet', origins: [origin] } as const;
const auditKey = createAuditKey(randomBytes(32));

interface Harness {
  readonly store: Store;
  readonly clock: Clock & { advance(ms: number): void };
  readonly audit: AuditContext;
  readonly passkeys: PasskeyService;
  readonly u1: string;
  readonly u2: string;
  /** A second PasskeyService on its own connection to the same database (another node). */
  otherNode(): Promise<PasskeyService>;
  /** Registers a soft passkey for `userId`. */
  enrol(userId: string): Promise<{ authr: SoftAuthenticator; credential: SoftCredential }>;
  /** Starts a ceremony and answers it (with `tamper`), returning the finish promise. */
  assertion(
    purpose: PasskeyPurpose,
    userId: string | undefined,
    authr: SoftAuthenticator,
    tamper?: Tamper,
    finishAs?: { readonly userId?: string; readonly binding?: string; readonly purpose?: PasskeyPurpose },
  ): Promise<unknown>;
}

async function harness(t: TestContext, kind: StoreKind): Promise<Harness | undefined> {
  if (!(await requireStore(t, kind))) return undefined;
  const db = await testStores(t)[kind]();
  let now = Date.parse('2026-12-06T12:00:00Z');
  const clock = { now: () => new Date(now), advance: (ms: number) => void (now += ms) };
  const audit: AuditContext = { key: auditKey, nodeId: 'node-a', clock };
  const service = (store: Store): PasskeyService => new PasskeyService({ store, clock, audit, relyingParty: () => relyingParty });
  const passkeys = service(db.store);
  const u1 = 'user-1-0000-0000-0000-000000000001';
  const u2 = 'user-2-0000-0000-0000-000000000002';
  await db.store.transaction(async (trx) => {
    await insertUser(trx, { id: u1, username: 'ulla', passwordHash: 'x', createdAt: now });
    await insertUser(trx, { id: u2, username: 'uwe', passwordHash: 'x', createdAt: now });
  });
  const h: Harness = {
    store: db.store,
    clock,
    audit,
    passkeys,
    u1,
    u2,
    otherNode: async () => service(await db.connectAgain()),
    async enrol(userId) {
      const authr = new SoftAuthenticator(origin);
      const { ticket, options } = await passkeys.startRegistration({ userId });
      const made = authr.register(options);
      await passkeys.finishRegistration({ userId, ticket, response: made.response, name: 'Soft key' });
      authr.keep(made.credential);
      return { authr, credential: made.credential };
    },
    async assertion(purpose, userId, authr, tamper = {}, finishAs = {}) {
      const { ticket, options } = await passkeys.startAuthentication({ purpose, ...(userId === undefined ? {} : { userId }) });
      const response = authr.assert(options, tamper);
      const asUser = 'userId' in finishAs ? finishAs.userId : userId;
      return passkeys.finishAuthentication({
        purpose: finishAs.purpose ?? purpose,
        ticket,
        response,
        ...(asUser === undefined ? {} : { userId: asUser }),
        ...(finishAs.binding === undefined ? {} : { binding: finishAs.binding }),
      });
    },
  };
  return h;
}

/** Asserts the refusal's code and that its failure was audited with that reason. */
async function refused(h: Harness, attempt: Promise<unknown>, code: WebAuthnErrorCode, type = 'auth.passkey.use'): Promise<void> {
  await assert.rejects(attempt, (err: unknown) => {
    assert.ok(err instanceof WebAuthnError, String(err));
    assert.equal(err.code, code);
    return true;
  });
  const rows = await listAuditRows(h.store.db, { afterSeq: 0, limit: 10_000 });
  const last = [...rows].reverse().find((r) => r.event_type === type && r.outcome === 'failure');
  assert.ok(last, `a ${type} failure is audited`);
  assert.equal((JSON.parse(last.details) as { reason?: string }).reason, code);
}

for (const kind of storeKinds) {
  describe(`PasskeyService: hand-crafted ceremonies and their refusals (${kind})`, () => {
    it('a correct registration and assertion are accepted: counter, last use and the approval challenge recorded; audited', async (t) => {
      const h = await harness(t, kind);
      if (!h) return;
      const { authr, credential } = await h.enrol(h.u1);
      const row = await findWebauthnCredentialByCredentialId(h.store.db, credential.id.toString('base64url'));
      assert.equal(row?.user_id, h.u1);
      assert.equal(row?.aaguid, '00000000-0000-0000-0000-000000000000');
      // An approval signs the commitment given as challenge (Contract 2, docs/decisions/0001 Contract 3).
      const commitment = createHash('sha256').update('approval commitment').digest();
      const { ticket, options } = await h.passkeys.startAuthentication({ purpose: 'approval', userId: h.u1, challenge: commitment });
      assert.equal(options.challenge, commitment.toString('base64url'));
      assert.equal(options.userVerification, 'required');
      const result = await h.passkeys.finishAuthentication({ purpose: 'approval', userId: h.u1, ticket, response: authr.assert(options) });
      assert.equal(result.userId, h.u1);
      assert.equal(result.passkeyId, row?.id);
      assert.deepEqual(Buffer.from(result.challenge), commitment);
      assert.equal(result.userVerified, true);
      const used = await findWebauthnCredentialByCredentialId(h.store.db, credential.id.toString('base64url'));
      assert.equal(used?.counter, 1);
      assert.equal(used?.last_used_at, h.clock.now().getTime());
      const types = (await listAuditRows(h.store.db, { afterSeq: 0, limit: 100 })).map((r) => `${r.event_type}:${r.outcome}`);
      assert.deepEqual(types, ['auth.passkey.register:success', 'auth.passkey.use:success']);
      assert.ok((await verifyAuditStore(h.store, auditKey)).ok);
    });

    it('SCA-10: a replayed ticket, a replayed assertion (other challenge) and an expired challenge are refused', async (t) => {
      const h = await harness(t, kind);
      if (!h) return;
      const { authr } = await h.enrol(h.u1);
      const { ticket, options } = await h.passkeys.startAuthentication({ purpose: 'login', userId: h.u1 });
      const response = authr.assert(options);
      await h.passkeys.finishAuthentication({ purpose: 'login', userId: h.u1, ticket, response });
      await refused(h, h.passkeys.finishAuthentication({ purpose: 'login', userId: h.u1, ticket, response: authr.assert(options) }), 'ERR_WEBAUTHN_TICKET_INVALID');
      // The captured assertion posted to a new ceremony answers the old challenge.
      const next = await h.passkeys.startAuthentication({ purpose: 'login', userId: h.u1 });
      await refused(h, h.passkeys.finishAuthentication({ purpose: 'login', userId: h.u1, ticket: next.ticket, response }), 'ERR_WEBAUTHN_CHALLENGE');
      const late = await h.passkeys.startAuthentication({ purpose: 'login', userId: h.u1 });
      h.clock.advance(5 * 60_000);
      await refused(h, h.passkeys.finishAuthentication({ purpose: 'login', userId: h.u1, ticket: late.ticket, response: authr.assert(late.options) }), 'ERR_WEBAUTHN_TICKET_EXPIRED');
      // The expired row was consumed too, and housekeeping removes what is left.
      await h.passkeys.startAuthentication({ purpose: 'login', userId: h.u1 });
      h.clock.advance(5 * 60_000);
      assert.equal(await h.passkeys.purgeExpiredChallenges(), 1);
    });

    it('SCA-11: clientDataJSON of type webauthn.create, another origin (port, scheme, subdomain), crossOrigin true or a topOrigin is refused', async (t) => {
      const h = await harness(t, kind);
      if (!h) return;
      const { authr } = await h.enrol(h.u1);
      await refused(h, h.assertion('login', h.u1, authr, { type: 'webauthn.create' }), 'ERR_WEBAUTHN_TYPE');
      for (const other of ['http://localhost:8081', 'https://localhost:8080', 'http://evil.localhost:8080', 'http://127.0.0.1:8080']) {
        await refused(h, h.assertion('login', h.u1, authr, { origin: other }), 'ERR_WEBAUTHN_ORIGIN');
      }
      await refused(h, h.assertion('login', h.u1, authr, { crossOrigin: true }), 'ERR_WEBAUTHN_CROSS_ORIGIN');
      await refused(h, h.assertion('login', h.u1, authr, { topOrigin: 'https://evil.example' }), 'ERR_WEBAUTHN_CROSS_ORIGIN');
    });

    it('SCA-12: another RP ID hash, leftover bytes, UP clear, UV clear where required are refused; UV may be clear for a second factor after the password', async (t) => {
      const h = await harness(t, kind);
      if (!h) return;
      const { authr } = await h.enrol(h.u1);
      await refused(h, h.assertion('login', h.u1, authr, { rpId: 'evil.example' }), 'ERR_WEBAUTHN_RP_ID');
      await refused(h, h.assertion('login', h.u1, authr, { leftover: Buffer.from([0xa0]) }), 'ERR_WEBAUTHN_RESPONSE_INVALID');
      await refused(h, h.assertion('login', h.u1, authr, { flags: authenticatorFlags.UV }), 'ERR_WEBAUTHN_USER_PRESENCE');
      for (const purpose of ['approval', 'step-up'] as const) {
        await refused(h, h.assertion(purpose, h.u1, authr, { flags: authenticatorFlags.UP }), 'ERR_WEBAUTHN_USER_VERIFICATION');
      }
      // Passwordless sign-in (no user named first) needs user verification too.
      await refused(h, h.assertion('login', undefined, authr, { flags: authenticatorFlags.UP }), 'ERR_WEBAUTHN_USER_VERIFICATION');
      const presenceOnly = (await h.assertion('login', h.u1, authr, { flags: authenticatorFlags.UP })) as { userVerified: boolean };
      assert.equal(presenceOnly.userVerified, false);
    });

    it('SCA-12: a counter that does not increase is refused and audited as a possible clone', async (t) => {
      const h = await harness(t, kind);
      if (!h) return;
      const { authr, credential } = await h.enrol(h.u1);
      await h.assertion('login', h.u1, authr, { counter: 7 });
      await assert.rejects(h.assertion('login', h.u1, authr, { counter: 7 }), { code: 'ERR_WEBAUTHN_COUNTER' });
      await assert.rejects(h.assertion('login', h.u1, authr, { counter: 3 }), { code: 'ERR_WEBAUTHN_COUNTER' });
      const clones = (await listAuditRows(h.store.db, { afterSeq: 0, limit: 1000 })).filter((r) => r.event_type === 'auth.passkey.clone_suspected');
      assert.equal(clones.length, 2);
      assert.deepEqual(JSON.parse(clones[1]?.details ?? '{}'), { purpose: 'login', storedCounter: 7, presentedCounter: 3 });
      assert.equal((await findWebauthnCredentialByCredentialId(h.store.db, credential.id.toString('base64url')))?.counter, 7);
      await h.assertion('login', h.u1, authr, { counter: 8 });
    });

    it('SCA-13: a bad signature, an unknown credential, another user’s credential and another user’s userHandle are refused', async (t) => {
      const h = await harness(t, kind);
      if (!h) return;
      const one = await h.enrol(h.u1);
      const two = await h.enrol(h.u2);
      await refused(h, h.assertion('login', h.u1, one.authr, { signWith: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey }), 'ERR_WEBAUTHN_SIGNATURE');
      await refused(h, h.assertion('login', h.u1, one.authr, { credentialId: randomBytes(32) }), 'ERR_WEBAUTHN_CREDENTIAL_UNKNOWN');
      // U2's passkey answering U1's ceremony.
      await refused(h, h.assertion('approval', h.u1, two.authr), 'ERR_WEBAUTHN_CREDENTIAL_UNKNOWN');
      await refused(h, h.assertion('login', h.u1, one.authr, { userHandle: two.credential.userHandle }), 'ERR_WEBAUTHN_USER_HANDLE');
      // Passwordless (discoverable): the user handle is required and must be the passkey owner's.
      await refused(h, h.assertion('login', undefined, one.authr, { userHandle: null }), 'ERR_WEBAUTHN_USER_HANDLE');
      await refused(h, h.assertion('login', undefined, one.authr, { userHandle: two.credential.userHandle }), 'ERR_WEBAUTHN_USER_HANDLE');
      const pwless = (await h.assertion('login', undefined, two.authr)) as { userId: string };
      assert.equal(pwless.userId, h.u2);
    });

    it('SCA-14: a credential id registered already (to anyone), longer than 1023 bytes, another algorithm, without UV, or one passkey too many is refused', async (t) => {
      const h = await harness(t, kind);
      if (!h) return;
      const { credential } = await h.enrol(h.u2);
      const register = async (tamper: Tamper, userId = h.u1): Promise<unknown> => {
        const { ticket, options } = await h.passkeys.startRegistration({ userId });
        return h.passkeys.finishRegistration({ userId, ticket, response: new SoftAuthenticator(origin).register(options, tamper).response });
      };
      const type = 'auth.passkey.register';
      await refused(h, register({ credentialId: credential.id }), 'ERR_WEBAUTHN_CREDENTIAL_EXISTS', type);
      await refused(h, register({ credentialId: randomBytes(1024) }), 'ERR_WEBAUTHN_CREDENTIAL_ID_TOO_LONG', type);
      await refused(h, register({ alg: -35 }), 'ERR_WEBAUTHN_ALGORITHM', type);
      await refused(h, register({ flags: authenticatorFlags.UP | authenticatorFlags.AT }), 'ERR_WEBAUTHN_USER_VERIFICATION', type);
      await refused(h, register({ type: 'webauthn.get' }), 'ERR_WEBAUTHN_TYPE', type);
      await refused(h, register({ origin: 'https://evil.example' }), 'ERR_WEBAUTHN_ORIGIN', type);
      await refused(h, register({ rpId: 'evil.example' }), 'ERR_WEBAUTHN_RP_ID', type);
      assert.equal((await h.passkeys.listPasskeys(h.u1)).length, 0, 'nothing was registered');
      const limited = new PasskeyService({ store: h.store, clock: h.clock, audit: h.audit, relyingParty: () => relyingParty, maxPasskeysPerUser: 1 });
      const more = await limited.startRegistration({ userId: h.u2 });
      const extra = new SoftAuthenticator(origin).register(more.options).response;
      await refused(h, limited.finishRegistration({ userId: h.u2, ticket: more.ticket, response: extra }), 'ERR_WEBAUTHN_TOO_MANY', type);
    });

    it('SCA-16: a ticket of another user, purpose or binding is refused; SCA-17: no passkey, no passkey ceremony', async (t) => {
      const h = await harness(t, kind);
      if (!h) return;
      const one = await h.enrol(h.u1);
      // U1's ceremony finished as U2's (another session's user).
      await refused(h, h.assertion('login', h.u1, one.authr, {}, { userId: h.u2 }), 'ERR_WEBAUTHN_CEREMONY_MISMATCH');
      await refused(h, h.assertion('login', h.u1, one.authr, {}, { purpose: 'approval' }), 'ERR_WEBAUTHN_CEREMONY_MISMATCH');
      const bound = await h.passkeys.startAuthentication({ purpose: 'step-up', userId: h.u1, binding: 'session:aaaa' });
      await refused(
        h,
        h.passkeys.finishAuthentication({ purpose: 'step-up', userId: h.u1, binding: 'session:bbbb', ticket: bound.ticket, response: one.authr.assert(bound.options) }),
        'ERR_WEBAUTHN_CEREMONY_MISMATCH',
      );
      await assert.rejects(h.passkeys.startAuthentication({ purpose: 'approval', userId: h.u2 }), { code: 'ERR_WEBAUTHN_NO_PASSKEY' });
      await assert.rejects(h.passkeys.startAuthentication({ purpose: 'approval' }), { code: 'ERR_WEBAUTHN_CEREMONY_MISMATCH' });
    });

    it('SCA-10: a ceremony started on one node finishes on another, exactly once even when two nodes race', async (t) => {
      const h = await harness(t, kind);
      if (!h) return;
      const { authr } = await h.enrol(h.u1);
      const nodeB = await h.otherNode();
      const { ticket, options } = await h.passkeys.startAuthentication({ purpose: 'login', userId: h.u1 });
      const done = await nodeB.finishAuthentication({ purpose: 'login', userId: h.u1, ticket, response: authr.assert(options) });
      assert.equal(done.userId, h.u1);
      await refused(h, h.passkeys.finishAuthentication({ purpose: 'login', userId: h.u1, ticket, response: authr.assert(options) }), 'ERR_WEBAUTHN_TICKET_INVALID');

      const race = await h.passkeys.startAuthentication({ purpose: 'login', userId: h.u1 });
      const a = authr.assert(race.options);
      const b = authr.assert(race.options);
      const results = await Promise.allSettled([
        h.passkeys.finishAuthentication({ purpose: 'login', userId: h.u1, ticket: race.ticket, response: a }),
        nodeB.finishAuthentication({ purpose: 'login', userId: h.u1, ticket: race.ticket, response: b }),
      ]);
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      const loser = results.find((r) => r.status === 'rejected');
      assert.equal((loser?.reason as WebAuthnError).code, 'ERR_WEBAUTHN_TICKET_INVALID');
    });
  });
}
