/**
 * The signing service's CA records live in its database (DbCaStore), so every node on one
 * PostgreSQL shares issued certificates, revocations and counters. This module audits each CA
 * change in its own transaction (INV-5), imports a data directory's older file store once, and
 * records the certificate serial of credentials created before the database knew it.
 */
import { existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { appendAudit, type AuditContext } from '../audit/index.js';
import {
  FileCaStore,
  markCaDirectoryInDatabase,
  parseCertificate,
  serialToHex,
} from '../pki/index.js';
import type { CaStoreChange, CaStoreImport, DbCaStore } from '../pki/database.js';
import {
  credentialCertificates,
  listCredentialsWithoutSerial,
  moveCredentialCertificate,
  moveCredentialKeyCertificate,
  setCredentialCertificateSerial,
  type Db,
  type Store,
} from '../store/index.js';

const changeTypes: Readonly<Record<CaStoreChange['kind'], string>> = {
  issue: 'ca.certificate.issue',
  revoke: 'ca.certificate.revoke',
  renew: 'ca.certificate.renew',
  'counter-block': 'ca.counter.block',
};

/**
 * The DbCaStore hook that audits every issuance, revocation and renewal with the change itself,
 * and every block of counter values a node reserves (the TSA's serial numbers, RFC 3161 §2.4.2).
 */
export function auditCaChanges(audit: AuditContext): (trx: Db, change: CaStoreChange) => Promise<void> {
  return async (trx, change) => {
    if (change.kind === 'counter-block') {
      const last = change.first + BigInt(change.count) - 1n;
      await appendAudit(
        trx,
        {
          type: changeTypes[change.kind],
          outcome: 'success',
          subject: `counter:${change.counter}`,
          details: { first: change.first.toString(), last: last.toString(), count: change.count, reservedBy: change.reservedBy },
        },
        audit,
      );
      return;
    }
    const { record } = change;
    await appendAudit(
      trx,
      {
        type: changeTypes[change.kind],
        outcome: 'success',
        subject: `certificate:${record.serialHex}`,
        details: {
          issuer: record.issuerId,
          profile: record.profile,
          subject: record.subject,
          ...(change.kind === 'revoke' && record.revocation !== undefined
            ? { reason: record.revocation.reason, revocationTime: record.revocation.time.toISOString() }
            : {}),
          ...(change.kind === 'renew' ? { renews: change.renewedSerialHex } : {}),
        },
      },
      audit,
    );
  };
}

/**
 * The DbCaStore hook of the server: audits every change (auditCaChanges) and, on a renewal, moves
 * the credentials holding the old certificate to its successor, in the same transaction (INV-5),
 * so a renewed credential signs with its new certificate on every node at once.
 */
export function recordCaChanges(audit: AuditContext): (trx: Db, change: CaStoreChange) => Promise<void> {
  const auditChange = auditCaChanges(audit);
  return async (trx, change) => {
    await auditChange(trx, change);
    if (change.kind === 'renew') {
      await moveCredentialCertificate(trx, change.renewedSerialHex, change.record.serialHex, change.record.der);
      // A credential's further keys (issue 16 §2) have certificates of their own, renewed alike.
      await moveCredentialKeyCertificate(trx, change.renewedSerialHex, change.record.serialHex, change.record.der);
    }
  };
}

/**
 * Marks a CA directory created by this server's first start (data-dir.ts ensureCaDirectory): its
 * records are then audited as the issuances they are, not as an import of older records.
 */
export const newCaMarker = 'new-ca';

/**
 * Moves the CA records of `caDir`'s file store (ca-store.json: from before the database store, or
 * a CA just created by the first start) into the database: one transaction, audited as
 * `ca.store.import` when anything was written (for a new CA, one `ca.certificate.issue` entry per
 * certificate instead);
 * idempotent (existing certificates are kept, counters only raised), so a crash before the file
 * is set aside just repeats a no-op. Afterwards ca.json says `store: 'database'` (file-store
 * tools refuse the directory) and the file is renamed `ca-store.json.imported`.
 */
export async function importFileCaStore(
  caDir: string,
  caStore: DbCaStore,
  audit: AuditContext,
): Promise<CaStoreImport | undefined> {
  const file = join(caDir, 'ca-store.json');
  let result: CaStoreImport | undefined;
  if (existsSync(file)) {
    const { records, counters } = await new FileCaStore(caDir).exportRecords();
    const isNewCa = existsSync(join(caDir, newCaMarker));
    const auditIssue = auditCaChanges(audit);
    result = await caStore.importRecords(records, counters, async (trx, imported) => {
      if (isNewCa) {
        for (const record of records) await auditIssue(trx, { kind: 'issue', record });
        return;
      }
      await appendAudit(
        trx,
        {
          type: 'ca.store.import',
          outcome: 'success',
          subject: 'ca:records',
          details: { from: 'ca-store.json', certificates: imported.certificates, counters: imported.counters },
        },
        audit,
      );
    });
  }
  markCaDirectoryInDatabase(caDir);
  if (existsSync(file)) {
    try {
      renameSync(file, `${file}.imported`);
    } catch (err) {
      // Another node sharing the directory set it aside first.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  rmSync(join(caDir, newCaMarker), { force: true });
  return result;
}

/**
 * Records the leaf certificate serial of credentials created before `credentials.certificate_serial`
 * existed, so a CA revocation stops their signing too (docs/security.md SAD-16). Returns how many.
 */
export async function backfillCredentialSerials(store: Store): Promise<number> {
  const rows = await listCredentialsWithoutSerial(store.db);
  let done = 0;
  for (const row of rows) {
    const leaf = credentialCertificates(row)[0];
    if (leaf === undefined) continue;
    let serialHex: string;
    try {
      serialHex = serialToHex(new Uint8Array(parseCertificate(leaf).tbsCertificate.serialNumber));
    } catch {
      continue; // not a certificate this server can read; it cannot come from the built-in CA either
    }
    await store.transaction((trx) => setCredentialCertificateSerial(trx, row.id, serialHex));
    done++;
  }
  return done;
}
