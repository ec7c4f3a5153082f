/** Batch receipts (issue 21; docs/security.md TRN-20, TRN-21, TRN-22): signed, checked leaf → proof → root, and every tampering named. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import {
  TransparencyError,
  batchProofs,
  batchRoot,
  deriveTransparencyKey,
  isBatchMember,
  readTransparencyPublicKey,
  signReceipt,
  verifyReceipt,
  type Receipt,
  type TransparencyErrorCode,
} from '../../src/transparency/index.js';

const SHA256 = '2.16.840.1.101.3.4.2.1';
const h = (label: string): Uint8Array =>
  new Uint8Array(createHash('sha256').update(label).digest());
const batch = ['a.pdf', 'b.pdf', 'c.pdf', 'd.pdf', 'e.pdf'].map(h);
const key = deriveTransparencyKey(randomBytes(32));

function receiptFor(index: number, hashes = batch): Receipt {
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

  it('the same secret derives the same key on every node; another secret another key', () => {
    const secret = randomBytes(32);
    assert.equal(deriveTransparencyKey(secret).keyId, deriveTransparencyKey(secret).keyId);
    assert.notEqual(
      deriveTransparencyKey(randomBytes(32)).keyId,
      deriveTransparencyKey(secret).keyId,
    );
    assert.equal(readTransparencyPublicKey(key.publicKeyPem).keyId, key.keyId);
    assert.throws(
      () => deriveTransparencyKey(randomBytes(16)),
      failsWith('ERR_TRANSPARENCY_KEY', /32 bytes/),
    );
  });
});

describe('batch receipts', () => {
  const pub = readTransparencyPublicKey(key.publicKeyPem);

  it('a receipt verifies with the public key alone, against the document hash and the approved root', () => {
    const r = receiptFor(3);
    const parsed = verifyReceipt(JSON.parse(JSON.stringify(r)), pub, {
      hash: batch[3]!,
      batchRoot: batchRoot(batch),
    });
    assert.equal(parsed.leafIndex, 3);
    assert.equal(parsed.batchSize, 5);
  });

  it('TRN-20 a tampered receipt (leaf index, time, SAD, root) is refused: the signature does not verify', () => {
    const r = receiptFor(2);
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
    const other = deriveTransparencyKey(randomBytes(32));
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

  it('TRN-21 a hash outside the batch: a receipt the service signed for it does not lead to the root; another document is named', () => {
    // A (buggy or dishonest) service signs a receipt placing an unapproved hash in the batch.
    const forged = signReceipt(key, {
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
    assert.throws(
      () => verifyReceipt(receiptFor(1), pub, { hash: h('other.pdf') }),
      failsWith('ERR_TRANSPARENCY_RECEIPT_HASH', /another signature/),
    );
  });

  it('TRN-22 a reordered batch: its receipts verify against their own root but not the approved one', () => {
    const reordered = [batch[4]!, ...batch.slice(0, 4)];
    const r = receiptFor(0, reordered);
    assert.throws(
      () => verifyReceipt(r, pub, { hash: batch[4]!, batchRoot: batchRoot(batch) }),
      failsWith('ERR_TRANSPARENCY_BATCH_ROOT', /reordered|another order/),
    );
  });
});
