/** Credential rows (CSC credentials): key reference, certificate chain, state, PIN hash and its failure counter. */
import type { Selectable } from 'kysely';
import { preparedQuery } from './prepared-query.js';
import type { Db } from './store.js';
import type { CredentialsTable } from './schema.js';
import { StoreError } from './errors.js';
import { isUniqueViolation } from './unique-violation.js';

/** A credential row as read back. */
export type CredentialRow = Readonly<Selectable<CredentialsTable>>;

/** Credential states: only `active` may sign (docs/security.md SAD-16). */
export type CredentialStatus = 'active' | 'disabled' | 'revoked';

/** What a new credential needs. */
export interface NewCredential {
  readonly id: string;
  readonly userId: string;
  readonly keyRef: string;
  readonly backendKind: string;
  /** DER certificates, leaf first. */
  readonly certificateChain: readonly Uint8Array[];
  readonly pinHash: string | null;
  readonly multisign: number;
  readonly scal: 'SCAL1' | 'SCAL2';
  readonly createdAt: number;
  /** Lower-case hex serial of the leaf certificate, so a revocation at the built-in CA stops signing (SAD-16). */
  readonly certificateSerial?: string;
  /** The certificate profile (default `signing`). */
  readonly profile?: string;
  /** `external`: the key is held elsewhere and its holder signs (issue 16 §3); default `server`. */
  readonly signingMode?: 'server' | 'external';
}

/** Inserts a credential; a taken id is ERR_STORE_CONFLICT. */
export async function insertCredential(trx: Db, c: NewCredential): Promise<void> {
  try {
    await trx
      .insertInto('credentials')
      .values({
        id: c.id,
        user_id: c.userId,
        key_ref: c.keyRef,
        backend_kind: c.backendKind,
        certificate_chain: JSON.stringify(
          c.certificateChain.map((d) => Buffer.from(d).toString('base64')),
        ),
        status: 'active',
        pin_hash: c.pinHash,
        pin_failures: 0,
        locked: 0,
        multisign: c.multisign,
        scal: c.scal,
        created_at: c.createdAt,
        certificate_serial: c.certificateSerial ?? null,
        profile: c.profile ?? null,
        signing_mode: c.signingMode ?? 'server',
      })
      .execute();
  } catch (cause) {
    if (isUniqueViolation(cause))
      throw new StoreError('ERR_STORE_CONFLICT', 'the credential id is taken', { cause });
    throw cause;
  }
}

function toCredential(row: Selectable<CredentialsTable>): CredentialRow {
  return { ...row, created_at: Number(row.created_at) };
}

/** Decodes the stored certificate chain (DER, leaf first). */
export function credentialCertificates(row: Pick<CredentialRow, 'certificate_chain'>): Uint8Array[] {
  return (JSON.parse(row.certificate_chain) as string[]).map(
    (b) => new Uint8Array(Buffer.from(b, 'base64')),
  );
}

const selectCredential = preparedQuery((db: Db, id: string) =>
  db.selectFrom('credentials').selectAll().where('id', '=', id),
);

/** Finds a credential by id. */
export async function findCredential(db: Db, id: string): Promise<CredentialRow | undefined> {
  const row = (await selectCredential(db, id)).rows[0];
  return row === undefined ? undefined : toCredential(row);
}

/** A user's credentials, oldest first. */
export async function listUserCredentials(
  db: Db,
  userId: string,
): Promise<readonly CredentialRow[]> {
  const rows = await db
    .selectFrom('credentials')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map(toCredential);
}

/** Changes a credential's state. */
export async function setCredentialStatus(
  trx: Db,
  id: string,
  status: CredentialStatus,
): Promise<boolean> {
  const r = await trx
    .updateTable('credentials')
    .set({ status })
    .where('id', '=', id)
    .executeTakeFirst();
  return r.numUpdatedRows === 1n;
}

/**
 * Reserves one PIN/OTP attempt on an unlocked credential below the limit; returns the new count or
 * undefined when locked (the gate is the conditional UPDATE, as for users).
 */
export async function reserveCredentialAttempt(
  trx: Db,
  id: string,
  maxAttempts: number,
): Promise<number | undefined> {
  const row = await trx
    .updateTable('credentials')
    .set((eb) => ({ pin_failures: eb('pin_failures', '+', 1) }))
    .where('id', '=', id)
    .where('locked', '=', 0)
    .where('pin_failures', '<', maxAttempts)
    .returning('pin_failures')
    .executeTakeFirst();
  return row === undefined ? undefined : Number(row.pin_failures);
}

/**
 * Gives back one reserved attempt (a factor that verified, inside a multi-factor authorization):
 * earlier failures stay counted until the whole authorization succeeds (docs/security.md SAD-25).
 */
export async function releaseCredentialAttempt(trx: Db, id: string): Promise<void> {
  await trx
    .updateTable('credentials')
    .set((eb) => ({ pin_failures: eb('pin_failures', '-', 1) }))
    .where('id', '=', id)
    .where('pin_failures', '>', 0)
    .execute();
}

/** A verified PIN clears the counter. */
export async function clearCredentialAttempts(trx: Db, id: string): Promise<void> {
  await trx.updateTable('credentials').set({ pin_failures: 0 }).where('id', '=', id).execute();
}

/** Locks (persisted until an administrator unlocks) or unlocks a credential. */
export async function setCredentialLocked(trx: Db, id: string, locked: boolean): Promise<void> {
  await trx
    .updateTable('credentials')
    .set(locked ? { locked: 1 } : { locked: 0, pin_failures: 0 })
    .where('id', '=', id)
    .execute();
}

/** Replaces the PIN hash and clears the failure counter (the caller authenticated the owner first). */
export async function setCredentialPinHash(trx: Db, id: string, pinHash: string): Promise<boolean> {
  const r = await trx
    .updateTable('credentials')
    .set({ pin_hash: pinHash, pin_failures: 0 })
    .where('id', '=', id)
    .executeTakeFirst();
  return r.numUpdatedRows === 1n;
}

/** Records the leaf certificate's serial of a credential (backfill of rows from before it was stored). */
export async function setCredentialCertificateSerial(trx: Db, id: string, serialHex: string): Promise<void> {
  await trx
    .updateTable('credentials')
    .set({ certificate_serial: serialHex })
    .where('id', '=', id)
    .where('certificate_serial', 'is', null)
    .execute();
}

/** Credentials whose certificate serial is not recorded yet. */
export async function listCredentialsWithoutSerial(db: Db): Promise<readonly CredentialRow[]> {
  const rows = await db.selectFrom('credentials').selectAll().where('certificate_serial', 'is', null).execute();
  return rows.map(toCredential);
}

/**
 * Re-points the credentials holding certificate `fromSerial` to its renewal `toSerial`: the new
 * leaf replaces the old one at the head of the chain (same issuer, so the rest stays). Run inside
 * the renewal's transaction; returns how many credentials moved.
 */
export async function moveCredentialCertificate(trx: Db, fromSerial: string, toSerial: string, toDer: Uint8Array): Promise<number> {
  const rows = await trx.selectFrom('credentials').selectAll().where('certificate_serial', '=', fromSerial).execute();
  for (const row of rows) {
    const chain = JSON.parse(row.certificate_chain) as string[];
    const next = [Buffer.from(toDer).toString('base64'), ...chain.slice(1)];
    await trx
      .updateTable('credentials')
      .set({ certificate_serial: toSerial, certificate_chain: JSON.stringify(next) })
      .where('id', '=', row.id)
      .where('certificate_serial', '=', fromSerial)
      .execute();
  }
  return rows.length;
}
