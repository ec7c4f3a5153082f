/**
 * The token-server wire protocol: JSON over HTTPS with mutual TLS (RFC 8446 §4.3.2 client
 * certificates). Requests that use a key carry a single-use request id and an issue time, so a
 * captured request cannot be replayed (docs/security.md KEY-10) and a retry can never sign twice.
 */
import type { DigestAlgorithm, SignatureScheme } from '../../cms/algorithms.js';
import type { KeySpec } from '../key-backend.js';
import { KeyBackendError, type KeyErrorCode } from '../errors.js';

/** Paths of the protocol, version 1. */
export const remotePaths = {
  health: '/v1/health',
  keys: '/v1/keys',
  generate: '/v1/keys/generate',
  publicKey: '/v1/keys/public-key',
  sign: '/v1/keys/sign',
  destroy: '/v1/keys/destroy',
} as const;

/** Largest request or response body accepted (bytes). */
export const maxBodyBytes = 64 * 1024;

/** The request of `POST /v1/keys/sign`. */
export interface SignBody {
  readonly requestId: string;
  readonly issuedAt: string;
  readonly ref: string;
  readonly scheme: SignatureScheme;
  readonly digestAlgorithm: DigestAlgorithm;
  /** base64. */
  readonly digest: string;
}

/** An error answer: `{ "error": { "code": "ERR_…", "message": "…" } }`. */
export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}

/** A protocol violation by the peer. */
export function badRequest(message: string): KeyBackendError {
  return new KeyBackendError('ERR_KEY_REMOTE', message);
}

/** Reads a string field, refusing other types. */
export function stringField(body: unknown, name: string, max = 2048): string {
  const v =
    typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
  if (typeof v !== 'string' || v.length > max) throw badRequest(`field ${name} must be a string`);
  return v;
}

/** Reads a base64 field into bytes. */
export function bytesField(body: unknown, name: string): Uint8Array {
  const v = stringField(body, name, maxBodyBytes);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v)) throw badRequest(`field ${name} must be base64`);
  return new Uint8Array(Buffer.from(v, 'base64'));
}

/** Reads a key spec. */
export function specField(body: unknown): KeySpec {
  const spec =
    typeof body === 'object' && body !== null
      ? (body as Record<string, unknown>)['spec']
      : undefined;
  const s = (typeof spec === 'object' && spec !== null ? spec : {}) as Record<string, unknown>;
  if (s['type'] === 'RSA' && (s['bits'] === 2048 || s['bits'] === 3072 || s['bits'] === 4096)) {
    return { type: 'RSA', bits: s['bits'] };
  }
  if (
    s['type'] === 'EC' &&
    (s['curve'] === 'P-256' || s['curve'] === 'P-384' || s['curve'] === 'P-521')
  ) {
    return { type: 'EC', curve: s['curve'] };
  }
  throw new KeyBackendError('ERR_KEY_SPEC_UNSUPPORTED', 'unsupported key specification');
}

/** Reads a signature scheme. */
export function schemeField(body: unknown): SignatureScheme {
  const v = stringField(body, 'scheme', 32);
  if (v === 'RSASSA-PKCS1-v1_5' || v === 'RSASSA-PSS' || v === 'ECDSA') return v;
  throw new KeyBackendError('ERR_KEY_MECHANISM_UNSUPPORTED', 'unsupported signature scheme');
}

/** Reads a digest algorithm. */
export function digestAlgorithmField(body: unknown): DigestAlgorithm {
  const v = stringField(body, 'digestAlgorithm', 16);
  if (v === 'SHA-256' || v === 'SHA-384' || v === 'SHA-512') return v;
  throw new KeyBackendError('ERR_KEY_MECHANISM_UNSUPPORTED', 'unsupported digest algorithm');
}

const keyErrorCodes: ReadonlySet<string> = new Set<KeyErrorCode>([
  'ERR_KEY_NOT_FOUND',
  'ERR_KEY_DISABLED',
  'ERR_KEY_EXISTS',
  'ERR_KEY_LABEL_INVALID',
  'ERR_KEY_REF_INVALID',
  'ERR_KEY_SPEC_UNSUPPORTED',
  'ERR_KEY_DIGEST_INVALID',
  'ERR_KEY_BACKEND_UNAVAILABLE',
  'ERR_KEY_BACKEND_BUSY',
  'ERR_KEY_BACKEND_CLOSED',
  'ERR_KEY_MECHANISM_UNSUPPORTED',
  'ERR_KEY_CAPABILITY_UNSUPPORTED',
  'ERR_KEY_SIGN_FAILED',
  'ERR_KEY_TOKEN_NOT_FOUND',
  'ERR_KEY_PIN',
  'ERR_KEY_REMOTE',
  'ERR_KEY_REPLAYED',
]);

/** The KeyErrorCode carried by an error body, or ERR_KEY_REMOTE for anything else. */
export function remoteErrorCode(code: unknown): KeyErrorCode {
  return typeof code === 'string' && keyErrorCodes.has(code)
    ? (code as KeyErrorCode)
    : 'ERR_KEY_REMOTE';
}

/** HTTP status for a key error code (the server's mapping). */
export function statusForCode(code: string): number {
  switch (code) {
    case 'ERR_KEY_NOT_FOUND':
    case 'ERR_KEY_TOKEN_NOT_FOUND':
      return 404;
    case 'ERR_KEY_EXISTS':
    case 'ERR_KEY_REPLAYED':
      return 409;
    case 'ERR_KEY_BACKEND_BUSY':
    case 'ERR_KEY_BACKEND_UNAVAILABLE':
    case 'ERR_KEY_BACKEND_CLOSED':
      return 503;
    case 'ERR_KEY_SIGN_FAILED':
    case 'ERR_KEY_PIN':
      return 500;
    default:
      return 400;
  }
}
