/**
 * The signature transparency log on SQLite and PostgreSQL (issue 21): leaves queued in signing
 * transactions, sequenced and hashed by the tree-head publisher, heads signed (RFC 9162 §4.10),
 * proofs served from the stored subtree hashes and checked with the RFC 9162 §2.1.3.2 / §2.1.4.2
 * verifiers against an in-memory tree over the same leaves; consistency across 100,000 leaves;
 * two publishers on one database never store diverging heads.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { listLogLeafHashes, type Store } from '../../src/store/index.js';
import {
  MemoryMerkleTree,
  latestTreeHead,
  logEntryLeafHash,
  proveConsistency,
  proveInclusion,
  signatureEntries,
  verifyConsistency,
  verifyInclusion,
  verifyTreeHead,
  type SignedTreeHead,
} from '../../src/transparency/index.js';
import { requireStore, storeKinds, testStores } from '../support/stores.js';
import { appendLeaves, leavesOf, testLogSigner, testPublisher } from './support/log-fixture.js';

async function allLeafHashes(store: Store, size: number): Promise<Uint8Array[]> {
  return (await listLogLeafHashes(store.db, 0, size)).map((l) => l.hash);
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

for (const kind of storeKinds) {
  describe(`signature transparency log (${kind})`, () => {
    it('publishes signed heads whose proofs verify against an in-memory RFC 9162 tree', async (t) => {
      if (!(await requireStore(t, kind))) return;
      const { store } = await testStores(t)[kind]();
      const signer = await testLogSigner(t);
      const publisher = testPublisher(store, signer);
      const empty = await publisher.publish();
      assert.equal(empty?.treeSize, 0, 'a new log publishes the empty tree');
      assert.equal(await publisher.publish(), undefined, 'nothing new: no head');
      const heads: SignedTreeHead[] = [];
      let label = 0;
      for (const batch of [1, 2, 5, 1, 8, 19, 1]) {
        await appendLeaves(store, 'u1', label, batch);
        label += batch;
        const head = await publisher.publish();
        assert.ok(head !== undefined);
        heads.push(head);
      }
      const size = label;
      const leaves = await allLeafHashes(store, size);
      assert.equal(leaves.length, size);
      // The stored leaf hash is the hash of the entry the columns encode, in queue order.
      assert.deepEqual(leaves[0], logEntryLeafHash(signatureEntries(leavesOf('u1', 0))[0]!));
      const memory = new MemoryMerkleTree(leaves);
      for (const head of heads) {
        assert.ok(verifyTreeHead(signer.publicKey, head), `head ${head.treeSize} verifies`);
        assert.equal(hex(head.rootHash), hex(memory.rootHash(head.treeSize)), `root of ${head.treeSize}`);
        for (let i = 0; i < head.treeSize; i++) {
          const path = await proveInclusion(store.db, i, head.treeSize);
          assert.ok(verifyInclusion(leaves[i]!, i, head.treeSize, path, head.rootHash), `leaf ${i} in ${head.treeSize}`);
        }
      }
      for (const a of heads) {
        for (const b of heads) {
          if (a.treeSize > b.treeSize) continue;
          const proof = await proveConsistency(store.db, a.treeSize, b.treeSize);
          assert.ok(verifyConsistency(a.treeSize, b.treeSize, a.rootHash, b.rootHash, proof), `${a.treeSize} → ${b.treeSize}`);
        }
      }
      // A forged head: one bit of the root, or a size that was never signed.
      const last = heads[heads.length - 1]!;
      const flipped = new Uint8Array(last.rootHash);
      flipped[0]! ^= 1;
      assert.equal(verifyTreeHead(signer.publicKey, { ...last, rootHash: flipped }), false);
      assert.equal(verifyTreeHead(signer.publicKey, { ...last, treeSize: last.treeSize + 1 }), false);
      await assert.rejects(proveInclusion(store.db, 0, size + 1), { code: 'ERR_TRANSPARENCY_RANGE' });
    });

    // The 100,000-leaf run on SQLite (the appends dominate: kysely builds each multi-row INSERT);
    // PostgreSQL runs the same sequence up to 10,000 leaves.
    const sizes = kind === 'sqlite' ? [1, 3, 1_000, 4_097, 65_536, 99_999, 100_000] : [1, 3, 1_000, 4_097, 9_999, 10_000];
    it(`consistency proofs verify across ${sizes[sizes.length - 1]!.toLocaleString('en')} appended leaves`, async (t) => {
      if (!(await requireStore(t, kind))) return;
      const { store } = await testStores(t)[kind]();
      const signer = await testLogSigner(t);
      const publisher = testPublisher(store, signer);
      const heads: SignedTreeHead[] = [];
      let size = 0;
      for (const target of sizes) {
        await appendLeaves(store, 'u1', size, target - size);
        size = target;
        const head = await publisher.publish();
        assert.equal(head?.treeSize, target);
        heads.push(head);
      }
      const memory = new MemoryMerkleTree(await allLeafHashes(store, size));
      for (const [i, a] of heads.entries()) {
        assert.equal(hex(a.rootHash), hex(memory.rootHash(a.treeSize)), `root of ${a.treeSize}`);
        for (const b of heads.slice(i + 1)) {
          const proof = await proveConsistency(store.db, a.treeSize, b.treeSize);
          assert.ok(proof.length <= 2 * 17, 'a logarithmic proof');
          assert.ok(verifyConsistency(a.treeSize, b.treeSize, a.rootHash, b.rootHash, proof), `${a.treeSize} → ${b.treeSize}`);
        }
      }
      for (const i of [0, 1, 4_096, size - 2, size - 1]) {
        const path = await proveInclusion(store.db, i, size);
        assert.ok(verifyInclusion(memory.leafHash(i), i, size, path, heads[heads.length - 1]!.rootHash), `leaf ${i}`);
      }
    });

    it('two publishers on one database never store diverging heads', async (t) => {
      if (!(await requireStore(t, kind))) return;
      const db = await testStores(t)[kind]();
      const signer = await testLogSigner(t);
      const other = await db.connectAgain();
      const a = testPublisher(db.store, signer, 'node-a');
      const b = testPublisher(other, signer, 'node-b');
      let label = 0;
      for (let round = 0; round < 12; round++) {
        // Signatures arrive on both nodes while both try to publish.
        await Promise.all([
          appendLeaves(db.store, 'u1', label, 3),
          appendLeaves(other, 'u2', label + 3, 2),
          a.publish(),
          b.publish(),
        ]);
        label += 5;
      }
      await Promise.all([a.publish(), b.publish()]);
      await a.publish();
      const latest = await latestTreeHead(db.store.db);
      assert.equal(latest.treeSize, label, 'every leaf sequenced exactly once');
      const rows = await db.store.db.selectFrom('transparency_tree_heads').selectAll().orderBy('tree_size').execute();
      const sizes = rows.map((r) => Number(r.tree_size));
      assert.equal(new Set(sizes).size, sizes.length, 'one head per size');
      const memory = new MemoryMerkleTree(await allLeafHashes(db.store, label));
      for (const r of rows) {
        assert.equal(hex(new Uint8Array(r.root_hash)), hex(memory.rootHash(Number(r.tree_size))), `head ${r.tree_size} is a prefix of one tree`);
      }
      assert.ok(new Set(rows.map((r) => r.node_id)).size >= 1);
    });
  });
}
