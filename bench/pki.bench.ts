/**
 * PKI throughput: RFC 3161 timestamp tokens/s and RFC 6960 OCSP responses/s (DER level, through
 * the software keystore and the file CaStore), next to raw node:crypto ECDSA P-256 signs/s
 * measured in the same run (one signature per token/response, so the ratio is the overhead).
 * Each line gives the wall-clock rate and the rate per CPU second of this process (all its
 * threads): on a shared machine the second ratio is the steadier one.
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
/** Length of one slice when a line and the raw sign are measured in turns. */
const sliceMs = 100;

interface Counted {
  n: number;
  wallMs: number;
  cpuUs: number;
}

interface Rate {
  readonly wall: number;
  readonly cpu: number;
  /** The raw sign's rates measured in the slices between this line's (same moments, same load). */
  readonly raw: { readonly wall: number; readonly cpu: number };
}

async function slice(fn: () => Promise<unknown> | unknown, into: Counted, ms: number): Promise<void> {
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  const end = start + ms;
  while (performance.now() < end) {
    await fn();
    into.n++;
  }
  const cpu = process.cpuUsage(cpuStart);
  into.wallMs += performance.now() - start;
  into.cpuUs += cpu.user + cpu.system;
}

const perSecond = (c: Counted) => ({ wall: c.n / (c.wallMs / 1000), cpu: c.n / (c.cpuUs / 1e6) });

/**
 * Measures `fn` for `seconds` in slices of `sliceMs`, each followed by a slice of `raw`: on a
 * shared machine the load changes within seconds, so a ratio to a raw rate measured at other
 * moments says more about the neighbours than about the code.
 */
async function rate(fn: () => Promise<unknown> | unknown, raw: () => unknown): Promise<Rate> {
  const line: Counted = { n: 0, wallMs: 0, cpuUs: 0 };
  const reference: Counted = { n: 0, wallMs: 0, cpuUs: 0 };
  await slice(fn, { n: 0, wallMs: 0, cpuUs: 0 }, 3 * sliceMs); // warm-up (the JIT, a first block)
  for (let spent = 0; spent < seconds * 1000; spent += 2 * sliceMs) {
    await slice(fn, line, sliceMs);
    await slice(raw, reference, sliceMs);
  }
  return { ...perSecond(line), raw: perSecond(reference) };
}

const dir = mkdtempSync(join(tmpdir(), 'signet-bench-pki-'));
try {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const rawSignOnce = () => rawSign('sha256', Buffer.from('raw'), privateKey);
  const raw = await rate(rawSignOnce, rawSignOnce);

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
    serialBlockSize: 1,
  });
  // The default: blocks of 256, the next one reserved in the background.
  const tsaBlocks = createTimestampAuthority({
    key: { backend: keystore, ref: h.tsa.keyRef, algorithm: alg },
    certificate: h.tsa.certificate,
    policyOid: '2.25.1',
    store,
    clock: systemClock,
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

  const tsaRate = await rate(() => tsa.respond(new Uint8Array(tsq)), rawSignOnce);
  const tsaBlockRate = await rate(() => tsaBlocks.respond(new Uint8Array(tsq)), rawSignOnce);
  const ocspRate = await rate(() => ocsp.respond(ocspReq), rawSignOnce);
  const ocspPresignedRate = await rate(() => ocsp.respond(ocsp5019Req), rawSignOnce);
  const signRate = await rate(() => keystore.sign(h.tsa.keyRef, { scheme: 'ECDSA', digestAlgorithm: 'SHA-256', digest: new Uint8Array(32) }), rawSignOnce);

  const percent = (r: number, of: number) => `${((r / of) * 100).toFixed(1).padStart(6)}%`;
  // "% of raw": against the whole run's raw rate (the figure the issue's table uses); "in turns":
  // against the raw sign measured between this line's slices; "cpu": rates per CPU second.
  const line = (name: string, r: Rate) =>
    console.log(
      `${name.padEnd(50)} ${r.wall.toFixed(0).padStart(7)} /s ${percent(r.wall, raw.wall)} of raw ${percent(r.wall, r.raw.wall)} in turns   cpu ${r.cpu.toFixed(0).padStart(7)} /s ${percent(r.cpu, r.raw.cpu)} in turns`,
    );
  console.log(`${'raw node:crypto ECDSA P-256 sign'.padEnd(50)} ${raw.wall.toFixed(0).padStart(7)} /s                              cpu ${raw.cpu.toFixed(0).padStart(7)} /s`);
  line('software keystore sign (digest, P-256)', signRate);
  line('TSA timestamp tokens (file store, block of 1)', tsaRate);
  line('TSA timestamp tokens (file store, blocks of 256)', tsaBlockRate);
  line('OCSP responses, fresh-signed (nonce)', ocspRate);
  line('OCSP responses, pre-signed (RFC 5019, no nonce)', ocspPresignedRate);
  await keystore.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
