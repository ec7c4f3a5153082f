/**
 * OCSP CertID matching (RFC 6960 §4.1.1): issuerNameHash and issuerKeyHash under the request's
 * hash algorithm. CertID hashes are identifiers, not signatures: SHA-1 is accepted here because
 * RFC 5019 §2.1.1 makes it the interoperable choice (openssl sends it), alongside SHA-2.
 */
import { createHash } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { CertID } from '@peculiar/asn1-ocsp';
import { asBytes, bytesEqual, toArrayBuffer } from '../../core/bytes.js';
import { digestAlgorithms, digestByOid } from '../algorithms.js';
import { encodeOid, encodeTlv, tags } from '../der.js';
import { parseCertificate, publicKeyBits, serialHexToInteger, spkiDer, subjectDer } from '../certificate.js';

/** id-sha1 (RFC 3279 §2.2.1), accepted only inside CertID and ResponderID KeyHash. */
export const id_sha1 = '1.3.14.3.2.26';

/** node:crypto hash name for a CertID hash algorithm OID, or undefined when not accepted. */
export function certIdHashName(oid: string): string | undefined {
  if (oid === id_sha1) return 'sha1';
  return digestByOid(oid)?.nodeName;
}

/** The issuer's name and key hashes under `hashName`. */
export function issuerHashes(issuerCertificate: Uint8Array, hashName: string): { nameHash: Uint8Array; keyHash: Uint8Array } {
  const cert = parseCertificate(issuerCertificate);
  return {
    nameHash: new Uint8Array(createHash(hashName).update(subjectDer(cert)).digest()),
    keyHash: new Uint8Array(createHash(hashName).update(publicKeyBits(spkiDer(cert))).digest()),
  };
}

/**
 * Memoises issuerHashes per certificate and hash (responders see the same issuer every time, and
 * a client the same issuers for every signature of a batch), keyed by the shared parse
 * (parseCertificate) so that equal DER read from different documents hits. Read-only results.
 */
const hashCache = new WeakMap<object, Map<string, { nameHash: Uint8Array; keyHash: Uint8Array }>>();

function cachedIssuerHashes(issuerCertificate: Uint8Array, hashName: string): { nameHash: Uint8Array; keyHash: Uint8Array } {
  const cert = parseCertificate(issuerCertificate);
  let perCert = hashCache.get(cert);
  if (!perCert) {
    perCert = new Map();
    hashCache.set(cert, perCert);
  }
  let hashes = perCert.get(hashName);
  if (!hashes) {
    hashes = issuerHashes(issuerCertificate, hashName);
    perCert.set(hashName, hashes);
  }
  return hashes;
}

/** True when `certId` names a certificate of this issuer. */
export function certIdMatchesIssuer(certId: CertID, issuerCertificate: Uint8Array): boolean {
  const hashName = certIdHashName(certId.hashAlgorithm.algorithm);
  if (!hashName) return false;
  const { nameHash, keyHash } = cachedIssuerHashes(issuerCertificate, hashName);
  return bytesEqual(asBytes(certId.issuerNameHash.buffer), nameHash) && bytesEqual(asBytes(certId.issuerKeyHash.buffer), keyHash);
}

/** Builds a CertID for a serial under an issuer (SHA-256 by default; SHA-1 for old responders). */
export function buildCertId(issuerCertificate: Uint8Array, serialHex: string, hash: 'SHA-1' | 'SHA-256' = 'SHA-256'): CertID {
  const hashName = hash === 'SHA-1' ? 'sha1' : digestAlgorithms['SHA-256'].nodeName;
  const oid = hash === 'SHA-1' ? id_sha1 : digestAlgorithms['SHA-256'].oid;
  const { nameHash, keyHash } = cachedIssuerHashes(issuerCertificate, hashName);
  return new CertID({
    hashAlgorithm: new AlgorithmIdentifier({ algorithm: oid, parameters: new Uint8Array([5, 0]).buffer }),
    issuerNameHash: new OctetString(nameHash),
    issuerKeyHash: new OctetString(keyHash),
    serialNumber: toArrayBuffer(serialHexToInteger(serialHex)),
  });
}

const derNull = encodeTlv(tags.null);

/**
 * DER of the CertID {@link buildCertId} builds, encoded directly (issue 19: the schema
 * serialiser was most of an OCSP request's cost on the client):
 * CertID ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier, issuerNameHash OCTET STRING,
 *   issuerKeyHash OCTET STRING, serialNumber CertificateSerialNumber } (RFC 6960 §4.1.1).
 */
export function encodeCertId(issuerCertificate: Uint8Array, serialHex: string, hash: 'SHA-1' | 'SHA-256' = 'SHA-256'): Uint8Array {
  const hashName = hash === 'SHA-1' ? 'sha1' : digestAlgorithms['SHA-256'].nodeName;
  const oid = hash === 'SHA-1' ? id_sha1 : digestAlgorithms['SHA-256'].oid;
  const { nameHash, keyHash } = cachedIssuerHashes(issuerCertificate, hashName);
  return encodeTlv(
    tags.sequence,
    encodeTlv(tags.sequence, encodeOid(oid), derNull),
    encodeTlv(tags.octetString, nameHash),
    encodeTlv(tags.octetString, keyHash),
    encodeTlv(tags.integer, serialHexToInteger(serialHex)),
  );
}

/** DER of a CertID (for equality checks). */
export function certIdDer(certId: CertID): Uint8Array {
  return new Uint8Array(AsnConvert.serialize(certId));
}

/** SHA-1 KeyHash of a certificate's key (RFC 6960 §4.2.1 ResponderID byKey). */
export function responderKeyHash(certificate: Uint8Array): Uint8Array {
  const cert = parseCertificate(certificate);
  let hash = keyHashes.get(cert);
  if (hash === undefined) {
    hash = new Uint8Array(createHash('sha1').update(publicKeyBits(spkiDer(cert))).digest());
    keyHashes.set(cert, hash);
  }
  return hash.slice();
}

/** responderKeyHash per shared parse (the same responder signs every answer). */
const keyHashes = new WeakMap<object, Uint8Array>();
