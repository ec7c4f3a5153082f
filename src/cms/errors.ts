/** Errors of the CMS domain (RFC 5652 SignedData building and parsing, CAdES attributes). */
import { SignetError } from '../core/errors.js';

/** Stable codes of {@link CmsError} (listed in docs/errors/cms.md). */
export type CmsErrorCode =
  | 'ERR_CMS_DER'
  | 'ERR_CMS_LIMIT'
  | 'ERR_CMS_STRUCTURE'
  | 'ERR_CMS_UNSUPPORTED_ALGORITHM'
  | 'ERR_CMS_SIGNED_ATTRS_MISSING'
  | 'ERR_CMS_ATTRIBUTE_DUPLICATE'
  | 'ERR_CMS_CERTIFICATE'
  | 'ERR_CMS_SIGNER_INFO_INDEX'
  | 'ERR_CMS_INPUT';

/**
 * A CMS structure could not be built or parsed.
 *
 * @example
 * ```ts
 * throw new CmsError('ERR_CMS_DER', 'indefinite length is not DER');
 * ```
 */
export class CmsError extends SignetError<CmsErrorCode> {}
