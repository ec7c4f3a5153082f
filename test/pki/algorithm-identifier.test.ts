/** AlgorithmIdentifier round trips (RFC 4055 §3.1 / §5, RFC 5758 §3.2) and default-deny. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { signatureAlgorithms } from '../../src/cms/algorithms.js';
import { signatureAlgorithmFromIdentifier, signatureAlgorithmIdentifier } from '../../src/pki/algorithm-identifier.js';
import { PkiError } from '../../src/pki/errors.js';

describe('signature AlgorithmIdentifiers', () => {
  it('round-trips every table entry through DER', () => {
    for (const e of signatureAlgorithms) {
      const der = AsnConvert.serialize(signatureAlgorithmIdentifier(e));
      const back = signatureAlgorithmFromIdentifier(AsnConvert.parse(der, AlgorithmIdentifier));
      assert.deepEqual(back, { scheme: e.scheme, digest: e.digest }, e.id);
    }
  });

  it('encodes NULL parameters for PKCS#1 v1.5 and none for ECDSA', () => {
    const rsa = Buffer.from(AsnConvert.serialize(signatureAlgorithmIdentifier({ scheme: 'RSASSA-PKCS1-v1_5', digest: 'SHA-256' }))).toString('hex');
    assert.equal(rsa, '300d06092a864886f70d01010b0500');
    const ec = Buffer.from(AsnConvert.serialize(signatureAlgorithmIdentifier({ scheme: 'ECDSA', digest: 'SHA-256' }))).toString('hex');
    assert.equal(ec, '300a06082a8648ce3d040302');
  });

  it('refuses sha1WithRSAEncryption and unknown OIDs', () => {
    for (const algorithm of ['1.2.840.113549.1.1.5', '1.2.840.10045.4.1', '1.2.3.4']) {
      assert.throws(() => signatureAlgorithmFromIdentifier(new AlgorithmIdentifier({ algorithm })), (e: unknown) => e instanceof PkiError && e.code === 'ERR_PKI_ALGORITHM_UNSUPPORTED');
    }
  });
});
