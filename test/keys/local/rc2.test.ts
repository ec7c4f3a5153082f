/** RC2 decryption (RFC 2268 §5 test vectors), used only to read legacy PKCS#12 files. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rc2CbcDecrypt } from '../../../src/keys/local/rc2.js';

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));

describe('RFC 2268 §5 test vectors (one block: CBC with a zero IV is ECB)', () => {
  const vectors = [
    { key: '0000000000000000', bits: 63, plain: '0000000000000000', cipher: 'ebb773f993278eff' },
    { key: 'ffffffffffffffff', bits: 64, plain: 'ffffffffffffffff', cipher: '278b27e42e2f0d49' },
    { key: '3000000000000000', bits: 64, plain: '1000000000000001', cipher: '30649edf9be7d2c2' },
    { key: '88', bits: 64, plain: '0000000000000000', cipher: '61a8a244adacccf0' },
    { key: '88bca90e90875a', bits: 64, plain: '0000000000000000', cipher: '6ccf4308974c267f' },
  ];
  for (const v of vectors) {
    it(`key ${v.key}, ${v.bits} effective bits`, () => {
      assert.deepEqual(rc2CbcDecrypt(hex(v.key), v.bits, new Uint8Array(8), hex(v.cipher)), hex(v.plain));
    });
  }
  it('refuses partial blocks', () => {
    assert.equal(rc2CbcDecrypt(hex('88'), 64, new Uint8Array(8), new Uint8Array(7)), undefined);
  });
});
