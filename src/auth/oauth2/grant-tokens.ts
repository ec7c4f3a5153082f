/**
 * The tokens of one grant (RFC 6749 §1.5, §10.4): refresh tokens share a family with the access
 * tokens of the same authorization, so a replayed code or a reused refresh token revokes them all
 * (RFC 6749 §4.1.2, RFC 9700 §4.14.2) — with the SADs of credential-scope tokens (same value).
 */
import { toHex } from '../../core/bytes.js';
import {
  insertToken,
  listTokenFamily,
  revokeSadRow,
  revokeTokenFamily,
  type Db,
} from '../../store/index.js';
import { generateOpaqueToken } from '../opaque-token.js';

/** The family of the tokens a code produces. */
export function codeFamily(codeHash: Uint8Array): string {
  return `code:${toHex(codeHash)}`;
}

/** Stores a new refresh token (scope service) of `family`; returns its value (shown once). */
export async function insertRefreshToken(
  trx: Db,
  ttlSeconds: number,
  clientId: string,
  userId: string | null,
  family: string,
  now: number,
): Promise<string> {
  const token = generateOpaqueToken();
  await insertToken(trx, {
    token_hash: token.hash,
    kind: 'refresh',
    client_id: clientId,
    user_id: userId,
    scope: 'service',
    family_id: family,
    credential_id: null,
    expires_at: now + ttlSeconds * 1000,
    revoked: 0,
    used: 0,
    created_at: now,
  });
  return token.token;
}

/** Revokes every token of a grant and the SADs of its credential tokens (same value, same hash). */
export async function revokeGrant(trx: Db, family: string): Promise<number> {
  for (const t of await listTokenFamily(trx, family)) {
    if (t.scope === 'credential') await revokeSadRow(trx, t.token_hash);
  }
  return revokeTokenFamily(trx, family);
}
