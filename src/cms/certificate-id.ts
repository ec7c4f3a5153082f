/** Reads the issuer and serial number of an X.509 certificate byte-exactly (RFC 5280 §4.1). */
import { checkDer, childrenOf, contentOf, rawOf, tags, type DerElement } from './der.js';
import { CmsError } from './errors.js';

/** The byte-exact issuer Name and serialNumber of a certificate. */
export interface CertificateId {
  /** DER of the issuer Name. */
  readonly issuer: Uint8Array;
  /** DER of the serialNumber INTEGER (tag and length included). */
  readonly serialNumber: Uint8Array;
  /** The serialNumber's content octets (two's complement). */
  readonly serialNumberContent: Uint8Array;
  /** DER of the subject Name. */
  readonly subject: Uint8Array;
  /** DER of the [3] EXPLICIT extensions field, absent in v1 and v2 certificates. */
  readonly extensions: Uint8Array | undefined;
}

const certificateLimits = { maxDepth: 32, maxNodes: 20_000 } as const;

/**
 * Locates issuer and serialNumber inside `certificate` (DER) without re-encoding them, as
 * IssuerAndSerialNumber must match the certificate exactly (RFC 5652 §10.2.4).
 *
 * @example
 * ```ts
 * const { issuer, serialNumber } = readCertificateId(signer.certificateChain[0]!);
 * ```
 */
export function readCertificateId(certificate: Uint8Array): CertificateId {
  try {
    const cert = checkDer(certificate, certificateLimits);
    const [tbs] = childrenOf(certificate, cert);
    if (cert.tag !== tags.sequence || tbs === undefined || tbs.tag !== tags.sequence) {
      throw new CmsError('ERR_CMS_CERTIFICATE', 'not an X.509 certificate');
    }
    const fields = childrenOf(certificate, tbs);
    // TBSCertificate: version [0] EXPLICIT DEFAULT v1, serialNumber, signature, issuer, …
    const offset = fields[0]?.tag === 0xa0 ? 1 : 0;
    const serial = fields[offset];
    const issuer = fields[offset + 2];
    // … validity, subject, subjectPublicKeyInfo, [1] issuerUniqueID, [2] subjectUniqueID, [3] extensions.
    const subject = fields[offset + 4];
    if (serial?.tag !== tags.integer || issuer?.tag !== tags.sequence || subject?.tag !== tags.sequence) {
      throw new CmsError('ERR_CMS_CERTIFICATE', 'not an X.509 certificate');
    }
    const extensions = fields.slice(offset + 6).find((f) => f.tag === 0xa3);
    return {
      issuer: rawOf(certificate, issuer as DerElement),
      serialNumber: rawOf(certificate, serial as DerElement),
      serialNumberContent: contentOf(certificate, serial as DerElement),
      subject: rawOf(certificate, subject as DerElement),
      extensions: extensions === undefined ? undefined : rawOf(certificate, extensions),
    };
  } catch (err) {
    if (err instanceof CmsError && err.code === 'ERR_CMS_CERTIFICATE') throw err;
    throw new CmsError('ERR_CMS_CERTIFICATE', 'certificate is not valid DER', { cause: err });
  }
}
