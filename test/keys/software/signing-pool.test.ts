/** SigningPool: software signatures made on worker threads, off the event loop. */
import assert from 'node:assert/strict';
import { constants, createHash, generateKeyPairSync, privateEncrypt, verify } from 'node:crypto';
import { describe, it, mock } from 'node:test';
import { Worker } from 'node:worker_threads';
import { isSignetError } from '../../../src/core/errors.js';
import { Kek, SoftwareKeystore } from '../../../src/keys/index.js';
import { SigningPool } from '../../../src/keys/software/signing-pool.js';
import { tempDir } from '../../support/tmp.js';

const message = Buffer.from('signed off the event loop');
const digest = createHash('sha256').update(message).digest();
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
// Not cheap to sign with (signing-pool.ts isCheapToSign): always signed on a thread.
const p521 = generateKeyPairSync('ec', { namedCurve: 'P-521' });

describe('SigningPool', () => {
  it('makes the same RSASSA-PKCS1-v1_5 signature as the calling thread, and verifying PSS and ECDSA ones', async (t) => {
    const pool = new SigningPool(2);
    t.after(() => pool.close());
    const pkcs1 = await pool.sign(rsa.privateKey, { scheme: 'RSASSA-PKCS1-v1_5', digestAlgorithm: 'SHA-256', digest });
    // RFC 8017 §8.2.1: PKCS#1 v1.5 signatures are deterministic, so the thread's must equal ours.
    const digestInfo = Buffer.concat([Buffer.from('3031300d060960864801650304020105000420', 'hex'), digest]);
    assert.deepEqual(Buffer.from(pkcs1), privateEncrypt({ key: rsa.privateKey, padding: constants.RSA_PKCS1_PADDING }, digestInfo));
    const pss = await pool.sign(rsa.privateKey, { scheme: 'RSASSA-PSS', digestAlgorithm: 'SHA-256', digest });
    assert.ok(verify('sha256', message, { key: rsa.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, pss));
    const ecdsa = await pool.sign(ec.privateKey, { scheme: 'ECDSA', digestAlgorithm: 'SHA-256', digest });
    assert.ok(verify('sha256', message, ec.publicKey, ecdsa));
  });

  it('spreads concurrent signatures over its threads and starts them only when needed', async (t) => {
    const pool = new SigningPool(2);
    t.after(() => pool.close());
    assert.equal(pool.running, 0);
    const signatures = await Promise.all(
      Array.from({ length: 40 }, () => pool.sign(ec.privateKey, { scheme: 'ECDSA', digestAlgorithm: 'SHA-256', digest })),
    );
    assert.equal(pool.running, 2);
    for (const s of signatures) assert.ok(verify('sha256', message, ec.publicKey, s));
  });

  it('keeps the event loop turning while it signs', async (t) => {
    const pool = new SigningPool(1);
    t.after(() => pool.close());
    await pool.sign(rsa.privateKey, { scheme: 'RSASSA-PKCS1-v1_5', digestAlgorithm: 'SHA-256', digest }); // thread started
    let turns = 0;
    let done = false;
    const tick = (): void => {
      turns++;
      if (!done) setImmediate(tick);
    };
    setImmediate(tick);
    // ~200 RSA-2048 signatures: on the calling thread, no setImmediate could run until all were made.
    await Promise.all(
      Array.from({ length: 200 }, () => pool.sign(rsa.privateKey, { scheme: 'RSASSA-PKCS1-v1_5', digestAlgorithm: 'SHA-256', digest })),
    );
    done = true;
    assert.ok(turns > 1, `the event loop turned ${turns} times while 200 signatures were made`);
  });

  it('answers with the key backend codes: a wrong digest length, a scheme the key cannot do', async (t) => {
    const pool = new SigningPool(1);
    t.after(() => pool.close());
    await assert.rejects(
      pool.sign(rsa.privateKey, { scheme: 'RSASSA-PKCS1-v1_5', digestAlgorithm: 'SHA-256', digest: digest.subarray(1) }),
      (e) => isSignetError(e, 'ERR_KEY_DIGEST_INVALID'),
    );
    await assert.rejects(pool.sign(rsa.privateKey, { scheme: 'ECDSA', digestAlgorithm: 'SHA-256', digest }), (e) => isSignetError(e, 'ERR_KEY_MECHANISM_UNSUPPORTED'));
  });

  it('refuses past its queue bound (ERR_KEY_BACKEND_BUSY) and fails waiting signatures on close (ERR_KEY_BACKEND_CLOSED)', async () => {
    const pool = new SigningPool(1, { maxQueued: 2 });
    const request = { scheme: 'ECDSA', digestAlgorithm: 'SHA-256', digest } as const;
    const first = pool.sign(p521.privateKey, request);
    const second = pool.sign(p521.privateKey, request);
    await assert.rejects(pool.sign(p521.privateKey, request), (e) => isSignetError(e, 'ERR_KEY_BACKEND_BUSY'));
    await Promise.all([first, second]);
    const waiting = assert.rejects(pool.sign(p521.privateKey, request), (e) => isSignetError(e, 'ERR_KEY_BACKEND_CLOSED'));
    await pool.close();
    await waiting;
  });

  it('issue 19: signs with a cheap key on the calling thread while nothing waits, once per turn of the event loop; a batch and other keys go to the threads', async (t) => {
    const pool = new SigningPool(1);
    t.after(() => pool.close());
    const ecdsa = { scheme: 'ECDSA', digestAlgorithm: 'SHA-256', digest } as const;
    const pkcs1 = { scheme: 'RSASSA-PKCS1-v1_5', digestAlgorithm: 'SHA-256', digest } as const;
    assert.ok(verify('sha256', message, ec.publicKey, await pool.sign(ec.privateKey, ecdsa)));
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(verify('sha256', message, rsa.publicKey, await pool.sign(rsa.privateKey, pkcs1)));
    assert.equal(pool.running, 0, 'one P-256 and one RSA-2048 signature, each alone in its turn: no thread started');
    const batch = await Promise.all(Array.from({ length: 5 }, () => pool.sign(ec.privateKey, ecdsa)));
    for (const s of batch) assert.ok(verify('sha256', message, ec.publicKey, s));
    assert.equal(pool.running, 1, 'five signatures in one turn: the first inline at most, the others on the thread');
    const other = new SigningPool(1);
    t.after(() => other.close());
    assert.ok(verify('sha256', message, p521.publicKey, await other.sign(p521.privateKey, ecdsa)));
    assert.equal(other.running, 1, 'P-521 is signed on a thread');
    await assert.rejects(other.sign(ec.privateKey, { ...ecdsa, digest: digest.subarray(1) }), (e) => isSignetError(e, 'ERR_KEY_DIGEST_INVALID'));
  });

  it('issue 19: the signatures asked in one turn reach a thread in one message, each key once, and each gets its own answer', async (t) => {
    const pool = new SigningPool(1);
    t.after(() => pool.close());
    const ecdsa = { scheme: 'ECDSA', digestAlgorithm: 'SHA-256', digest } as const;
    await pool.sign(p521.privateKey, ecdsa); // thread started
    const posted = mock.method(Worker.prototype, 'postMessage');
    t.after(() => posted.mock.restore());
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const asked = [
      ...Array.from({ length: 6 }, () => pool.sign(p521.privateKey, ecdsa)),
      pool.sign(p521.privateKey, { ...ecdsa, digest: digest.subarray(1) }),
      ...Array.from({ length: 4 }, () => pool.sign(p384.privateKey, { ...ecdsa, digestAlgorithm: 'SHA-256' })),
    ];
    const settled = await Promise.allSettled(asked);
    assert.equal(posted.mock.callCount(), 1, 'one message for the eleven signatures of the turn');
    const batch = posted.mock.calls[0]?.arguments[0] as { keys: unknown[]; jobs: unknown[] };
    assert.equal(batch.keys.length, 2, 'each key once');
    assert.equal(batch.jobs.length, 11);
    settled.forEach((s, i) => {
      if (i === 6) assert.ok(s.status === 'rejected' && isSignetError(s.reason, 'ERR_KEY_DIGEST_INVALID'), 'the bad digest fails alone');
      else assert.ok(s.status === 'fulfilled' && verify('sha256', message, i < 6 ? p521.publicKey : p384.publicKey, s.value), `signature ${i}`);
    });
    // The next turn's signatures go in the next message.
    await Promise.all(Array.from({ length: 3 }, () => pool.sign(p521.privateKey, ecdsa)));
    assert.equal(posted.mock.callCount(), 2);
  });

  it('SoftwareKeystore with signingThreads signs through the shared pool', async (t) => {
    const ks = await SoftwareKeystore.open({ dir: tempDir(t), kek: Kek.generate(), signingThreads: 1 });
    const { ref, publicKey } = await ks.generateKey({ type: 'EC', curve: 'P-521' }, 'pooled');
    const signature = await ks.sign(ref, { scheme: 'ECDSA', digestAlgorithm: 'SHA-256', digest });
    assert.ok(verify('sha256', message, { key: Buffer.from(publicKey), format: 'der', type: 'spki' }, signature));
    assert.equal(SigningPool.shared(1).running, 1);
  });
});
