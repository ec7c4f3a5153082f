/**
 * The `Idempotency-Key` request header (draft-ietf-httpapi-idempotency-key-header §2.1: an
 * sf-string, RFC 8941 §3.3.3). Quoted and bare forms are both accepted (widely deployed clients send
 * the bare token); the value is bounded and limited to a URL-safe and base64 alphabet, so UUIDs,
 * ULIDs and base64 random values fit and nothing else reaches the database or the audit log.
 */
import { CscError } from './errors.js';

/** Longest accepted key (characters). */
export const maxIdempotencyKeyLength = 255;

const keyPattern = /^[A-Za-z0-9\-._~:+/=]+$/;

/** The validated key, or undefined when the header is absent; a malformed header is refused. */
export function parseIdempotencyKey(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  // RFC 8941 §3.3.3: an sf-string is DQUOTE *chr DQUOTE; the alphabet below needs no escapes.
  const value = raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw;
  if (value.length === 0 || value.length > maxIdempotencyKeyLength || !keyPattern.test(value)) {
    throw new CscError('ERR_CSC_IDEMPOTENCY_KEY_INVALID', 'Invalid Idempotency-Key header');
  }
  return value;
}
