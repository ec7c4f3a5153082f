/**
 * Token revocation (RFC 7009; CSC API v2 §8.4.5): access and refresh tokens of the authenticated
 * client. Unknown tokens, and tokens of other clients, get the same 200 (RFC 7009 §2.2) and
 * nothing is revoked. A refresh token takes its whole grant with it (RFC 7009 §2.1); a
 * credential-scope access token takes its SAD (same value).
 */
import { appendAudit } from '../../audit/index.js';
import { findToken, revokeSadRow, revokeToken, revokeTokenFamily } from '../../store/index.js';
import { hashOpaqueToken } from '../opaque-token.js';
import { ref } from './audit-details.js';
import { authenticateClient, origin } from './client-authentication.js';
import { required, single } from './params.js';
import type { OAuth2Deps } from './types.js';
import type { TokenRequest } from './token-endpoint.js';

/** Handles POST /oauth2/revoke; resolves for every well-formed request from an authenticated client. */
export async function revokeOAuthToken(
  deps: OAuth2Deps,
  request: TokenRequest,
): Promise<void> {
  const { client } = await authenticateClient(deps, request);
  const value = required(request.params, 'token');
  // RFC 7009 §2.1: the hint is only an optimisation; the lookup is by hash either way.
  single(request.params, 'token_type_hint');
  const hash = hashOpaqueToken(value);
  await deps.store.transaction(async (trx) => {
    const row = await findToken(trx, hash);
    const mine = row !== undefined && row.client_id === client.id;
    let revoked = 0;
    if (mine && row.kind === 'refresh') {
      revoked = await revokeTokenFamily(trx, row.family_id);
    } else if (mine) {
      revoked = (await revokeToken(trx, hash)) ? 1 : 0;
      if (row.scope === 'credential') await revokeSadRow(trx, hash);
    }
    await appendAudit(
      trx,
      {
        type: 'oauth2.revoke',
        outcome: mine ? 'success' : 'failure',
        actorClientId: client.id,
        ...(mine && row.user_id !== null ? { actorUserId: row.user_id } : {}),
        details: mine
          ? { kind: row.kind, tokenRef: ref(hash), revoked }
          : { reason: 'unknown-token' },
        ...origin(request),
      },
      deps.audit,
    );
  });
}
