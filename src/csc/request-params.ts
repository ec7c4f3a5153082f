/**
 * Typed readers for CSC request bodies with the v2 text's canonical error descriptions
 * (CSC API v2 §11: "Missing (or invalid type) string parameter credentialID", …). A JSON `null`
 * means "absent" (CSC v2 §7.1).
 */
import { isStrictBase64 } from '../core/bytes.js';
import { CscError, invalidParameter, missingParameter } from './errors.js';

/** A parsed JSON request body (an object; anything else is refused up front). */
export type CscBody = Readonly<Record<string, unknown>>;

/** Checks that the body is a JSON object. */
export function asBody(body: unknown): CscBody {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new CscError('ERR_CSC_INVALID_REQUEST', 'The request body must be a JSON object');
  }
  return body as CscBody;
}

function present(body: CscBody, name: string): unknown {
  const v = body[name];
  return v === null ? undefined : v;
}

/** A required non-empty string (≤ maxLength). */
export function requiredString(body: CscBody, name: string, maxLength = 1024): string {
  const v = present(body, name);
  if (typeof v !== 'string' || v.length === 0) throw missingParameter('string', name);
  if (v.length > maxLength) throw invalidParameter(name);
  return v;
}

/** An optional string (≤ maxLength). */
export function optionalString(body: CscBody, name: string, maxLength = 1024): string | undefined {
  const v = present(body, name);
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw missingParameter('string', name);
  if (v.length > maxLength) throw invalidParameter(name);
  return v;
}

/** An optional boolean. */
export function optionalBoolean(body: CscBody, name: string): boolean | undefined {
  const v = present(body, name);
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw missingParameter('boolean', name);
  return v;
}

/** A required integer. */
export function requiredInteger(body: CscBody, name: string): number {
  const v = present(body, name);
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw missingParameter('integer', name);
  return v;
}

/** An optional integer. */
export function optionalInteger(body: CscBody, name: string): number | undefined {
  return present(body, name) === undefined ? undefined : requiredInteger(body, name);
}

/** A required array of objects (1 … max). */
export function requiredObjectArray(body: CscBody, name: string, max: number): CscBody[] {
  const v = present(body, name);
  if (!Array.isArray(v)) throw missingParameter('array', name);
  if (v.length === 0) throw new CscError('ERR_CSC_INVALID_REQUEST', `Empty ${name} array`);
  if (v.length > max) throw new CscError('ERR_CSC_INVALID_REQUEST', `Too many ${name} (at most ${max})`);
  return v.map((item) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw invalidParameter(name);
    return item as CscBody;
  });
}

/**
 * Decodes strict standard Base64 or throws `Invalid Base64 <what>`: RFC 4648 §4 alphabet,
 * canonical padding, no whitespace, no base64url (docs/security.md SAD-12). Checked in one linear pass:
 * the regular expression it replaces overflowed the stack above ~4.47 M characters (issue 15).
 */
export function decodeBase64(value: string, what: string): Uint8Array {
  if (!isStrictBase64(value)) {
    throw new CscError('ERR_CSC_INVALID_REQUEST', `Invalid Base64 ${what}`);
  }
  return new Uint8Array(Buffer.from(value, 'base64'));
}

/** A required, non-empty array of Base64 hashes (CSC `hashes`), at most `max`. */
export function requiredHashes(body: CscBody, name: string, max: number): Uint8Array[] {
  const v = present(body, name);
  if (!Array.isArray(v)) throw missingParameter('array', name);
  if (v.length === 0) throw new CscError('ERR_CSC_INVALID_REQUEST', 'Empty hash array');
  if (v.length > max) {
    throw new CscError('ERR_CSC_INVALID_REQUEST', `Too many hashes (at most ${max})`);
  }
  return v.map((h) => {
    if (typeof h !== 'string' || h.length === 0 || h.length > 200) {
      throw new CscError('ERR_CSC_INVALID_REQUEST', 'Invalid Base64 hash string parameter');
    }
    return decodeBase64(h, 'hash string parameter');
  });
}

/** Optional hashes: undefined when absent. */
export function optionalHashes(body: CscBody, name: string, max: number): Uint8Array[] | undefined {
  return present(body, name) === undefined ? undefined : requiredHashes(body, name, max);
}

/** Standard Base64 encoding for responses. */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
