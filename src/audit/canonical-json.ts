/** Canonical JSON for audit details: sorted keys, no undefined, bounded size and depth (INV-7). */
import type { AuditJson } from './audit-event.js';
import { AuditError } from './errors.js';

/** Large enough for a SAD's full hash list (1000 SHA-512 hashes in base64), small enough to bound a row. */
const MAX_DETAILS_BYTES = 256 * 1024;
const MAX_DEPTH = 8;

/** Field names that must never be audited (docs/security.md AUD-08: no secrets in the log). */
const SECRET_FIELD =
  /^(password|passphrase|pin|otp|totp|secret|client_secret|token|access_token|refresh_token|sad|code|code_verifier|private_?key)$/i;

function canonical(value: AuditJson, depth: number): AuditJson {
  if (depth > MAX_DEPTH)
    throw new AuditError('ERR_AUDIT_EVENT_INVALID', 'audit details are nested too deeply');
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value))
      throw new AuditError('ERR_AUDIT_EVENT_INVALID', 'audit details hold a non-finite number');
    return value;
  }
  if (Array.isArray(value)) return value.map((v: AuditJson) => canonical(v, depth + 1));
  const out: Record<string, AuditJson> = {};
  for (const key of Object.keys(value).sort()) {
    if (SECRET_FIELD.test(key)) {
      throw new AuditError(
        'ERR_AUDIT_SECRET_FIELD',
        `audit details must not contain a '${key}' field`,
      );
    }
    const v = (value as Record<string, AuditJson | undefined>)[key];
    if (v !== undefined) out[key] = canonical(v, depth + 1);
  }
  return out;
}

/** Serialises details canonically, refusing secret-looking fields and oversized payloads. */
export function canonicalDetails(
  details: { readonly [key: string]: AuditJson } | undefined,
): string {
  const text = JSON.stringify(canonical(details ?? {}, 0));
  if (Buffer.byteLength(text, 'utf8') > MAX_DETAILS_BYTES) {
    throw new AuditError('ERR_AUDIT_EVENT_INVALID', 'audit details exceed 256 KiB');
  }
  return text;
}
