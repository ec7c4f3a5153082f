/**
 * File-backed CaStore for the CLI and small deployments: one JSON document rewritten atomically
 * (write temp, fsync, rename, fsync the directory) under a cross-process lock file, so concurrent
 * `signet ca` processes serialise. Reads come from the last parsed document while the file's
 * identity (inode, size, mtime, ctime) is unchanged, so a revocation written by any process is
 * seen by the next read (the OCSP responder reads a status per request). The database store
 * replaces it in the server.
 */
import { closeSync, fstatSync, fsyncSync, openSync, readFileSync, renameSync, statSync, writeSync, type Stats } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { PkiError } from '../errors.js';
import { withFileLock } from './file-lock.js';
import type { CaStore, CertificateRecord, CertificateStatus, Revocation } from './ca-store.js';
import type { ProfileName } from '../ca/profiles.js';
import type { QcStatementsOptions } from '../ca/qc-statements.js';
import type { RevocationReason } from '../revocation-reason.js';

interface StoredRecord {
  serialHex: string;
  issuerId: string;
  profile: ProfileName;
  subject: string;
  spkiSha256: string;
  der: string;
  notBefore: string;
  notAfter: string;
  revocation?: { time: string; reason: RevocationReason };
  keyRef?: string;
  qcStatements?: QcStatementsOptions;
  /** base64 DER of the PKCS#10 request. */
  csr?: string;
  renewedBy?: string;
  claim?: { claimant: string; until: string };
}

interface StoreDocument {
  version: 1;
  certificates: Record<string, StoredRecord>;
  counters: Record<string, string>;
}

/** A file's identity: any rewrite (a rename of a new file) changes the inode, times or size. */
function stampOf(s: Stats): string {
  return `${s.ino}/${s.size}/${s.mtimeMs}/${s.ctimeMs}`;
}

function toStored(r: CertificateRecord): StoredRecord {
  const s: StoredRecord = {
    serialHex: r.serialHex,
    issuerId: r.issuerId,
    profile: r.profile,
    subject: r.subject,
    spkiSha256: r.spkiSha256,
    der: Buffer.from(r.der).toString('base64'),
    notBefore: r.notBefore.toISOString(),
    notAfter: r.notAfter.toISOString(),
  };
  if (r.revocation) s.revocation = { time: r.revocation.time.toISOString(), reason: r.revocation.reason };
  if (r.keyRef !== undefined) s.keyRef = r.keyRef;
  if (r.qcStatements) s.qcStatements = r.qcStatements;
  if (r.csr !== undefined) s.csr = Buffer.from(r.csr).toString('base64');
  if (r.renewedBy !== undefined) s.renewedBy = r.renewedBy;
  return s;
}

function fromStored(s: StoredRecord): CertificateRecord {
  return {
    serialHex: s.serialHex,
    issuerId: s.issuerId,
    profile: s.profile,
    subject: s.subject,
    spkiSha256: s.spkiSha256,
    der: new Uint8Array(Buffer.from(s.der, 'base64')),
    notBefore: new Date(s.notBefore),
    notAfter: new Date(s.notAfter),
    ...(s.revocation ? { revocation: { time: new Date(s.revocation.time), reason: s.revocation.reason } } : {}),
    ...(s.keyRef !== undefined ? { keyRef: s.keyRef } : {}),
    ...(s.qcStatements ? { qcStatements: s.qcStatements } : {}),
    ...(s.csr !== undefined ? { csr: new Uint8Array(Buffer.from(s.csr, 'base64')) } : {}),
    ...(s.renewedBy !== undefined ? { renewedBy: s.renewedBy } : {}),
  };
}

/**
 * A CaStore kept in `DIR/ca-store.json`, locked by `DIR/ca-store.lock`.
 *
 * @example
 * ```ts
 * const store = new FileCaStore('/var/lib/signet/ca');
 * ```
 */
export class FileCaStore implements CaStore {
  readonly #file: string;
  readonly #lock: string;
  #cached: { readonly doc: StoreDocument; readonly stamp: string } | undefined;

  constructor(dir: string) {
    this.#file = join(dir, 'ca-store.json');
    this.#lock = join(dir, 'ca-store.lock');
  }

  #read(): StoreDocument {
    return this.#load().doc;
  }

  /** Reads and parses the document, with the identity of the very file that was read. */
  #load(): { readonly doc: StoreDocument; readonly stamp: string | undefined } {
    let text: string;
    let stamp: string;
    try {
      const fd = openSync(this.#file, 'r');
      try {
        stamp = stampOf(fstatSync(fd));
        text = readFileSync(fd, 'utf8');
      } finally {
        closeSync(fd);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { doc: { version: 1, certificates: {}, counters: {} }, stamp: undefined };
      throw new PkiError('ERR_PKI_STORE_CORRUPT', 'cannot read the CA store', { cause: err });
    }
    try {
      const doc = JSON.parse(text) as StoreDocument;
      if (doc.version !== 1 || typeof doc.certificates !== 'object' || typeof doc.counters !== 'object') {
        throw new PkiError('ERR_PKI_STORE_CORRUPT', 'the CA store has an unknown format');
      }
      return { doc, stamp };
    } catch (cause) {
      if (cause instanceof PkiError) throw cause;
      throw new PkiError('ERR_PKI_STORE_CORRUPT', 'the CA store is not valid JSON', { cause });
    }
  }

  /**
   * The current document for reading (never mutated): the cached parse while the file keeps its
   * identity, a stat(2) of a few microseconds, else read again.
   */
  #current(): StoreDocument {
    let now: string | undefined;
    try {
      const s = statSync(this.#file, { throwIfNoEntry: false });
      now = s === undefined ? undefined : stampOf(s);
    } catch (err) {
      throw new PkiError('ERR_PKI_STORE_CORRUPT', 'cannot read the CA store', { cause: err });
    }
    const cached = this.#cached;
    if (cached !== undefined && now !== undefined && cached.stamp === now) return cached.doc;
    const loaded = this.#load();
    this.#cached = loaded.stamp === undefined ? undefined : { doc: loaded.doc, stamp: loaded.stamp };
    return loaded.doc;
  }

  #tmpName(): string {
    return `${this.#file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  }

  #write(doc: StoreDocument): void {
    const tmp = this.#tmpName();
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeSync(fd, JSON.stringify(doc));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.#file);
    this.#syncDirectory();
  }

  /** POSIX rename(2) is durable once the directory is synced (a counter must not roll back). */
  #syncDirectory(): void {
    let fd: number | undefined;
    try {
      fd = openSync(dirname(this.#file), 'r');
      fsyncSync(fd);
    } catch {
      // Some file systems refuse fsync on a directory: the rename itself is still atomic.
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  /** #write off the event loop (the same steps with fs/promises), for writes made ahead of need. */
  async #writeAsync(doc: StoreDocument): Promise<void> {
    const tmp = this.#tmpName();
    const handle = await open(tmp, 'wx', 0o600);
    try {
      await handle.writeFile(JSON.stringify(doc));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, this.#file);
    try {
      const dir = await open(dirname(this.#file), 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    } catch {
      // as in #syncDirectory
    }
  }

  async #update<T>(fn: (doc: StoreDocument) => T): Promise<T> {
    return withFileLock(this.#lock, () => {
      const doc = this.#read();
      const result = fn(doc);
      this.#write(doc);
      return result;
    });
  }

  async #view<T>(fn: (doc: StoreDocument) => T): Promise<T> {
    // Readers see a whole document thanks to rename(2); no lock needed.
    return fn(this.#current());
  }

  static #insert(doc: StoreDocument, record: CertificateRecord): void {
    if (doc.certificates[record.serialHex]) {
      throw new PkiError('ERR_PKI_SERIAL_COLLISION', 'a certificate with this serial number exists');
    }
    for (const other of Object.values(doc.certificates)) {
      if (other.spkiSha256 === record.spkiSha256 && !other.revocation && other.subject !== record.subject) {
        throw new PkiError('ERR_PKI_KEY_ALREADY_CERTIFIED', 'this public key is already certified for another subject');
      }
    }
    doc.certificates[record.serialHex] = toStored(record);
  }

  insertCertificate(record: CertificateRecord): Promise<void> {
    return this.#update((doc) => FileCaStore.#insert(doc, record));
  }

  getCertificate(serialHex: string): Promise<CertificateRecord | undefined> {
    return this.#view((doc) => {
      const s = doc.certificates[serialHex];
      return s ? fromStored(s) : undefined;
    });
  }

  certificateStatus(serialHex: string): Promise<CertificateStatus | undefined> {
    return this.#view((doc) => {
      const s = doc.certificates[serialHex];
      if (!s) return undefined;
      return {
        issuerId: s.issuerId,
        ...(s.revocation ? { revocation: { time: new Date(s.revocation.time), reason: s.revocation.reason } } : {}),
      };
    });
  }

  listExpiring(issuerId: string, before: Date): Promise<readonly CertificateRecord[]> {
    return this.#view((doc) =>
      Object.values(doc.certificates)
        .filter((s) => s.issuerId === issuerId && !s.revocation && s.renewedBy === undefined)
        .filter((s) => new Date(s.notAfter) <= before)
        .map(fromStored),
    );
  }

  listRevoked(issuerId: string): Promise<readonly CertificateRecord[]> {
    return this.#view((doc) =>
      Object.values(doc.certificates)
        .filter((s) => s.issuerId === issuerId && s.revocation)
        .map(fromStored),
    );
  }

  revoke(serialHex: string, revocation: Revocation): Promise<CertificateRecord> {
    return this.#update((doc) => {
      const s = doc.certificates[serialHex];
      if (!s) throw new PkiError('ERR_PKI_CERT_NOT_FOUND', 'no certificate with this serial number');
      if (s.revocation) throw new PkiError('ERR_PKI_ALREADY_REVOKED', 'the certificate is already revoked');
      s.revocation = { time: revocation.time.toISOString(), reason: revocation.reason };
      return fromStored(s);
    });
  }

  nextCounter(name: string, count = 1): Promise<bigint> {
    if (!Number.isInteger(count) || count < 1) {
      return Promise.reject(new PkiError('ERR_PKI_STORE_CORRUPT', 'counter reservation must be positive'));
    }
    // Written without blocking the event loop: a TSA reserves its next block of serials while
    // it signs with the current one. The value is returned once it is durable (fsync, rename).
    return withFileLock(this.#lock, async () => {
      const doc = this.#read();
      const first = BigInt(doc.counters[name] ?? '0') + 1n;
      doc.counters[name] = String(first + BigInt(count) - 1n);
      await this.#writeAsync(doc);
      return first;
    });
  }

  claimRenewal(serialHex: string, claimant: string, until: Date, now: Date): Promise<boolean> {
    return this.#update((doc) => {
      const s = doc.certificates[serialHex];
      if (!s || s.revocation || s.renewedBy !== undefined) return false;
      if (s.claim && s.claim.claimant !== claimant && new Date(s.claim.until) > now) return false;
      s.claim = { claimant, until: until.toISOString() };
      return true;
    });
  }

  completeRenewal(serialHex: string, claimant: string, successor: CertificateRecord): Promise<void> {
    return this.#update((doc) => {
      const s = doc.certificates[serialHex];
      if (!s) throw new PkiError('ERR_PKI_CERT_NOT_FOUND', 'no certificate with this serial number');
      if (s.renewedBy !== undefined || s.claim?.claimant !== claimant) {
        throw new PkiError('ERR_PKI_RENEWAL_CONFLICT', 'the renewal claim was lost to another process');
      }
      FileCaStore.#insert(doc, successor);
      s.renewedBy = successor.serialHex;
      delete s.claim;
    });
  }

  /** Every certificate and counter, read under the lock (to import this store into another). */
  exportRecords(): Promise<{ readonly records: readonly CertificateRecord[]; readonly counters: Readonly<Record<string, bigint>> }> {
    return withFileLock(this.#lock, () => {
      const doc = this.#read();
      return {
        records: Object.values(doc.certificates).map(fromStored),
        counters: Object.fromEntries(Object.entries(doc.counters).map(([name, value]) => [name, BigInt(value)])),
      };
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
