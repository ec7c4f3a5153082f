/**
 * Batch receipts (issue 21; docs/security.md TRN-20, TRN-21, TRN-22, TRN-26): signed with the
 * transparency log's key, checked leaf → proof → root, and every tampering named; a receipt made
 * before (Ed25519) still verifies with its key.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import {
  TransparencyError,
  batchProofs,
  batchRoot,
  isBatchMember,
  logKeyLabel,
  openLogSigner,
  openReceiptSigner,
  readTransparencyPublicKey,
  receiptSignedBytes,
  signReceipt,
  transparencyPublicKeyFromSpki,
  verifyReceipt,
  type LogSigner,
  type Receipt,
  type ReceiptSigner,
  type ReceiptStatement,
  type TransparencyErrorCode,
  type TransparencyPublicKey,
} from '../../src/transparency/index.js';
import { Kek, SoftwareKeystore, keystoreRef, type KeyBackend, type MessageSignRequest } from '../../src/keys/index.js';
import { testLogSigner } from './support/log-fixture.js';
import { tempDir } from '../support/tmp.js';

const SHA256 = '2.16.840.1.101.3.4.2.1';
const h = (label: string): Uint8Array =>
  new Uint8Array(createHash('sha256').update(label).digest());
const batch = ['a.pdf', 'b.pdf', 'c.pdf', 'd.pdf', 'e.pdf'].map(h);
let log: LogSigner;
let key: ReceiptSigner;
let pub: TransparencyPublicKey;
// The keystore stays open for the whole file and closes after it.
const closers: (() => unknown)[] = [];
after(async () => {
  for (const close of closers) await close();
});
before(async () => {
  log = await testLogSigner({ after: (fn) => closers.push(fn) });
  key = await openReceiptSigner(log);
  pub = transparencyPublicKeyFromSpki(log.publicKey);
});

function receiptFor(index: number, hashes = batch): Promise<Receipt> {
  return signReceipt(key, {
    hash: hashes[index]!,
    hashAlgorithmOid: SHA256,
    proof: batchProofs(hashes)[index]!,
    batchSize: hashes.length,
    batchRoot: batchRoot(hashes),
    sadId: randomBytes(32),
    credentialId: 'cred-1',
    signedAt: new Date('2026-12-07T05:00:00Z'),
  });
}

function failsWith(code: TransparencyErrorCode, text: RegExp) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof TransparencyError, String(e));
    assert.equal(e.code, code);
    assert.match(e.message, text);
    return true;
  };
}

describe('verifiable batches (RFC 9162 §2.1 over the ordered DTBS/R hashes)', () => {
  it('every hash is a member at its own index only; the root depends on the order', () => {
    const root = batchRoot(batch);
    const proofs = batchProofs(batch);
    for (let i = 0; i < batch.length; i++) {
      assert.ok(isBatchMember(batch[i]!, proofs[i]!, batch.length, root));
      const j = (i + 1) % batch.length;
      assert.ok(
        !isBatchMember(batch[j]!, proofs[i]!, batch.length, root),
        `hash ${j} at index ${i}`,
      );
    }
    assert.ok(!isBatchMember(h('outside.pdf'), proofs[0]!, batch.length, root));
    const swapped = [batch[1]!, batch[0]!, ...batch.slice(2)];
    assert.notDeepEqual(batchRoot(swapped), root);
    // The leaf prefix: a batch of one is not its bare hash, and a pair's root is not a leaf.
    assert.notDeepEqual(batchRoot([batch[0]!]), batch[0]);
  });

});

describe('batch receipts', () => {
  it('TRN-26 receipts are signed by the log key (ECDSA P-256, the key of the tree heads), whose PEM a verifier reads', () => {
    assert.equal(key.keyId, log.keyId);
    assert.equal(pub.algorithm, 'ecdsa-p256-sha256');
    assert.equal(readTransparencyPublicKey(pub.publicKeyPem).keyId, log.keyId);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'pem', type: 'spki' }).toString();
    assert.throws(() => readTransparencyPublicKey(rsa), failsWith('ERR_TRANSPARENCY_KEY', /ECDSA P-256/));
  });

  it('a receipt verifies with the public key alone, against the document hash and the approved root', async () => {
    const r = await receiptFor(3);
    const parsed = verifyReceipt(JSON.parse(JSON.stringify(r)), pub, {
      hash: batch[3]!,
      batchRoot: batchRoot(batch),
    });
    assert.equal(parsed.leafIndex, 3);
    assert.equal(parsed.batchSize, 5);
  });

  it('issue 19: a receipt is signed over its bytes by the prepared key (node:crypto for a software key), not over a bare digest; a backend without signMessage still signs a verifying receipt', async (t) => {
    const keystore = await SoftwareKeystore.open({ dir: tempDir(t, 'signet-receipt-key-'), kek: Kek.generate() });
    t.after(() => keystore.close());
    const calls = { sign: 0, signMessage: 0 };
    const counting = (withMessages: boolean): KeyBackend => ({
      kind: keystore.kind,
      generateKey: (spec, label) => keystore.generateKey(spec, label),
      getPublicKey: (ref) => keystore.getPublicKey(ref),
      sign: (ref, request) => keystore.sign(ref, request),
      destroyKey: (ref) => keystore.destroyKey(ref),
      health: () => keystore.health(),
      close: () => keystore.close(),
      prepareKey: async (ref) => {
        const prepared = await keystore.prepareKey(ref);
        return {
          sign: (request) => {
            calls.sign++;
            return prepared.sign(request);
          },
          ...(withMessages
            ? {
                signMessage: (request: MessageSignRequest) => {
                  calls.signMessage++;
                  return (prepared.signMessage as NonNullable<typeof prepared.signMessage>)(request);
                },
              }
            : {}),
        };
      },
    });
    for (const withMessages of [true, false]) {
      const signer = await openLogSigner(counting(withMessages), keystoreRef(logKeyLabel), logKeyLabel);
      const receipts = await openReceiptSigner(signer);
      calls.sign = calls.signMessage = 0;
      const r = await signReceipt(receipts, {
        hash: batch[1]!,
        hashAlgorithmOid: SHA256,
        proof: batchProofs(batch)[1]!,
        batchSize: batch.length,
        batchRoot: batchRoot(batch),
        sadId: randomBytes(32),
        credentialId: 'cred-1',
        signedAt: new Date('2026-12-07T05:00:00Z'),
      });
      assert.deepEqual(calls, withMessages ? { sign: 0, signMessage: 1 } : { sign: 1, signMessage: 0 });
      verifyReceipt(JSON.parse(JSON.stringify(r)), transparencyPublicKeyFromSpki(signer.publicKey), { hash: batch[1]! });
    }
  });

  it('TRN-26 a receipt made before the log key signed receipts (Ed25519) verifies with that key, and not once altered', () => {
    const ed = generateKeyPairSync('ed25519');
    const old = readTransparencyPublicKey(ed.publicKey.export({ format: 'pem', type: 'spki' }).toString());
    assert.equal(old.algorithm, 'ed25519');
    const statement: ReceiptStatement = {
      type: 'signet-batch-receipt-v1',
      hash: Buffer.from(batch[0]!).toString('base64'),
      hashAlgorithmOID: SHA256,
      leafIndex: 0,
      batchSize: batch.length,
      batchRoot: Buffer.from(batchRoot(batch)).toString('base64'),
      proof: batchProofs(batch)[0]!.path.map((p) => Buffer.from(p).toString('base64')),
      sadId: 'cd'.repeat(32),
      credentialID: 'cred-1',
      signedAt: '2026-12-07T05:00:00.000Z',
      keyId: old.keyId,
    };
    const receipt = { ...statement, signature: sign(null, receiptSignedBytes(statement), ed.privateKey).toString('base64') };
    assert.equal(verifyReceipt(receipt, old, { hash: batch[0]! }).leafIndex, 0);
    assert.throws(() => verifyReceipt({ ...receipt, leafIndex: 1 }, old), failsWith('ERR_TRANSPARENCY_RECEIPT_SIGNATURE', /altered/));
    assert.throws(() => verifyReceipt(receipt, pub), failsWith('ERR_TRANSPARENCY_RECEIPT_KEY', /not the service key/));
  });

  it('TRN-20 a tampered receipt (leaf index, time, SAD, root) is refused: the signature does not verify', async (t) => {
    const r = await receiptFor(2);
    for (const edit of [
      { leafIndex: 1 },
      { signedAt: '2026-12-07T06:00:00.000Z' },
      { sadId: 'ab'.repeat(32) },
      { credentialID: 'cred-2' },
      { batchRoot: Buffer.from(batchRoot(batch.slice(0, 4))).toString('base64') },
    ]) {
      assert.throws(
        () => verifyReceipt({ ...r, ...edit }, pub),
        failsWith('ERR_TRANSPARENCY_RECEIPT_SIGNATURE', /altered/),
      );
    }
    const other = transparencyPublicKeyFromSpki((await testLogSigner(t)).publicKey);
    assert.throws(
      () => verifyReceipt(r, other),
      failsWith('ERR_TRANSPARENCY_RECEIPT_KEY', /not the service key/),
    );
    assert.throws(
      () => verifyReceipt({ ...r, extra: 1 }, pub),
      failsWith('ERR_TRANSPARENCY_RECEIPT_MALFORMED', /unknown field extra/),
    );
    assert.throws(
      () => verifyReceipt({ ...r, proof: ['AA=='] }, pub),
      failsWith('ERR_TRANSPARENCY_RECEIPT_MALFORMED', /proof element/),
    );
  });

  it('TRN-21 a hash outside the batch: a receipt the service signed for it does not lead to the root; another document is named', async () => {
    // A (buggy or dishonest) service signs a receipt placing an unapproved hash in the batch.
    const forged = await signReceipt(key, {
      hash: h('outside.pdf'),
      hashAlgorithmOid: SHA256,
      proof: batchProofs(batch)[1]!,
      batchSize: batch.length,
      batchRoot: batchRoot(batch),
      sadId: randomBytes(32),
      credentialId: 'cred-1',
      signedAt: new Date('2026-12-07T05:00:00Z'),
    });
    assert.throws(
      () => verifyReceipt(forged, pub),
      failsWith('ERR_TRANSPARENCY_BATCH_PROOF', /not leaf 1 of the approved batch of 5/),
    );
    const one = await receiptFor(1);
    assert.throws(
      () => verifyReceipt(one, pub, { hash: h('other.pdf') }),
      failsWith('ERR_TRANSPARENCY_RECEIPT_HASH', /another signature/),
    );
  });

  it('TRN-22 a reordered batch: its receipts verify against their own root but not the approved one', async () => {
    const reordered = [batch[4]!, ...batch.slice(0, 4)];
    const r = await receiptFor(0, reordered);
    assert.throws(
      () => verifyReceipt(r, pub, { hash: batch[4]!, batchRoot: batchRoot(batch) }),
      failsWith('ERR_TRANSPARENCY_BATCH_ROOT', /reordered|another order/),
    );
  });
});
