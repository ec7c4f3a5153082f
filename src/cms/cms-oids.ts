/** Object identifiers of CMS content types and attributes (RFC 5652 §4, §11; RFC 5035; RFC 3161 App. A). */

/** CMS OIDs, named as in their RFCs. */
export const cmsOids = {
  /** RFC 5652 §4 */
  id_data: '1.2.840.113549.1.7.1',
  /** RFC 5652 §5.1 */
  id_signedData: '1.2.840.113549.1.7.2',
  /** RFC 5652 §11.1 */
  id_contentType: '1.2.840.113549.1.9.3',
  /** RFC 5652 §11.2 */
  id_messageDigest: '1.2.840.113549.1.9.4',
  /** RFC 5652 §11.3 (not used by PAdES: ETSI EN 319 142-1 §5.2 puts the time in /M) */
  id_signingTime: '1.2.840.113549.1.9.5',
  /** RFC 5035 §3 */
  id_aa_signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  /** RFC 2634 §5.4 (v1, SHA-1 based; recognised, never produced) */
  id_aa_signingCertificate: '1.2.840.113549.1.9.16.2.12',
  /** RFC 3161 App. A */
  id_aa_signatureTimeStampToken: '1.2.840.113549.1.9.16.2.14',
} as const;
