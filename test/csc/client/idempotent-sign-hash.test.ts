/**
 * The CSC client's Idempotency-Key (docs/security.md SAD-07): a loopback TCP proxy in front of a real
 * Signet RSSP drops the first signHash response after the RSSP has signed and committed. With a key
 * the client retries once with the same key and gets the stored signature (one key operation);
 * without a key the lost answer is an ERR_CSC_CLIENT_NETWORK and the SAD is spent.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { oids } from '../../../src/cms/index.js';
import { CscClient, CscClientError } from '../../../src/csc/client/index.js';
import { isSignetError } from '../../../src/core/errors.js';
import { testStores } from '../../support/stores.js';
import { cscHarness } from '../support/csc-harness.js';
import { countingSigns } from '../support/sign-through.js';
import { startTcpProxy } from '../../support/tcp-proxy.js';


/** Forwards to `upstreamPort`, recording each signHash's Idempotency-Key; while `drop` is armed, the next signHash answer is cut (the RSSP has signed and committed; the client never sees it). */
async function dropProxy(t: { after(fn: () => unknown): unknown }, upstreamPort: number): Promise<{ port: number; drop: { armed: boolean }; keys: string[] }> {
  const drop = { armed: false };
  const keys: string[] = [];
  const proxy = await startTcpProxy(t, '127.0.0.1', upstreamPort, {
    cutAnswerAfter: (chunk) => {
      const text = chunk.toString('latin1');
      if (!text.includes('POST /csc/v2/signatures/signHash')) return false;
      keys.push(/\r\nidempotency-key: ([^\r]*)\r\n/i.exec(text)?.[1] ?? '');
      if (!drop.armed) return false;
      drop.armed = false;
      return true;
    },
  });
  return { port: proxy.port, drop, keys };
}

describe('CSC client Idempotency-Key (docs/security.md SAD-07)', () => {
  it('a signHash answer lost after the RSSP signed: retried once with the same key, the stored signature comes back, one key operation; without a key it is lost', async (t) => {
    const { store } = await testStores(t).sqlite();
    const keyOps = { n: 0 };
    const h = await cscHarness(t, store, { wrapBackend: (b) => countingSigns(b, keyOps) });
    const user = await h.createUser('ida');
    const credentialID = await h.createCredential(user, { pin: '97531' });
    const token = await h.login('v2', user);
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    const proxy = await dropProxy(t, (h.app.server.address() as { port: number }).port);
    const client = new CscClient({ baseUrl: `http://127.0.0.1:${proxy.port}/csc/v2`, auth: { kind: 'bearer', accessToken: token }, timeoutMs: 10_000 });
    const hashes = ['with key', 'without key'].map((s) => createHash('sha256').update(s).digest('base64'));
    const SAD = await h.authorizeHashes(user, token, { credentialID, pin: '97531', hashes });

    proxy.drop.armed = true;
    const request = { credentialID, SAD, hashes: [hashes[0] as string], signAlgo: oids.ecdsa_with_SHA256 };
    const { signatures } = await client.signHash(request, { idempotencyKey: 'client-key-1' });
    assert.equal(signatures.length, 1);
    assert.equal(keyOps.n, 1, 'the retry got the stored signature');
    assert.deepEqual(proxy.keys, ['client-key-1', 'client-key-1']);
    assert.deepEqual(
      (await h.auditTypes()).filter((e) => e.startsWith('signing.')),
      ['signing.started:success', 'signing.completed:success', 'signing.replayed:success'],
    );

    proxy.drop.armed = true;
    const lost = { credentialID, SAD, hashes: [hashes[1] as string], signAlgo: oids.ecdsa_with_SHA256 };
    await assert.rejects(() => client.signHash(lost), (e) => isSignetError(e, 'ERR_CSC_CLIENT_NETWORK'));
    assert.equal(keyOps.n, 2, 'signed, and the answer lost');
    assert.deepEqual(proxy.keys, ['client-key-1', 'client-key-1', ''], 'no retry without a key');
    await assert.rejects(
      () => client.signHash(lost),
      (e) => e instanceof CscClientError && e.remote?.errorDescription === 'The SAD does not authorize these signatures any more',
    );
  });
});
