/**
 * What the signer certificate claims under ETSI EN 319 412-5 §4 (qcStatements, RFC 3739 §3.2.6):
 * QcCompliance (an EU qualified certificate), QcSSCD (the key in a qualified signature creation
 * device), the QcType (esign, eseal, web) and the PDS locations. Reported as facts for the signer
 * section; whether the issuer may make those claims is a trusted-list question (ETSI TS 119 615)
 * that this validator does not answer.
 */
import { decodeQcStatements, id_pe_qcStatements, type QcStatementsInfo } from '../cms/index.js';
import { parseCertificate } from '../cms/pki-verification.js';

/**
 * The qcStatements of `certificate` (DER), or undefined when it has none or they cannot be read
 * (a malformed non-critical extension is ignored, RFC 5280 §4.2).
 *
 * @example
 * ```ts
 * const qc = qualifiedCertificateStatements(signerDer);
 * if (qc?.qcTypes.includes('esign')) console.log('a certificate for electronic signatures');
 * ```
 */
export function qualifiedCertificateStatements(
  certificate: Uint8Array,
): QcStatementsInfo | undefined {
  try {
    const extension = parseCertificate(certificate).tbsCertificate.extensions?.find(
      (e) => e.extnID === id_pe_qcStatements,
    );
    if (extension === undefined) return undefined;
    return decodeQcStatements(new Uint8Array(extension.extnValue.buffer));
  } catch {
    return undefined;
  }
}
