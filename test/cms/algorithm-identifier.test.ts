/** AlgorithmIdentifier encoding/decoding against the table (RFC 4055 §3.1, §5; RFC 5754 §2; RFC 5758 §3.2). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeDigestAlgorithmIdentifier,
  decodeSignatureAlgorithmIdentifier,
  decodeVerifiableDigestAlgorithmIdentifier,
  decodeVerifiableSignatureAlgorithmIdentifier,
  encodeDigestAlgorithmIdentifier,
  encodeSignatureAlgorithmIdentifier,
  readElement,
  signatureAlgorithms,
} from '../../src/cms/index.js';
import { requireTools, runTool } from '../support/tools.js';

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const decodeSig = (der: Uint8Array, digest: 'SHA-256' | 'SHA-384' | 'SHA-512' = 'SHA-256') =>
  decodeSignatureAlgorithmIdentifier(der, readElement(der, 0), digest);

describe('AlgorithmIdentifier', () => {
  it('round-trips every table entry', () => {
    for (const e of signatureAlgorithms) {
      const der = encodeSignatureAlgorithmIdentifier(e);
      assert.deepEqual(decodeSig(der, e.digest), { scheme: e.scheme, digest: e.digest }, e.id);
    }
  });

  it('RFC 5754 §2: digest parameters absent; NULL accepted on input; SHA-1 refused', () => {
    assert.deepEqual(encodeDigestAlgorithmIdentifier('SHA-256'), hex('300b 0609 608648016503040201'));
    const withNull = hex('300d 0609 608648016503040201 0500');
    assert.equal(decodeDigestAlgorithmIdentifier(withNull, readElement(withNull, 0)), 'SHA-256');
    const sha1 = hex('3009 0605 2b0e03021a 0500');
    assert.throws(() => decodeDigestAlgorithmIdentifier(sha1, readElement(sha1, 0)), { code: 'ERR_CMS_UNSUPPORTED_ALGORITHM' });
  });

  it('RFC 4055 §5 / RFC 5758 §3.2: PKCS#1 v1.5 has NULL parameters, ECDSA none (an explicit NULL is read as none)', () => {
    assert.deepEqual(encodeSignatureAlgorithmIdentifier({ scheme: 'RSASSA-PKCS1-v1_5', digest: 'SHA-256' }), hex('300d 0609 2a864886f70d01010b 0500'));
    assert.deepEqual(encodeSignatureAlgorithmIdentifier({ scheme: 'ECDSA', digest: 'SHA-384' }), hex('300a 0608 2a8648ce3d040303'));
    // Issue 14: several producers write ecdsa-with-SHA256 with NULL; pdfsig and OpenSSL accept it.
    assert.deepEqual(decodeSig(hex('300c 0608 2a8648ce3d040302 0500')), { scheme: 'ECDSA', digest: 'SHA-256' });
    assert.throws(() => decodeSig(hex('300d 0608 2a8648ce3d040302 020101')), { code: 'ERR_CMS_UNSUPPORTED_ALGORITHM' });
  });

  it('verifiable reading (validators): SHA-1, legacy signature OIDs, PSS defaults and any salt; accepted reading refuses them', () => {
    const sha1 = hex('3009 0605 2b0e03021a 0500');
    assert.equal(decodeVerifiableDigestAlgorithmIdentifier(sha1, readElement(sha1, 0)), 'SHA-1');
    const sha1Rsa = hex('300d 0609 2a864886f70d010105 0500');
    assert.deepEqual(decodeVerifiableSignatureAlgorithmIdentifier(sha1Rsa, readElement(sha1Rsa, 0), 'SHA-1'), { scheme: 'RSASSA-PKCS1-v1_5', digest: 'SHA-1' });
    assert.throws(() => decodeSig(sha1Rsa), { code: 'ERR_CMS_UNSUPPORTED_ALGORITHM' });
    // RSASSA-PSS-params all DEFAULT (RFC 4055 §3.1): SHA-1, MGF1-SHA-1, salt 20.
    const pssDefaults = hex('300d 0609 2a864886f70d01010a 3000');
    assert.deepEqual(decodeVerifiableSignatureAlgorithmIdentifier(pssDefaults, readElement(pssDefaults, 0), 'SHA-1'), { scheme: 'RSASSA-PSS', digest: 'SHA-1' });
    // SHA-256, MGF1-SHA-256, salt 222 (what pyHanko writes with --prefer-pss for RSA-2048).
    const salt222 = hex('3042 0609 2a864886f70d01010a 3035 a00f 300d0609608648016503040201 0500 a11c 301a 0609 2a864886f70d010108 300d0609608648016503040201 0500 a204 020200de');
    assert.deepEqual(decodeVerifiableSignatureAlgorithmIdentifier(salt222, readElement(salt222, 0), 'SHA-256'), { scheme: 'RSASSA-PSS', digest: 'SHA-256', saltLength: 222 });
    assert.throws(() => decodeSig(salt222), { code: 'ERR_CMS_UNSUPPORTED_ALGORITHM' });
  });

  it('accepts plain rsaEncryption in SignerInfo.signatureAlgorithm, taking the digest from the SignerInfo', () => {
    assert.deepEqual(decodeSig(hex('300d 0609 2a864886f70d010101 0500'), 'SHA-512'), { scheme: 'RSASSA-PKCS1-v1_5', digest: 'SHA-512' });
  });

  it('RFC 4055 §3.1: PSS parameters (hash, MGF1, salt 32) as openssl asn1parse reads them', (t) => {
    const der = encodeSignatureAlgorithmIdentifier({ scheme: 'RSASSA-PSS', digest: 'SHA-256' });
    if (!requireTools(t, 'openssl')) return;
    const r = runTool('openssl', ['asn1parse', '-inform', 'DER'], { input: der });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /rsassaPss/);
    assert.match(r.stdout, /mgf1/);
    assert.match(r.stdout, /sha256/);
    assert.match(r.stdout, /INTEGER\s+:20/); // saltLength 32
  });

  it('default-deny for PSS: SHA-1 defaults, hash ≠ MGF1 hash, salt ≠ hLen, trailer ≠ 1', () => {
    const pss = (params: string) => hex(`30${(11 + params.length / 2).toString(16).padStart(2, '0')} 0609 2a864886f70d01010a ${params}`);
    const sha256 = '300b0609608648016503040201';
    const sha384 = '300b0609608648016503040202';
    const mgf = (h: string) => `3018 0609 2a864886f70d010108 ${h}`.replace(/\s+/g, '');
    const field = (tag: string, body: string) => `${tag}${(body.length / 2).toString(16).padStart(2, '0')}${body}`;
    const seq = (...fields: string[]) => field('30', fields.join(''));
    const good = seq(field('a0', sha256), field('a1', mgf(sha256)), field('a2', '020120'));
    assert.deepEqual(decodeSig(pss(good)), { scheme: 'RSASSA-PSS', digest: 'SHA-256' });
    const bad = [
      seq(),
      seq(field('a0', sha256), field('a1', mgf(sha384)), field('a2', '020120')),
      seq(field('a0', sha256), field('a1', mgf(sha256)), field('a2', '020114')),
      seq(field('a0', sha256), field('a1', mgf(sha256)), field('a2', '020120'), field('a3', '020102')),
    ];
    for (const b of bad) assert.throws(() => decodeSig(pss(b)), { code: 'ERR_CMS_UNSUPPORTED_ALGORITHM' }, b);
  });
});
