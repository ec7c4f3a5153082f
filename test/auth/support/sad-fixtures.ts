/**
 * Fixtures shared by the SadService tests: the seeded users and credentials, the binding a SAD is
 * issued under, hashes named by a label, a settable clock, and the judge of a SadError by code.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Clock } from '../../../src/core/clock.js';
import { SadError, type SadErrorCode } from '../../../src/auth/index.js';
import { insertCredential, insertUser, type Db, type Store } from '../../../src/store/index.js';

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

/** A user row with a placeholder password hash. */
export async function insertTestUser(trx: Db, id: string): Promise<void> {
  await insertUser(trx, { id, username: id, passwordHash: 'x', createdAt: 0 });
}

/** An active software credential with a placeholder certificate (the SAD never reads its key). */
export async function insertTestCredential(
  trx: Db,
  c: {
    readonly id: string;
    readonly userId: string;
    readonly multisign?: number;
    readonly certificateSerial?: string | undefined;
  },
): Promise<void> {
  await insertCredential(trx, {
    id: c.id,
    userId: c.userId,
    keyRef: `soft:${c.id}`,
    backendKind: 'software',
    certificateChain: [new Uint8Array([0x30, 0])],
    pinHash: null,
    multisign: c.multisign ?? 10,
    scal: 'SCAL2',
    createdAt: 0,
    ...(c.certificateSerial !== undefined ? { certificateSerial: c.certificateSerial } : {}),
  });
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
