/**
 * PKCS#10 certification requests (RFC 2986 §4) signed through a key backend: the private key
 * never leaves it; the CertificationRequestInfo is hashed here and the digest signed there.
 */
import { createHash } from 'node:crypto';
import { CertificationRequest, CertificationRequestInfo } from '@peculiar/asn1-csr';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, type Name, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import type { SignatureAlgorithm } from '../cms/algorithms.js';
import { digestAlgorithms, digestForCurve, resolveSignatureAlgorithm } from '../cms/algorithms.js';
import { encodeSignatureAlgorithmIdentifier } from '../cms/index.js';
import { toArrayBuffer } from '../core/bytes.js';
import type { KeyBackend, KeyRef } from './key-backend.js';
import { KeyBackendError } from './errors.js';
import { describePublicKey } from './public-key-info.js';

/** What goes into the request besides the key. */
export interface CertificationRequestOptions {
  readonly subject: Name;
  /** Default: RSA → PKCS#1 v1.5 with SHA-256; EC → ECDSA with the curve's digest. */
  readonly signatureAlgorithm?: SignatureAlgorithm;
}

/** The default signature algorithm for a public key (ETSI TS 119 312 pairings). */
export function defaultSignatureAlgorithm(spki: Uint8Array): SignatureAlgorithm {
  const info = describePublicKey(spki);
  return info.keyType === 'EC'
    ? { scheme: 'ECDSA', digest: digestForCurve(info.curve) }
    : { scheme: 'RSASSA-PKCS1-v1_5', digest: 'SHA-256' };
}

/**
 * Builds and signs a PKCS#10 request for key `ref`; returns its DER.
 *
 * @example
 * ```ts
 * const csr = await createCertificationRequest(hsm, ref, {
 *   subject: parseDistinguishedName('CN=Alice,O=Example,C=DE'),
 * });
 * ```
 */
export async function createCertificationRequest(
  backend: KeyBackend,
  ref: KeyRef,
  options: CertificationRequestOptions,
): Promise<Uint8Array> {
  const spki = await backend.getPublicKey(ref);
  const algorithm = options.signatureAlgorithm ?? defaultSignatureAlgorithm(spki);
  const entry = resolveSignatureAlgorithm(algorithm);
  if (describePublicKey(spki).keyType !== entry.keyType) {
    throw new KeyBackendError(
      'ERR_KEY_MECHANISM_UNSUPPORTED',
      `${entry.id} does not fit the key ${ref}`,
    );
  }
  // RFC 2986 §4.1: attributes is present (possibly empty): encoded as [0] with no elements.
  const info = new CertificationRequestInfo({
    version: 0,
    subject: options.subject,
    subjectPKInfo: AsnConvert.parse(spki, SubjectPublicKeyInfo),
  });
  const infoDer = new Uint8Array(AsnConvert.serialize(info));
  const digest = createHash(digestAlgorithms[entry.digest].nodeName).update(infoDer).digest();
  const signature = await backend.sign(ref, {
    scheme: entry.scheme,
    digestAlgorithm: entry.digest,
    digest,
  });
  const request = new CertificationRequest({
    certificationRequestInfo: info,
    signatureAlgorithm: AsnConvert.parse(
      encodeSignatureAlgorithmIdentifier(algorithm),
      AlgorithmIdentifier,
    ),
    // An exact copy: a backend may answer with a view into a larger buffer.
    signature: toArrayBuffer(signature),
  });
  return new Uint8Array(AsnConvert.serialize(request));
}

/** PEM armour of a PKCS#10 request (RFC 7468 §7: "CERTIFICATE REQUEST"). */
export function certificationRequestToPem(der: Uint8Array): string {
  const b64 = Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE REQUEST-----\n${b64}\n-----END CERTIFICATE REQUEST-----\n`;
}
