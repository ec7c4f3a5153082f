/**
 * docs/security.md SAD-26 (PIN comparison timing): the right PIN, a wrong PIN (first or last character
 * wrong), a PIN of another length and an unknown credential each run exactly ONE scrypt with the
 * same cost parameters and ONE timingSafeEqual over two 32-byte buffers. The spies wrap the real
 * node:crypto functions (module.syncBuiltinESMExports makes secret-hasher.ts's imports see them).
 * Runs on SQLite and PostgreSQL; the bench is bench/pin-timing.bench.ts.
 */
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type * as NodeCrypto from 'node:crypto';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import type { Clock } from '../../src/core/clock.js';
import { createAuditKey, type AuditContext } from '../../src/audit/index.js';
import { AuthError, Authenticator, createAesGcmSecretBox, createScryptHasher } from '../../src/auth/index.js';
import { requireStore, storeKinds, testStores } from '../support/stores.js';
import { insertTestCredential } from './support/credential-rows.js';

type CryptoModule = typeof NodeCrypto;
const cryptoCjs = createRequire(import.meta.url)('node:crypto') as CryptoModule;

/** One observed call. */
interface Observed {
  readonly scrypt: { readonly N: number | undefined; readonly r: number | undefined; readonly p: number | undefined; readonly saltLength: number; readonly keyLength: number }[];
  readonly timingSafeEqual: { readonly a: number; readonly b: number }[];
}

/** Wraps the real scrypt and timingSafeEqual for the duration of the test; restores them after. */
function spyOnCrypto(t: TestContext): { take(): Observed } {
  const realScrypt = cryptoCjs.scrypt;
  const realEqual = cryptoCjs.timingSafeEqual;
  let current: { scrypt: Observed['scrypt'][number][]; timingSafeEqual: Observed['timingSafeEqual'][number][] } = { scrypt: [], timingSafeEqual: [] };
  const mutable = cryptoCjs as { -readonly [K in keyof CryptoModule]: CryptoModule[K] };
  mutable.scrypt = ((password: unknown, salt: { length: number }, keylen: number, ...rest: unknown[]) => {
    const options = (rest.length > 1 ? rest[0] : {}) as { N?: number; r?: number; p?: number };
    current.scrypt.push({ N: options.N, r: options.r, p: options.p, saltLength: salt.length, keyLength: keylen });
    return (realScrypt as (...args: unknown[]) => void)(password, salt, keylen, ...rest);
  }) as CryptoModule['scrypt'];
  mutable.timingSafeEqual = ((a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
    current.timingSafeEqual.push({ a: a.byteLength, b: b.byteLength });
    return realEqual(a, b);
  }) as CryptoModule['timingSafeEqual'];
  syncBuiltinESMExports();
  t.after(() => {
    mutable.scrypt = realScrypt;
    mutable.timingSafeEqual = realEqual;
    syncBuiltinESMExports();
  });
  return {
    take() {
      const observed = current;
      current = { scrypt: [], timingSafeEqual: [] };
      return observed;
    },
  };
}

const clock: Clock = { now: () => new Date('2026-03-01T10:00:00Z') };

describe('SAD-26 PIN comparison timing: one scrypt and one fixed-length timingSafeEqual in every class', () => {
  for (const kind of storeKinds) {
    it(kind, async (t) => {
      if (!(await requireStore(t, kind))) return;
      const { store } = await testStores(t)[kind]();
      const audit: AuditContext = { key: createAuditKey(randomBytes(32)), nodeId: 'node-a', clock };
      const auth = new Authenticator({
        store,
        clock,
        audit,
        hasher: createScryptHasher({ N: 2 ** 14, r: 8, p: 1 }),
        secretBox: createAesGcmSecretBox(randomBytes(32)),
        // High enough that no class here is answered by the lockout instead of the KDF.
        credentialLockout: { maxAttempts: 100 },
      });
      const userId = await auth.createUser({ username: 'alice', password: 'correct horse' });
      await insertTestCredential(store.db, { id: 'c1', userId, multisign: 1, certificateChain: [] });
      await auth.setCredentialPin({ userId, credentialId: 'c1', pin: '482915' });
      const spy = spyOnCrypto(t);
      spy.take();

      const classes: readonly { readonly name: string; readonly credentialId: string; readonly pin: string; readonly ok: boolean }[] = [
        { name: 'right PIN', credentialId: 'c1', pin: '482915', ok: true },
        { name: 'wrong first character', credentialId: 'c1', pin: '582915', ok: false },
        { name: 'wrong last character', credentialId: 'c1', pin: '482916', ok: false },
        { name: 'shorter PIN', credentialId: 'c1', pin: '48291', ok: false },
        { name: 'longer PIN', credentialId: 'c1', pin: '4829150', ok: false },
        { name: 'unknown credential', credentialId: 'no-such-credential', pin: '482915', ok: false },
      ];
      const seen: Observed[] = [];
      for (const c of classes) {
        const attempt = auth.verifyCredentialPin({ userId, credentialId: c.credentialId, pin: c.pin });
        if (c.ok) await attempt;
        else await assert.rejects(attempt, (e: unknown) => e instanceof AuthError);
        const observed = spy.take();
        assert.equal(observed.scrypt.length, 1, `${c.name}: scrypt runs`);
        assert.equal(observed.timingSafeEqual.length, 1, `${c.name}: timingSafeEqual runs`);
        assert.deepEqual(observed.timingSafeEqual[0], { a: 32, b: 32 }, `${c.name}: fixed-length comparison`);
        seen.push(observed);
      }
      // The same KDF work in every class: cost parameters, salt and key lengths.
      for (const [i, observed] of seen.entries()) {
        assert.deepEqual(observed.scrypt[0], seen[0]!.scrypt[0], `${classes[i]!.name}: same scrypt parameters as the right PIN`);
      }
      assert.deepEqual(seen[0]!.scrypt[0], { N: 2 ** 14, r: 8, p: 1, saltLength: 16, keyLength: 32 });
    });
  }
});
