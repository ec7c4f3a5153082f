/** The software keystore's bounded cache of decrypted keys: never serves a destroyed, replaced or expired key. */
import assert from 'node:assert/strict';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { copyFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Clock } from '../../../src/core/clock.js';
import { isSignetError } from '../../../src/core/errors.js';
import { FileKeyRecords, Kek, SoftwareKeystore } from '../../../src/keys/index.js';
import { tempDir } from '../../support/tmp.js';

const digest = createHash('sha256').update('cache').digest();
const request = { scheme: 'ECDSA', digestAlgorithm: 'SHA-256', digest } as const;

/** A clock the test moves by hand. */
function manualClock(start = Date.parse('2026-11-23T10:00:00Z')): Clock & { advance(ms: number): void } {
  let t = start;
  return { now: () => new Date(t), advance: (ms) => void (t += ms) };
}

/** Key files that count how often a record is read whole (a cache miss reads and decrypts it). */
class CountingRecords extends FileKeyRecords {
  reads = 0;
  override read(ref: string): ReturnType<FileKeyRecords['read']> {
    this.reads++;
    return super.read(ref);
  }
}

/** Key files whose whole-record reads can be held after they have read the file (the test then changes it). */
class GatedRecords extends CountingRecords {
  gate: Promise<void> | undefined;
  onRead: (() => void) | undefined;
  override async read(ref: string): ReturnType<FileKeyRecords['read']> {
    const record = await super.read(ref);
    if (this.gate !== undefined) {
      this.onRead?.();
      await this.gate;
    }
    return record;
  }
}

describe('SoftwareKeystore key cache', () => {
  it('a destroyed key is refused at once although it was cached', async (t) => {
    const ks = await SoftwareKeystore.open({ dir: tempDir(t), kek: Kek.generate() });
    const { ref } = await ks.generateKey({ type: 'EC', curve: 'P-256' }, 'gone');
    await ks.sign(ref, request);
    await ks.destroyKey(ref);
    await assert.rejects(ks.sign(ref, request), (e) => isSignetError(e, 'ERR_KEY_NOT_FOUND'));
  });

  it('a key file deleted or replaced behind the keystore (another node) is re-read, not served from the cache', async (t) => {
    const dir = tempDir(t);
    const kek = Kek.generate();
    const ks = await SoftwareKeystore.open({ dir, kek });
    const a = await ks.generateKey({ type: 'EC', curve: 'P-256' }, 'a');
    const b = await ks.generateKey({ type: 'EC', curve: 'P-256' }, 'b');
    await ks.sign(a.ref, request);
    const other = await SoftwareKeystore.open({ dir, kek });
    await other.destroyKey(a.ref);
    await assert.rejects(ks.sign(a.ref, request), (e) => isSignetError(e, 'ERR_KEY_NOT_FOUND'));
    // The message path (a CA, TSA or OCSP signature) checks the record the same way.
    await assert.rejects(ks.signMessage(a.ref, { scheme: 'ECDSA', digestAlgorithm: 'SHA-256', message: digest }), (e) => isSignetError(e, 'ERR_KEY_NOT_FOUND'));
    // b's file copied over a's name: the reference bound inside no longer matches → refused.
    const files = readdirSync(dir);
    const bFile = files.find((f) => f.startsWith('b'));
    assert.ok(bFile);
    copyFileSync(join(dir, bFile), join(dir, bFile.replace(/^b/, 'a')));
    await assert.rejects(ks.sign(a.ref, request), (e) => isSignetError(e, 'ERR_KEYSTORE_KEK'));
    await assert.rejects(ks.signMessage(a.ref, { scheme: 'ECDSA', digestAlgorithm: 'SHA-256', message: digest }), (e) => isSignetError(e, 'ERR_KEYSTORE_KEK'));
    const sig = await ks.sign(b.ref, request);
    const pub = createPublicKey({ key: Buffer.from(b.publicKey), format: 'der', type: 'spki' });
    assert.ok(verify('sha256', Buffer.from('cache'), pub, sig));
  });

  it('a malformed reference is refused on every use, not only the first (a file path is remembered only for a checked label)', async (t) => {
    const ks = await SoftwareKeystore.open({ dir: tempDir(t), kek: Kek.generate() });
    for (const ref of ['keystore:../escape', 'keystore:', 'keystore:a/b', 'keystore:../escape']) {
      await assert.rejects(ks.sign(ref, request), (e) => isSignetError(e, 'ERR_KEY_REF_INVALID'), ref);
      await assert.rejects(ks.signMessage(ref, { scheme: 'ECDSA', digestAlgorithm: 'SHA-256', message: digest }), (e) => isSignetError(e, 'ERR_KEY_REF_INVALID'), ref);
    }
  });

  it('signatures with one key started together use the cached key: its record is not read again (issue 19)', async (t) => {
    const records = new CountingRecords(tempDir(t));
    const ks = await SoftwareKeystore.open({ records, kek: Kek.generate() });
    const { ref } = await ks.generateKey({ type: 'EC', curve: 'P-256' }, 'batch');
    await ks.sign(ref, request);
    records.reads = 0;
    // What a signHash of 20 hashes does: 20 signatures in flight at once.
    await Promise.all(Array.from({ length: 20 }, () => ks.sign(ref, request)));
    assert.equal(records.reads, 0, 'every signature found the key in the cache');
    // The cache still never outlives the record: removed behind the keystore (another node), refused.
    await records.remove(ref);
    await assert.rejects(Promise.all([ks.sign(ref, request), ks.sign(ref, request)]), (e) => isSignetError(e, 'ERR_KEY_NOT_FOUND'));
  });

  it('concurrent first signatures with a key not yet in the cache read and decrypt it once (issue 19, cold start)', async (t) => {
    const dir = tempDir(t);
    const kek = Kek.generate();
    const { ref } = await (await SoftwareKeystore.open({ dir, kek })).generateKey({ type: 'EC', curve: 'P-256' }, 'cold');
    const records = new CountingRecords(dir);
    const ks = await SoftwareKeystore.open({ records, kek });
    records.reads = 0;
    const signatures = await Promise.all(Array.from({ length: 20 }, () => ks.sign(ref, request)));
    assert.equal(signatures.length, 20);
    assert.equal(records.reads, 1, 'one read and decryption shared by the 20 signatures');
  });

  it('a signature that waited for another one\'s read still checks the record: destroyed meanwhile, it is refused', async (t) => {
    const dir = tempDir(t);
    const kek = Kek.generate();
    const { ref } = await (await SoftwareKeystore.open({ dir, kek })).generateKey({ type: 'EC', curve: 'P-256' }, 'raced');
    const records = new GatedRecords(dir);
    const ks = await SoftwareKeystore.open({ records, kek });
    let open!: () => void;
    records.gate = new Promise((resolve) => (open = resolve));
    const readDone = new Promise<void>((resolve) => (records.onRead = resolve));
    const first = ks.sign(ref, request); // reads the record, then waits at the gate
    await readDone;
    const second = ks.sign(ref, request); // joins the read in flight
    await records.remove(ref); // destroyed behind the keystore after the shared read
    open();
    // The first signature's read predates the removal (as for a lone signature); the second one
    // started after it and must see it.
    await first;
    await assert.rejects(second, (e) => isSignetError(e, 'ERR_KEY_NOT_FOUND'));
  });

  it('signing keeps working across expiry (keyCacheSeconds) and eviction (keyCacheEntries); close() refuses further use', async (t) => {
    const clock = manualClock();
    const ks = await SoftwareKeystore.open({ dir: tempDir(t), kek: Kek.generate(), clock, keyCacheSeconds: 5, keyCacheEntries: 2 });
    const refs = [];
    for (const label of ['k1', 'k2', 'k3']) refs.push((await ks.generateKey({ type: 'EC', curve: 'P-256' }, label)).ref);
    for (const ref of refs) await ks.sign(ref, request);
    clock.advance(6000);
    for (const ref of refs) await ks.sign(ref, request); // expired entries are re-read, signatures still work
    await ks.close();
    await assert.rejects(ks.sign(refs[0] as string, request), (e) => isSignetError(e, 'ERR_KEY_BACKEND_CLOSED'));
  });
});
