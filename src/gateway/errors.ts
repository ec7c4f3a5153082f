/** Errors of the signing gateway (batch orchestration over the two-phase PAdES API and a CSC provider). */
import { SignetError } from '../core/errors.js';

export type GatewayErrorCode =
  | 'ERR_GATEWAY_INPUT'
  | 'ERR_GATEWAY_OUTPUT'
  | 'ERR_GATEWAY_CONTENTS_OVERFLOW'
  | 'ERR_GATEWAY_AUTHORIZATION'
  | 'ERR_GATEWAY_NOT_SIGNED'
  | 'ERR_GATEWAY_TIMESTAMP'
  | 'ERR_GATEWAY_USAGE'
  | 'ERR_GATEWAY_OAUTH_STATE'
  | 'ERR_GATEWAY_OAUTH_ISSUER'
  | 'ERR_GATEWAY_OAUTH_REFUSED'
  | 'ERR_GATEWAY_OAUTH_METADATA';

/** A document or a batch cannot be signed through the gateway. */
export class GatewayError extends SignetError<GatewayErrorCode> {}
