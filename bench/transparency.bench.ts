/**
 * The signature transparency log's hot paths (issue 21), each next to the raw SHA-256 rate of the
 * same run: leaf appends (one per signing transaction, as signHash writes them) against the same
 * transaction without the leaf, sequencing and publishing a head, inclusion and consistency proofs
 * from the stored subtree hashes. SQLite in a temp dir; `npm run bench -- transparency`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuditKey } from '../src/audit/index.js';
import { Kek, SoftwareKeystore, keystoreRef } from '../src/keys/index.js';
import { connectStore, findLatestTreeHead } from '../src/store/index.js';
import {
  TreeHeadPublisher,
  appendSignatureLeaves,
  logKeyLabel,
  openLogSigner,
  proveConsistency,
  proveInclusion,
} from '../src/transparency/index.js';

function perSecond(ms: number, count: number): number {
  return (count * 1000) / ms;
}

const dir = mkdtempSync(join(tmpdir(), 'signet-bench-log-'));
try {
  // Raw SHA-256 of a leaf-sized input (the entry is ~250 bytes).
  const input = randomBytes(250);
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 1000) {
    for (let i = 0; i < 1000; i++) createHash('sha256').update(input).digest();
    n += 1000;
  }
  const sha = perSecond(performance.now() - t0, n);
  console.log(`raw SHA-256 (250 B)            ${sha.toFixed(0).padStart(10)} /s`);

  const store = await connectStore({ kind: 'sqlite', file: join(dir, 'log.db') });
  const keystore = await SoftwareKeystore.open({ dir: join(dir, 'keys'), kek: Kek.generate() });
  const signer = await openLogSigner(keystore, keystoreRef(logKeyLabel));
  const clock = { now: () => new Date() };
  const publisher = new TreeHeadPublisher({ store, clock, audit: { key: createAuditKey(randomBytes(32)), nodeId: 'bench', clock }, nodeId: 'bench', signer: () => Promise.resolve(signer) });
  const leaves = (i: number) => ({
    userId: 'u1',
    credentialId: 'cred-1',
    certificateSerial: '0A1B2C',
    hashAlgorithmOid: '2.16.840.1.101.3.4.2.1',
    hashes: [createHash('sha256').update(`doc-${i}`).digest()],
    signedAt: Date.UTC(2026, 0, 1) + i,
    clientId: 'client-1',
    sadIdHash: createHash('sha256').update(`sad-${i}`).digest(),
    traceId: `trace-${i}`,
  });
  // The signing transaction's shape: a write (here the node_state row) with and without the leaf.
  const rounds = 2000;
  const timeTx = async (withLeaf: boolean, from: number): Promise<number> => {
    const start = performance.now();
    for (let i = 0; i < rounds; i++) {
      await store.transaction(async (trx) => {
        await trx.insertInto('node_state').values({ name: `bench-${withLeaf ? 'l' : 'b'}-${from + i}`, value: 'x', created_at: 0, updated_at: 0 }).execute();
        if (withLeaf) await appendSignatureLeaves(trx, leaves(from + i));
      });
    }
    return (performance.now() - start) / rounds;
  };
  await timeTx(false, 1_000_000); // warm-up
  const base = await timeTx(false, 0);
  const withLeaf = await timeTx(true, 0);
  const added = withLeaf - base;
  console.log(`one-write transaction          ${base.toFixed(3).padStart(10)} ms`);
  console.log(`same with one log leaf         ${withLeaf.toFixed(3).padStart(10)} ms   added ${added.toFixed(3)} ms per signature`);
  console.log(`appends                        ${perSecond(withLeaf * rounds, rounds).toFixed(0).padStart(10)} /s   ratio to raw SHA-256 ${(perSecond(withLeaf * rounds, rounds) / sha).toFixed(4)}`);

  // Grow to 20,000 leaves (bulk transactions), then time the head that sequences and hashes them.
  for (let i = rounds; i < 20_000; i += 1000) {
    await store.transaction(async (trx) => {
      for (let j = i; j < i + 1000; j++) await appendSignatureLeaves(trx, leaves(j));
    });
  }
  const p0 = performance.now();
  await publisher.publish();
  const pubMs = performance.now() - p0;
  const size = (await findLatestTreeHead(store.db))!.tree_size;
  console.log(`publish (sequence + hash)      ${perSecond(pubMs, size).toFixed(0).padStart(10)} leaves/s (${size} leaves in ${pubMs.toFixed(0)} ms)   ratio to raw SHA-256 ${(perSecond(pubMs, size) / sha).toFixed(4)}`);

  const proofs = 500;
  const i0 = performance.now();
  for (let i = 0; i < proofs; i++) await proveInclusion(store.db, (i * 7919) % size, size);
  const inc = perSecond(performance.now() - i0, proofs);
  console.log(`inclusion proofs (${size})     ${inc.toFixed(0).padStart(10)} /s   ratio to raw SHA-256 ${(inc / sha).toFixed(5)}`);
  const c0 = performance.now();
  for (let i = 0; i < proofs; i++) await proveConsistency(store.db, 1 + ((i * 7919) % (size - 1)), size);
  const con = perSecond(performance.now() - c0, proofs);
  console.log(`consistency proofs (${size})   ${con.toFixed(0).padStart(10)} /s   ratio to raw SHA-256 ${(con / sha).toFixed(5)}`);
  await keystore.close();
  await store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
