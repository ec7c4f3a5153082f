/**
 * The signature transparency log's hot paths (issue 21), each next to the raw SHA-256 rate of the
 * same run: leaf appends (one per signing transaction, as signHash writes them) against the same
 * transaction without the leaf, sequencing and publishing a head, inclusion and consistency proofs
 * from the stored subtree hashes. Then what the log costs a one-hash signHash (the issue's bound:
 * under 10 %): three RSSPs assembled as `signet serve` assembles them (csc-rssp.ts, each on its own
 * thread) — as shipped, without the log's leaves, and without leaves or batch receipts — answer
 * one-hash signHash calls over HTTP in interleaved rounds; a part's cost is the median of its
 * per-round differences.
 * SQLite in a temp dir; `npm run bench -- transparency`.
 */
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuditKey } from '../src/audit/index.js';
import { digestAlgorithms } from '../src/cms/index.js';
import { CscClient, loadRemoteCredential } from '../src/csc/client/index.js';
import type { CreateServicesOptions } from '../src/server/index.js';
import { startBenchRsspWorker } from './csc-rssp-worker.js';
import type { BenchRssp, BenchUser } from './csc-rssp.js';
import { Kek, SoftwareKeystore, keystoreRef } from '../src/keys/index.js';
import { SadService } from '../src/auth/index.js';
import { connectStore, findLatestTreeHead, insertCredential, insertUser } from '../src/store/index.js';
import {
  TreeHeadPublisher,
  appendSignatureLeaves,
  openReceiptSigner,
  logKeyLabel,
  openLogSigner,
  proveConsistency,
  proveInclusion,
  receiptSignedBytes,
  RECEIPT_TYPE,
  type ReceiptStatement,
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

  // One receipt signature: the log key's ECDSA P-256 over the message (node:crypto through the
  // keystore's signMessage, as receipts are signed), over a pre-computed digest (ECDSA in BigInt:
  // keys/software/ecdsa-prehash.ts, as receipts were signed before) and Ed25519 (older receipts).
  const signDigest = await signer.prepare();
  const signMessage = await signer.prepareMessages();
  const receiptBytes = randomBytes(600);
  const digestStart = performance.now();
  for (let i = 0; i < 500; i++) await signDigest(createHash('sha256').update(receiptBytes).digest());
  const digestMs = (performance.now() - digestStart) / 500;
  const ecdsaStart = performance.now();
  for (let i = 0; i < 500; i++) await signMessage(receiptBytes);
  const ecdsaMs = (performance.now() - ecdsaStart) / 500;
  const ed = generateKeyPairSync('ed25519').privateKey;
  const edStart = performance.now();
  for (let i = 0; i < 500; i++) sign(null, receiptBytes, ed);
  const edMs = (performance.now() - edStart) / 500;
  console.log(`receipt signature, log key     ${ecdsaMs.toFixed(3).padStart(10)} ms   (ECDSA P-256 over the message; over a digest in BigInt: ${digestMs.toFixed(3)} ms; Ed25519: ${edMs.toFixed(3)} ms)`);

  // The bytes a receipt signs (receiptSignedBytes: the statement as sorted-key JSON, UTF-8), made
  // once per receipt signed and once per receipt verified; next to raw SHA-256 of the same bytes.
  const statement: ReceiptStatement = {
    type: RECEIPT_TYPE,
    hash: randomBytes(32).toString('base64'),
    hashAlgorithmOID: '2.16.840.1.101.3.4.2.1',
    leafIndex: 2,
    batchSize: 5,
    batchRoot: randomBytes(32).toString('base64'),
    proof: [0, 1, 2].map(() => randomBytes(32).toString('base64')),
    sadId: randomBytes(32).toString('hex'),
    credentialID: 'cred-1',
    signedAt: new Date().toISOString(),
    keyId: signer.keyId,
  };
  const statementBytes = receiptSignedBytes(statement);
  const timeEach = (fn: () => unknown): number => {
    const start = performance.now();
    for (let i = 0; i < 50_000; i++) fn();
    return ((performance.now() - start) * 1000) / 50_000;
  };
  timeEach(() => receiptSignedBytes(statement));
  const bytesUs = timeEach(() => receiptSignedBytes(statement));
  const hashUs = timeEach(() => createHash('sha256').update(statementBytes).digest());
  console.log(`receipt signed bytes           ${bytesUs.toFixed(2).padStart(10)} µs   (${statementBytes.length} B; raw SHA-256 of them ${hashUs.toFixed(2)} µs, ratio ${(hashUs / bytesUs).toFixed(2)})`);

  // The consuming transaction of a one-hash signHash (SadService.consume, what the CSC route runs
  // before the key signs) with and without the log's leaf and the batch receipt, in paired rounds.
  await store.transaction(async (trx) => {
    await insertUser(trx, { id: 'bench-user', username: 'bench-user', passwordHash: 'x', createdAt: 0 });
    await insertCredential(trx, {
      id: 'bench-cred',
      userId: 'bench-user',
      keyRef: 'soft:bench',
      backendKind: 'software',
      certificateChain: [new Uint8Array([0x30, 0])],
      pinHash: null,
      multisign: 1000,
      scal: 'SCAL2',
      createdAt: 0,
    });
  });
  const receiptSigner = await openReceiptSigner(signer);
  const sadAudit = { key: createAuditKey(randomBytes(32)), nodeId: 'bench', clock };
  const consumers = [
    new SadService({ store, clock, audit: sadAudit, receiptKey: () => Promise.resolve(receiptSigner) }),
    new SadService({ store, clock, audit: sadAudit, receiptKey: () => Promise.resolve(receiptSigner), signatureLog: false }),
    new SadService({ store, clock, audit: sadAudit, signatureLog: false }),
  ];
  const binding = { userId: 'bench-user', credentialId: 'bench-cred', clientId: 'bench-client', hashAlgorithmOid: '2.16.840.1.101.3.4.2.1' };
  const consumeRound = async (sads: SadService): Promise<number> => {
    const list = Array.from({ length: 100 }, () => randomBytes(32));
    const { sad } = await sads.issue({ ...binding, hashes: list, numSignatures: list.length, lifetimeSeconds: 600 });
    const start = performance.now();
    for (const hash of list) await sads.consume({ ...binding, sad, hashes: [hash] });
    return (performance.now() - start) / list.length;
  };
  for (const sads of consumers) await consumeRound(sads); // warm-up
  const consumeTimes: number[][] = consumers.map(() => []);
  for (let r = 0; r < 15; r++) {
    for (let k = 0; k < consumers.length; k++) {
      const i = (r + k) % consumers.length;
      consumeTimes[i]!.push(await consumeRound(consumers[i]!));
    }
  }
  const medianOf = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const [cFull, cNoLog, cNeither] = consumeTimes as [number[], number[], number[]];
  const consumeLogCost = medianOf(cFull.map((t, r) => t - (cNoLog[r] as number)));
  const consumeReceiptCost = medianOf(cNoLog.map((t, r) => t - (cNeither[r] as number)));
  console.log(`SAD consume (1 hash)           ${medianOf(cFull).toFixed(3).padStart(10)} ms   without the log ${medianOf(cNoLog).toFixed(3)} ms, without log or receipt ${medianOf(cNeither).toFixed(3)} ms`);
  console.log(`  the log's leaf adds          ${consumeLogCost.toFixed(3).padStart(10)} ms, the receipt ${consumeReceiptCost.toFixed(3)} ms (median per-round differences, 15 rounds of 100)`);

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

  // A one-hash signHash with and without the log, same run, same machine.
  const signRounds = Number(process.env['BENCH_TRN_ROUNDS'] ?? 21);
  const callsPerRound = Number(process.env['BENCH_TRN_CALLS'] ?? 100);
  const variants: { name: string; without?: CreateServicesOptions['benchmarkWithout'] }[] = [
    { name: 'as shipped (log + receipts)' },
    { name: 'without the log', without: { signatureLog: true } },
    { name: 'without log or receipts', without: { signatureLog: true, receipts: true } },
  ];
  const servers: { rssp: BenchRssp; client: CscClient; user: BenchUser; credentialID: string; signAlgo: string; hashAlgorithmOID: string | undefined }[] = [];
  try {
    for (const v of variants) {
      const rssp = await startBenchRsspWorker(1, ['EC-P256'], v.without);
      const user = rssp.users[0] as BenchUser;
      const client = new CscClient({ baseUrl: rssp.url, auth: { kind: 'basic', username: user.username, password: user.password } });
      const credential = await loadRemoteCredential(client, user.credentials['EC-P256'] as string);
      servers.push({ rssp, client, user, credentialID: credential.credentialID, signAlgo: credential.algorithm.signAlgo, hashAlgorithmOID: credential.algorithm.hashAlgorithmOID });
    }
    /** Mean ms of `callsPerRound` one-hash calls under one SAD (its authorization is not timed). */
    const round = async (server: (typeof servers)[number]): Promise<number> => {
      const list = Array.from({ length: callsPerRound }, () => randomBytes(32).toString('base64'));
      const { SAD } = await server.client.authorize({
        credentialID: server.credentialID,
        numSignatures: list.length,
        hashes: list,
        hashAlgorithmOID: digestAlgorithms['SHA-256'].oid,
        authData: [{ id: 'PIN', value: server.user.pin }, { id: 'OTP', value: server.user.nextOtp() }],
      });
      const start = performance.now();
      for (const hash of list) {
        await server.client.signHash({
          credentialID: server.credentialID,
          SAD: SAD as string,
          hashes: [hash],
          signAlgo: server.signAlgo,
          ...(server.hashAlgorithmOID === undefined ? {} : { hashAlgorithmOID: server.hashAlgorithmOID }),
        });
      }
      return (performance.now() - start) / list.length;
    };
    for (const server of servers) await round(server); // warm-up
    // Each round measures the three back to back, in a rotating order; the cost of a part is the
    // median of its per-round differences (a shared machine's load changes between rounds, less
    // within one).
    const times: number[][] = servers.map(() => []);
    for (let r = 0; r < signRounds; r++) {
      for (let k = 0; k < servers.length; k++) {
        const i = (r + k) % servers.length;
        times[i]!.push(await round(servers[i]!));
      }
    }
    const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
    const [shipped, noLog, neither] = times as [number[], number[], number[]];
    for (const [i, v] of variants.entries()) {
      console.log(`signHash 1 hash, ${v.name.padEnd(28)} ${median(times[i]!).toFixed(3).padStart(7)} ms/call (median of ${signRounds} rounds of ${callsPerRound}; spread ${Math.min(...times[i]!).toFixed(2)}–${Math.max(...times[i]!).toFixed(2)})`);
    }
    const call = median(shipped);
    const logCost = median(shipped.map((t, r) => t - (noLog[r] as number)));
    console.log(`the log's added cost per one-hash signHash   ${logCost.toFixed(3).padStart(7)} ms = ${((logCost / call) * 100).toFixed(1)} % of the call (median per-round difference; issue 21 bound: < 10 %)`);
    console.log(`  (the leaf alone, from the transaction above: ${added.toFixed(3)} ms = ${((added / call) * 100).toFixed(1)} % of the call; in SAD consume: ${consumeLogCost.toFixed(3)} ms = ${((consumeLogCost / call) * 100).toFixed(1)} %)`);
    const receiptCost = median(noLog.map((t, r) => t - (neither[r] as number)));
    console.log(`batch receipts' added cost (one receipt)      ${receiptCost.toFixed(3).padStart(7)} ms = ${((receiptCost / call) * 100).toFixed(1)} % of the call`);
  } finally {
    for (const server of servers) await server.rssp.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
