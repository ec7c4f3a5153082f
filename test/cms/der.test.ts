/**
 * The DER writer's length octets (X.690 §8.1.3), the one-pass tree writer, OBJECT IDENTIFIER
 * decoding (X.690 §8.19) and the hex digits /Contents is written with.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeOid, derTree, encodeDerTree, encodeOid, encodeTlv, type DerPart } from '../../src/cms/der.js';
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

describe('encodeDerTree (issue 19: a TSA token or OCSP response in one allocation)', () => {
  it('writes the same bytes as nested encodeTlv calls, across the length forms', () => {
    // A deterministic generator: trees of up to four levels, contents from 0 to 70,000 octets.
    let seed = 19;
    const next = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    const sizes = [0, 1, 127, 128, 255, 256, 1000, 65_535, 65_536, 70_000];
    const build = (depth: number): { tree: DerPart; flat: Uint8Array } => {
      if (depth === 0 || next(3) === 0) {
        const bytes = new Uint8Array(sizes[next(depth > 2 ? sizes.length : 6)] as number).fill(next(256));
        return { tree: bytes, flat: bytes };
      }
      const tag = [0x30, 0x31, 0xa0, 0x04][next(4)] as number;
      const children = Array.from({ length: next(4) }, () => build(depth - 1));
      return { tree: derTree(tag, ...children.map((c) => c.tree)), flat: encodeTlv(tag, ...children.map((c) => c.flat)) };
    };
    for (let i = 0; i < 200; i++) {
      const { tree, flat } = build(4);
      assert.deepEqual(encodeDerTree(tree), flat);
    }
  });
});

describe('X.690 §8.19 decodeOid', () => {
  it('reads arcs of any size: doubles up to 49 bits, BigInt beyond', () => {
    for (const oid of ['1.2.840.113549.1.9.16.2.47', '2.25.329800735698586629295641978511506172918', '2.999.562949953421311.562949953421312', '0.9.2342.19200300.100.1.1', '2.16.840.1.101.3.4.2.1']) {
      assert.equal(decodeOid(encodeOid(oid).subarray(2)), oid);
    }
  });

  it('refuses a non-minimal arc and a truncated one', () => {
    assert.throws(() => decodeOid(Uint8Array.of(0x2a, 0x80, 0x01)), /non-minimal/);
    assert.throws(() => decodeOid(Uint8Array.of(0x2a, 0x86)), /truncated/);
  });
});

describe('toHexDigits', () => {
  it('is the lower-case hex of every byte, as ASCII', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    assert.equal(Buffer.from(toHexDigits(all)).toString('latin1'), toHex(all));
    assert.equal(toHexDigits(new Uint8Array(0)).length, 0);
  });
});
