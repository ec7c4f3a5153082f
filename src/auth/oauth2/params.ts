/** Reading OAuth request parameters: each at most once (RFC 6749 §3.1, §3.2: "MUST NOT be included more than once"). */
import { OAuth2Error } from './errors.js';
import type { RawParams } from './types.js';

/** The single value of `name`, or undefined; a repeated parameter is invalid_request (docs/security.md OA-23). */
export function single(params: RawParams, name: string): string | undefined {
  const v = params[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') {
    throw new OAuth2Error('ERR_OAUTH2_INVALID_REQUEST', `the ${name} parameter is repeated`);
  }
  // RFC 6749 §3.1: parameters sent without a value are treated as omitted.
  return v === '' ? undefined : v;
}

/** Like single(), but the parameter must be present. */
export function required(params: RawParams, name: string): string {
  const v = single(params, name);
  if (v === undefined) {
    throw new OAuth2Error('ERR_OAUTH2_INVALID_REQUEST', `the ${name} parameter is missing`);
  }
  return v;
}

/** Throws invalid_request when any parameter is repeated. */
export function refuseRepeated(params: RawParams): void {
  for (const name of Object.keys(params)) single(params, name);
}
