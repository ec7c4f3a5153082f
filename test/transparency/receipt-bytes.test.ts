/**
 * The signed bytes of a batch receipt, pinned (docs/transparency.md: the statement's fields as
 * JSON with sorted keys and no white space, UTF-8; docs/security.md TRN-20). A receipt made by a
 * fixed Ed25519 key over a fixed statement has exactly these bytes and this signature (Ed25519
 * signatures are deterministic, RFC 8032 §5.1.6); a receipt of the log key (ECDSA P-256) verifies
 * with `openssl dgst -sha256 -verify` over the bytes Signet says it signed.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPrivateKey, createPublicKey, sign } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  batchProofs,
  batchRoot,
  openReceiptSigner,
  readTransparencyPublicKey,
  receiptSignedBytes,
  signReceipt,
  transparencyPublicKeyFromSpki,
  verifyReceipt,
  type Receipt,
  type ReceiptStatement,
} from '../../src/transparency/index.js';
import { testLogSigner } from './support/log-fixture.js';
import { requireTools, runTool } from '../support/tools.js';
import { tempDir } from '../support/tmp.js';

const h = (label: string): Uint8Array => new Uint8Array(createHash('sha256').update(label).digest());
const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
const batch = ['a.pdf', 'b.pdf', 'c.pdf', 'd.pdf', 'e.pdf'].map(h);

/** RFC 8410 §7: an Ed25519 private key's PKCS#8 is this prefix and its 32-byte seed. */
const ed25519 = createPrivateKey({
  key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.alloc(32, 7)]),
  format: 'der',
  type: 'pkcs8',
});
const edPublic = readTransparencyPublicKey(createPublicKey(ed25519).export({ format: 'pem', type: 'spki' }).toString());

/**
 * Leaf 2 of the five hashes above, every field written out (not computed by the code under test),
 * with a credential ID that JSON escapes in part (quote, backslash) and leaves as it is (é, an astral character).
 */
const statement: ReceiptStatement = {
  type: 'signet-batch-receipt-v1',
  hash: 'LbnNb9cTg6ik58rnOwS0Ilj9s+KVKfnKZXROqDHI/EM=',
  hashAlgorithmOID: '2.16.840.1.101.3.4.2.1',
  leafIndex: 2,
  batchSize: 5,
  batchRoot: 'jCrAwzZWFXe3g29dlpjRCADNLG+O4PL/j6YBeKd4sfw=',
  proof: [
    'ZBZRwTUY/igQhRlfLI65eijW3TJTG+0GR8xI1kTp6ZA=',
    'NbgQDGD+ynS2ujfQ0ap6Kjs9etk75XdsTC3d+IhbkzE=',
    'gjFYxMX8UKWumVGKWYc6wPodIxgxT7vM7IKCYFr7Eck=',
  ],
  sadId: 'cd'.repeat(32),
  credentialID: 'cred "1" \\ é 😀',
  signedAt: '2026-12-07T05:00:00.000Z',
  keyId: '324be2dea8bc44461b0233e51fa48902ed6b1cc671e7739af2551e0bfe68f54e',
};

/** The signed text: keys in code-unit order, no white space. */
const PINNED_TEXT =
  '{"batchRoot":"jCrAwzZWFXe3g29dlpjRCADNLG+O4PL/j6YBeKd4sfw=","batchSize":5,' +
  '"credentialID":"cred \\"1\\" \\\\ é 😀","hash":"LbnNb9cTg6ik58rnOwS0Ilj9s+KVKfnKZXROqDHI/EM=",' +
  '"hashAlgorithmOID":"2.16.840.1.101.3.4.2.1",' +
  '"keyId":"324be2dea8bc44461b0233e51fa48902ed6b1cc671e7739af2551e0bfe68f54e","leafIndex":2,' +
  '"proof":["ZBZRwTUY/igQhRlfLI65eijW3TJTG+0GR8xI1kTp6ZA=","NbgQDGD+ynS2ujfQ0ap6Kjs9etk75XdsTC3d+IhbkzE=",' +
  '"gjFYxMX8UKWumVGKWYc6wPodIxgxT7vM7IKCYFr7Eck="],' +
  '"sadId":"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",' +
  '"signedAt":"2026-12-07T05:00:00.000Z","type":"signet-batch-receipt-v1"}';
const PINNED_SHA256 = '3d0726fe479265f1e8bf93d15521bc7b11b599fa63d79a8fe7d1db5b318fbc89';
const PINNED_ED25519 =
  'gv0pi3CElK1iZwCXxFld2vRplK7G2aXoMmHpUXOxVIt7tlN4cIl0njHpw2yF1D76FiFBH7iqw5gYtPwQV1MWAw==';

describe('receipt signed bytes (docs/transparency.md: sorted-key JSON, no white space, UTF-8)', () => {
  it('the pinned statement is leaf 2 of its batch, under the fixed key', () => {
    assert.equal(statement.hash, b64(batch[2]!));
    assert.equal(statement.batchRoot, b64(batchRoot(batch)));
    assert.deepEqual(statement.proof, batchProofs(batch)[2]!.path.map(b64));
    assert.equal(statement.keyId, edPublic.keyId);
  });

  it('TRN-20 a known statement has exactly these bytes, and a fixed Ed25519 key this signature, which verifies', () => {
    const bytes = receiptSignedBytes(statement);
    assert.equal(Buffer.from(bytes).toString('utf8'), PINNED_TEXT);
    assert.equal(bytes.length, 597);
    assert.equal(createHash('sha256').update(bytes).digest('hex'), PINNED_SHA256);
    const signature = sign(null, bytes, ed25519).toString('base64');
    assert.equal(signature, PINNED_ED25519);
    const receipt: Receipt = { ...statement, signature };
    assert.equal(verifyReceipt(JSON.parse(JSON.stringify(receipt)), edPublic, { hash: batch[2]! }).leafIndex, 2);
  });

  it('the bytes do not depend on the order the fields were set in, nor on the receipt signature', () => {
    const reversed = Object.fromEntries(Object.entries(statement).reverse()) as unknown as ReceiptStatement;
    assert.deepEqual(Object.keys(reversed)[0], 'keyId');
    assert.equal(Buffer.from(receiptSignedBytes(reversed)).toString('utf8'), PINNED_TEXT);
    const receipt: Receipt = { ...statement, signature: PINNED_ED25519 };
    assert.equal(Buffer.from(receiptSignedBytes(receipt)).toString('utf8'), PINNED_TEXT);
  });

  it('TRN-26 a receipt of the log key (DER ECDSA P-256 over SHA-256 of the signed bytes) verifies with openssl', async (t) => {
    if (!requireTools(t, 'openssl')) return;
    const log = await testLogSigner(t);
    const key = await openReceiptSigner(log);
    const receipt = await signReceipt(key, {
      hash: batch[1]!,
      hashAlgorithmOid: '2.16.840.1.101.3.4.2.1',
      proof: batchProofs(batch)[1]!,
      batchSize: batch.length,
      batchRoot: batchRoot(batch),
      sadId: h('sad'),
      credentialId: 'cred "1" \\ é 😀',
      signedAt: new Date('2026-12-07T05:00:00Z'),
    });
    const dir = tempDir(t, 'signet-receipt-bytes-');
    const files = { data: join(dir, 'data'), sig: join(dir, 'sig.der'), pub: join(dir, 'pub.pem') };
    writeFileSync(files.data, receiptSignedBytes(receipt));
    writeFileSync(files.sig, Buffer.from(receipt.signature, 'base64'));
    writeFileSync(files.pub, transparencyPublicKeyFromSpki(log.publicKey).publicKeyPem);
    const r = runTool('openssl', ['dgst', '-sha256', '-verify', files.pub, '-signature', files.sig, files.data]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Verified OK/);
    // The text openssl checked is the documented one: sorted keys, the receipt's own values.
    const text = JSON.parse(Buffer.from(receiptSignedBytes(receipt)).toString('utf8')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(text), Object.keys(text).sort());
    assert.equal(text['credentialID'], 'cred "1" \\ é 😀');
    assert.ok(!('signature' in text));
  });
});
