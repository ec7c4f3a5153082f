/**
 * Verifiable batches at the SAD (issue 21; docs/security.md TRN-21, TRN-22, TRN-23, TRN-24): the
 * SAD binds the RFC 9162 root of the ordered approved hashes, signHash's inclusion proofs are
 * checked against it before anything is consumed, and every consumed hash gets a signed receipt,
 * stored with its audit entry. Both stores.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createAuditKey, verifyAuditLog, type AuditContext } from '../../src/audit/index.js';
import { SadService, hashSadToken } from '../../src/auth/index.js';
import type { Store } from '../../src/store/index.js';
import {
  batchProofs,
  batchRoot,
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
const batch = ['d0', 'd1', 'd2', 'd3', 'd4'].map(h);
const clock = { now: () => new Date('2026-12-07T05:00:00Z') };

async function setup(store: Store, exactListMax?: number) {
  await store.transaction(async (trx) => {
    await insertTestUser(trx, 'u1');
    await insertTestCredential(trx, { id: 'c1', userId: 'u1' });
  });
  const audit: AuditContext = { key: auditKey, nodeId: 'node-a', clock };
  const sads = new SadService({
    store,
    clock,
    audit,
    receiptKey: () => Promise.resolve(logKey.signer),
    ...(exactListMax === undefined ? {} : { exactListMax }),
  });
  const { sad } = await sads.issue({
    ...binding,
    hashes: batch,
    numSignatures: 5,
    lifetimeSeconds: 300,
  });
  return { sads, sad };
}

async function remaining(store: Store, sad: string): Promise<number> {
  const row = await store.db
    .selectFrom('sads')
    .select('remaining')
    .where('id_hash', '=', hashSadToken(sad))
    .executeTakeFirstOrThrow();
  return Number(row.remaining);
}

describe('verifiable batches at the SAD', () => {
  for (const kind of storeKinds) {
    describe(kind, () => {
      it('the SAD binds the root of the ordered batch; each consumed hash gets a receipt at its approved index, stored and audited', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        const { sads, sad } = await setup(store);
        const row = await store.db
          .selectFrom('sads')
          .select(['batch_root', 'batch_size'])
          .executeTakeFirstOrThrow();
        assert.deepEqual(new Uint8Array(row.batch_root as Uint8Array), batchRoot(batch));
        assert.equal(Number(row.batch_size), 5);
        // The exact list (no proofs): the service finds the index from the stored order.
        const { receipts } = await sads.consume({
          ...binding,
          sad,
          hashes: [batch[3]!, batch[1]!],
        });
        assert.equal(receipts?.length, 2);
        const r3 = verifyReceipt(receipts![0], logKey.publicKey, {
          hash: batch[3]!,
          batchRoot: batchRoot(batch),
        });
        const r1 = verifyReceipt(receipts![1], logKey.publicKey, {
          hash: batch[1]!,
          batchRoot: batchRoot(batch),
        });
        assert.equal(r3.leafIndex, 3);
        assert.equal(r1.leafIndex, 1);
        assert.equal(r3.sadId, Buffer.from(hashSadToken(sad)).toString('hex'));
        assert.equal(r3.signedAt, '2026-12-07T05:00:00.000Z');
        const stored = await store.db
          .selectFrom('batch_receipts')
          .select(['leaf_index', 'receipt'])
          .orderBy('leaf_index')
          .execute();
        assert.deepEqual(
          stored.map((s) => Number(s.leaf_index)),
          [1, 3],
        );
        assert.deepEqual(JSON.parse(stored[1]!.receipt), receipts![0]);
        const entry = await store.db
          .selectFrom('audit_log')
          .select('details')
          .where('event_type', '=', 'sad.consume')
          .executeTakeFirstOrThrow();
        const details = JSON.parse(entry.details) as { batchRoot: string; receipts: string[] };
        assert.equal(details.batchRoot, Buffer.from(batchRoot(batch)).toString('base64'));
        assert.deepEqual(details.receipts, [receipts![0]!.signature, receipts![1]!.signature]);
        assert.equal((await verifyAuditLog(store.db, auditKey)).ok, true);
      });

      it('TRN-21/TRN-22/TRN-23 a hash outside the batch, or a proof from a reordered batch, is refused and consumes nothing', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        const { sads, sad } = await setup(store);
        const proofs = batchProofs(batch);
        await assert.rejects(
          sads.consume({ ...binding, sad, hashes: [h('outside')], proofs: [proofs[1]!] }),
          isSadError('ERR_SAD_BATCH_PROOF', /hash 0 is not leaf 1 of the approved batch/),
        );
        // The batch as a client reordered it: d1 first. Its proof for leaf 0 does not lead to the approved root.
        const reordered = batchProofs([batch[1]!, batch[0]!, ...batch.slice(2)]);
        await assert.rejects(
          sads.consume({ ...binding, sad, hashes: [batch[1]!], proofs: [reordered[0]!] }),
          isSadError('ERR_SAD_BATCH_PROOF', /not leaf 0 of the approved batch/),
        );
        await assert.rejects(
          sads.consume({ ...binding, sad, hashes: [batch[1]!, batch[2]!], proofs: [proofs[1]!] }),
          isSadError('ERR_SAD_BATCH_PROOF', /one inclusion proof per hash/),
        );
        assert.equal(await remaining(store, sad), 5);
        assert.equal((await store.db.selectFrom('batch_receipts').selectAll().execute()).length, 0);
        const { receipts } = await sads.consume({
          ...binding,
          sad,
          hashes: [batch[1]!],
          proofs: [proofs[1]!],
        });
        assert.equal(verifyReceipt(receipts![0], logKey.publicKey).leafIndex, 1);
        assert.equal(await remaining(store, sad), 4);
      });

      it('TRN-24 past SIGNET_BATCH_EXACT_LIST_MAX the exact list is refused; with proofs the hashes sign once each', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        const { sads, sad } = await setup(store, 3);
        await assert.rejects(
          sads.consume({ ...binding, sad, hashes: [batch[0]!] }),
          isSadError(
            'ERR_SAD_BATCH_PROOF_REQUIRED',
            /holds 5 hashes; past 3 each hash needs its inclusion proof/,
          ),
        );
        const proofs = batchProofs(batch);
        const { receipts } = await sads.consume({ ...binding, sad, hashes: batch, proofs });
        assert.deepEqual(
          receipts!.map((r) => verifyReceipt(r, logKey.publicKey).leafIndex),
          [0, 1, 2, 3, 4],
        );
        await assert.rejects(
          sads.consume({ ...binding, sad, hashes: [batch[0]!], proofs: [proofs[0]!] }),
          isSadError('ERR_SAD_CONSUMED', /any more/),
        );
      });
    });
  }
});
