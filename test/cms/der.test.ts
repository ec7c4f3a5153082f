/** The DER writer's length octets (X.690 §8.1.3) and the hex digits /Contents is written with. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encodeTlv } from '../../src/cms/der.js';
import { toHex, toHexDigits } from '../../src/core/bytes.js';

describe('X.690 §8.1.3 definite lengths in encodeTlv', () => {
  it('short form below 128, else the fewest big-endian length octets after 0x80 | n', () => {
    const header = (n: number, parts = 1): string => {
      const content = new Uint8Array(n);
      const split = Array.from({ length: parts }, (_, i) => content.subarray(Math.floor((i * n) / parts), Math.floor(((i + 1) * n) / parts)));
      const der = encodeTlv(0x04, ...split);
      return toHex(der.subarray(0, der.length - n));
    };
    assert.equal(header(0), '0400');
    assert.equal(header(127), '047f');
    assert.equal(header(128), '048180');
    assert.equal(header(255, 3), '0481ff');
    assert.equal(header(256, 2), '04820100');
    assert.equal(header(65_535), '0482ffff');
    assert.equal(header(65_536, 5), '0483010000');
  });

  it('the content parts follow in order', () => {
    assert.equal(toHex(encodeTlv(0x30, Uint8Array.of(1, 2), new Uint8Array(0), Uint8Array.of(3))), '3003010203');
  });
});

describe('toHexDigits', () => {
  it('is the lower-case hex of every byte, as ASCII', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    assert.equal(Buffer.from(toHexDigits(all)).toString('latin1'), toHex(all));
    assert.equal(toHexDigits(new Uint8Array(0)).length, 0);
  });
});
