/**
 * RFC 9396 §6 at the token endpoint: authorization_details, when sent, may only restate what the
 * user consented to (docs/security.md SAD-03); the answer echoes them with the authorised count.
 */
import type { AuthorizationCodeRow } from '../../store/index.js';
import { credentialRarTypes } from './authorization-request.js';
import { OAuth2Error } from './errors.js';
import { single } from './params.js';
import type { RawParams } from './types.js';

/**
 * RFC 9396 §6: authorization_details at the token endpoint may only restate what was
 * authorised; any other credential, algorithm or hash set is refused (docs/security.md SAD-03).
 */
export function restatedAuthorizationDetails(
  params: RawParams,
  row: AuthorizationCodeRow,
  hashes: readonly string[],
): readonly unknown[] | undefined {
  const raw = single(params, 'authorization_details');
  if (raw === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new OAuth2Error(
      'ERR_OAUTH2_INVALID_AUTHORIZATION_DETAILS',
      'authorization_details is not JSON',
    );
  }
  const d =
    Array.isArray(parsed) && parsed.length === 1
      ? (parsed[0] as Record<string, unknown> | null)
      : null;
  const digests =
    d !== null && typeof d === 'object' && Array.isArray(d['documentDigests'])
      ? (d['documentDigests'] as unknown[])
      : [];
  const asked = digests.map((x) =>
    typeof x === 'object' && x !== null ? (x as Record<string, unknown>)['hash'] : undefined,
  );
  const same =
    d !== null &&
    typeof d === 'object' &&
    typeof d['type'] === 'string' &&
    credentialRarTypes.includes(d['type']) &&
    d['credentialID'] === row.credential_id &&
    d['hashAlgorithmOID'] === row.hash_algorithm_oid &&
    asked.length === hashes.length &&
    asked.every((h) => typeof h === 'string' && hashes.includes(h));
  if (!same) {
    throw new OAuth2Error(
      'ERR_OAUTH2_INVALID_AUTHORIZATION_DETAILS',
      'authorization_details differ from what was authorised',
    );
  }
  return [{ ...d, numSignatures: row.num_signatures }];
}
