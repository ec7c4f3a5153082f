/**
 * Fixtures shared by the SadService tests: the seeded users and credentials, the binding a SAD is
 * issued under, hashes named by a label, a settable clock, and the judge of a SadError by code.
 * (The rows themselves: credential-rows.ts.)
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Clock } from '../../../src/core/clock.js';
import { SadError, type SadErrorCode } from '../../../src/auth/index.js';
import type { Store } from '../../../src/store/index.js';
import { insertTestCredential, insertTestUser } from './credential-rows.js';

export const SHA256_OID = '2.16.840.1.101.3.4.2.1';
export const SHA384_OID = '2.16.840.1.101.3.4.2.2';

/** The SHA-256 of a label: a well-formed hash, distinct per label. */
export const sha256Of = (label: string): Uint8Array =>
  new Uint8Array(createHash('sha256').update(label).digest());

/** What a SAD is bound to (CSC v2 §11.9: user, credential, client, hash algorithm). */
export interface SadBinding {
  readonly userId: string;
  readonly credentialId: string;
  readonly clientId: string;
  readonly hashAlgorithmOid: string;
}

/** User u1's credential c1, client k1, SHA-256. */
export const sadBinding: SadBinding = {
  userId: 'u1',
  credentialId: 'c1',
  clientId: 'k1',
  hashAlgorithmOid: SHA256_OID,
};

/** A clock the test moves forward, for expiry. */
export function settableClock(start: string): Clock & { advance(ms: number): void } {
  let t = new Date(start).getTime();
  return { now: () => new Date(t), advance: (ms) => void (t += ms) };
}

/** Users u1 and u2; credentials c1 and c2 of u1, c3 of u2. */
export async function seedSadAccounts(store: Store): Promise<void> {
  await store.transaction(async (trx) => {
    for (const id of ['u1', 'u2']) await insertTestUser(trx, id);
    for (const [id, userId] of [
      ['c1', 'u1'],
      ['c2', 'u1'],
      ['c3', 'u2'],
    ] as const) {
      await insertTestCredential(trx, { id, userId });
    }
  });
}

/** An assert.rejects judge: a SadError with this code, and a message matching `text` when given. */
export function isSadError(code: SadErrorCode, text?: RegExp): (e: unknown) => boolean {
  return (e: unknown): boolean => {
    assert.ok(e instanceof SadError, String(e));
    assert.equal(e.code, code);
    if (text !== undefined) assert.match(e.message, text);
    return true;
  };
}
