/** Authorization codes and clients on both stores: hash-only storage, single redemption under a race (docs/security.md OA-10/11/12). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import {
  findAuthorizationCode,
  findOAuthClient,
  insertAuthorizationCode,
  insertOAuthClient,
  insertUser,
  redeemAuthorizationCode,
  deleteExpiredAuthorizationCodes,
  StoreError,
  type Store,
} from '../../src/store/index.js';
import { requireStore, storeKinds, testStores } from '../support/stores.js';

const sha256 = (s: string): Uint8Array => new Uint8Array(createHash('sha256').update(s).digest());

async function seed(store: Store): Promise<void> {
  await insertUser(store.db, { id: 'u1', username: 'alice', passwordHash: 'x', createdAt: 0 });
  await insertOAuthClient(store.db, {
    id: 'k1',
    name: 'Gateway',
    clientType: 'public',
    secretHash: null,
    redirectUris: ['https://c.example/cb'],
    allowedScopes: ['service', 'credential'],
    createdAt: 0,
  });
}

function code(hash: Uint8Array, expiresAt: number) {
  return {
    code_hash: hash,
    client_id: 'k1',
    redirect_uri: 'https://c.example/cb',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
    user_id: 'u1',
    scope: 'credential',
    credential_id: 'c1',
    num_signatures: 2,
    hash_algorithm_oid: '2.16.840.1.101.3.4.2.1',
    hashes: JSON.stringify(['aGFzaA==']),
    expires_at: expiresAt,
    used: 0 as const,
    created_at: 0,
  };
}

describe('authorization codes and clients', () => {
  for (const kind of storeKinds) {
    describe(kind, () => {
      it('stores clients with exact redirect URIs and refuses a duplicate id', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        await seed(store);
        const client = await findOAuthClient(store.db, 'k1');
        assert.deepEqual(client?.redirectUris, ['https://c.example/cb']);
        assert.equal(client?.clientType, 'public');
        assert.equal(await findOAuthClient(store.db, 'k2'), undefined);
        await assert.rejects(
          insertOAuthClient(store.db, {
            id: 'k1',
            name: 'x',
            clientType: 'confidential',
            secretHash: 'h',
            redirectUris: [],
            allowedScopes: [],
            createdAt: 0,
          }),
          (e: unknown) => e instanceof StoreError && e.code === 'ERR_STORE_CONFLICT',
        );
        await assert.rejects(
          insertUser(store.db, { id: 'u2', username: 'alice', passwordHash: 'x', createdAt: 0 }),
          (e: unknown) => e instanceof StoreError && e.code === 'ERR_STORE_CONFLICT',
        );
      });

      it('redeems a code once; expired and unknown codes are refused; only the hash is stored', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        await seed(store);
        const raw = randomBytes(32).toString('base64url');
        await insertAuthorizationCode(store.db, code(sha256(raw), 1000));
        const dump = JSON.stringify(
          await store.db.selectFrom('authorization_codes').selectAll().execute(),
        );
        assert.ok(!dump.includes(raw));
        assert.equal(
          await redeemAuthorizationCode(store.db, sha256(raw), 1000),
          undefined,
          'expired at expires_at',
        );
        const won = await redeemAuthorizationCode(store.db, sha256(raw), 999);
        assert.equal(won?.user_id, 'u1');
        assert.equal(won?.num_signatures, 2);
        assert.equal(
          await redeemAuthorizationCode(store.db, sha256(raw), 999),
          undefined,
          'second redemption',
        );
        assert.equal((await findAuthorizationCode(store.db, sha256(raw)))?.used, 1);
        assert.equal(await redeemAuthorizationCode(store.db, sha256('unknown'), 0), undefined);
        assert.equal(await deleteExpiredAuthorizationCodes(store.db, 1000), 1);
      });

      it('OA-11 the same code redeemed on two connections at once: exactly one wins', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const test = await testStores(t)[kind]();
        await seed(test.store);
        const other = await test.connectAgain();
        const hashes = Array.from({ length: 5 }, (_, i) => sha256(`code-${i}`));
        for (const h of hashes) await insertAuthorizationCode(test.store.db, code(h, 10_000));
        const attempts = hashes.flatMap((h) =>
          Array.from({ length: 6 }, (_, i) =>
            (i % 2 === 0 ? test.store : other).transaction((trx) =>
              redeemAuthorizationCode(trx, h, 0),
            ),
          ),
        );
        const results = await Promise.all(attempts);
        assert.equal(results.filter((r) => r !== undefined).length, 5);
      });
    });
  }
});
