/**
 * Issue 15, DOS-22: the decoded streams a document keeps — one byte-bounded cache for stream data,
 * object-stream indexes and refusals; large entries (over a quarter of the bound) dropped before a
 * large decode, a large object stream kept from its second use — and zlib output in one buffer.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { DecodedStreamCache } from '../../src/pdf/decoded-stream-cache.js';
import { PdfError } from '../../src/pdf/errors.js';
import { decodeFilterChain, PdfDict, PdfName, PdfStream } from '../../src/pdf/index.js';
import type { ObjectStreamIndex } from '../../src/pdf/object-stream.js';

const MiB = 1024 * 1024;
const stream = (): PdfStream => new PdfStream(PdfDict.of({}), new Uint8Array(0));
const data = (n: number): { kind: 'data'; data: Uint8Array } => ({
  kind: 'data',
  data: new Uint8Array(n),
});
const index = (n: number): ObjectStreamIndex => ({
  data: new Uint8Array(n),
  first: 0,
  nums: [1],
  offsets: [0],
});

describe('DecodedStreamCache (issue 15, DOS-22)', () => {
  it('least recently used entries go first; the bytes kept never exceed the bound; refusals cost nothing', () => {
    const cache = new DecodedStreamCache(4 * MiB);
    const [a, b, c, d] = [stream(), stream(), stream(), stream()];
    cache.set(a, data(MiB));
    cache.set(b, data(MiB));
    cache.set(c, data(MiB));
    assert.equal(cache.get(a)?.kind, 'data'); // a is now the most recently used
    cache.set(d, data(2 * MiB));
    assert.equal(cache.get(b), undefined, 'b, the least recently used, was dropped');
    assert.ok(cache.get(a) && cache.get(c) && cache.get(d));
    assert.equal(cache.bytes, 4 * MiB);
    cache.set(b, {
      kind: 'refused',
      error: new PdfError('ERR_PDF_LIMIT_DECOMPRESSED', 'too much'),
    });
    assert.equal(cache.bytes, 4 * MiB);
    assert.equal(cache.get(b)?.kind, 'refused');
    cache.set(stream(), data(5 * MiB));
    assert.equal(cache.bytes, 4 * MiB, 'data over the bound is not kept (and drops nothing)');
  });

  it("an object stream's index replaces its data entry: the same bytes are counted once", () => {
    const cache = new DecodedStreamCache(4 * MiB);
    const s = stream();
    cache.set(s, data(512 * 1024));
    cache.set(s, { kind: 'objectStream', index: index(512 * 1024) });
    assert.equal(cache.bytes, 512 * 1024 + 16);
    assert.equal(cache.get(s)?.kind, 'objectStream');
  });

  it('a large object stream is kept from its second use, then even above the bound (its members are read one by one)', () => {
    const cache = new DecodedStreamCache(4 * MiB);
    assert.equal(cache.largeBytes, MiB);
    const s = stream();
    cache.set(s, { kind: 'objectStream', index: index(6 * MiB) });
    assert.equal(cache.get(s), undefined, 'used once: not kept');
    cache.set(s, { kind: 'objectStream', index: index(6 * MiB) });
    assert.equal(cache.get(s)?.kind, 'objectStream', 'used twice: kept');
  });

  it('dropLarge lets the large entries go and keeps the small ones', () => {
    const cache = new DecodedStreamCache(4 * MiB);
    const [small, large] = [stream(), stream()];
    cache.set(small, data(MiB));
    cache.set(large, data(2 * MiB));
    cache.dropLarge();
    assert.equal(cache.get(large), undefined);
    assert.equal(cache.get(small)?.kind, 'data');
    assert.equal(cache.bytes, MiB);
  });
});

describe('FlateDecode output in one buffer (issue 15, DOS-22)', () => {
  const flate = (bytes: Uint8Array): PdfStream =>
    new PdfStream(
      PdfDict.of({ Filter: PdfName.of('FlateDecode') }),
      new Uint8Array(deflateSync(bytes)),
    );

  it('a stream 1,000 times larger than its data decodes into one buffer of the allowance, not joined chunks', () => {
    const s = flate(new Uint8Array(20 * MiB).fill(7));
    let called = 0;
    const out = decodeFilterChain(
      s.raw,
      s.dict,
      { remaining: 32 * MiB, limit: 32 * MiB, beforeLargeOutput: () => called++ },
      (o) => o,
    );
    assert.equal(out.length, 20 * MiB);
    assert.ok(out.every((b) => b === 7));
    assert.equal(
      out.buffer.byteLength,
      32 * MiB,
      'one chunk of the allowance (its unwritten tail is never touched)',
    );
    assert.equal(called, 1, 'the cache was told before the large output was allocated');
  });

  it('an ordinary stream decodes in its first pass, into a buffer of its own size', () => {
    const bytes = new Uint8Array(randomBytes(100_000)); // incompressible: the first pass's guess holds it
    const s = flate(bytes);
    let called = 0;
    const out = decodeFilterChain(
      s.raw,
      s.dict,
      { remaining: 32 * MiB, limit: 32 * MiB, beforeLargeOutput: () => called++ },
      (o) => o,
    );
    assert.deepEqual(out, bytes);
    assert.equal(out.buffer.byteLength, out.length, 'a small result is copied out of its chunk');
    assert.equal(called, 0);
  });

  it('past the allowance: ERR_PDF_LIMIT_DECOMPRESSED', () => {
    const s = flate(new Uint8Array(3 * MiB));
    assert.throws(
      () => decodeFilterChain(s.raw, s.dict, 2 * MiB, (o) => o),
      (e) => e instanceof PdfError && e.code === 'ERR_PDF_LIMIT_DECOMPRESSED',
    );
  });
});
