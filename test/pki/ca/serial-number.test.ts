/**
 * Certificate serial numbers (RFC 5280 §4.1.2.2; CA/B Forum BR §7.1: ≥ 64 bits from a CSPRNG) —
 * docs/security.md KEY-13. The row's figure is 10^5 certificates; issuing that many on every CA store
 * would take minutes on the CI machine, so the generator itself is tested for 10^5 serials and a
 * smaller number of real certificates (per CA store) is issued and read back from their DER.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { generateSerialNumber } from '../../../src/pki/ca/serial-number.js';
import { parseCertificate, serialToHex } from '../../../src/pki/certificate.js';
import { makePki, suiteCleanup, type PkiFixture } from '../support/pki-fixture.js';
import { caStoreSuites } from '../support/ca-stores.js';

const generated = 100_000;
const issued = 40;

describe('docs/security.md KEY-13: serial numbers (RFC 5280 §4.1.2.2)', () => {
  it(`generates ${generated} serials: unique, positive, 16 octets, ≥ 64 varying bits`, () => {
    const seen = new Set<string>();
    const ones = new Array<number>(128).fill(0);
    for (let i = 0; i < generated; i++) {
      const s = generateSerialNumber();
      assert.equal(s.length, 16);
      // Positive INTEGER with minimal encoding (X.690 §8.3.2): top bit clear, first octet ≠ 0.
      assert.ok((s[0] ?? 0) < 0x80 && (s[0] ?? 0) !== 0);
      seen.add(Buffer.from(s).toString('hex'));
      for (let bit = 0; bit < 128; bit++) {
        if (((s[bit >> 3] ?? 0) >> (7 - (bit & 7))) & 1) ones[bit] = (ones[bit] ?? 0) + 1;
      }
    }
    assert.equal(seen.size, generated);
    // A random bit is set in 50 % of serials (σ ≈ 0.16 % at 10^5): 45…55 % never fails by chance,
    // and a constant or badly biased bit fails at once.
    const random = ones.filter((n) => n > generated * 0.45 && n < generated * 0.55).length;
    const constant = ones.filter((n) => n === 0 || n === generated).length;
    assert.equal(random, 126, `bits set per position: ${ones.join(',')}`);
    assert.equal(constant, 2); // the sign bit (0) and the no-leading-zero bit (1)
    assert.ok(random >= 64);
  });
});

for (const { kind, skip } of await caStoreSuites()) {
  describe(`docs/security.md KEY-13: issued certificates — ${kind} CA store`, { skip }, () => {
    let pki: PkiFixture;
    const cleanup = suiteCleanup(after);
    before(async () => {
      pki = await makePki(cleanup, { store: kind });
    });

    it(`${issued} issued certificates carry unique positive 16-octet serials, as recorded`, async () => {
      const serials = new Set<string>();
      for (let i = 0; i < issued; i++) {
        const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
        const spki = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
        const record = await pki.ca.issue({
          subject: { commonName: `Serial ${i}` },
          subjectPublicKey: spki,
          profile: 'signing',
        });
        const der = new Uint8Array(parseCertificate(record.der).tbsCertificate.serialNumber);
        assert.equal(der.length, 16);
        assert.ok((der[0] ?? 0) < 0x80 && (der[0] ?? 0) !== 0);
        assert.equal(serialToHex(der), record.serialHex);
        assert.deepEqual((await pki.store.getCertificate(record.serialHex))?.der, record.der);
        serials.add(record.serialHex);
      }
      assert.equal(serials.size, issued);
    });
  });
}
