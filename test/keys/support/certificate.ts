/** A self-signed test certificate for a backend key, built at test time (RFC 5280 §4.1). */
import { createHash } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  Certificate,
  Name,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
} from '@peculiar/asn1-x509';
import type { KeyBackend, KeyRef } from '../../../src/keys/index.js';

/**
 * A v3 certificate for `publicKey` with subject = issuer = CN=`cn`, signed with ECDSA-SHA256 or
 * sha256WithRSAEncryption by the backend key itself.
 */
export async function selfSignedCertificate(
  backend: KeyBackend,
  ref: KeyRef,
  publicKey: Uint8Array,
  cn: string,
): Promise<Uint8Array> {
  const spki = AsnConvert.parse(publicKey, SubjectPublicKeyInfo);
  const isEc = spki.algorithm.algorithm === '1.2.840.10045.2.1';
  const sigAlg = isEc
    ? new AlgorithmIdentifier({ algorithm: '1.2.840.10045.4.3.2' })
    : new AlgorithmIdentifier({
        algorithm: '1.2.840.113549.1.1.11',
        parameters: new Uint8Array([5, 0]).buffer,
      });
  const name = AsnConvert.parse(
    // SEQUENCE { SET { SEQUENCE { OID 2.5.4.3, UTF8String cn } } }
    derName(cn),
    Name,
  );
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: new Uint8Array([
      0x01,
      ...createHash('sha256').update(publicKey).digest().subarray(0, 8),
    ]).buffer,
    signature: sigAlg,
    issuer: name,
    subject: name,
    validity: new Validity({
      notBefore: new Date('2026-01-01T00:00:00Z'),
      notAfter: new Date('2036-01-01T00:00:00Z'),
    }),
    subjectPublicKeyInfo: spki,
  });
  const tbsDer = new Uint8Array(AsnConvert.serialize(tbs));
  const digest = createHash('sha256').update(tbsDer).digest();
  const signature = await backend.sign(ref, {
    scheme: isEc ? 'ECDSA' : 'RSASSA-PKCS1-v1_5',
    digestAlgorithm: 'SHA-256',
    digest,
  });
  const cert = new Certificate({
    tbsCertificate: tbs,
    signatureAlgorithm: sigAlg,
    signatureValue: signature.slice().buffer,
  });
  return new Uint8Array(AsnConvert.serialize(cert));
}

function derName(cn: string): Uint8Array {
  const value = new TextEncoder().encode(cn);
  const tlv = (tag: number, body: Uint8Array): Uint8Array =>
    Uint8Array.from([tag, body.length, ...body]);
  const atv = tlv(
    0x30,
    Uint8Array.from([...tlv(0x06, Uint8Array.of(0x55, 0x04, 0x03)), ...tlv(0x0c, value)]),
  );
  return tlv(0x30, tlv(0x31, atv));
}
