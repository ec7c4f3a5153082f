/** PAdES signing errors. */
import { SignetError } from '../core/errors.js';

export type PadesErrorCode =
  | 'ERR_PADES_FIELD_NOT_FOUND'
  | 'ERR_PADES_FIELD_SIGNED'
  | 'ERR_PADES_FIELD_NOT_SIGNATURE'
  | 'ERR_PADES_PAGE_RANGE'
  | 'ERR_PADES_RECT'
  | 'ERR_PADES_CERTIFY_NOT_FIRST'
  | 'ERR_PADES_DOCMDP_LOCKED'
  | 'ERR_PADES_AMBIGUOUS_INPUT'
  | 'ERR_PADES_PERMISSION'
  | 'ERR_PADES_CONTENTS_OVERFLOW'
  | 'ERR_PADES_PREPARED_INVALID'
  | 'ERR_PADES_SIGNATURE_INVALID'
  | 'ERR_PADES_CERTIFICATE'
  | 'ERR_PADES_LEVEL_SOURCE'
  | 'ERR_PADES_NOT_SIGNED'
  | 'ERR_PADES_REVOCATION_UNAVAILABLE'
  | 'ERR_PADES_LIMIT_SIGNATURES'
  | 'ERR_PADES_LIMIT_FIELDS';

/** A PDF cannot be signed as asked, or a prepared signature cannot be completed. */
export class PadesError extends SignetError<PadesErrorCode> {}
