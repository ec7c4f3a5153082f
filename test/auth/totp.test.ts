/** TOTP and HOTP against the published vectors (RFC 6238 Appendix B, RFC 4226 Appendix D), window, base32 (RFC 4648 §10). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeBase32,
  encodeBase32,
  generateTotp,
  hotp,
  matchTotp,
  totpStep,
  totpUri,
  AuthError,
} from '../../src/auth/index.js';

const ascii = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'ascii'));

describe('RFC 4226 Appendix D HOTP test values', () => {
  it('matches counters 0…9', () => {
    const secret = ascii('12345678901234567890');
    const expected = [
      '755224',
      '287082',
      '359152',
      '969429',
      '338314',
      '254676',
      '287922',
      '162583',
      '399871',
      '520489',
    ];
    assert.deepEqual(
      expected.map((_, i) => hotp(secret, i)),
      expected,
    );
  });
});

describe('RFC 6238 Appendix B TOTP test vectors (8 digits, X = 30)', () => {
  const seeds = {
    sha1: ascii('12345678901234567890'),
    sha256: ascii('12345678901234567890123456789012'),
    sha512: ascii('1234567890123456789012345678901234567890123456789012345678901234'),
  } as const;
  const table: readonly [number, string, string, string][] = [
    [59, '94287082', '46119246', '90693936'],
    [1111111109, '07081804', '68084774', '25091201'],
    [1111111111, '14050471', '67062674', '99943326'],
    [1234567890, '89005924', '91819424', '93441116'],
    [2000000000, '69279037', '90698825', '38618901'],
    [20000000000, '65353130', '77737706', '47863826'],
  ];
  for (const [seconds, s1, s256, s512] of table) {
    it(`T = ${seconds}`, () => {
      const at = new Date(seconds * 1000);
      assert.equal(
        generateTotp(seeds.sha1, at, { algorithm: 'sha1', digits: 8, periodSeconds: 30 }),
        s1,
      );
      assert.equal(
        generateTotp(seeds.sha256, at, { algorithm: 'sha256', digits: 8, periodSeconds: 30 }),
        s256,
      );
      assert.equal(
        generateTotp(seeds.sha512, at, { algorithm: 'sha512', digits: 8, periodSeconds: 30 }),
        s512,
      );
    });
  }
});

describe('matchTotp window (docs/security.md SCA-07, FLT-16)', () => {
  const secret = ascii('12345678901234567890');
  const now = new Date(1_800_000_000_000);
  const step = totpStep(now);
  it('accepts steps t−1 … t+1 and returns the matched step; refuses t±2', () => {
    for (const d of [-1, 0, 1])
      assert.equal(matchTotp(secret, hotp(secret, step + d), now), step + d);
    for (const d of [-2, 2])
      assert.equal(matchTotp(secret, hotp(secret, step + d), now), undefined);
  });
  it('clock skew ±29 s accepted, ±61 s refused, with the default ±1 window', () => {
    const code = generateTotp(secret, now);
    const start = new Date(step * 30_000);
    assert.equal(matchTotp(secret, code, new Date(start.getTime() + 29_000)), step);
    assert.equal(matchTotp(secret, code, new Date(start.getTime() + 30_000 + 29_000)), step);
    assert.equal(matchTotp(secret, code, new Date(start.getTime() + 61_000)), undefined);
    assert.equal(matchTotp(secret, code, new Date(start.getTime() - 31_000)), undefined);
  });
  it('a zero-step-ahead window refuses future codes', () => {
    assert.equal(
      matchTotp(secret, hotp(secret, step + 1), now, { window: { past: 1, future: 0 } }),
      undefined,
    );
  });
  it('refuses malformed codes', () => {
    for (const code of ['', '12345', '1234567', '12345a', ' 123456', '１２３４５６'])
      assert.equal(matchTotp(secret, code, now), undefined);
  });
});

describe('RFC 4648 §10 base32', () => {
  it('encodes and decodes the test vectors', () => {
    const vectors: [string, string][] = [
      ['', ''],
      ['f', 'MY'],
      ['fo', 'MZXQ'],
      ['foo', 'MZXW6'],
      ['foob', 'MZXW6YQ'],
      ['fooba', 'MZXW6YTB'],
      ['foobar', 'MZXW6YTBOI'],
    ];
    for (const [plain, enc] of vectors) {
      assert.equal(encodeBase32(ascii(plain)), enc);
      assert.equal(Buffer.from(decodeBase32(enc)).toString('ascii'), plain);
    }
    assert.equal(Buffer.from(decodeBase32('mzxw 6ytb oi======')).toString('ascii'), 'foobar');
    assert.throws(
      () => decodeBase32('MZ1'),
      (e: unknown) => e instanceof AuthError && e.code === 'ERR_AUTH_POLICY',
    );
  });
  it('builds an otpauth URI', () => {
    const uri = new URL(
      totpUri({ issuer: 'Signet', account: 'alice@example.org', secret: ascii('foobar') }),
    );
    assert.equal(uri.protocol, 'otpauth:');
    assert.equal(uri.searchParams.get('secret'), 'MZXW6YTBOI');
    assert.equal(uri.searchParams.get('period'), '30');
  });
});
