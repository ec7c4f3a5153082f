/** Errors of the PKI domain: the class lives in cms (certificate, CRL, OCSP and TSA checks throw it too). */
export { PkiError } from '../cms/pki-errors.js';
export type { PkiErrorCode } from '../cms/pki-errors.js';
