/**
 * The ECDSA output self-check over a bare digest (docs/security.md SAD-24): node:crypto's own
 * signatures (which hash the message themselves) pass on P-256, P-384 and P-521 with digests
 * shorter and longer than the order; a flipped bit in r, in s or in the digest, another key, an RSA
 * key and malformed DER fail.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { checkEcdsaOverDigest } from '../../src/cms/ecdsa-digest-check.js';

const cases = [
  ['P-256', 'sha256'],
  ['P-256', 'sha512'],
  ['P-384', 'sha384'],
  ['P-384', 'sha256'],
  ['P-521', 'sha512'],
  ['P-521', 'sha256'],
] as const;

describe('docs/security.md SAD-24: ECDSA fault check over a digest', () => {
  for (const [curve, hash] of cases) {
    it(`${curve} with ${hash}: intact signatures pass, corrupted ones fail`, () => {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
      const other = generateKeyPairSync('ec', { namedCurve: curve }).publicKey;
      for (let i = 0; i < 12; i++) {
        const message = Buffer.from(`document ${i}`);
        const digest = createHash(hash).update(message).digest();
        const signature = sign(hash, message, privateKey);
        assert.equal(checkEcdsaOverDigest(publicKey, digest, signature), true, 'intact');
        assert.equal(checkEcdsaOverDigest(other, digest, signature), false, 'another key');
        const flippedS = Buffer.from(signature);
        flippedS[flippedS.length - 1] = (flippedS[flippedS.length - 1] as number) ^ 1;
        assert.equal(checkEcdsaOverDigest(publicKey, digest, flippedS), false, 'a bit of s');
        const flippedR = Buffer.from(signature);
        flippedR[8] = (flippedR[8] as number) ^ 0x10;
        assert.equal(checkEcdsaOverDigest(publicKey, digest, flippedR), false, 'a bit of r');
        const otherDigest = Buffer.from(digest);
        otherDigest[0] = (otherDigest[0] as number) ^ 0x80;
        assert.equal(checkEcdsaOverDigest(publicKey, otherDigest, signature), false, 'another digest');
      }
    });
  }

  it('refuses malformed DER and keys that are not EC', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const digest = createHash('sha256').update('x').digest();
    const signature = sign('sha256', Buffer.from('x'), privateKey);
    assert.equal(checkEcdsaOverDigest(publicKey, digest, signature.subarray(0, signature.length - 1)), false);
    assert.equal(checkEcdsaOverDigest(publicKey, digest, Buffer.concat([signature, Buffer.of(0)])), false);
    assert.equal(checkEcdsaOverDigest(publicKey, digest, Buffer.of(0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x01)), false, 'r = 0');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    assert.equal(checkEcdsaOverDigest(rsa, digest, signature), false);
  });
});
