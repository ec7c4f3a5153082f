/** A signature log on a test database: its key in a software keystore, a publisher, and leaf helpers. */
import { createHash, randomBytes } from 'node:crypto';
import { after, before } from 'node:test';
import { createAuditKey, type AuditContext } from '../../../src/audit/index.js';
import type { Clock } from '../../../src/core/clock.js';
import { Kek, SoftwareKeystore, keystoreRef } from '../../../src/keys/index.js';
import type { Store } from '../../../src/store/index.js';
import {
  TreeHeadPublisher,
  appendSignatureLeaves,
  logKeyLabel,
  openLogSigner,
  openReceiptSigner,
  transparencyPublicKeyFromSpki,
  type LogSigner,
  type ReceiptSigner,
  type SignatureLeaves,
  type TransparencyPublicKey,
} from '../../../src/transparency/index.js';
import { tempDir } from '../../support/tmp.js';

/** A clock that moves on one millisecond per reading (heads get distinct timestamps). */
export function steppingClock(start = Date.UTC(2026, 0, 1)): Clock {
  let t = start;
  return { now: () => new Date(t++) };
}

/** The log's signer from a keystore in a temp dir (the server keeps it in the CA's keystore). */
export async function testLogSigner(t: { after(fn: () => unknown): unknown }): Promise<LogSigner> {
  const keystore = await SoftwareKeystore.open({ dir: tempDir(t, 'signet-log-key-'), kek: Kek.generate() });
  t.after(() => keystore.close());
  return openLogSigner(keystore, keystoreRef(logKeyLabel));
}

/** A publisher on `store` signing with `signer`. */
export function testPublisher(store: Store, signer: LogSigner, nodeId = 'node-a', clock: Clock = steppingClock()): TreeHeadPublisher {
  const audit: AuditContext = { key: createAuditKey(randomBytes(32)), nodeId, clock };
  return new TreeHeadPublisher({ store, clock, audit, nodeId, signer: () => Promise.resolve(signer) });
}

/** The DTBS/R hash of label `n`. */
export const dtbs = (n: number | string): Uint8Array => new Uint8Array(createHash('sha256').update(`dtbs-${n}`).digest());

/** The leaves of one signing call of user `userId` (one hash each unless `hashes` is given). */
export function leavesOf(userId: string, n: number, hashes: readonly Uint8Array[] = [dtbs(n)]): SignatureLeaves {
  return {
    userId,
    credentialId: `cred-${userId}`,
    certificateSerial: '0A1B',
    hashAlgorithmOid: '2.16.840.1.101.3.4.2.1',
    hashes,
    signedAt: 1_767_225_600_000 + n,
    clientId: 'client-1',
    sadIdHash: new Uint8Array(createHash('sha256').update(`sad-${n}`).digest()),
    traceId: `trace-${n}`,
  };
}

/** Queues `count` one-hash leaves starting at label `from`, in transactions of up to 5,000 hashes. */
export async function appendLeaves(store: Store, userId: string, from: number, count: number): Promise<void> {
  for (let done = 0; done < count; ) {
    const n = Math.min(5_000, count - done);
    const hashes = Array.from({ length: n }, (_, i) => dtbs(from + done + i));
    await store.transaction((trx) => appendSignatureLeaves(trx, leavesOf(userId, from + done, hashes)));
    done += n;
  }
}

/**
 * The transparency log's key as receipts are signed with it, opened once for the calling test
 * file (before its tests) and closed after it; read `signer` and `publicKey` inside the tests.
 */
export function fileReceiptSigner(): { readonly signer: ReceiptSigner; readonly publicKey: TransparencyPublicKey } {
  let signer: ReceiptSigner | undefined;
  let publicKey: TransparencyPublicKey | undefined;
  const closers: (() => unknown)[] = [];
  before(async () => {
    const log = await testLogSigner({ after: (fn) => closers.push(fn) });
    signer = await openReceiptSigner(log);
    publicKey = transparencyPublicKeyFromSpki(log.publicKey);
  });
  after(async () => {
    for (const close of closers) await close();
  });
  return {
    get signer() {
      if (signer === undefined) throw new TypeError('the receipt signer is opened before the tests');
      return signer;
    },
    get publicKey() {
      if (publicKey === undefined) throw new TypeError('the receipt signer is opened before the tests');
      return publicKey;
    },
  };
}
