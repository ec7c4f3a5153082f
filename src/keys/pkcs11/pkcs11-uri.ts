/**
 * PKCS#11 URIs (RFC 7512): `pkcs11:token=LABEL;object=NAME`. Only the path attributes Signet
 * needs are accepted (`token`, `object`, `type`, `id`, `serial`, `manufacturer`, `model`,
 * `library-*`, `slot-*`); query attributes such as `pin-value` are refused (default-deny).
 */
import { KeyBackendError } from '../errors.js';

/** The parts of a PKCS#11 URI naming one key on one token. */
export interface Pkcs11KeyUri {
  /** CKA_LABEL of the token (token label). */
  readonly token: string;
  /** CKA_LABEL of the key objects. */
  readonly object: string;
}

const ignoredPathAttributes = new Set([
  'type',
  'id',
  'serial',
  'manufacturer',
  'model',
  'library-manufacturer',
  'library-description',
  'library-version',
  'slot-description',
  'slot-manufacturer',
  'slot-id',
]);

// RFC 7512 §2.3: pk11-pchar = unreserved / pk11-res-avail / pct-encoded.
const pcharPattern = /^(?:[A-Za-z0-9\-._~:[\]@!$'()*+,=&]|%[0-9A-Fa-f]{2})*$/;

function invalid(message: string): KeyBackendError {
  return new KeyBackendError('ERR_KEY_REF_INVALID', `invalid PKCS#11 URI: ${message}`);
}

/**
 * Parses `pkcs11:token=…;object=…` (RFC 7512 §2.3), percent-decoding values.
 *
 * @example
 * ```ts
 * parsePkcs11Uri('pkcs11:token=signet;object=alice-1'); // { token: 'signet', object: 'alice-1' }
 * ```
 */
export function parsePkcs11Uri(uri: string): Pkcs11KeyUri {
  if (uri.length > 2048) throw invalid('too long');
  if (!uri.startsWith('pkcs11:')) throw invalid('scheme must be pkcs11:');
  const rest = uri.slice('pkcs11:'.length);
  if (rest.includes('?'))
    throw invalid('query attributes (pin-value, module-path, …) are not accepted');
  const values = new Map<string, string>();
  for (const part of rest.split(';')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw invalid(`attribute without a value: ${part}`);
    const name = part.slice(0, eq);
    const raw = part.slice(eq + 1);
    if (!pcharPattern.test(raw)) throw invalid(`bad character in ${name}`);
    if (values.has(name)) throw invalid(`duplicate attribute ${name}`); // RFC 7512 §2.3
    if (name !== 'token' && name !== 'object' && !ignoredPathAttributes.has(name)) {
      throw invalid(`unsupported attribute ${name}`);
    }
    let value: string;
    try {
      value = decodeURIComponent(raw);
    } catch {
      throw invalid(`bad percent-encoding in ${name}`);
    }
    values.set(name, value);
  }
  const type = values.get('type');
  if (type !== undefined && type !== 'private' && type !== 'public')
    throw invalid('type must be private or public');
  const token = values.get('token');
  const object = values.get('object');
  if (token === undefined || token === '') throw invalid('token= is required');
  if (object === undefined || object === '') throw invalid('object= is required');
  return { token, object };
}

function encode(value: string): string {
  // Percent-encode everything outside unreserved (RFC 3986 §2.3), which is always valid.
  return [...new TextEncoder().encode(value)]
    .map((b) => {
      const c = String.fromCharCode(b);
      return /[A-Za-z0-9\-._~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');
}

/** Formats `pkcs11:token=…;object=…` with percent-encoding (RFC 7512 §2.3). */
export function formatPkcs11Uri(uri: Pkcs11KeyUri): string {
  return `pkcs11:token=${encode(uri.token)};object=${encode(uri.object)}`;
}
