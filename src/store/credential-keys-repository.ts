/**
 * Further keys of a credential (issue 16 §2, migration 0014): key reference, backend and the
 * certificate chain of each, the credential row holding the first key.
 */
import { preparedQuery } from './prepared-query.js';
import type { CredentialKeysTable } from './schema.js';
import type { Db } from './store.js';

/** A further key of a credential as read back. */
export type CredentialKeyRow = Readonly<CredentialKeysTable>;

/** What a further key needs. */
export interface NewCredentialKey {
  readonly id: string;
  readonly credentialId: string;
  readonly keyRef: string;
  readonly backendKind: string;
  /** DER certificates, leaf first. */
  readonly certificateChain: readonly Uint8Array[];
  /** Lower-case hex serial of the leaf certificate. */
  readonly certificateSerial: string;
  readonly createdAt: number;
}

/** Records a further key of a credential. */
export async function insertCredentialKey(trx: Db, k: NewCredentialKey): Promise<void> {
  await trx
    .insertInto('credential_keys')
    .values({
      id: k.id,
      credential_id: k.credentialId,
      key_ref: k.keyRef,
      backend_kind: k.backendKind,
      certificate_chain: JSON.stringify(
        k.certificateChain.map((d) => Buffer.from(d).toString('base64')),
      ),
      certificate_serial: k.certificateSerial,
      created_at: k.createdAt,
    })
    .execute();
}

const selectKeys = preparedQuery((db: Db, credentialId: string) =>
  db
    .selectFrom('credential_keys')
    .selectAll()
    .where('credential_id', '=', credentialId)
    .orderBy('created_at')
    .orderBy('id'),
);

/** The further keys of a credential, oldest first (none for most credentials). */
export async function listCredentialKeys(
  db: Db,
  credentialId: string,
): Promise<readonly CredentialKeyRow[]> {
  return (await selectKeys(db, credentialId)).rows.map((row) => ({
    ...row,
    created_at: Number(row.created_at),
  }));
}

/**
 * Re-points further keys holding certificate `fromSerial` to its renewal (the new leaf replaces
 * the old one at the head of the chain); run inside the renewal's transaction.
 */
export async function moveCredentialKeyCertificate(
  trx: Db,
  fromSerial: string,
  toSerial: string,
  toDer: Uint8Array,
): Promise<number> {
  const rows = await trx
    .selectFrom('credential_keys')
    .selectAll()
    .where('certificate_serial', '=', fromSerial)
    .execute();
  for (const row of rows) {
    const chain = JSON.parse(row.certificate_chain) as string[];
    const next = [Buffer.from(toDer).toString('base64'), ...chain.slice(1)];
    await trx
      .updateTable('credential_keys')
      .set({ certificate_serial: toSerial, certificate_chain: JSON.stringify(next) })
      .where('id', '=', row.id)
      .where('certificate_serial', '=', fromSerial)
      .execute();
  }
  return rows.length;
}
