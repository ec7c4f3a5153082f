/**
 * Issue 19: the token, the credential and its further keys a signing call names, in one statement
 * on both stores — the same rows as findTokenWithUser, findCredential and listCredentialKeys give.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  findBearerAndCredential,
  findCredential,
  findTokenWithUser,
  insertCredential,
  insertCredentialKey,
  insertOAuthClient,
  insertToken,
  insertUser,
  listCredentialKeys,
  type Store,
} from '../../src/store/index.js';
import { requireStore, storeKinds, testStores } from '../support/stores.js';

const sha256 = (s: string): Uint8Array => new Uint8Array(createHash('sha256').update(s).digest());

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
  for (const id of ['u1', 'u2']) await insertUser(store.db, { id, username: id, passwordHash: 'h', createdAt: 0 });
  await insertToken(store.db, {
    token_hash: sha256('at1'),
    kind: 'access',
    client_id: 'k1',
    user_id: 'u1',
    scope: 'service',
    family_id: 'f1',
    credential_id: null,
    expires_at: 10_000,
    revoked: 0,
    used: 0,
    created_at: 5,
  });
  for (const [id, userId] of [['c1', 'u1'], ['c2', 'u2'], ['c3', 'u1']] as const) {
    await insertCredential(store.db, {
      id,
      userId,
      keyRef: `keystore:${id}`,
      backendKind: 'software',
      certificateChain: [new Uint8Array([1, 2, 3]), new Uint8Array([4, 5])],
      pinHash: null,
      multisign: 10,
      scal: 'SCAL2',
      createdAt: 7,
      certificateSerial: `0a${id}`,
    });
  }
  // c3 has two further keys, inserted newest first: they come back oldest first.
  for (const [id, createdAt] of [['k-late', 20], ['k-early', 10]] as const) {
    await insertCredentialKey(store.db, {
      id,
      credentialId: 'c3',
      keyRef: `pkcs11:object=${id}`,
      backendKind: 'pkcs11',
      certificateChain: [new Uint8Array([9])],
      certificateSerial: `0b${id}`,
      createdAt,
    });
  }
}

describe('findBearerAndCredential: one read of a signing call', () => {
  for (const kind of storeKinds) {
    it(`${kind}: the same rows as the three separate reads, whoever owns the credential`, async (t) => {
      if (!(await requireStore(t, kind))) return;
      const { store } = await testStores(t)[kind]();
      await seed(store);
      const token = await findTokenWithUser(store.db, sha256('at1'));
      for (const credentialId of ['c1', 'c2', 'c3', 'unknown']) {
        const read = await findBearerAndCredential(store.db, sha256('at1'), credentialId);
        assert.deepEqual(read.token, token, credentialId);
        assert.deepEqual(read.credential, await findCredential(store.db, credentialId), credentialId);
        assert.deepEqual(read.keys, await listCredentialKeys(store.db, credentialId), credentialId);
      }
      assert.deepEqual((await findBearerAndCredential(store.db, sha256('at1'), 'c3')).keys.map((k) => k.id), ['k-early', 'k-late']);
    });

    it(`${kind}: an unknown token reads nothing else`, async (t) => {
      if (!(await requireStore(t, kind))) return;
      const { store } = await testStores(t)[kind]();
      await seed(store);
      assert.deepEqual(await findBearerAndCredential(store.db, sha256('nope'), 'c1'), { token: undefined, credential: undefined, keys: [] });
    });
  }
});
