/**
 * The one output self-check (docs/security.md SAD-24), over the data and over a bare digest:
 * node:crypto's own signatures pass for PKCS#1 v1.5 (RFC 8017 §8.2.2), RSASSA-PSS with salt hLen
 * and with another named salt (§9.1.2, RFC 4055 §3.1) and ECDSA; a flipped bit, another key,
 * another digest, a key of the wrong type and a signature of the wrong length fail.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { constants, createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import {
  verifySignatureOverDigest,
  verifySignatureValue,
  type SignatureAlgorithm,
} from '../../src/cms/index.js';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const otherRsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });

interface Case {
  readonly name: string;
  readonly alg: SignatureAlgorithm;
  readonly key: { readonly privateKey: KeyObject; readonly publicKey: KeyObject };
  sign(data: Uint8Array): Uint8Array;
}

const cases: readonly Case[] = [
  {
    name: 'RSASSA-PKCS1-v1_5 SHA-256',
    alg: { scheme: 'RSASSA-PKCS1-v1_5', digest: 'SHA-256' },
    key: rsa,
    sign: (data) => new Uint8Array(sign('sha256', data, rsa.privateKey)),
  },
  {
    name: 'RSASSA-PSS SHA-384, salt hLen',
    alg: { scheme: 'RSASSA-PSS', digest: 'SHA-384' },
    key: rsa,
    sign: (data) =>
      new Uint8Array(
        sign('sha384', data, {
          key: rsa.privateKey,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: 48,
        }),
      ),
  },
  {
    name: 'RSASSA-PSS SHA-256, salt 20',
    alg: { scheme: 'RSASSA-PSS', digest: 'SHA-256', saltLength: 20 },
    key: rsa,
    sign: (data) =>
      new Uint8Array(
        sign('sha256', data, {
          key: rsa.privateKey,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: 20,
        }),
      ),
  },
  {
    name: 'ECDSA P-256 SHA-256',
    alg: { scheme: 'ECDSA', digest: 'SHA-256' },
    key: ec,
    sign: (data) => new Uint8Array(sign('sha256', data, ec.privateKey)),
  },
];

const nodeNames = { 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' } as const;

describe('cms verifySignatureValue / verifySignatureOverDigest: the one output self-check', () => {
  for (const c of cases) {
    it(`${c.name}: the intact signature passes over the data and over its digest; tampering fails`, () => {
      const data = new TextEncoder().encode(`signed attributes for ${c.name}`);
      const digest = new Uint8Array(
        createHash(nodeNames[c.alg.digest as keyof typeof nodeNames])
          .update(data)
          .digest(),
      );
      const signature = c.sign(data);
      assert.equal(
        verifySignatureValue(c.key.publicKey, c.alg, data, signature),
        true,
        'over the data',
      );
      assert.equal(
        verifySignatureOverDigest(c.key.publicKey, c.alg, digest, signature),
        true,
        'over the digest',
      );

      const flipped = signature.slice();
      flipped[flipped.length - 5] = (flipped[flipped.length - 5] as number) ^ 0x01;
      assert.equal(verifySignatureValue(c.key.publicKey, c.alg, data, flipped), false);
      assert.equal(verifySignatureOverDigest(c.key.publicKey, c.alg, digest, flipped), false);

      const otherDigest = digest.slice();
      otherDigest[0] = (otherDigest[0] as number) ^ 0x80;
      assert.equal(
        verifySignatureOverDigest(c.key.publicKey, c.alg, otherDigest, signature),
        false,
        'another digest',
      );
      assert.equal(
        verifySignatureOverDigest(c.key.publicKey, c.alg, digest.subarray(1), signature),
        false,
        'a digest of the wrong length',
      );

      const wrongKey = c.alg.scheme === 'ECDSA' ? rsa.publicKey : otherRsa.publicKey;
      assert.equal(verifySignatureValue(wrongKey, c.alg, data, signature), false, 'another key');
      assert.equal(
        verifySignatureOverDigest(wrongKey, c.alg, digest, signature),
        false,
        'another key',
      );
    });
  }

  it('an RSA signature one octet short (RFC 8017 §8.2.2 step 1) or a PSS salt other than the named one fails over the digest', () => {
    const data = new TextEncoder().encode('length');
    const digest = new Uint8Array(createHash('sha256').update(data).digest());
    const pkcs1 = new Uint8Array(sign('sha256', data, rsa.privateKey));
    const alg = { scheme: 'RSASSA-PKCS1-v1_5', digest: 'SHA-256' } as const;
    assert.equal(verifySignatureOverDigest(rsa.publicKey, alg, digest, pkcs1.subarray(1)), false);
    const pss = new Uint8Array(
      sign('sha256', data, {
        key: rsa.privateKey,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: 20,
      }),
    );
    assert.equal(
      verifySignatureOverDigest(
        rsa.publicKey,
        { scheme: 'RSASSA-PSS', digest: 'SHA-256' },
        digest,
        pss,
      ),
      false,
      'salt hLen expected',
    );
    assert.equal(
      verifySignatureOverDigest(
        rsa.publicKey,
        { scheme: 'RSASSA-PSS', digest: 'SHA-256', saltLength: 20 },
        digest,
        pss,
      ),
      true,
    );
  });
});
