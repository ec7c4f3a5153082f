/**
 * Idempotent signing (src/csc/idempotent-signing.ts) on SQLite and PostgreSQL: docs/security.md SAD-07
 * (a resent request with its Idempotency-Key gets the stored signatures, no second key operation)
 * and FLT-03 (each point of the §3.10 fault table ends exactly as the table says: what the client
 * sees, the state afterwards, the audit entries). Key operations are counted by a wrapper that
 * forwards to the real software keystore.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { X509Certificate, createHash, verify } from 'node:crypto';
import { hashSadToken } from '../../src/auth/index.js';
import { oids } from '../../src/cms/index.js';
import { sweepSigningRequests, type SigningFaultPoint } from '../../src/csc/index.js';
import type { StoreKind } from '../../src/store/index.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { requireStore, storeKinds, testStores } from '../support/stores.js';
import { countingSigns } from './support/sign-through.js';
import { cscHarness, type CscHarness } from './support/csc-harness.js';

const SHA256 = '2.16.840.1.101.3.4.2.1';
const T = 60_000;
const hashOf = (s: string): string => createHash('sha256').update(s).digest('base64');

class InjectedFault extends Error {}

interface Rig {
  readonly h: CscHarness;
  readonly keyOps: { n: number };
  /** The point at which the next request fails once; `sweep` runs the sweeper there instead. */
  readonly fault: { point?: SigningFaultPoint | undefined; sweep?: boolean };
  readonly token: string;
  readonly credentialID: string;
  authorize(hashes: string[], n?: number): Promise<string>;
  sign(sad: string, hashes: string[], key?: string): Promise<{ status: number; body: any; headers: Record<string, unknown> }>; // eslint-disable-line @typescript-eslint/no-explicit-any
  sweep(): Promise<{ abandoned: number; purged: number }>;
  /** The rows of one idempotency key. */
  rows(key: string): Promise<{ state: string; attempt: number; hasResult: boolean }[]>;
  /** The signing.* audit entries of one idempotency key (or keyless ones, e.g. purge). */
  audit(key: string): Promise<string[]>;
}

/** One RSSP per store kind, shared by the tests of its suite (each test uses its own SAD and keys). */
async function rig(t: Pick<TestContext, 'after'>, kind: StoreKind): Promise<Rig> {
  const { store } = await testStores(t)[kind]();
  const keyOps = { n: 0 };
  const fault: Rig['fault'] = {};
  // The hooks run only after the harness exists.
  const built: { h?: CscHarness } = {};
  const sweep = (): Promise<{ abandoned: number; purged: number }> => {
    const x = built.h as CscHarness;
    return sweepSigningRequests({ store: x.store, clock: x.clock, audit: x.audit }, { abandonAfterMs: T });
  };
  const harness = await cscHarness(t, store, {
    wrapBackend: (b) => countingSigns(b, keyOps),
    signing: {
      abandonAfterMs: T,
      faults: {
        async reach(point) {
          if (fault.point !== point) return;
          fault.point = undefined;
          if (fault.sweep === true) {
            // The node stalls past T: another node's sweeper abandons the request meanwhile.
            (built.h as CscHarness).clock.advance(T + 1);
            await sweep();
            return;
          }
          throw new InjectedFault(`injected at ${point}`);
        },
      },
    },
  });
  built.h = harness;
  const user = await harness.createUser(`u${kind}`);
  const credentialID = await harness.createCredential(user, { pin: '24680' });
  const token = await harness.login('v2', user);
  return {
    h: harness,
    keyOps,
    fault,
    token,
    credentialID,
    authorize: (hashes, n = hashes.length) =>
      harness.authorizeHashes(user, token, { credentialID, pin: '24680', hashes, numSignatures: n }),
    sign: (sad, hashes, key) =>
      harness.call('v2', 'signatures/signHash', { credentialID, SAD: sad, hashes, signAlgo: oids.ecdsa_with_SHA256 }, { bearer: token }, key === undefined ? {} : { 'idempotency-key': key }),
    sweep,
    async rows(key) {
      const rows = await harness.store.db.selectFrom('signing_requests').select(['state', 'attempt', 'result']).where('idempotency_key', '=', key).orderBy('created_at').execute();
      return rows.map((r) => ({ state: r.state, attempt: Number(r.attempt), hasResult: r.result !== null }));
    },
    async audit(key) {
      const rows = await harness.store.db.selectFrom('audit_log').select(['event_type', 'details']).where('event_type', 'like', 'signing.%').orderBy('seq').execute();
      return rows
        .filter((r) => (JSON.parse(r.details) as { idempotencyKey?: string }).idempotencyKey === key || (key === '' && r.event_type === 'signing.purge'))
        .map((r) => r.event_type);
    },
  };
}

/** Verifies ecdsa-with-SHA256 signatures over SHA-256(preimage) with the credential's certificate. */
async function checkSignatures(r: Rig, preimages: string[], signatures: string[]): Promise<void> {
  const row = await r.h.store.db.selectFrom('credentials').select('certificate_chain').where('id', '=', r.credentialID).executeTakeFirstOrThrow();
  const leaf = Buffer.from((JSON.parse(row.certificate_chain) as string[])[0] as string, 'base64');
  const key = new X509Certificate(leaf).publicKey;
  assert.equal(signatures.length, preimages.length);
  for (const [i, text] of preimages.entries()) {
    assert.ok(verify('sha256', Buffer.from(text), { key, dsaEncoding: 'der' }, Buffer.from(signatures[i] as string, 'base64')), `signature ${i} verifies`);
  }
}

for (const kind of storeKinds) {
  describe(`idempotent signHash on ${kind}`, () => {
    const cleanups: (() => unknown)[] = [];
    after(async () => {
      for (const c of cleanups.reverse()) await c();
    });
    let shared: Promise<Rig> | undefined;
    const open = async (t: TestContext): Promise<Rig | undefined> => {
      if (!(await requireStore(t, kind))) return undefined;
      shared ??= rig({ after: (fn) => void cleanups.push(fn as () => unknown) }, kind);
      const r = await shared;
      r.fault.point = undefined;
      r.fault.sweep = false;
      r.keyOps.n = 0;
      return r;
    };

    it('SAD-07 an identical request resent with its Idempotency-Key returns the stored signatures, no second key operation; without a key it is refused', async (t) => {
      const r = await open(t);
      if (r === undefined) return;
      const hashes = [hashOf('a'), hashOf('b')];
      const sad = await r.authorize(hashes);
      const first = await r.sign(sad, hashes, 'key-07');
      assert.equal(first.status, 200);
      assert.equal(r.keyOps.n, 2);
      const again = await r.sign(sad, hashes, '"key-07"');
      assert.equal(again.status, 200, 'the quoted sf-string form names the same key');
      assert.deepEqual(again.body, first.body);
      assert.equal(r.keyOps.n, 2, 'no key operation for the replay');
      const bare = await r.sign(sad, hashes);
      assert.deepEqual([bare.status, bare.body.error_description], [400, 'The SAD does not authorize these signatures any more']);
      const otherKey = await r.sign(sad, hashes, 'key-08');
      assert.deepEqual([otherKey.status, otherKey.body.error_description], [400, 'The SAD does not authorize these signatures any more']);
      const otherBody = await r.sign(sad, [hashOf('a')], 'key-07');
      assert.deepEqual([otherBody.status, otherBody.body], [422, { error: 'invalid_request', error_description: 'The Idempotency-Key was used for a different request' }]);
      assert.equal(r.keyOps.n, 2);
      assert.deepEqual(await r.audit('key-07'), ['signing.started', 'signing.completed', 'signing.replayed']);
      assert.deepEqual(await r.rows('key-07'), [{ state: 'completed', attempt: 1, hasResult: true }]);
      await checkSignatures(r, ['a', 'b'], first.body.signatures as string[]);
    });

    it('SAD-07 signDoc (v2, documentDigests) and signHash (v1) with an Idempotency-Key: the replay is the stored response, no key operation', async (t) => {
      const r = await open(t);
      if (r === undefined) return;
      const [d1, d2] = [hashOf('doc-1'), hashOf('doc-2')];
      const sad = await r.authorize([d1, d2]);
      const doc = { credentialID: r.credentialID, SAD: sad, hashAlgorithmOID: SHA256, documentDigests: [{ hashes: [d1], signature_format: 'P', signAlgo: oids.ecdsa_with_SHA256 }] };
      const first = await r.h.call('v2', 'signatures/signDoc', doc, { bearer: r.token }, { 'idempotency-key': 'doc-key' });
      assert.equal(first.status, 200, JSON.stringify(first.body));
      const again = await r.h.call('v2', 'signatures/signDoc', doc, { bearer: r.token }, { 'idempotency-key': 'doc-key' });
      assert.deepEqual(again.body, first.body);
      assert.equal(r.keyOps.n, 1);
      const v1 = { credentialID: r.credentialID, SAD: sad, hash: [d2], hashAlgo: SHA256, signAlgo: oids.ecdsa_with_SHA256 };
      const v1First = await r.h.call('v1', 'signatures/signHash', v1, { bearer: r.token }, { 'idempotency-key': 'v1-key' });
      assert.equal(v1First.status, 200, JSON.stringify(v1First.body));
      const v1Again = await r.h.call('v1', 'signatures/signHash', v1, { bearer: r.token }, { 'idempotency-key': 'v1-key' });
      assert.deepEqual(v1Again.body, v1First.body);
      assert.equal(r.keyOps.n, 2);
      await checkSignatures(r, ['doc-2'], v1First.body.signatures as string[]);
      assert.deepEqual(await r.audit('doc-key'), ['signing.started', 'signing.completed', 'signing.replayed']);
      assert.deepEqual(await r.audit('v1-key'), ['signing.started', 'signing.completed', 'signing.replayed']);
    });

    it('SAD-07 eight concurrent first sends of one request under one key: one reservation, one key operation per hash; the others 409 or the same stored signatures', async (t) => {
      const r = await open(t);
      if (r === undefined) return;
      const hashes = [hashOf('race-1'), hashOf('race-2')];
      // n leaves room for a second reservation of the same hashes: only the hash rows stop it.
      const sad = await r.authorize(hashes, 4);
      const answers = await Promise.all(Array.from({ length: 8 }, () => r.sign(sad, hashes, 'race-key')));
      const ok = answers.filter((a) => a.status === 200);
      assert.ok(ok.length >= 1, 'the first completes');
      assert.ok(answers.every((a) => a.status === 200 || (a.status === 409 && a.headers['retry-after'] !== undefined)), JSON.stringify(answers.map((a) => a.status)));
      for (const a of ok) assert.deepEqual(a.body, ok[0]?.body);
      assert.equal(r.keyOps.n, 2);
      assert.deepEqual(await r.rows('race-key'), [{ state: 'completed', attempt: 1, hasResult: true }]);
      const sadRow = await r.h.store.db.selectFrom('sads').select('remaining').where('id_hash', '=', hashSadToken(sad)).executeTakeFirstOrThrow();
      assert.equal(Number(sadRow.remaining), 2, 'reserved once');
      const again = await r.sign(sad, hashes, 'race-key');
      assert.deepEqual(again.body, ok[0]?.body);
    });

    it('SAD-07 signDoc with a PDF document: the replay is the stored signed document, no key operation', async (t) => {
      const r = await open(t);
      if (r === undefined) return;
      const pdf = makeBasePdf();
      const sad = await r.authorize([createHash('sha256').update(pdf).digest('base64')]);
      const doc = { credentialID: r.credentialID, SAD: sad, documents: [{ document: Buffer.from(pdf).toString('base64'), signature_format: 'P', conformance_level: 'AdES-B-B', signAlgo: oids.ecdsa_with_SHA256 }] };
      const first = await r.h.call('v2', 'signatures/signDoc', doc, { bearer: r.token }, { 'idempotency-key': 'pdf-key' });
      assert.equal(first.status, 200, JSON.stringify(first.body));
      const ops = r.keyOps.n;
      const again = await r.h.call('v2', 'signatures/signDoc', doc, { bearer: r.token }, { 'idempotency-key': 'pdf-key' });
      assert.deepEqual(again.body, first.body);
      assert.equal(r.keyOps.n, ops, 'no key operation for the replay');
      const signed = Buffer.from(first.body.DocumentWithSignature[0] as string, 'base64');
      assert.ok(signed.length > pdf.length && signed.subarray(0, pdf.length).equals(Buffer.from(pdf)), 'an incremental update of the document');
      assert.deepEqual(await r.audit('pdf-key'), ['signing.started', 'signing.completed', 'signing.replayed']);
    });

    it('SAD-07 a malformed Idempotency-Key is refused before the SAD is touched', async (t) => {
      const r = await open(t);
      if (r === undefined) return;
      const hashes = [hashOf('m')];
      const sad = await r.authorize(hashes);
      for (const bad of ['', '""', 'a b', 'k'.repeat(256), 'é', 'one, two']) {
        const res = await r.sign(sad, hashes, bad);
        assert.deepEqual([res.status, res.body], [400, { error: 'invalid_request', error_description: 'Invalid Idempotency-Key header' }], JSON.stringify(bad));
      }
      assert.equal(r.keyOps.n, 0);
      assert.equal((await r.sign(sad, hashes, 'k'.repeat(255))).status, 200);
    });

    it('FLT-03 after reservation, before the key operation: error; in flight, 409 + Retry-After; abandoned after T; only the same retry completes', async (t) => {
      const r = await open(t);
      if (r === undefined) return;
      const hashes = [hashOf('r1')];
      const sad = await r.authorize(hashes, 2);
      r.fault.point = 'afterReserve';
      const failed = await r.sign(sad, hashes, 'k-r');
      assert.deepEqual([failed.status, failed.body.error], [500, 'server_error']);
      assert.equal(r.keyOps.n, 0);
      assert.deepEqual(await r.rows('k-r'), [{ state: 'in_flight', attempt: 1, hasResult: false }]);
      const busy = await r.sign(sad, hashes, 'k-r');
      assert.deepEqual([busy.status, busy.body.error, busy.headers['retry-after']], [409, 'temporarily_unavailable', '60']);
      assert.deepEqual(await r.sweep(), { abandoned: 0, purged: 0 }, 'not before T');
      r.h.clock.advance(T);
      assert.deepEqual(await r.sweep(), { abandoned: 1, purged: 0 });
      // Anything else touching the abandoned slot is refused.
      const bare = await r.sign(sad, hashes);
      assert.equal(bare.body.error_description, 'The SAD does not authorize these signatures any more');
      const otherKey = await r.sign(sad, hashes, 'k-other');
      assert.equal(otherKey.body.error_description, 'The SAD does not authorize these signatures any more');
      const retry = await r.sign(sad, hashes, 'k-r');
      assert.equal(retry.status, 200);
      assert.equal(r.keyOps.n, 1);
      assert.deepEqual(await r.rows('k-r'), [{ state: 'completed', attempt: 2, hasResult: true }]);
      assert.deepEqual(await r.audit('k-r'), ['signing.started', 'signing.abandoned', 'signing.retry', 'signing.completed']);
      const sadRow = await r.h.store.db.selectFrom('sads').select('remaining').where('id_hash', '=', hashSadToken(sad)).executeTakeFirstOrThrow();
      assert.equal(Number(sadRow.remaining), 1, 'the retry reserved nothing more');
    });

    it('FLT-03 after the key operation, before commit: error; no signature recorded; abandoned after T; the retry signs again and completes', async (t) => {
      const r = await open(t);
      if (r === undefined) return;
      const hashes = [hashOf('k1'), hashOf('k2')];
      const sad = await r.authorize(hashes);
      r.fault.point = 'afterKeyOperation';
      const failed = await r.sign(sad, hashes, 'k-k');
      assert.equal(failed.status, 500);
      assert.equal(r.keyOps.n, 2);
      assert.deepEqual(await r.rows('k-k'), [{ state: 'in_flight', attempt: 1, hasResult: false }]);
      r.h.clock.advance(T);
      assert.equal((await r.sweep()).abandoned, 1);
      const retry = await r.sign(sad, hashes, 'k-k');
      assert.equal(retry.status, 200);
      assert.equal(r.keyOps.n, 4);
      assert.deepEqual(await r.audit('k-k'), ['signing.started', 'signing.abandoned', 'signing.retry', 'signing.completed']);
    });

    it('FLT-03 the completion audit insert fails: error; rolled back (still in flight, no result, no completed entry)', async (t) => {
      const r = await open(t);
      if (r === undefined) return;
      const hashes = [hashOf('au')];
      const sad = await r.authorize(hashes);
      r.fault.point = 'auditInsert';
      const failed = await r.sign(sad, hashes, 'k-a');
      assert.deepEqual([failed.status, failed.body.error], [500, 'server_error']);
      assert.deepEqual(await r.rows('k-a'), [{ state: 'in_flight', attempt: 1, hasResult: false }]);
      assert.deepEqual(await r.audit('k-a'), ['signing.started']);
      r.h.clock.advance(T);
      await r.sweep();
      assert.equal((await r.sign(sad, hashes, 'k-a')).status, 200);
    });

    it('FLT-03 after commit, before the response: error; the signature is recorded; the retry returns it with no new key operation', async (t) => {
      const r = await open(t);
      if (r === undefined) return;
      const hashes = [hashOf('c1')];
      const sad = await r.authorize(hashes);
      r.fault.point = 'afterCommit';
      const failed = await r.sign(sad, hashes, 'k-c');
      assert.equal(failed.status, 500);
      assert.deepEqual(await r.rows('k-c'), [{ state: 'completed', attempt: 1, hasResult: true }]);
      const retry = await r.sign(sad, hashes, 'k-c');
      assert.equal(retry.status, 200);
      assert.equal(r.keyOps.n, 1);
      assert.deepEqual(await r.audit('k-c'), ['signing.started', 'signing.completed', 'signing.replayed']);
    });

    it('FLT-03 a node that stalls past T after its key operation loses the request: its signatures are dropped, the retry completes once', async (t) => {
      const r = await open(t);
      if (r === undefined) return;
      const hashes = [hashOf('s1')];
      const sad = await r.authorize(hashes);
      r.fault.point = 'afterKeyOperation';
      r.fault.sweep = true;
      const stalled = await r.sign(sad, hashes, 'k-s');
      assert.deepEqual([stalled.status, stalled.body.error_description], [500, 'The signature could not be created']);
      assert.deepEqual(await r.rows('k-s'), [{ state: 'abandoned', attempt: 1, hasResult: false }]);
      r.fault.sweep = false;
      const retry = await r.sign(sad, hashes, 'k-s');
      assert.equal(retry.status, 200);
      assert.deepEqual(await r.audit('k-s'), ['signing.started', 'signing.abandoned', 'signing.retry', 'signing.completed']);
    });

    it('stored results are purged at the SAD expiry plus T (audited); a retry after that is refused', async (t) => {
      const r = await open(t);
      if (r === undefined) return;
      const hashes = [hashOf('p1')];
      const sad = await r.authorize(hashes);
      assert.equal((await r.sign(sad, hashes, 'k-p')).status, 200);
      r.h.clock.advance(300_000);
      await r.sweep();
      assert.deepEqual(await r.rows('k-p'), [{ state: 'completed', attempt: 1, hasResult: true }], 'kept until the SAD expiry plus T');
      const purges = (await r.audit('')).length;
      r.h.clock.advance(T);
      assert.ok((await r.sweep()).purged >= 1);
      assert.deepEqual(await r.rows('k-p'), []);
      assert.equal((await r.audit('')).length, purges + 1, 'one signing.purge entry');
      const late = await r.sign(sad, hashes, 'k-p');
      assert.deepEqual([late.status, late.body.error_description], [400, 'SAD expired']);
      assert.deepEqual(await r.audit('k-p'), ['signing.started', 'signing.completed']);
    });
  });
}
