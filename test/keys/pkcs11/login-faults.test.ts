/**
 * docs/security.md FLT-11 on SoftHSM2: the token logs the application out under the pool (C_Logout from
 * another client in the same process — the login state is the application's, PKCS#11 v2.40 §5.6),
 * then the user PIN changes. A lost login is repaired once per failure, like a lost session; a PIN
 * the token refuses is never presented again by that pool, and its health turns false.
 */
import assert from 'node:assert/strict';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pkcs11js from 'pkcs11js';
import { isSignetError } from '../../../src/core/errors.js';
import { Pkcs11Backend } from '../../../src/keys/index.js';
import { hasTool, requireTools } from '../../support/tools.js';
import { openJudgeSession } from '../support/pkcs11-judge.js';
import { initSoftHsm, softhsmModule, type TestToken } from '../support/softhsm.js';

let dir = '';
let tokens: TestToken[] = [];
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'signet-pkcs11-login-'));
  if (hasTool('softhsm2-util')) tokens = initSoftHsm(dir, ['login-a']);
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('docs/security.md FLT-11: logged out, then the PIN changed', () => {
  it('after C_Logout the pool logs in again and signs; after a PIN change it stops at ERR_KEY_PIN, unhealthy, the old PIN presented once', async (t) => {
    if (!requireTools(t, 'softhsm2-util')) return;
    const [a] = tokens as [TestToken];
    // Count the logins the backend makes with a given PIN: its library object is built from
    // pkcs11js.PKCS11 at open, and C_Login is an own property of each instance.
    const Real = pkcs11js.PKCS11;
    class Counting extends Real {
      constructor() {
        super();
        const login = this.C_Login.bind(this);
        this.C_Login = (session, userType, pin) => {
          if (countOldPin !== undefined && pin === countOldPin) oldPinLogins++;
          login(session, userType, pin);
        };
      }
    }
    (pkcs11js as { PKCS11: typeof Real }).PKCS11 = Counting;
    t.after(() => void ((pkcs11js as { PKCS11: typeof Real }).PKCS11 = Real));
    let countOldPin: string | undefined;
    let oldPinLogins = 0;
    const backend = await Pkcs11Backend.open({ module: softhsmModule, tokens: [{ label: a.label, pin: a.pin, maxSessions: 2 }] });
    t.after(() => backend.close());
    const { ref, publicKey } = await backend.generateKey({ type: 'EC', curve: 'P-256' }, 'login-key');
    const pub = createPublicKey({ key: Buffer.from(publicKey), format: 'der', type: 'spki' });
    const signOnce = async (i: number): Promise<boolean> => {
      const data = Buffer.from(`login ${i}`);
      const sig = await backend.sign(ref, { scheme: 'ECDSA', digestAlgorithm: 'SHA-256', digest: createHash('sha256').update(data).digest() });
      return verify('sha256', data, pub, sig);
    };
    assert.deepEqual(await Promise.all([0, 1].map(signOnce)), [true, true]);

    const j = openJudgeSession(a.label, a.pin);
    j.api.C_Logout(j.session);
    const outcome = async (i: number): Promise<string> => {
      try {
        return String(await signOnce(i));
      } catch (err) {
        return isSignetError(err) ? err.code : String(err);
      }
    };
    // Logged out under the pool: the next signatures log in again (was ERR_KEY_NOT_FOUND forever).
    assert.deepEqual([await outcome(2), await outcome(3)], ['true', 'true']);
    assert.deepEqual(await Promise.all([4, 5, 6].map(outcome)), ['true', 'true', 'true']);
    assert.equal((await backend.health()).ok, true);

    // The user PIN changes and the login is lost again: one login with the old PIN is refused,
    // and the pool never presents it again (a real token locks after a few wrong PINs).
    // (The pool's login is the application's, so the judge's session is logged in already.)
    j.api.C_SetPIN(j.session, a.pin, `${a.pin}-new`);
    j.api.C_Logout(j.session);
    countOldPin = a.pin;
    const refused = [];
    for (const i of [7, 8, 9, 10]) refused.push(await outcome(i));
    const health = await backend.health();
    countOldPin = undefined;
    assert.deepEqual(refused, ['ERR_KEY_PIN', 'ERR_KEY_PIN', 'ERR_KEY_PIN', 'ERR_KEY_PIN']);
    assert.equal(health.ok, false, 'readiness follows: the backend reports unhealthy');
    assert.equal(oldPinLogins, 1, 'the refused PIN was presented once');
  });
});
