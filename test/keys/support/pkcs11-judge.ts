/**
 * The judge of the PKCS#11 tests: an independent PKCS#11 client in the test's own process, with a
 * logged-in session on a SoftHSM token, to see and change what the backend under test cannot hide.
 */
import assert from 'node:assert/strict';
import pkcs11js from 'pkcs11js';
import { softhsmModule } from './softhsm.js';

/** The judge's library, its session and slot on the token; done() closes the session. */
export interface JudgeSession {
  readonly api: pkcs11js.PKCS11;
  readonly session: pkcs11js.Handle;
  readonly slot: pkcs11js.Handle;
  done(): void;
}

/**
 * Opens a read-write session on the token labelled `label` and logs the user in with `pin`.
 * Built from pkcs11js.PKCS11 at call time, so a test that replaced that class gets its own.
 * PKCS#11 v2.40 §5.4, §5.6: C_Initialize once per process and the login state of the application
 * are shared with the backend, so "already initialized" and "already logged in" are not failures.
 */
export function openJudgeSession(label: string, pin: string): JudgeSession {
  const api = new pkcs11js.PKCS11();
  api.load(softhsmModule);
  try {
    api.C_Initialize();
  } catch (err) {
    if (!/CKR_CRYPTOKI_ALREADY_INITIALIZED/.test(String(err))) throw err;
  }
  const slot = api.C_GetSlotList(true).find((s) => api.C_GetTokenInfo(s).label.trim() === label);
  assert.ok(slot);
  const session = api.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
  try {
    api.C_Login(session, pkcs11js.CKU_USER, pin);
  } catch (err) {
    if (!/CKR_USER_ALREADY_LOGGED_IN/.test(String(err))) throw err;
  }
  return {
    api,
    session,
    slot,
    done: () => {
      try {
        api.C_CloseSession(session);
      } catch {
        // closed by the test
      }
    },
  };
}
