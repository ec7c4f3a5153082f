/**
 * PAdES signing throughput next to the machine's raw limits measured in the same run:
 * RSA-2048 signs/s of node:crypto alone, and one SHA-256 pass over the file for big inputs;
 * B-T and B-LTA against Signet's own TSA and OCSP responder on loopback HTTP, and a gateway batch
 * of one-page PDFs at B-LTA through a CSC provider on loopback (issue 19: validation data once
 * per batch, time-stamp requests overlapping). BENCH_LTA_BATCH sets its size (default 500);
 * BENCH_PADES_PHASES picks what runs (default all: b-b,levels,gateway,big).
 */
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, sign as rawSign } from 'node:crypto';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { oids, type Signer } from '../src/cms/index.js';
import { systemClock } from '../src/core/clock.js';
import { CscClient, loadRemoteCredential } from '../src/csc/client/index.js';
import { explicitAuthorizer, signBatch, type BatchDocument } from '../src/gateway/index.js';
import {
  ValidationDataCollector,
  appendedSource,
  extendPdf,
  planExtension,
  planLevel,
  signPdf,
  signPdfFile,
  writeExtension,
} from '../src/pades/index.js';
import { bytesSource } from '../src/pdf/index.js';
import { startMiniRssp } from '../test/csc/client/support/mini-rssp.js';
import { startLtvPki, type LtvPki } from '../test/pades/support/ltv-pki.js';
import { buildTestPki } from '../test/support/pki.js';
import { makeBasePdf, writeBigPdf } from '../test/support/pdf-fixtures.js';

function rate(seconds: number, fn: () => void): number {
  const end = performance.now() + seconds * 1000;
  let n = 0;
  const start = performance.now();
  while (performance.now() < end) {
    fn();
    n++;
  }
  return n / ((performance.now() - start) / 1000);
}

async function asyncRate(seconds: number, fn: () => Promise<unknown>): Promise<number> {
  return (await asyncRateWithCpu(seconds, fn)).perSecond;
}

/**
 * Calls per second of wall time and the process's CPU per call (every thread: the TSA, OCSP
 * responder and signing run in this process too). On a loaded machine the CPU figure moves far
 * less than the wall one.
 */
async function asyncRateWithCpu(seconds: number, fn: () => Promise<unknown>): Promise<{ perSecond: number; cpuMs: number }> {
  const end = performance.now() + seconds * 1000;
  let n = 0;
  const start = performance.now();
  const cpu = process.cpuUsage();
  while (performance.now() < end) {
    await fn();
    n++;
  }
  const used = process.cpuUsage(cpu);
  return { perSecond: n / ((performance.now() - start) / 1000), cpuMs: (used.user + used.system) / 1000 / n };
}

const cpuPer = (ms: number, what: string): string => `(CPU ${ms.toFixed(1)} ms/${what}; ${(1000 / ms).toFixed(0)}/s of CPU)`;

/** What bench/pades-big-file.ts prints. */
interface BigFileRun {
  readonly hash: { readonly wall: number; readonly cpu: number };
  readonly sign: { readonly wall: number; readonly cpu: number };
  readonly rssBefore: number;
  readonly peakBefore: number;
  readonly peakAfter: number;
}

const mb = (b: number): string => `${(b / 1024 / 1024).toFixed(1)} MB`;
/** Which measurements run (for profiling or a quick look at one of them). */
const phases = new Set(process.env['BENCH_PADES_PHASES']?.split(',') ?? ['b-b', 'levels', 'gateway', 'big']);

async function main(): Promise<void> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pki = await buildTestPki({ leaves: ['rsa'] });
  const key = pki.leaves.rsa.privateKey;
  const signer: Signer = {
    certificateChain: pki.chain('rsa'),
    signatureAlgorithm: { scheme: 'RSASSA-PKCS1-v1_5', digest: 'SHA-256' },
    sign: async (data) => new Uint8Array(rawSign('sha256', data, key)),
    maxSignatureSize: () => 256,
  };
  const signingTime = new Date('2026-11-23T12:00:00Z');

  const data = new Uint8Array(128);
  const rawCpu = process.cpuUsage();
  let rawSigns = 0;
  const raw = rate(2, () => {
    rawSign('sha256', data, privateKey);
    rawSigns++;
  });
  const rawUsed = process.cpuUsage(rawCpu);
  console.log(`raw node:crypto RSA-2048 sign:          ${raw.toFixed(0)} signs/s ${cpuPer((rawUsed.user + rawUsed.system) / 1000 / rawSigns, 'sign')}; load ${loadavg()[0]?.toFixed(1)}`);

  const dir = mkdtempSync(join(tmpdir(), 'signet-bench-'));
  try {
    const small = join(dir, '100k.pdf');
    writeBigPdf(small, 100 * 1024);
    const smallBytes = new Uint8Array(readFileSync(small));
    if (phases.has('b-b')) {
      const inMemory = await asyncRate(3, () => signPdf(smallBytes, signer, { signingTime }));
      console.log(`PAdES B-B 100 KB (in memory):          ${inMemory.toFixed(0)} sig/s  ratio ${(inMemory / raw).toFixed(2)} of raw`);
    }
    if (phases.has('levels') || phases.has('gateway')) await levelRates(smallBytes, raw);
    if (phases.has('b-b')) {
      const out = join(dir, 'out.pdf');
      const onDisk = await asyncRate(3, () => signPdfFile(small, out, signer, { signingTime }));
      console.log(`PAdES B-B 100 KB (file to file):       ${onDisk.toFixed(0)} sig/s  ratio ${(onDisk / raw).toFixed(2)} of raw`);
    }

    for (const size of phases.has('big') ? [10 * 1024 * 1024, 200 * 1024 * 1024] : []) {
      const path = join(dir, `${size}.pdf`);
      writeBigPdf(path, size);
      // Issue 18 §5: in a fresh process, so that the peak RSS growth is this signing's alone.
      const child = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', 'bench/pades-big-file.ts', path, join(dir, 'big-out.pdf')], {
        encoding: 'utf8',
      });
      if (child.status !== 0) throw new Error(`bench/pades-big-file.ts failed: ${child.stderr}`);
      const r = JSON.parse(child.stdout.trim().split('\n').pop()!) as BigFileRun;
      // An upper bound: the process's peak after signing minus its RSS just before.
      const growth = Math.max(0, r.peakAfter - r.rssBefore);
      console.log(
        `PAdES B-B ${mb(size).padEnd(9)} file: ${r.sign.wall.toFixed(3)} s; one SHA-256 pass over the file ${r.hash.wall.toFixed(3)} s ` +
          `(ratio ${(r.sign.wall / r.hash.wall).toFixed(2)}; CPU ${r.sign.cpu.toFixed(3)} s vs ${r.hash.cpu.toFixed(3)} s, ratio ${(r.sign.cpu / r.hash.cpu).toFixed(2)}); ` +
          `peak RSS growth ${mb(growth)} (RSS before ${mb(r.rssBefore)})`,
      );
      rmSync(path);
    }
    console.log(`peak RSS of the run: ${mb(process.resourceUsage().maxRSS * 1024)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** B-T and B-LTA with a local TSA and OCSP responder (HTTP on 127.0.0.1, same process). */
async function levelRates(pdf: Uint8Array, raw: number): Promise<void> {
  const cleanups: (() => unknown)[] = [];
  // TSA serials reserved 256 at a time (one store round trip per block, as a production TSA would).
  // OCSP without a nonce (RFC 5019 §2.1.1), as Signet fetches validation data: pre-signed answers.
  const pki = await startLtvPki({ after: (fn) => cleanups.push(fn) }, { tsaSerialBlockSize: 256, ocspNonce: false });
  try {
    if (phases.has('levels')) {
      const { signer } = await pki.newSigner('Bench Signer', { type: 'RSA', bits: 2048 });
      const signingTime = new Date('2026-11-23T12:00:00Z');
      const tsaRate = await asyncRate(2, () => pki.timestamper.timestamp(new Uint8Array(32), 'SHA-256'));
      console.log(`local TSA tokens (HTTP round trip):    ${tsaRate.toFixed(0)} tokens/s  ratio ${(tsaRate / raw).toFixed(2)} of raw`);
      const bb = await asyncRate(2, () => signPdf(pdf, signer, { signingTime }));
      console.log(`PAdES B-B 100 KB, keystore RSA key:    ${bb.toFixed(0)} sig/s  ratio ${(bb / raw).toFixed(2)} of raw`);
      const bt = await asyncRateWithCpu(3, () => signPdf(pdf, signer, { signingTime, level: 'B-T', timestamper: pki.timestamper }));
      console.log(`PAdES B-T 100 KB (local TSA):          ${bt.perSecond.toFixed(0)} sig/s  ratio ${(bt.perSecond / raw).toFixed(2)} of raw ${cpuPer(bt.cpuMs, 'sig')}`);
      const sources = { timestamper: pki.timestamper, revocation: pki.revocation };
      const lta = await asyncRateWithCpu(3, () => signPdf(pdf, signer, { signingTime, level: 'B-LTA', ...sources }));
      console.log(`PAdES B-LTA 100 KB (TSA x2, OCSP x2):  ${lta.perSecond.toFixed(0)} sig/s  ratio ${(lta.perSecond / raw).toFixed(2)} of raw ${cpuPer(lta.cpuMs, 'sig')}`);
      // The same with the level planned once for the run, as a batch or a long-running signer
      // plans (the /Contents room measured from one token instead of one more token per call).
      const btPlan = await planLevel({ level: 'B-T', timestamper: pki.timestamper }, 'SHA-256');
      const btPlanned = await asyncRateWithCpu(2, () => signPdf(pdf, signer, { signingTime, level: 'B-T', timestamper: pki.timestamper, plan: btPlan }));
      console.log(`  the same, planned once:              ${btPlanned.perSecond.toFixed(0)} sig/s  ratio ${(btPlanned.perSecond / raw).toFixed(2)} of raw ${cpuPer(btPlanned.cpuMs, 'sig')}`);
      const ltaPlan = await planLevel({ level: 'B-LTA', ...sources }, 'SHA-256');
      const ltaPlanned = await asyncRateWithCpu(2, () => signPdf(pdf, signer, { signingTime, level: 'B-LTA', ...sources, plan: ltaPlan }));
      console.log(`  B-LTA planned once:                  ${ltaPlanned.perSecond.toFixed(0)} sig/s  ratio ${(ltaPlanned.perSecond / raw).toFixed(2)} of raw ${cpuPer(ltaPlanned.cpuMs, 'sig')}`);
      // The document steps of that extension alone (plan; the DSS update and the document
      // timestamp prepared over it), without the fetches, on a B-T file as phase two hands it to
      // them: the original followed by the signed update.
      const btFile = await signPdf(pdf, signer, { signingTime, level: 'B-T', timestamper: pki.timestamper });
      const signedSource = appendedSource(bytesSource(pdf), btFile.subarray(pdf.length));
      const planned = planExtension(signedSource, { evidence: true });
      if (planned.evidence === undefined) throw new Error('bench: no evidence planned');
      const materials = await new ValidationDataCollector(pki.revocation).collectPlanned(planned.evidence);
      const room = { capacity: ltaPlan.documentTimestampCapacity ?? 8192, digestAlgorithm: 'SHA-256' } as const;
      const stepsCpu = process.cpuUsage();
      let stepsDone = 0;
      const steps = rate(2, () => {
        const plan = planExtension(signedSource, { evidence: true });
        writeExtension(signedSource, { materials, ...(plan.dss === undefined ? {} : { dss: plan.dss }), timestamp: room });
        stepsDone++;
      });
      const stepsUsed = process.cpuUsage(stepsCpu);
      console.log(`  its document steps (no fetches):     ${steps.toFixed(0)} docs/s  ratio ${(steps / raw).toFixed(2)} of raw ${cpuPer((stepsUsed.user + stepsUsed.system) / 1000 / stepsDone, 'doc')}`);
      const signed = await signPdf(pdf, signer, { signingTime, level: 'B-LTA', ...sources });
      const renew = await asyncRate(2, () => extendPdf(signed, { level: 'B-LTA', ...sources }));
      console.log(`B-LTA archive renewal of that file:    ${renew.toFixed(0)} ext/s`);
    }
    if (phases.has('gateway')) await gatewayBatchLta(pki, raw);
  } finally {
    await pki.close();
    for (const fn of cleanups.reverse()) await fn();
  }
}

/** A gateway batch at B-LTA end to end: prepare, one authorization, signHash in chunks, finish each (TSA ×2, OCSP). */
async function gatewayBatchLta(pki: LtvPki, raw: number): Promise<void> {
  const size = Number(process.env['BENCH_LTA_BATCH'] ?? 500);
  const record = await pki.ca.issueWithNewKey(pki.keystore, { type: 'RSA', bits: 2048 }, {
    subject: { commonName: 'Bench Gateway Signer', organization: 'Signet LTV Test', country: 'BE' },
    profile: 'signing',
  });
  const keyRef = record.keyRef as string;
  let step = 0;
  const otp = (): string => String(100000 + step);
  const rssp = await startMiniRssp({
    username: 'bench',
    password: 'pw',
    otp,
    credentials: [
      {
        id: 'rsa',
        signWith: (request) => pki.keystore.sign(keyRef, request),
        chain: [record.der, pki.hierarchy.issuing.certificate, pki.hierarchy.root.certificate],
        algos: [oids.sha256WithRSAEncryption],
        multisign: 1000,
        pin: '1234',
      },
    ],
  });
  try {
    const client = new CscClient({ baseUrl: rssp.url, auth: { kind: 'basic', username: 'bench', password: 'pw' } });
    const credential = await loadRemoteCredential(client, 'rsa');
    const documents: BatchDocument[] = Array.from({ length: size }, (_, i) => ({
      id: `doc-${i}`,
      source: { kind: 'bytes', bytes: makeBasePdf({ text: `Bench document ${i}` }) },
      sink: { kind: 'bytes', accept: () => undefined },
    }));
    const start = performance.now();
    const cpu = process.cpuUsage();
    const result = await signBatch(documents, {
      client,
      credential,
      clock: systemClock,
      authorize: explicitAuthorizer(client, credential, () => {
        step++;
        return { pin: '1234', otp: otp() };
      }),
      options: { level: 'B-LTA', timestamper: pki.timestamper, revocation: pki.revocation },
    });
    const seconds = (performance.now() - start) / 1000;
    const used = process.cpuUsage(cpu);
    if (result.signed !== size) throw new Error(`batch: ${result.failed} failed: ${JSON.stringify(result.results.find((r) => !r.ok))}`);
    const perSecond = size / seconds;
    console.log(
      `gateway batch of ${size} at B-LTA:       ${perSecond.toFixed(0)} docs/s  ratio ${(perSecond / raw).toFixed(2)} of raw ` +
        `(${seconds.toFixed(1)} s; prepare ${(result.timings.prepareMs / 1000).toFixed(1)} s, ${result.signHashCalls} signHash calls) ` +
        cpuPer((used.user + used.system) / 1000 / size, 'doc'),
    );
  } finally {
    await rssp.close();
  }
}

await main();
