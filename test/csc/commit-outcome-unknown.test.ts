/**
 * docs/security.md FLT-04, commit outcome unknown (PostgreSQL): a loopback TCP proxy between the RSSP's
 * pool and PostgreSQL forwards a COMMIT, lets PostgreSQL answer it, then cuts the connection, so
 * the node cannot know the commit happened. Dropped after the completing transaction: the node
 * answers an error; the client's retry with the same Idempotency-Key returns the stored signature,
 * no new key operation. Dropped after the reserving transaction: the node answers an error; the
 * retry gets 409 while the request is in flight, the sweeper abandons it after T, the next retry
 * signs and completes. Never more consumed from the SAD than the request's hashes.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { hashSadToken } from '../../src/auth/index.js';
import { oids } from '../../src/cms/index.js';
import { sweepSigningRequests } from '../../src/csc/index.js';
import { connectStore } from '../../src/store/index.js';
import { requireStore, testStores } from '../support/stores.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import { cscHarness } from './support/csc-harness.js';
import { countingSigns } from './support/sign-through.js';

const T = 60_000;

/**
 * Forwards to PostgreSQL. When armed with a statement marker, the first connection that sends a
 * statement containing it has its next COMMIT forwarded, answered by PostgreSQL, and then cut.
 */
async function commitDropProxy(t: { after(fn: () => unknown): unknown }, target: URL): Promise<{ port: number; arm(marker: string): void; fired(): boolean }> {
  let marker: string | undefined;
  let fired = false;
  const marked = new WeakSet<object>();
  const proxy = await startTcpProxy(t, target.hostname, Number(target.port || 5432), {
    cutAnswerAfter: (chunk, connection) => {
      const text = chunk.toString('latin1');
      if (marker !== undefined && text.includes(marker)) {
        marked.add(connection);
        marker = undefined;
      }
      if (!marked.has(connection) || !/\bcommit\b/i.test(text)) return false;
      marked.delete(connection);
      return true;
    },
    // PostgreSQL has answered the COMMIT (it is durable); the node never hears of it.
    onCut: () => {
      fired = true;
    },
  });
  return {
    port: proxy.port,
    arm: (m) => {
      marker = m;
      fired = false;
    },
    fired: () => fired,
  };
}

describe('docs/security.md FLT-04 commit outcome unknown (PostgreSQL, proxy cuts the connection after COMMIT)', () => {
  it('after the completing COMMIT: error, then the retry returns the stored signature; after the reserving COMMIT: error, 409, abandoned after T, the retry completes; no over-consumption', async (t) => {
    if (!(await requireStore(t, 'postgres'))) return;
    const db = await testStores(t).postgres();
    if (db.config.kind !== 'postgres') return;
    const direct = new URL(db.config.url);
    const proxy = await commitDropProxy(t, direct);
    const viaProxy = new URL(direct);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    const store = await connectStore({ kind: 'postgres', url: viaProxy.toString(), poolSize: 4 });
    t.after(() => store.close());
    const keyOps = { n: 0 };
    const h = await cscHarness(t, store, { wrapBackend: (b) => countingSigns(b, keyOps), signing: { abandonAfterMs: T } });
    const user = await h.createUser('flt04');
    const credentialID = await h.createCredential(user, { pin: '11235' });
    const token = await h.login('v2', user);
    const hashes = ['completion', 'reservation'].map((s) => createHash('sha256').update(s).digest('base64'));
    const SAD = await h.authorizeHashes(user, token, { credentialID, pin: '11235', hashes });
    const sign = (hash: string, key: string) =>
      h.call('v2', 'signatures/signHash', { credentialID, SAD, hashes: [hash], signAlgo: oids.ecdsa_with_SHA256 }, { bearer: token }, { 'idempotency-key': key });
    const state = async (key: string): Promise<string | undefined> =>
      (await db.store.db.selectFrom('signing_requests').select('state').where('idempotency_key', '=', key).executeTakeFirst())?.state;

    // The completing transaction's COMMIT is answered, then the connection is cut.
    proxy.arm('update "signing_requests" set "state"');
    const cut = await sign(hashes[0] as string, 'flt04-complete');
    assert.ok(proxy.fired(), 'the proxy cut a connection after COMMIT');
    assert.ok(cut.status >= 500, `the node answers an error (${cut.status})`);
    assert.equal(await state('flt04-complete'), 'completed', 'the commit did happen');
    const retry = await sign(hashes[0] as string, 'flt04-complete');
    assert.equal(retry.status, 200, JSON.stringify(retry.body));
    assert.equal(keyOps.n, 1, 'the stored signature, no second key operation');

    // The reserving transaction's COMMIT is answered, then the connection is cut.
    proxy.arm('insert into "signing_requests"');
    const lost = await sign(hashes[1] as string, 'flt04-reserve');
    assert.ok(proxy.fired());
    assert.ok(lost.status >= 500, `the node answers an error (${lost.status})`);
    assert.equal(keyOps.n, 1, 'no key operation after an unknown reservation outcome');
    assert.equal(await state('flt04-reserve'), 'in_flight');
    const busy = await sign(hashes[1] as string, 'flt04-reserve');
    assert.equal(busy.status, 409);
    h.clock.advance(T);
    assert.equal((await sweepSigningRequests({ store: h.store, clock: h.clock, audit: h.audit }, { abandonAfterMs: T })).abandoned, 1);
    const done = await sign(hashes[1] as string, 'flt04-reserve');
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(keyOps.n, 2);

    const sad = await db.store.db.selectFrom('sads').select('remaining').where('id_hash', '=', hashSadToken(SAD)).executeTakeFirstOrThrow();
    assert.equal(Number(sad.remaining), 0, 'exactly the two hashes consumed, once each');
  });
});
