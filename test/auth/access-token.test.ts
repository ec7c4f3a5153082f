/** Access tokens on both stores: hash-only storage, scope and credential binding, expiry, revocation (RFC 6750 §3.1; docs/security.md OA-20, SAD-15, SAD-19). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  hashOpaqueToken,
  issueAccessToken,
  revokeAccessToken,
  verifyAccessToken,
} from '../../src/auth/index.js';
import { insertUser, setUserStatus, type Store } from '../../src/store/index.js';
import { requireStore, storeKinds, testStores } from '../support/stores.js';

async function seed(store: Store): Promise<void> {
  await insertUser(store.db, { id: 'u1', username: 'u1', passwordHash: 'x', createdAt: 0 });
}

describe('access tokens', () => {
  for (const kind of storeKinds) {
    describe(kind, () => {
      it('issues a service token for the built-in csc-login client; only its SHA-256 is stored (OA-20)', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        await seed(store);
        const now = 1_000_000;
        const issued = await store.transaction((trx) =>
          issueAccessToken(trx, { userId: 'u1', clientId: 'csc-login', scope: 'service', ttlSeconds: 3600, now }),
        );
        assert.equal(issued.expiresIn, 3600);
        assert.equal(Buffer.from(issued.value, 'base64url').length, 32);
        const rows = await store.db.selectFrom('tokens').selectAll().execute();
        assert.equal(rows.length, 1);
        assert.deepEqual(new Uint8Array(rows[0]!.token_hash), hashOpaqueToken(issued.value));
        assert.equal(rows[0]!.kind, 'access');
        assert.deepEqual(await verifyAccessToken(store.db, issued.value, now + 1, undefined), {
          userId: 'u1',
          clientId: 'csc-login',
          scope: 'service',
          credentialId: null,
          expiresAt: now + 3_600_000,
          userActive: true,
          certificateThumbprint: null,
        });
      });

      it('refuses unknown, expired and revoked tokens (SAD-15)', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        await seed(store);
        const now = 5_000;
        const a = await store.transaction((trx) =>
          issueAccessToken(trx, { userId: 'u1', clientId: 'csc-login', scope: 'service', ttlSeconds: 60, now }),
        );
        assert.equal(await verifyAccessToken(store.db, 'not-a-token', now, undefined), undefined);
        assert.equal(await verifyAccessToken(store.db, '', now, undefined), undefined);
        assert.ok(await verifyAccessToken(store.db, a.value, now + 59_999, undefined));
        assert.equal(await verifyAccessToken(store.db, a.value, now + 60_000, undefined), undefined);
        assert.equal(await store.transaction((trx) => revokeAccessToken(trx, a.value)), true);
        assert.equal(await verifyAccessToken(store.db, a.value, now, undefined), undefined);
        assert.equal(await store.transaction((trx) => revokeAccessToken(trx, a.value)), false);
      });

      it('reports whether the token acts for an active user now (read in the same query)', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        await seed(store);
        const now = 5_000;
        const user = await store.transaction((trx) =>
          issueAccessToken(trx, { userId: 'u1', clientId: 'csc-login', scope: 'service', ttlSeconds: 60, now }),
        );
        const client = await store.transaction((trx) =>
          issueAccessToken(trx, { userId: null, clientId: 'csc-login', scope: 'service', ttlSeconds: 60, now }),
        );
        assert.equal((await verifyAccessToken(store.db, user.value, now, undefined))?.userActive, true);
        assert.equal((await verifyAccessToken(store.db, client.value, now, undefined))?.userActive, false);
        await store.transaction((trx) => setUserStatus(trx, 'u1', 'disabled'));
        assert.equal((await verifyAccessToken(store.db, user.value, now, undefined))?.userActive, false);
      });

      it('a credential-scope token keeps its credential and may reuse a given value (the SAD); a refresh row is never an access token', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        await seed(store);
        const value = 'sad-value-0123456789';
        await store.transaction((trx) =>
          issueAccessToken(trx, {
            userId: 'u1',
            clientId: 'csc-login',
            scope: 'credential',
            credentialId: 'c1',
            ttlSeconds: 300,
            now: 0,
            value,
          }),
        );
        const info = await verifyAccessToken(store.db, value, 1, undefined);
        assert.equal(info?.scope, 'credential');
        assert.equal(info?.credentialId, 'c1');
        await store.db
          .insertInto('tokens')
          .values({
            token_hash: hashOpaqueToken('refresh-1'),
            kind: 'refresh',
            client_id: 'csc-login',
            user_id: 'u1',
            scope: 'service',
            family_id: 'f',
            credential_id: null,
            expires_at: 10_000,
            revoked: 0,
            used: 0,
            created_at: 0,
          })
          .execute();
        assert.equal(await verifyAccessToken(store.db, 'refresh-1', 1, undefined), undefined);
      });

      it('an unknown client id is refused by the foreign key', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        await seed(store);
        await assert.rejects(
          store.transaction((trx) =>
            issueAccessToken(trx, { userId: 'u1', clientId: 'nobody', scope: 'service', ttlSeconds: 60, now: 0 }),
          ),
        );
      });
    });
  }
});
