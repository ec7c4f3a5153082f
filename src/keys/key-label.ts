/** Key labels: the names keys carry in every backend (keystore file names, PKCS#11 CKA_LABEL). */
import { randomBytes } from 'node:crypto';
import { KeyBackendError } from './errors.js';

const labelPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * Throws `ERR_KEY_LABEL_INVALID` unless `label` is 1–128 characters of `[A-Za-z0-9._-]` starting
 * with a letter or digit (safe as a file name and inside an RFC 7512 URI without escaping).
 */
export function assertKeyLabel(label: string): void {
  if (!labelPattern.test(label)) {
    throw new KeyBackendError(
      'ERR_KEY_LABEL_INVALID',
      'key label must be 1-128 characters of [A-Za-z0-9._-] starting with a letter or digit',
    );
  }
}

/** A fresh random label (`key-` + 16 hex digits) for keys generated without one. */
export function randomKeyLabel(): string {
  return `key-${randomBytes(8).toString('hex')}`;
}
