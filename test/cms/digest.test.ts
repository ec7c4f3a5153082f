/** digestOf / createDigest / digestChunks (FIPS 180-4 vectors; streaming equals one-shot). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { createDigest, digestChunks, digestOf } from '../../src/cms/index.js';
import { toHex } from '../../src/core/bytes.js';

const abc = new TextEncoder().encode('abc');

describe('digests', () => {
  it('FIPS 180-4 / NIST example vectors for "abc"', () => {
    assert.equal(toHex(digestOf('SHA-256', abc)), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.equal(
      toHex(digestOf('SHA-384', abc)),
      'cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7',
    );
    assert.equal(
      toHex(digestOf('SHA-512', abc)),
      'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
    );
  });

  it('streams chunks (sync and async iterables) to the same digest as one shot', async () => {
    const data = new Uint8Array(1_000_003).map((_, i) => (i * 31) & 0xff);
    const parts = [data.subarray(0, 7), data.subarray(7, 500_000), data.subarray(500_000)];
    const expected = digestOf('SHA-384', data);
    assert.deepEqual(await digestChunks('SHA-384', parts), expected);
    assert.deepEqual(await digestChunks('SHA-384', Readable.from(parts)), expected);
    const h = createDigest('SHA-384');
    for (const p of parts) h.update(p);
    assert.deepEqual(h.digest(), expected);
    assert.ok(!Buffer.isBuffer(expected), 'library results are plain Uint8Arrays');
  });
});
