/** Tokens on both stores: hash-only, refresh rotation once, family revocation on reuse (docs/security.md OA-18, OA-20; RFC 9700 §4.14.2). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  findToken,
  insertOAuthClient,
  insertToken,
  revokeToken,
  revokeTokenFamily,
  useRefreshToken,
  type Store,
} from '../../src/store/index.js';
import { requireStore, storeKinds, testStores } from '../support/stores.js';

const sha256 = (s: string): Uint8Array => new Uint8Array(createHash('sha256').update(s).digest());

function token(raw: string, kind: 'access' | 'refresh', family: string, expiresAt = 10_000) {
  return {
    token_hash: sha256(raw),
    kind,
    client_id: 'k1',
    user_id: 'u1',
    scope: 'service',
    family_id: family,
    credential_id: null,
    expires_at: expiresAt,
    revoked: 0 as const,
    used: 0 as const,
    created_at: 0,
  };
}

async function seed(store: Store): Promise<void> {
  await insertOAuthClient(store.db, {
    id: 'k1',
    name: 'Gateway',
    clientType: 'confidential',
    secretHash: 'h',
    redirectUris: [],
    allowedScopes: ['service'],
    createdAt: 0,
  });
}

describe('tokens', () => {
  for (const kind of storeKinds) {
    describe(kind, () => {
      it('OA-18 a refresh token is used once; reuse leads the caller to revoke the family', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        await seed(store);
        await insertToken(store.db, token('rt1', 'refresh', 'f1'));
        await insertToken(store.db, token('at1', 'access', 'f1'));
        await insertToken(store.db, token('at-other', 'access', 'f2'));
        assert.equal((await useRefreshToken(store.db, sha256('rt1'), 0))?.family_id, 'f1');
        await insertToken(store.db, token('rt2', 'refresh', 'f1'));
        assert.equal(await useRefreshToken(store.db, sha256('rt1'), 0), undefined);
        assert.equal(
          await useRefreshToken(store.db, sha256('at1'), 0),
          undefined,
          'access tokens cannot refresh',
        );
        assert.equal(await revokeTokenFamily(store.db, 'f1'), 3);
        assert.equal(await useRefreshToken(store.db, sha256('rt2'), 0), undefined);
        assert.equal((await findToken(store.db, sha256('at1')))?.revoked, 1);
        assert.equal((await findToken(store.db, sha256('at-other')))?.revoked, 0);
        assert.equal(await revokeToken(store.db, sha256('at-other')), true);
        assert.equal(await revokeToken(store.db, sha256('at-other')), false);
      });

      it('an expired refresh token is refused; raw tokens never stored', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        await seed(store);
        await insertToken(store.db, token('rt-raw-value', 'refresh', 'f1', 500));
        assert.equal(await useRefreshToken(store.db, sha256('rt-raw-value'), 500), undefined);
        const dump = JSON.stringify(await store.db.selectFrom('tokens').selectAll().execute());
        assert.ok(!dump.includes('rt-raw-value'));
      });

      it('a refresh token raced on two connections is used exactly once', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const test = await testStores(t)[kind]();
        await seed(test.store);
        const other = await test.connectAgain();
        await insertToken(test.store.db, token('rt', 'refresh', 'f1'));
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            (i % 2 === 0 ? test.store : other).transaction((trx) =>
              useRefreshToken(trx, sha256('rt'), 0),
            ),
          ),
        );
        assert.equal(results.filter((r) => r !== undefined).length, 1);
      });
    });
  }
});
