/** Revocation reasons (RFC 5280 §5.3.1 CRLReason), shared by the CA, CRLs and OCSP (RFC 6960 §4.2.1). */
import { CRLReasons } from '@peculiar/asn1-x509';
import { PkiError } from './pki-errors.js';

/** RFC 5280 reason names accepted for revocation (no suspension: certificateHold/removeFromCRL). */
export type RevocationReason =
  | 'unspecified'
  | 'keyCompromise'
  | 'cACompromise'
  | 'affiliationChanged'
  | 'superseded'
  | 'cessationOfOperation'
  | 'privilegeWithdrawn'
  | 'aACompromise';

/** The CRLReason code of each accepted reason. */
export const revocationReasonCodes: Readonly<Record<RevocationReason, CRLReasons>> = {
  unspecified: CRLReasons.unspecified,
  keyCompromise: CRLReasons.keyCompromise,
  cACompromise: CRLReasons.cACompromise,
  affiliationChanged: CRLReasons.affiliationChanged,
  superseded: CRLReasons.superseded,
  cessationOfOperation: CRLReasons.cessationOfOperation,
  privilegeWithdrawn: CRLReasons.privilegeWithdrawn,
  aACompromise: CRLReasons.aACompromise,
};

/** Parses a reason name; unknown names and suspension → ERR_PKI_REASON_INVALID. */
export function parseRevocationReason(name: string): RevocationReason {
  if (Object.hasOwn(revocationReasonCodes, name)) return name as RevocationReason;
  throw new PkiError('ERR_PKI_REASON_INVALID', `unknown or unsupported revocation reason '${name}'`, {
    detail: { accepted: Object.keys(revocationReasonCodes) },
  });
}

/** The reason name for a CRLReason code, when it is one we issue. */
export function revocationReasonFromCode(code: number): RevocationReason | undefined {
  const found = Object.entries(revocationReasonCodes).find(([, c]) => c === code);
  return found ? (found[0] as RevocationReason) : undefined;
}
