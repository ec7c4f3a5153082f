/** BER read as DER (X.690 §8 → §10): indefinite and non-minimal lengths, constructed strings, bounds. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { berToDer, readContainer } from '../../src/cms/index.js';

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const limits = { maxDepth: 64, maxNodes: 50_000 };

describe('berToDer', () => {
  it('X.690 §8.1.3.6: indefinite lengths become definite; the end offset is after the end-of-contents', () => {
    const r = berToDer(hex('3080 0201 05 3080 0500 0000 0000 0000'), limits);
    assert.deepEqual(r.der, hex('3007 020105 3002 0500'));
    assert.equal(r.end, 13);
  });

  it('X.690 §8.7.3: a constructed OCTET STRING is its segments concatenated; non-minimal lengths are made minimal', () => {
    assert.deepEqual(berToDer(hex('2480 0402 0102 048103 030405 0000'), limits).der, hex('0405 0102030405'));
    assert.deepEqual(berToDer(hex('2308 0302 00ff 0302 04f0'), limits).der, hex('0303 04fff0'));
  });

  it('refuses what is not BER, and bounds depth and size', () => {
    for (const bad of ['0480 00', '3080 0201 05', '3005 0201', '2480 0201 05 0000', '1f01 00']) {
      assert.throws(() => berToDer(hex(bad), limits), { code: 'ERR_CMS_DER' }, bad);
    }
    const deep = hex(`${'3080'.repeat(80)}${'0000'.repeat(80)}`);
    assert.throws(() => berToDer(deep, limits), { code: 'ERR_CMS_LIMIT' });
    const many = hex(`3080${'0500'.repeat(100)}0000`);
    assert.throws(() => berToDer(many, { maxDepth: 64, maxNodes: 50 }), { code: 'ERR_CMS_LIMIT' });
  });

  it('readContainer keeps DER as it is (same bytes) and reports BER', () => {
    const der = hex('3003 020105 0000');
    const d = readContainer(der, limits);
    assert.equal(d.wasBer, false);
    assert.equal(d.der.buffer, der.buffer);
    assert.equal(d.end, 5);
    const b = readContainer(hex('3080 020105 0000 0000'), limits);
    assert.equal(b.wasBer, true);
    assert.deepEqual(b.der, hex('3003 020105'));
    assert.equal(b.end, 7);
  });
});
