/** Errors of the signing gateway (batch orchestration over the two-phase PAdES API and a CSC provider). */
import { SignetError } from '../core/errors.js';

export type GatewayErrorCode =
  | 'ERR_GATEWAY_INPUT'
  | 'ERR_GATEWAY_OUTPUT'
  | 'ERR_GATEWAY_AUTHORIZATION'
  | 'ERR_GATEWAY_NOT_SIGNED'
  | 'ERR_GATEWAY_TIMESTAMP'
  | 'ERR_GATEWAY_USAGE'
  | 'ERR_GATEWAY_OAUTH_STATE'
  | 'ERR_GATEWAY_OAUTH_ISSUER'
  | 'ERR_GATEWAY_OAUTH_REFUSED'
  | 'ERR_GATEWAY_OAUTH_METADATA'
  | 'ERR_GATEWAY_JOB_NOT_FOUND'
  | 'ERR_GATEWAY_JOB_STATE'
  | 'ERR_GATEWAY_JOB_INPUT'
  | 'ERR_GATEWAY_JOB_LIMIT'
  | 'ERR_GATEWAY_UPLOAD_TOO_LARGE'
  | 'ERR_GATEWAY_UPLOAD_QUOTA'
  | 'ERR_GATEWAY_PDF_UNREADABLE'
  | 'ERR_GATEWAY_PDF_ENCRYPTED'
  | 'ERR_GATEWAY_CREDENTIAL'
  | 'ERR_GATEWAY_DOCUMENT_CHANGED'
  | 'ERR_GATEWAY_SIGNING_REFUSED'
  | 'ERR_GATEWAY_PROVIDER_NOT_CONNECTED';

/** A document or a batch cannot be signed through the gateway. */
export class GatewayError extends SignetError<GatewayErrorCode> {}
