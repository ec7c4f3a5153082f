/** Errors of the PKI domain (CA, enrollment, revocation, CRL, OCSP, TSA and their clients): stable codes. */
import { SignetError } from '../core/errors.js';

/** Every code the PKI domain throws (docs/errors/pki.md lists their meaning). */
export type PkiErrorCode =
  | 'ERR_PKI_SUBJECT_INVALID'
  | 'ERR_PKI_PROFILE_UNKNOWN'
  | 'ERR_PKI_PROFILE_VIOLATION'
  | 'ERR_PKI_PROFILE_CONFIG'
  | 'ERR_PKI_CSR_MALFORMED'
  | 'ERR_PKI_CSR_TOO_LARGE'
  | 'ERR_PKI_CSR_BAD_POP'
  | 'ERR_PKI_WEAK_KEY'
  | 'ERR_PKI_UNSUPPORTED_KEY'
  | 'ERR_PKI_KEY_ALREADY_CERTIFIED'
  | 'ERR_PKI_CERT_MALFORMED'
  | 'ERR_PKI_CERT_NOT_FOUND'
  | 'ERR_PKI_ALREADY_REVOKED'
  | 'ERR_PKI_REASON_INVALID'
  | 'ERR_PKI_SERIAL_COLLISION'
  | 'ERR_PKI_ALGORITHM_UNSUPPORTED'
  | 'ERR_PKI_SIGNATURE_FAULT'
  | 'ERR_PKI_STORE_LOCKED'
  | 'ERR_PKI_STORE_CORRUPT'
  | 'ERR_PKI_CA_DIR_EXISTS'
  | 'ERR_PKI_CA_IMPORT'
  | 'ERR_PKI_CA_DIR_INVALID'
  | 'ERR_PKI_RENEWAL_UNSUPPORTED'
  | 'ERR_PKI_RENEWAL_CONFLICT'
  | 'ERR_PKI_NO_URL'
  | 'ERR_PKI_TRANSPORT'
  | 'ERR_PKI_TIMEOUT'
  | 'ERR_PKI_RESPONSE_TOO_LARGE'
  | 'ERR_PKI_HTTP_STATUS'
  | 'ERR_PKI_TSA_REJECTED'
  | 'ERR_PKI_TSA_CONFIG'
  | 'ERR_PKI_TSA_RESPONSE_INVALID'
  | 'ERR_PKI_OCSP_STATUS'
  | 'ERR_PKI_OCSP_RESPONSE_INVALID'
  | 'ERR_PKI_CRL_INVALID';

/**
 * A PKI operation was refused or failed. Messages never contain key material.
 *
 * @example
 * ```ts
 * throw new PkiError('ERR_PKI_WEAK_KEY', 'RSA keys must have at least 2048 bits');
 * ```
 */
export class PkiError extends SignetError<PkiErrorCode> {}
