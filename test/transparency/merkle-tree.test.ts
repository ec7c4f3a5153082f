/** RFC 9162 §2.1 Merkle trees: hashes, inclusion and consistency proofs, and their verification. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  MemoryMerkleTree,
  consistencyProof,
  hashLeaf,
  inclusionProof,
  verifyConsistency,
  verifyInclusion,
} from '../../src/transparency/index.js';

const sha = (...parts: Uint8Array[]): Uint8Array => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

// The recursive definitions of RFC 9162 §2.1.1, §2.1.3.1 and §2.1.4.1, written out literally as
// an independent reference for the iterative code under test.
function mth(d: Uint8Array[]): Uint8Array {
  if (d.length === 0) return sha();
  if (d.length === 1) return sha(new Uint8Array([0]), d[0]!);
  let k = 1;
  while (k * 2 < d.length) k *= 2;
  return sha(new Uint8Array([1]), mth(d.slice(0, k)), mth(d.slice(k)));
}
function path(m: number, d: Uint8Array[]): Uint8Array[] {
  if (d.length === 1) return [];
  let k = 1;
  while (k * 2 < d.length) k *= 2;
  return m < k
    ? [...path(m, d.slice(0, k)), mth(d.slice(k))]
    : [...path(m - k, d.slice(k)), mth(d.slice(0, k))];
}
function subproof(m: number, d: Uint8Array[], b: boolean): Uint8Array[] {
  if (m === d.length) return b ? [] : [mth(d)];
  let k = 1;
  while (k * 2 < d.length) k *= 2;
  return m <= k
    ? [...subproof(m, d.slice(0, k), b), mth(d.slice(k))]
    : [...subproof(m - k, d.slice(k), false), mth(d.slice(0, k))];
}

// The eight inputs of the Certificate Transparency reference implementation's tree tests.
const ctLeaves = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map((h) => new Uint8Array(Buffer.from(h, 'hex')));
const ctRoots = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

describe('Merkle tree (RFC 9162 §2.1)', () => {
  it('gives the reference roots for trees of 1 to 8 leaves, and SHA-256() when empty', () => {
    const tree = new MemoryMerkleTree();
    assert.equal(hex(tree.rootHash()), hex(sha()));
    for (let i = 0; i < ctLeaves.length; i++) {
      tree.append(hashLeaf(ctLeaves[i]!));
      assert.equal(hex(tree.rootHash()), ctRoots[i], `root of ${i + 1} leaves`);
    }
  });

  it('builds and verifies every inclusion proof of trees up to 40 leaves as the recursive definition does', () => {
    const data = Array.from({ length: 40 }, (_, i) => new Uint8Array([i, i * 7]));
    const tree = new MemoryMerkleTree(data.map(hashLeaf));
    for (let n = 1; n <= data.length; n++) {
      const root = mth(data.slice(0, n));
      assert.equal(hex(tree.rootHash(n)), hex(root));
      for (let m = 0; m < n; m++) {
        const proof = inclusionProof(tree, m, n);
        assert.deepEqual(proof.map(hex), path(m, data.slice(0, n)).map(hex), `PATH(${m}, D[${n}])`);
        assert.ok(verifyInclusion(hashLeaf(data[m]!), m, n, proof, root), `verify ${m} in ${n}`);
        // Another leaf, index or a shortened proof must not verify.
        assert.ok(!verifyInclusion(hashLeaf(data[(m + 1) % n]!), m, n, proof, root) || n === 1);
        if (n > 1) assert.ok(!verifyInclusion(hashLeaf(data[m]!), (m + 1) % n, n, proof, root));
        // (A proof does not bind the tree size on its own, RFC 9162 §2.1.3.2: the signed tree
        // head does. So a wrong size is not asserted here.)
        if (proof.length > 0)
          assert.ok(!verifyInclusion(hashLeaf(data[m]!), m, n, proof.slice(1), root));
      }
    }
  });

  it('builds and verifies every consistency proof of trees up to 40 leaves as the recursive definition does', () => {
    const data = Array.from({ length: 40 }, (_, i) => new Uint8Array([0xee, i]));
    const tree = new MemoryMerkleTree(data.map(hashLeaf));
    for (let n = 1; n <= data.length; n++) {
      const newRoot = mth(data.slice(0, n));
      for (let m = 1; m <= n; m++) {
        const oldRoot = mth(data.slice(0, m));
        const proof = consistencyProof(tree, m, n);
        const expected = m === n ? [] : subproof(m, data.slice(0, n), true);
        assert.deepEqual(proof.map(hex), expected.map(hex), `PROOF(${m}, D[${n}])`);
        assert.ok(verifyConsistency(m, n, oldRoot, newRoot, proof), `consistent ${m} → ${n}`);
        if (m < n) {
          // A forked history: the same size with a different old head must not verify.
          const forked = mth([...data.slice(0, m - 1), new Uint8Array([0xff])]);
          assert.ok(!verifyConsistency(m, n, forked, newRoot, proof), `fork ${m} → ${n}`);
          assert.ok(!verifyConsistency(m, n, oldRoot, oldRoot, proof) || m === n);
        }
      }
    }
  });

  it('refuses an index or a size outside the tree with a coded error', () => {
    const tree = new MemoryMerkleTree([hashLeaf(new Uint8Array([1]))]);
    assert.throws(() => inclusionProof(tree, 1, 1), { code: 'ERR_TRANSPARENCY_RANGE' });
    assert.throws(() => consistencyProof(tree, 2, 1), { code: 'ERR_TRANSPARENCY_RANGE' });
    assert.equal(verifyInclusion(hashLeaf(new Uint8Array([1])), 1, 1, [], tree.rootHash()), false);
  });
});
