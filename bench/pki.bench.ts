/**
 * PKI throughput: RFC 3161 timestamp tokens/s and RFC 6960 OCSP responses/s (DER level, through
 * the software keystore and the file CaStore), next to raw node:crypto ECDSA P-256 signs/s
 * measured in the same run (one signature per token/response, so the ratio is the overhead).
 */
import { generateKeyPairSync, sign as rawSign } from 'node:crypto';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { systemClock } from '../src/core/clock.js';
import { Kek, SoftwareKeystore } from '../src/keys/index.js';
import {
  CertificateAuthority,
  createCaHierarchy,
  createOcspResponder,
  createTimestampAuthority,
  derToPem,
  FileCaStore,
} from '../src/pki/index.js';
import { writeFileSync } from 'node:fs';

const seconds = Number(process.env['BENCH_SECONDS'] ?? 1.5);

async function rate(fn: () => Promise<unknown> | unknown): Promise<number> {
  let n = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    await fn();
    n++;
  }
  return n / ((performance.now() - start) / 1000);
}

const dir = mkdtempSync(join(tmpdir(), 'signet-bench-pki-'));
try {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const raw = await rate(() => rawSign('sha256', Buffer.from('raw'), privateKey));

  const keystore = await SoftwareKeystore.open({ dir: join(dir, 'keys'), kek: Kek.generate() });
  const store = new FileCaStore(dir);
  const h = await createCaHierarchy({ backend: keystore, store, clock: systemClock, urls: {} });
  const alg = h.algorithm;
  const tsa = createTimestampAuthority({
    key: { backend: keystore, ref: h.tsa.keyRef, algorithm: alg },
    certificate: h.tsa.certificate,
    policyOid: '2.25.1',
    store,
    clock: systemClock,
  });
  const tsaBlocks = createTimestampAuthority({
    key: { backend: keystore, ref: h.tsa.keyRef, algorithm: alg },
    certificate: h.tsa.certificate,
    policyOid: '2.25.1',
    store,
    clock: systemClock,
    serialBlockSize: 256,
  });
  const ocsp = createOcspResponder({
    issuers: [{ caId: 'issuing', certificate: h.issuing.certificate, signer: { key: { backend: keystore, ref: h.ocsp.keyRef, algorithm: alg }, certificate: h.ocsp.certificate } }],
    store,
    clock: systemClock,
  });
  const ca = new CertificateAuthority({ id: 'issuing', key: { backend: keystore, ref: h.issuing.keyRef, algorithm: alg }, certificate: h.issuing.certificate, store, clock: systemClock, urls: {} });
  const leafKey = await keystore.generateKey({ type: 'EC', curve: 'P-256' });
  const leaf = await ca.issue({ subject: { commonName: 'Bench' }, subjectPublicKey: leafKey.publicKey, profile: 'signing' });

  // Requests made by openssl, as a client would send them.
  const data = join(dir, 'data');
  writeFileSync(data, 'bench');
  const tsq = execFileSync('openssl', ['ts', '-query', '-data', data, '-sha256', '-cert'], { stdio: ['ignore', 'pipe', 'ignore'] });
  writeFileSync(join(dir, 'issuing.pem'), derToPem(h.issuing.certificate, 'CERTIFICATE'));
  writeFileSync(join(dir, 'leaf.pem'), derToPem(leaf.der, 'CERTIFICATE'));
  execFileSync('openssl', ['ocsp', '-issuer', join(dir, 'issuing.pem'), '-cert', join(dir, 'leaf.pem'), '-reqout', join(dir, 'req.der')]);
  const ocspReq = new Uint8Array(readFileSync(join(dir, 'req.der')));
  // RFC 5019 §2.1.1: one certificate, no nonce — answered from the pre-signed response.
  execFileSync('openssl', ['ocsp', '-issuer', join(dir, 'issuing.pem'), '-cert', join(dir, 'leaf.pem'), '-no_nonce', '-reqout', join(dir, 'req5019.der')]);
  const ocsp5019Req = new Uint8Array(readFileSync(join(dir, 'req5019.der')));

  const tsaRate = await rate(() => tsa.respond(new Uint8Array(tsq)));
  const tsaBlockRate = await rate(() => tsaBlocks.respond(new Uint8Array(tsq)));
  const ocspRate = await rate(() => ocsp.respond(ocspReq));
  const ocspPresignedRate = await rate(() => ocsp.respond(ocsp5019Req));
  const signRate = await rate(() => keystore.sign(h.tsa.keyRef, { scheme: 'ECDSA', digestAlgorithm: 'SHA-256', digest: new Uint8Array(32) }));

  const line = (name: string, r: number) => console.log(`${name.padEnd(44)} ${r.toFixed(0).padStart(7)} /s   ${((r / raw) * 100).toFixed(1).padStart(5)}% of raw`);
  console.log(`raw node:crypto ECDSA P-256 sign              ${raw.toFixed(0).padStart(7)} /s`);
  line('software keystore sign (digest, P-256)', signRate);
  line('TSA timestamp tokens (file store, block of 1)', tsaRate);
  line('TSA timestamp tokens (serial blocks of 256)', tsaBlockRate);
  line('OCSP responses, fresh-signed (nonce)', ocspRate);
  line('OCSP responses, pre-signed (RFC 5019, no nonce)', ocspPresignedRate);
  await keystore.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
