/**
 * Factors with persisted, atomic lockout on both stores (docs/security.md SCA-01, 02, 04, 05, 06, 08, 09;
 * SAD-25; AUD-08/09): attempts are reserved in the DB before the KDF or TOTP check runs.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../src/core/clock.js';
import { createAuditKey, verifyAuditLog, type AuditContext } from '../../src/audit/index.js';
import {
  AuthError,
  Authenticator,
  createAesGcmSecretBox,
  createScryptHasher,
  hotp,
  totpStep,
  type AuthErrorCode,
  type SecretHasher,
} from '../../src/auth/index.js';
import { findUserById, setUserStatus, type Store } from '../../src/store/index.js';
import { requireStore, storeKinds, testStores } from '../support/stores.js';
import { insertTestCredential } from './support/credential-rows.js';

const auditKey = createAuditKey(randomBytes(32));
const secretBox = createAesGcmSecretBox(randomBytes(32));
const realHasher = createScryptHasher({ N: 2 ** 10, r: 8, p: 1 }, { minimumN: 2 ** 10 });

/** The real hasher, counting KDF runs (SCA-02/04 count KDF invocations). */
function countingHasher(): SecretHasher & { runs: number } {
  const h = {
    runs: 0,
    hash: (s: string) => realHasher.hash(s),
    verify: (s: string, stored: string) => {
      h.runs++;
      return realHasher.verify(s, stored);
    },
    verifyDummy: (s: string) => {
      h.runs++;
      return realHasher.verifyDummy(s);
    },
    needsRehash: (stored: string) => realHasher.needsRehash(stored),
  };
  return h;
}

function testClock(start: string): Clock & { advance(ms: number): void } {
  let t = new Date(start).getTime();
  return { now: () => new Date(t), advance: (ms) => void (t += ms) };
}

function isCode(code: AuthErrorCode) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof AuthError, String(e));
    assert.equal(e.code, code);
    return true;
  };
}

function make(store: Store, clock = testClock('2026-03-01T10:00:00Z'), hasher = countingHasher()) {
  const audit: AuditContext = { key: auditKey, nodeId: 'node-a', clock };
  const auth = new Authenticator({
    store,
    clock,
    audit,
    hasher,
    secretBox,
    userLockout: { maxAttempts: 5, lockSeconds: 900 },
    credentialLockout: { maxAttempts: 3 },
  });
  return { auth, clock, hasher, audit };
}

async function auditTypes(store: Store): Promise<string[]> {
  const rows = await store.db
    .selectFrom('audit_log')
    .select(['event_type', 'outcome'])
    .orderBy('seq')
    .execute();
  return rows.map((r) => `${r.event_type}:${r.outcome}`);
}

describe('Authenticator', () => {
  for (const kind of storeKinds) {
    describe(kind, () => {
      it('SCA-04 unknown user and wrong password: same error, one KDF run each', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        const { auth, hasher } = make(store);
        const id = await auth.createUser({ username: 'alice', password: 'correct horse' });
        assert.equal(
          await auth.verifyPassword({
            username: 'alice',
            password: 'correct horse',
            sourceAddress: '192.0.2.1',
            traceId: 't1',
          }),
          id,
        );
        hasher.runs = 0;
        await assert.rejects(
          auth.verifyPassword({ username: 'alice', password: 'wrong' }),
          isCode('ERR_AUTH_INVALID_CREDENTIALS'),
        );
        assert.equal(hasher.runs, 1);
        await assert.rejects(
          auth.verifyPassword({ username: 'bob', password: 'wrong' }),
          isCode('ERR_AUTH_INVALID_CREDENTIALS'),
        );
        assert.equal(hasher.runs, 2);
        const row = await store.db
          .selectFrom('audit_log')
          .selectAll()
          .where('seq', '=', 2)
          .executeTakeFirstOrThrow();
        assert.equal(row.source_address, '192.0.2.1');
        assert.equal(row.trace_id, 't1');
        assert.deepEqual(await auditTypes(store), [
          'user.create:success',
          'auth.password:success',
          'auth.password:failure',
          'auth.password:failure',
        ]);
      });

      it('SCA-01 locks after 5 failures, persisted across a restart, audited; unlocks after the lock time', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const test = await testStores(t)[kind]();
        const { auth, clock, hasher } = make(test.store);
        await auth.createUser({ username: 'alice', password: 'correct horse' });
        for (let i = 0; i < 5; i++) {
          await assert.rejects(
            auth.verifyPassword({ username: 'alice', password: `guess${i}` }),
            isCode('ERR_AUTH_INVALID_CREDENTIALS'),
          );
        }
        hasher.runs = 0;
        // "Restart": a new connection and a new Authenticator see the persisted lock; no KDF runs.
        const restarted = make(await test.connectAgain(), clock, hasher).auth;
        await assert.rejects(
          restarted.verifyPassword({ username: 'alice', password: 'correct horse' }),
          isCode('ERR_AUTH_LOCKED'),
        );
        assert.equal(hasher.runs, 0);
        const types = await auditTypes(test.store);
        assert.equal(types.filter((x) => x === 'user.locked:success').length, 1);
        assert.equal(types.at(-1), 'auth.password:failure');
        clock.advance(900_000);
        await restarted.verifyPassword({ username: 'alice', password: 'correct horse' });
        const user = await test.store.db.selectFrom('users').selectAll().executeTakeFirstOrThrow();
        assert.equal(user.failed_attempts, 0);
        assert.equal(user.locked_until, null);
      });

      it('a successful login upgrades a hash made with older scrypt parameters', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        const { auth } = make(store);
        const old = createScryptHasher({ N: 2 ** 10, r: 4, p: 1 }, { minimumN: 2 ** 10 });
        const id = await auth.createUser({ username: 'alice', password: 'pw-alice' });
        await store.db
          .updateTable('users')
          .set({ password_hash: await old.hash('pw-alice') })
          .execute();
        await assert.rejects(auth.verifyPassword({ username: 'alice', password: 'nope' }));
        assert.match((await findUserById(store.db, id))?.password_hash ?? '', /r=4,/);
        await auth.verifyPassword({ username: 'alice', password: 'pw-alice' });
        const upgraded = (await findUserById(store.db, id))?.password_hash ?? '';
        assert.match(upgraded, /^\$scrypt\$v=1\$N=1024,r=8,p=1\$/);
        assert.equal(await realHasher.verify('pw-alice', upgraded), true);
      });

      it('setCredentialPin: only the owner, clears failures, audited', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        const { auth } = make(store);
        const userId = await auth.createUser({ username: 'alice', password: 'pw' });
        const bob = await auth.createUser({ username: 'bob', password: 'pw' });
        await insertTestCredential(store.db, {
          id: 'c1',
          userId,
          multisign: 1,
          certificateChain: [],
        });
        await assert.rejects(
          auth.verifyCredentialPin({ userId, credentialId: 'c1', pin: '1234' }),
          isCode('ERR_AUTH_CREDENTIAL_NOT_FOUND'),
        );
        await assert.rejects(
          auth.setCredentialPin({ userId: bob, credentialId: 'c1', pin: '9999' }),
          isCode('ERR_AUTH_CREDENTIAL_NOT_FOUND'),
        );
        await auth.setCredentialPin({ userId, credentialId: 'c1', pin: '1234' });
        await assert.rejects(
          auth.verifyCredentialPin({ userId, credentialId: 'c1', pin: '0000' }),
          isCode('ERR_AUTH_PIN_INVALID'),
        );
        await auth.setCredentialPin({ userId, credentialId: 'c1', pin: '4321' });
        const row = await store.db
          .selectFrom('credentials')
          .select(['pin_failures', 'pin_hash'])
          .executeTakeFirstOrThrow();
        assert.equal(row.pin_failures, 0);
        assert.ok(!(row.pin_hash ?? '').includes('4321'));
        await auth.verifyCredentialPin({ userId, credentialId: 'c1', pin: '4321' });
        assert.ok((await auditTypes(store)).includes('credential.pin.set:success'));
      });

      it('a success before the limit resets the counter', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        const { auth } = make(store);
        await auth.createUser({ username: 'alice', password: 'pw-alice' });
        for (let round = 0; round < 3; round++) {
          for (let i = 0; i < 4; i++)
            await assert.rejects(
              auth.verifyPassword({ username: 'alice', password: 'x' }),
              isCode('ERR_AUTH_INVALID_CREDENTIALS'),
            );
          await auth.verifyPassword({ username: 'alice', password: 'pw-alice' });
        }
      });

      it('SCA-02 100 parallel wrong passwords over two connections: at most 5 KDF runs, account locked', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const test = await testStores(t)[kind]();
        const a = make(test.store);
        const b = make(await test.connectAgain(), a.clock, a.hasher);
        const userId = await a.auth.createUser({ username: 'alice', password: 'correct horse' });
        a.hasher.runs = 0;
        const results = await Promise.allSettled(
          Array.from({ length: 100 }, (_, i) =>
            (i % 2 === 0 ? a : b).auth.verifyPassword({
              username: 'alice',
              password: `guess-${i}`,
            }),
          ),
        );
        assert.ok(results.every((r) => r.status === 'rejected'));
        assert.equal(a.hasher.runs, 5);
        const codes = results.map((r) =>
          r.status === 'rejected' ? (r.reason as AuthError).code : 'ok',
        );
        assert.equal(codes.filter((c) => c === 'ERR_AUTH_INVALID_CREDENTIALS').length, 5);
        assert.equal(codes.filter((c) => c === 'ERR_AUTH_LOCKED').length, 95);
        const user = await findUserById(test.store.db, userId);
        assert.equal(user?.failed_attempts, 5);
        assert.ok((user?.locked_until ?? 0) > a.clock.now().getTime());
        const report = await verifyAuditLog(test.store.db, auditKey);
        assert.equal(report.ok, true);
      });

      it('SCA-03 per-address throttling across users, before any KDF; other addresses unaffected', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        const clock = testClock('2026-03-01T10:00:00Z');
        const hasher = countingHasher();
        const auth = new Authenticator({
          store,
          clock,
          audit: { key: auditKey, nodeId: 'node-a', clock },
          hasher,
          secretBox,
          sourceLimit: { maxAttempts: 3, windowSeconds: 60 },
        });
        await auth.createUser({ username: 'alice', password: 'pw-alice' });
        await auth.createUser({ username: 'bob', password: 'pw-bob' });
        const from = (sourceAddress: string, username: string, password: string) =>
          auth.verifyPassword({ username, password, sourceAddress });
        await assert.rejects(
          from('198.51.100.7', 'alice', 'x'),
          isCode('ERR_AUTH_INVALID_CREDENTIALS'),
        );
        await assert.rejects(
          from('198.51.100.7', 'bob', 'x'),
          isCode('ERR_AUTH_INVALID_CREDENTIALS'),
        );
        await assert.rejects(
          from('198.51.100.7', 'carol', 'x'),
          isCode('ERR_AUTH_INVALID_CREDENTIALS'),
        );
        hasher.runs = 0;
        await assert.rejects(
          from('198.51.100.7', 'alice', 'pw-alice'),
          isCode('ERR_AUTH_THROTTLED'),
        );
        assert.equal(hasher.runs, 0);
        await from('203.0.113.9', 'alice', 'pw-alice');
        clock.advance(60_000);
        await from('198.51.100.7', 'alice', 'pw-alice');
        const row = await store.db
          .selectFrom('audit_log')
          .select(['source_address', 'details'])
          .where('details', 'like', '%throttled%')
          .executeTakeFirstOrThrow();
        assert.equal(row.source_address, '198.51.100.7');
      });

      it('a disabled user gets the generic error', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        const { auth } = make(store);
        const id = await auth.createUser({ username: 'alice', password: 'pw' });
        await setUserStatus(store.db, id, 'disabled');
        await assert.rejects(
          auth.verifyPassword({ username: 'alice', password: 'pw' }),
          isCode('ERR_AUTH_INVALID_CREDENTIALS'),
        );
      });

      it('SCA-05/09 TOTP: sealed at rest, accepted once per step, older steps refused after a newer one', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        const { auth, clock } = make(store);
        const userId = await auth.createUser({ username: 'alice', password: 'pw' });
        await assert.rejects(
          auth.verifyTotp({ userId, code: '000000' }),
          isCode('ERR_AUTH_TOTP_NOT_ENROLLED'),
        );
        const { secret, uri } = await auth.enrollTotp({ userId });
        assert.match(uri, /^otpauth:\/\/totp\/Signet:alice\?/);
        const step = totpStep(clock.now());
        // Pending until confirmed: the secret authenticates nothing yet.
        await assert.rejects(
          auth.verifyTotp({ userId, code: hotp(secret, step) }),
          isCode('ERR_AUTH_TOTP_NOT_ENROLLED'),
        );
        await assert.rejects(
          auth.confirmTotp({ userId, code: hotp(secret, step + 3) }),
          isCode('ERR_AUTH_OTP_INVALID'),
        );
        await auth.confirmTotp({ userId, code: hotp(secret, step - 1) });
        await assert.rejects(
          auth.confirmTotp({ userId, code: hotp(secret, step) }),
          isCode('ERR_AUTH_TOTP_NOT_ENROLLED'),
        );
        const row = await store.db
          .selectFrom('users')
          .select(['totp_secret', 'totp_pending_secret'])
          .executeTakeFirstOrThrow();
        assert.equal(row.totp_pending_secret, null);
        assert.ok(
          row.totp_secret !== null && !Buffer.from(row.totp_secret).includes(Buffer.from(secret)),
        );
        await auth.verifyTotp({ userId, code: hotp(secret, step) });
        await assert.rejects(
          auth.verifyTotp({ userId, code: hotp(secret, step) }),
          isCode('ERR_AUTH_OTP_REPLAYED'),
        );
        await assert.rejects(
          auth.verifyTotp({ userId, code: hotp(secret, step - 1) }),
          isCode('ERR_AUTH_OTP_REPLAYED'),
        );
        await assert.rejects(
          auth.verifyTotp({ userId, code: hotp(secret, step + 2) }),
          isCode('ERR_AUTH_OTP_INVALID'),
        );
        clock.advance(30_000);
        await auth.verifyTotp({ userId, code: hotp(secret, step + 1) });
      });

      it('SCA-06 the same TOTP code raced on two connections: exactly one success', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const test = await testStores(t)[kind]();
        const a = make(test.store);
        const b = make(await test.connectAgain(), a.clock, a.hasher);
        const userId = await a.auth.createUser({ username: 'alice', password: 'pw' });
        const { secret } = await a.auth.enrollTotp({ userId });
        await a.auth.confirmTotp({ userId, code: hotp(secret, totpStep(a.clock.now()) - 1) });
        const code = hotp(secret, totpStep(a.clock.now()));
        const results = await Promise.allSettled(
          Array.from({ length: 4 }, (_, i) =>
            (i % 2 === 0 ? a : b).auth.verifyTotp({ userId, code }),
          ),
        );
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
        for (const r of results)
          if (r.status === 'rejected') isCode('ERR_AUTH_OTP_REPLAYED')(r.reason);
      });

      it('SCA-08 wrong TOTP codes share the lockout counter', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        const { auth, clock } = make(store);
        const userId = await auth.createUser({ username: 'alice', password: 'pw' });
        const { secret } = await auth.enrollTotp({ userId });
        await auth.confirmTotp({ userId, code: hotp(secret, totpStep(clock.now()) - 1) });
        const right = hotp(secret, totpStep(clock.now()));
        const wrong = right === '000000' ? '000001' : '000000';
        const results = await Promise.allSettled(
          Array.from({ length: 20 }, () => auth.verifyTotp({ userId, code: wrong })),
        );
        assert.equal(
          results.filter(
            (r) =>
              r.status === 'rejected' && (r.reason as AuthError).code === 'ERR_AUTH_OTP_INVALID',
          ).length,
          5,
        );
        await assert.rejects(auth.verifyTotp({ userId, code: right }), isCode('ERR_AUTH_LOCKED'));
      });

      it('SAD-25 credential PIN: parallel wrong PINs lock the credential after 3, persisted, audited; admin unlock', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const test = await testStores(t)[kind]();
        const a = make(test.store);
        const b = make(await test.connectAgain(), a.clock, a.hasher);
        const userId = await a.auth.createUser({ username: 'alice', password: 'pw' });
        const other = await a.auth.createUser({ username: 'bob', password: 'pw' });
        await insertTestCredential(test.store.db, {
          id: 'c1',
          userId,
          multisign: 1,
          certificateChain: [],
          pinHash: await realHasher.hash('1234'),
        });
        await a.auth.verifyCredentialPin({ userId, credentialId: 'c1', pin: '1234' });
        a.hasher.runs = 0;
        // Another user's credential is answered like an unknown one, after the same KDF work.
        await assert.rejects(
          a.auth.verifyCredentialPin({ userId: other, credentialId: 'c1', pin: '1234' }),
          isCode('ERR_AUTH_CREDENTIAL_NOT_FOUND'),
        );
        await assert.rejects(
          a.auth.verifyCredentialPin({ userId, credentialId: 'nope', pin: '1234' }),
          isCode('ERR_AUTH_CREDENTIAL_NOT_FOUND'),
        );
        assert.equal(a.hasher.runs, 2);
        a.hasher.runs = 0;
        const results = await Promise.allSettled(
          Array.from({ length: 30 }, (_, i) =>
            (i % 2 === 0 ? a : b).auth.verifyCredentialPin({
              userId,
              credentialId: 'c1',
              pin: `${1000 + i}`,
            }),
          ),
        );
        assert.equal(a.hasher.runs, 3);
        assert.equal(
          results.filter(
            (r) =>
              r.status === 'rejected' && (r.reason as AuthError).code === 'ERR_AUTH_PIN_INVALID',
          ).length,
          3,
        );
        await assert.rejects(
          a.auth.verifyCredentialPin({ userId, credentialId: 'c1', pin: '1234' }),
          isCode('ERR_AUTH_CREDENTIAL_LOCKED'),
        );
        const row = await test.store.db
          .selectFrom('credentials')
          .select(['locked', 'pin_failures'])
          .executeTakeFirstOrThrow();
        assert.equal(row.locked, 1);
        const types = await auditTypes(test.store);
        assert.equal(types.filter((x) => x === 'credential.locked:success').length, 1);
        await a.auth.unlockCredential({ credentialId: 'c1', actorUserId: other });
        await a.auth.verifyCredentialPin({ userId, credentialId: 'c1', pin: '1234' });
      });

      it('SAD-25 credential OTP: wrong and replayed codes count on the credential', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        const { auth, clock } = make(store);
        const userId = await auth.createUser({ username: 'alice', password: 'pw' });
        await insertTestCredential(store.db, {
          id: 'c1',
          userId,
          multisign: 1,
          certificateChain: [],
        });
        const { secret } = await auth.enrollTotp({ userId });
        await auth.confirmTotp({ userId, code: hotp(secret, totpStep(clock.now()) - 1) });
        const code = hotp(secret, totpStep(clock.now()));
        await auth.verifyCredentialOtp({ userId, credentialId: 'c1', code });
        await assert.rejects(
          auth.verifyCredentialOtp({ userId, credentialId: 'c1', code }),
          isCode('ERR_AUTH_OTP_REPLAYED'),
        );
        const wrong = code === '000000' ? '000001' : '000000';
        await assert.rejects(
          auth.verifyCredentialOtp({ userId, credentialId: 'c1', code: wrong }),
          isCode('ERR_AUTH_OTP_INVALID'),
        );
        await assert.rejects(
          auth.verifyCredentialOtp({ userId, credentialId: 'c1', code: wrong }),
          isCode('ERR_AUTH_OTP_INVALID'),
        );
        // Three failures (replay included) lock it: even the next valid code is refused.
        await assert.rejects(
          auth.verifyCredentialOtp({
            userId,
            credentialId: 'c1',
            code: hotp(secret, totpStep(clock.now()) + 1),
          }),
          isCode('ERR_AUTH_CREDENTIAL_LOCKED'),
        );
      });

      it('AUD-08 no secret reaches the audit log', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        const { auth, clock } = make(store);
        const userId = await auth.createUser({ username: 'alice', password: 'S3cret-Passw0rd' });
        await assert.rejects(
          auth.verifyPassword({ username: 'alice', password: 'Wr0ng-Passw0rd' }),
        );
        const { secret } = await auth.enrollTotp({ userId });
        await auth.confirmTotp({ userId, code: hotp(secret, totpStep(clock.now()) - 1) });
        const code = hotp(secret, totpStep(clock.now()));
        await auth.verifyTotp({ userId, code });
        const dump = JSON.stringify(
          await store.db.selectFrom('audit_log').selectAll().execute(),
          (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v),
        );
        for (const needle of [
          'S3cret-Passw0rd',
          'Wr0ng-Passw0rd',
          code,
          Buffer.from(secret).toString('hex'),
        ])
          assert.ok(!dump.includes(needle), needle);
        assert.equal((await verifyAuditLog(store.db, auditKey)).ok, true);
      });
    });
  }
});
