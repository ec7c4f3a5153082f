/**
 * Finds the certificate a SignerInfo names (RFC 5652 §5.3 sid: issuerAndSerialNumber or
 * subjectKeyIdentifier) with the DER reader alone, so signing and DSS building load no ASN.1
 * schema package (issue 18 §4: those packages were most of `signet sign`'s start-up).
 */
import { bytesEqual } from '../core/bytes.js';
import type { VerifiableDigest } from './algorithms.js';
import { readCertificateId } from './certificate-id.js';
import { childrenOf, contentOf, readElement, readOid, tags } from './der.js';
import type { SignedDataView, SignerInfoView } from './parse-signed-data.js';

/** RFC 5280 §4.2.1.2. */
const id_ce_subjectKeyIdentifier = '2.5.29.14';

/**
 * The certificate of `sd.certificates` that `si`'s sid names, or undefined.
 *
 * @example
 * ```ts
 * const cert = findSignerCertificate(sd, sd.signerInfos[0]!);
 * ```
 */
export function findSignerCertificate(sd: SignedDataView<VerifiableDigest>, si: SignerInfoView<VerifiableDigest>): Uint8Array | undefined {
  return sd.certificates.find((c) => sidMatches(si, c));
}

/** True when `certificate` (DER) is the one `si`'s sid names; false for anything unreadable. */
export function sidMatches(si: SignerInfoView<VerifiableDigest>, certificate: Uint8Array): boolean {
  try {
    if (si.sid.kind === 'issuerAndSerialNumber') {
      const id = readCertificateId(certificate);
      return bytesEqual(id.issuer, si.sid.issuer) && bytesEqual(id.serialNumber, si.sid.serialNumber);
    }
    const ski = subjectKeyIdentifierOf(certificate);
    return ski !== undefined && bytesEqual(ski, si.sid.keyIdentifier);
  } catch {
    return false;
  }
}

/** The KeyIdentifier octets of the subjectKeyIdentifier extension, if the certificate has one. */
function subjectKeyIdentifierOf(certificate: Uint8Array): Uint8Array | undefined {
  const { extensions } = readCertificateId(certificate);
  if (extensions === undefined) return undefined;
  // [3] EXPLICIT Extensions ::= SEQUENCE OF Extension { extnID, critical DEFAULT FALSE, extnValue }.
  const [list] = childrenOf(extensions, readElement(extensions, 0));
  if (list?.tag !== tags.sequence) return undefined;
  for (const ext of childrenOf(extensions, list)) {
    const parts = childrenOf(extensions, ext);
    const id = parts[0];
    const value = parts[parts.length - 1];
    if (id?.tag !== tags.oid || value?.tag !== tags.octetString || readOid(extensions, id) !== id_ce_subjectKeyIdentifier) continue;
    // extnValue wraps the DER of KeyIdentifier ::= OCTET STRING.
    const inner = contentOf(extensions, value);
    const keyId = readElement(inner, 0);
    return keyId.tag === tags.octetString && keyId.end === inner.length ? contentOf(inner, keyId) : undefined;
  }
  return undefined;
}
