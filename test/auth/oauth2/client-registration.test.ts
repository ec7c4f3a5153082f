/** createOAuthClient (RFC 6749 §2, §3.1.2; RFC 8252 §7): exact redirect URIs, scopes, a secret shown once and stored hashed. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { fixedClock } from '../../../src/core/clock.js';
import { createAuditKey } from '../../../src/audit/index.js';
import { createScryptHasher } from '../../../src/auth/index.js';
import {
  OAuth2Error,
  createOAuthClient,
  redirectUriProblem,
} from '../../../src/auth/oauth2/index.js';
import { findOAuthClient } from '../../../src/store/index.js';
import { requireStore, testStores } from '../../support/stores.js';

describe('createOAuthClient', () => {
  it('stores a confidential client with a scrypt-hashed secret returned once; refuses unsafe metadata', async (t) => {
    if (!(await requireStore(t, 'sqlite'))) return;
    const { store } = await testStores(t).sqlite();
    const clock = fixedClock(new Date('2026-06-01T00:00:00Z'));
    const hasher = createScryptHasher({ N: 2 ** 10, r: 8, p: 1 }, { minimumN: 2 ** 10 });
    const deps = {
      store,
      clock,
      audit: { key: createAuditKey(randomBytes(32)), nodeId: 'n', clock },
      hasher,
    };
    const made = await createOAuthClient(deps, {
      name: 'GW',
      clientType: 'confidential',
      redirectUris: ['https://gw.example/cb'],
      allowedScopes: ['service', 'credential'],
    });
    assert.ok(made.clientSecret !== undefined && made.clientSecret.length === 43);
    const row = await findOAuthClient(store.db, made.clientId);
    assert.ok(row?.secretHash?.startsWith('$scrypt$'));
    assert.ok(await hasher.verify(made.clientSecret, row?.secretHash ?? ''));
    assert.ok(!JSON.stringify(row).includes(made.clientSecret));
    const pub = await createOAuthClient(deps, {
      name: 'App',
      clientType: 'public',
      redirectUris: ['com.example.app:/cb', 'http://127.0.0.1/cb'],
      allowedScopes: ['service'],
    });
    assert.equal(pub.clientSecret, undefined);
    for (const bad of [
      { redirectUris: ['http://gw.example/cb'] },
      { redirectUris: ['https://gw.example/cb#x'] },
      { redirectUris: ['https://user@gw.example/cb'] },
      { redirectUris: ['/relative'] },
      { redirectUris: ['javascript:alert(1)'] },
      { allowedScopes: ['admin'] },
      { allowedScopes: [] },
      { clientId: 'csc-login' },
      { name: ' ' },
    ]) {
      await assert.rejects(
        createOAuthClient(deps, {
          name: 'X',
          clientType: 'public',
          redirectUris: ['https://x.example/cb'],
          allowedScopes: ['service'],
          ...bad,
        } as never),
        (e: unknown) => e instanceof OAuth2Error && e.code === 'ERR_OAUTH2_CLIENT_METADATA',
        JSON.stringify(bad),
      );
    }
    assert.equal(redirectUriProblem('https://ok.example/cb?x=1'), undefined);
  });
});
