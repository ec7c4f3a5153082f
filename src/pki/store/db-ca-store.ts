/**
 * The CaStore of the signing service: the CA's records in the service database (SQLite or
 * PostgreSQL through src/store), so every node behind a load balancer sees the same issued
 * certificates, revocations (RFC 5280 §5.3.1, effective at once for OCSP and signing), counters
 * (CRL number §5.2.3, TSA serial RFC 3161 §2.4.2) and renewal claims. Each method is one
 * transaction; an optional hook runs inside it so the caller can audit the change atomically.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  claimCaRenewal,
  databaseTime,
  findCaCertificate,
  insertCaCertificate,
  isKeyCertifiedForOtherSubject,
  linkCaRenewal,
  listCaCounters,
  listExpiringCaCertificates,
  listRevokedCaCertificates,
  lockCaPublicKey,
  raiseCaCounter,
  reserveCaCounter,
  revokeCaCertificate,
  type CaCertificateRow,
  type Db,
  type Store,
} from '../../store/index.js';
import { PkiError } from '../errors.js';
import type { ProfileName } from '../ca/profiles.js';
import type { QcStatementsOptions } from '../ca/qc-statements.js';
import type { RevocationReason } from '../revocation-reason.js';
import type { CaStore, CertificateRecord, CounterBlockOwner, Revocation } from './ca-store.js';

/** A change of the CA's state, reported inside its transaction. */
export type CaStoreChange =
  | { readonly kind: 'issue'; readonly record: CertificateRecord }
  | { readonly kind: 'revoke'; readonly record: CertificateRecord }
  | { readonly kind: 'renew'; readonly record: CertificateRecord; readonly renewedSerialHex: string }
  | { readonly kind: 'counter-block'; readonly counter: string; readonly first: bigint; readonly count: number; readonly reservedBy: string };

/** What an import from another CaStore wrote. */
export interface CaStoreImport {
  /** Certificates that were not in the database yet. */
  readonly certificates: number;
  /** Counters that were raised. */
  readonly counters: number;
}

/** Options of DbCaStore. */
export interface DbCaStoreOptions {
  /** The service database; owned by the caller (close() leaves it open). */
  readonly store: Store;
  /** Runs inside the transaction of every change (the server appends its audit entry there, INV-5). */
  readonly onChange?: (trx: Db, change: CaStoreChange) => Promise<void>;
  /** Runs after a revocation committed (the node's OCSP responder drops its pre-signed answers). */
  readonly onRevoked?: (record: CertificateRecord) => void;
  /**
   * Time waited after a revocation committed before it is acknowledged, ms (default 0): the
   * bound within which every other node's OCSP responder reads the status again, so no node
   * answers 'good' once `revoke` has returned.
   */
  readonly revocationSettleMs?: number;
}

function toRow(r: CertificateRecord): CaCertificateRow {
  return {
    serial_hex: r.serialHex,
    issuer_id: r.issuerId,
    profile: r.profile,
    subject: r.subject,
    spki_sha256: r.spkiSha256,
    der: r.der,
    not_before: r.notBefore.getTime(),
    not_after: r.notAfter.getTime(),
    revoked_at: r.revocation ? r.revocation.time.getTime() : null,
    revocation_reason: r.revocation ? r.revocation.reason : null,
    key_ref: r.keyRef ?? null,
    qc_statements: r.qcStatements ? JSON.stringify(r.qcStatements) : null,
    csr: r.csr ?? null,
    renewed_by: r.renewedBy ?? null,
    claim_claimant: null,
    claim_until: null,
  };
}

function fromRow(row: CaCertificateRow): CertificateRecord {
  return {
    serialHex: row.serial_hex,
    issuerId: row.issuer_id,
    profile: row.profile as ProfileName,
    subject: row.subject,
    spkiSha256: row.spki_sha256,
    der: row.der,
    notBefore: new Date(row.not_before),
    notAfter: new Date(row.not_after),
    ...(row.revoked_at !== null
      ? { revocation: { time: new Date(row.revoked_at), reason: (row.revocation_reason ?? 'unspecified') as RevocationReason } }
      : {}),
    ...(row.key_ref !== null ? { keyRef: row.key_ref } : {}),
    ...(row.qc_statements !== null ? { qcStatements: JSON.parse(row.qc_statements) as QcStatementsOptions } : {}),
    ...(row.csr !== null && row.csr !== undefined ? { csr: new Uint8Array(row.csr) } : {}),
    ...(row.renewed_by !== null ? { renewedBy: row.renewed_by } : {}),
  };
}

/**
 * A CaStore on the service database.
 *
 * @example
 * ```ts
 * const caStore = new DbCaStore({ store });
 * const ca = new CertificateAuthority({ id: 'issuing', key, certificate, store: caStore, clock, urls });
 * ```
 */
export class DbCaStore implements CaStore {
  readonly #store: Store;
  readonly #onChange: DbCaStoreOptions['onChange'];
  readonly #onRevoked: DbCaStoreOptions['onRevoked'];
  readonly #settleMs: number;

  constructor(options: DbCaStoreOptions) {
    this.#store = options.store;
    this.#onChange = options.onChange;
    this.#onRevoked = options.onRevoked;
    this.#settleMs = options.revocationSettleMs ?? 0;
  }

  /** The unique-key rule and serial uniqueness, checked and written under the key's lock. */
  async #insert(trx: Db, record: CertificateRecord): Promise<void> {
    await lockCaPublicKey(trx, this.#store.kind, record.spkiSha256);
    if (await isKeyCertifiedForOtherSubject(trx, record.spkiSha256, record.subject)) {
      throw new PkiError('ERR_PKI_KEY_ALREADY_CERTIFIED', 'this public key is already certified for another subject');
    }
    if (!(await insertCaCertificate(trx, toRow(record)))) {
      throw new PkiError('ERR_PKI_SERIAL_COLLISION', 'a certificate with this serial number exists');
    }
  }

  insertCertificate(record: CertificateRecord): Promise<void> {
    return this.#store.transaction(async (trx) => {
      await this.#insert(trx, record);
      await this.#onChange?.(trx, { kind: 'issue', record });
    });
  }

  async getCertificate(serialHex: string): Promise<CertificateRecord | undefined> {
    const row = await findCaCertificate(this.#store.db, serialHex);
    return row === undefined ? undefined : fromRow(row);
  }

  async listExpiring(issuerId: string, before: Date): Promise<readonly CertificateRecord[]> {
    return (await listExpiringCaCertificates(this.#store.db, issuerId, before.getTime())).map(fromRow);
  }

  async listRevoked(issuerId: string): Promise<readonly CertificateRecord[]> {
    return (await listRevokedCaCertificates(this.#store.db, issuerId)).map(fromRow);
  }

  async revoke(serialHex: string, revocation: Revocation): Promise<CertificateRecord> {
    const revoked = await this.#store.transaction(async (trx) => {
      const row = await revokeCaCertificate(trx, serialHex, revocation.time.getTime(), revocation.reason);
      if (row === undefined) {
        if ((await findCaCertificate(trx, serialHex)) === undefined) {
          throw new PkiError('ERR_PKI_CERT_NOT_FOUND', 'no certificate with this serial number');
        }
        throw new PkiError('ERR_PKI_ALREADY_REVOKED', 'the certificate is already revoked');
      }
      const record = fromRow(row);
      await this.#onChange?.(trx, { kind: 'revoke', record });
      return record;
    });
    this.#onRevoked?.(revoked);
    if (this.#settleMs > 0) await sleep(this.#settleMs);
    return revoked;
  }

  nextCounter(name: string, count = 1, block?: CounterBlockOwner): Promise<bigint> {
    if (!Number.isInteger(count) || count < 1) {
      return Promise.reject(new PkiError('ERR_PKI_STORE_CORRUPT', 'counter reservation must be positive'));
    }
    return this.#store.transaction(async (trx) => {
      const first = BigInt(await reserveCaCounter(trx, name, count));
      // A block is recorded with its reservation: if the audit fails, no value of it is used.
      if (block !== undefined) await this.#onChange?.(trx, { kind: 'counter-block', counter: name, first, count, reservedBy: block.reservedBy });
      return first;
    });
  }

  referenceTime(): Promise<Date> {
    return databaseTime(this.#store);
  }

  claimRenewal(serialHex: string, claimant: string, until: Date, now: Date): Promise<boolean> {
    return this.#store.transaction((trx) => claimCaRenewal(trx, serialHex, claimant, until.getTime(), now.getTime()));
  }

  completeRenewal(serialHex: string, claimant: string, successor: CertificateRecord): Promise<void> {
    return this.#store.transaction(async (trx) => {
      // The link first: it locks the predecessor's row, and a lost claim stops before any insert.
      if (!(await linkCaRenewal(trx, serialHex, claimant, successor.serialHex))) {
        if ((await findCaCertificate(trx, serialHex)) === undefined) {
          throw new PkiError('ERR_PKI_CERT_NOT_FOUND', 'no certificate with this serial number');
        }
        throw new PkiError('ERR_PKI_RENEWAL_CONFLICT', 'the renewal claim was lost to another process');
      }
      await this.#insert(trx, successor);
      await this.#onChange?.(trx, { kind: 'renew', record: successor, renewedSerialHex: serialHex });
    });
  }

  /**
   * Copies another store's certificates and counters in one transaction: certificates already
   * present are left alone, counters are only ever raised, so running it again changes nothing.
   * `onImported` runs inside the transaction when something was written (to audit the import).
   */
  importRecords(
    records: readonly CertificateRecord[],
    counters: Readonly<Record<string, bigint>>,
    onImported?: (trx: Db, result: CaStoreImport) => Promise<void>,
  ): Promise<CaStoreImport> {
    return this.#store.transaction(async (trx) => {
      let certificates = 0;
      for (const record of records) {
        if (await insertCaCertificate(trx, toRow(record))) certificates++;
      }
      const before = await listCaCounters(trx);
      let raised = 0;
      for (const [name, value] of Object.entries(counters)) {
        if (BigInt(before[name] ?? 0) < value) {
          await raiseCaCounter(trx, name, Number(value));
          raised++;
        }
      }
      const result = { certificates, counters: raised };
      if (certificates + raised > 0) await onImported?.(trx, result);
      return result;
    });
  }

  /** The database belongs to the caller. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}
