/** User and credential rows for the auth tests, with placeholder secrets and certificates. */
import { insertCredential, insertUser, type Db } from '../../../src/store/index.js';

/** A user row with a placeholder password hash. */
export async function insertTestUser(trx: Db, id: string): Promise<void> {
  await insertUser(trx, { id, username: id, passwordHash: 'x', createdAt: 0 });
}

/**
 * An active software credential, SCAL2: no PIN, a placeholder certificate and 10 signatures per
 * SAD unless given (the SAD and the PIN checks never read its key).
 */
export async function insertTestCredential(
  trx: Db,
  c: {
    readonly id: string;
    readonly userId: string;
    readonly multisign?: number;
    readonly certificateChain?: readonly Uint8Array[];
    readonly pinHash?: string | null;
    readonly certificateSerial?: string | undefined;
  },
): Promise<void> {
  await insertCredential(trx, {
    id: c.id,
    userId: c.userId,
    keyRef: `soft:${c.id}`,
    backendKind: 'software',
    certificateChain: c.certificateChain ?? [new Uint8Array([0x30, 0])],
    pinHash: c.pinHash ?? null,
    multisign: c.multisign ?? 10,
    scal: 'SCAL2',
    createdAt: 0,
    ...(c.certificateSerial !== undefined ? { certificateSerial: c.certificateSerial } : {}),
  });
}
