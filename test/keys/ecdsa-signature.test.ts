/** ECDSA-Sig-Value encodings (RFC 3279 §2.2.3): raw r‖s and two integers to DER, against a reference encoder. */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { describe, it } from 'node:test';
import { encodeTlv, tags } from '../../src/cms/der.js';
import { bytesToBigint } from '../../src/core/bytes.js';
import { ecdsaIntegersToDer, ecdsaRawToDer } from '../../src/keys/ecdsa-signature.js';

/** X.690 §8.3: minimal two's complement octets of a non-negative integer. */
function integerOctets(value: bigint): Uint8Array {
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  const octets = Uint8Array.from(Buffer.from(hex, 'hex'));
  return (octets[0] as number) & 0x80 ? Uint8Array.of(0, ...octets) : octets;
}

function reference(r: bigint, s: bigint): Uint8Array {
  return encodeTlv(tags.sequence, encodeTlv(tags.integer, integerOctets(r)), encodeTlv(tags.integer, integerOctets(s)));
}

function fixed(value: bigint, size: number): Uint8Array {
  return Uint8Array.from(Buffer.from(value.toString(16).padStart(2 * size, '0'), 'hex'));
}

describe('ECDSA-Sig-Value encoding (RFC 3279 §2.2.3, X.690 §8.3)', () => {
  it('encodes r and s (P-256, P-384, P-521 sizes) byte for byte as the reference: leading zeros dropped, a high bit padded', () => {
    for (const size of [32, 48, 66]) {
      const top = (1n << BigInt(8 * size)) - 1n;
      const edges = [1n, 0x7fn, 0x80n, 0xffn, 0x100n, 0x8000n, top, top >> 1n, top >> 7n, top >> 8n, 1n << BigInt(8 * size - 1), (1n << 64n) + 5n, 0xffn << 64n];
      const random = Array.from({ length: 200 }, () => bytesToBigint(randomBytes(size)) >> BigInt(Math.floor(Math.random() * 8 * size)) || 1n);
      const values = [...edges, ...random];
      for (let i = 0; i < values.length; i++) {
        const r = values[i] as bigint;
        const s = values[values.length - 1 - i] as bigint;
        const expected = reference(r, s);
        assert.deepEqual(ecdsaIntegersToDer(r, s, size), expected, `size ${size}, r ${r.toString(16)}, s ${s.toString(16)}`);
        assert.deepEqual(ecdsaRawToDer(Uint8Array.of(...fixed(r, size), ...fixed(s, size))), expected);
      }
    }
  });

  it('turns node:crypto IEEE P1363 signatures into DER signatures node:crypto verifies', () => {
    for (const namedCurve of ['P-256', 'P-384', 'P-521']) {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve });
      for (let i = 0; i < 20; i++) {
        const raw = sign('sha256', Buffer.from(`m${i}`), { key: privateKey, dsaEncoding: 'ieee-p1363' });
        const der = ecdsaRawToDer(new Uint8Array(raw));
        assert.ok(verify('sha256', Buffer.from(`m${i}`), { key: publicKey, dsaEncoding: 'der' }, der), namedCurve);
      }
    }
  });

  it('refuses a raw value of odd or zero length', () => {
    assert.throws(() => ecdsaRawToDer(new Uint8Array(0)), { code: 'ERR_KEY_SIGN_FAILED' });
    assert.throws(() => ecdsaRawToDer(new Uint8Array(63)), { code: 'ERR_KEY_SIGN_FAILED' });
  });
});
