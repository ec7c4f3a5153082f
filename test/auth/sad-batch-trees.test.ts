/**
 * The approved batch's tree kept per SAD (issue 19, signHash hot path; issue 21 receipts): a SAD
 * consumed one hash at a time gets, on every call, a receipt whose proof leads to the root it
 * binds; the cache of trees keeps SADs apart, survives eviction, and refuses stored leaves that do
 * not give the SAD's root. Both stores.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createAuditKey, verifyAuditLog, type AuditContext } from '../../src/audit/index.js';
import { SadService, hashSadToken } from '../../src/auth/index.js';
import { SadBatchTrees } from '../../src/auth/sad-batch-trees.js';
import type { Store } from '../../src/store/index.js';
import {
  batchRoot,
  isBatchMember,
  verifyReceipt,
} from '../../src/transparency/index.js';
import { fileReceiptSigner } from '../transparency/support/log-fixture.js';
import { requireStore, storeKinds, testStores } from '../support/stores.js';
import { insertTestCredential, insertTestUser } from './support/credential-rows.js';
import {
  isSadError,
  sadBinding as binding,
  sha256Of as h,
} from './support/sad-fixtures.js';

const auditKey = createAuditKey(randomBytes(32));
// The transparency log's key signs the receipts (opened once for the file, closed after it).
const logKey = fileReceiptSigner();
const clock = { now: () => new Date('2026-12-07T08:00:00Z') };

async function setup(store: Store): Promise<SadService> {
  await store.transaction(async (trx) => {
    await insertTestUser(trx, 'u1');
    await insertTestCredential(trx, { id: 'c1', userId: 'u1', multisign: 1000 });
  });
  const audit: AuditContext = { key: auditKey, nodeId: 'node-a', clock };
  return new SadService({ store, clock, audit, receiptKey: () => Promise.resolve(logKey.signer) });
}

describe('the approved batch tree kept per SAD', () => {
  for (const kind of storeKinds) {
    describe(kind, () => {
      it('two SADs consumed one hash at a time, interleaved: every receipt verifies at its approved index', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        const sads = await setup(store);
        // 7 and 13 hashes: trees whose right edge is not a power of two (recomputed, not cached).
        const batches = [7, 13].map((n, b) =>
          Array.from({ length: n }, (_, i) => h(`b${b}-d${i}`)),
        );
        const issued = await Promise.all(
          batches.map((hashes) =>
            sads.issue({ ...binding, hashes, numSignatures: hashes.length, lifetimeSeconds: 300 }),
          ),
        );
        // Each batch in a shuffled order, the two SADs taking turns.
        const orders = batches.map((hashes) =>
          hashes.map((_, i) => i).sort(() => Math.random() - 0.5),
        );
        for (let step = 0; step < 13; step++) {
          for (const b of [0, 1]) {
            const index = orders[b]![step];
            if (index === undefined) continue;
            const hash = batches[b]![index]!;
            const { receipts } = await sads.consume({
              ...binding,
              sad: issued[b]!.sad,
              hashes: [hash],
            });
            assert.equal(receipts?.length, 1);
            const facts = verifyReceipt(receipts![0], logKey.publicKey, {
              hash,
              batchRoot: batchRoot(batches[b]!),
            });
            assert.equal(facts.leafIndex, index);
            assert.equal(facts.sadId, Buffer.from(hashSadToken(issued[b]!.sad)).toString('hex'));
          }
        }
        const stored = await store.db.selectFrom('batch_receipts').select('leaf_index').execute();
        assert.equal(stored.length, 20);
        const leaves = await store.db
          .selectFrom('transparency_leaves')
          .select('dtbs_hash')
          .execute();
        assert.equal(leaves.length, 20);
        assert.equal((await verifyAuditLog(store.db, auditKey)).ok, true);
      });

      it('a cache of one tree gives the same proofs after eviction, and refuses leaves that do not give the root', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        const sads = await setup(store);
        const batches = [5, 9].map((n, b) => Array.from({ length: n }, (_, i) => h(`e${b}-d${i}`)));
        const issued = await Promise.all(
          batches.map((hashes) =>
            sads.issue({ ...binding, hashes, numSignatures: hashes.length, lifetimeSeconds: 300 }),
          ),
        );
        const trees = new SadBatchTrees(1);
        for (let round = 0; round < 3; round++) {
          for (const b of [0, 1]) {
            const hashes = batches[b]!;
            const root = batchRoot(hashes);
            const proofs = await trees.proofs(store.db, hashSadToken(issued[b]!.sad), root, [
              hashes[round]!,
              hashes[4]!,
            ]);
            assert.deepEqual(
              proofs.map((p) => p.leafIndex),
              [round, 4],
            );
            assert.ok(isBatchMember(hashes[round]!, proofs[0]!, hashes.length, root));
            assert.ok(isBatchMember(hashes[4]!, proofs[1]!, hashes.length, root));
          }
        }
        // The root of another batch (a row that does not match its stored leaves): no proof is made.
        await assert.rejects(
          trees.proofs(store.db, hashSadToken(issued[0]!.sad), batchRoot(batches[1]!), [
            batches[0]![0]!,
          ]),
          isSadError('ERR_SAD_BATCH_PROOF'),
        );
        // A hash the SAD does not list.
        await assert.rejects(
          trees.proofs(store.db, hashSadToken(issued[0]!.sad), batchRoot(batches[0]!), [
            h('other'),
          ]),
          isSadError('ERR_SAD_HASH_NOT_AUTHORIZED'),
        );
      });
    });
  }
});
