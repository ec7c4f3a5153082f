/**
 * CPU time per operation of the software keystore's signing paths and of a fresh-signed RFC 6960
 * OCSP response (the rows of pki.bench.ts), next to raw node:crypto ECDSA P-256 measured in the
 * same rounds. The operations take turns in rounds of BENCH_OPS calls and each keeps its least
 * disturbed round: on this shared 2-core machine pki.bench.ts's rates swing by 2× between runs at
 * load 8–13, while the best round per operation moves by a few µs (issue 19).
 */
import { generateKeyPairSync, sign as rawSign } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../src/core/clock.js';
import { Kek, SoftwareKeystore } from '../src/keys/index.js';
import { CertificateAuthority, createCaHierarchy, createOcspResponder, derToPem, FileCaStore } from '../src/pki/index.js';

const ops = Number(process.env['BENCH_OPS'] ?? 4000);
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 5);

/** CPU µs per call of `fn` over `n` calls (this process, all threads). */
async function cpuPerCall(fn: () => unknown, n: number): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) await fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / n;
}

const dir = mkdtempSync(join(tmpdir(), 'signet-bench-cpu-'));
try {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keystore = await SoftwareKeystore.open({ dir: join(dir, 'keys'), kek: Kek.generate() });
  const store = new FileCaStore(dir);
  const h = await createCaHierarchy({ backend: keystore, store, clock: systemClock, urls: {} });
  const ocsp = createOcspResponder({
    issuers: [{ caId: 'issuing', certificate: h.issuing.certificate, signer: { key: { backend: keystore, ref: h.ocsp.keyRef, algorithm: h.algorithm }, certificate: h.ocsp.certificate } }],
    store,
    clock: systemClock,
  });
  const ca = new CertificateAuthority({ id: 'issuing', key: { backend: keystore, ref: h.issuing.keyRef, algorithm: h.algorithm }, certificate: h.issuing.certificate, store, clock: systemClock, urls: {} });
  const leafKey = await keystore.generateKey({ type: 'EC', curve: 'P-256' });
  const leaf = await ca.issue({ subject: { commonName: 'Bench' }, subjectPublicKey: leafKey.publicKey, profile: 'signing' });
  writeFileSync(join(dir, 'issuing.pem'), derToPem(h.issuing.certificate, 'CERTIFICATE'));
  writeFileSync(join(dir, 'leaf.pem'), derToPem(leaf.der, 'CERTIFICATE'));
  // A request with a nonce, as openssl sends it: signed fresh for every answer.
  execFileSync('openssl', ['ocsp', '-issuer', join(dir, 'issuing.pem'), '-cert', join(dir, 'leaf.pem'), '-reqout', join(dir, 'req.der')]);
  const ocspRequest = new Uint8Array(readFileSync(join(dir, 'req.der')));
  // About the size of a response's ResponseData, the message the OCSP key signs.
  const message = new Uint8Array(250);

  const operations: readonly { readonly name: string; readonly fn: () => unknown }[] = [
    { name: 'raw node:crypto ECDSA P-256 sign', fn: () => rawSign('sha256', message, privateKey) },
    { name: 'software keystore signMessage (P-256)', fn: () => keystore.signMessage(h.ocsp.keyRef, { scheme: 'ECDSA', digestAlgorithm: 'SHA-256', message }) },
    { name: 'software keystore sign (digest, P-256)', fn: () => keystore.sign(h.ocsp.keyRef, { scheme: 'ECDSA', digestAlgorithm: 'SHA-256', digest: new Uint8Array(32) }) },
    { name: 'OCSP responses, fresh-signed (nonce)', fn: () => ocsp.respond(ocspRequest) },
  ];
  const best = operations.map(() => Infinity);
  for (const op of operations) await cpuPerCall(op.fn, ops / 4); // warm-up (the JIT, the key cache)
  for (let round = 0; round < rounds; round++) {
    for (const [i, op] of operations.entries()) best[i] = Math.min(best[i] as number, await cpuPerCall(op.fn, ops));
  }
  const raw = best[0] as number;
  console.log(`CPU per call, best of ${rounds} rounds of ${ops} (load ${loadavg().map((l) => l.toFixed(2)).join(' ')})`);
  for (const [i, op] of operations.entries()) {
    const us = best[i] as number;
    const ratio = i === 0 ? '' : `   ${((raw / us) * 100).toFixed(1).padStart(5)}% of raw`;
    console.log(`${op.name.padEnd(50)} ${us.toFixed(1).padStart(7)} µs${ratio}`);
  }
  await keystore.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
