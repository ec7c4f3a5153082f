/**
 * Validation throughput (issue 14): full reports per second (verifyPdfLongTerm: byte range,
 * CMS, path, signature-time-stamp, DSS revocation, document timestamp, revision analysis) for a
 * 1 MB PAdES B-LTA file, next to the machine's raw limits measured in the same run: SHA-256
 * passes over the same 1 MB and raw node:crypto verifications of the signature algorithm used.
 */
import { createHash, generateKeyPairSync, sign as rawSign, verify as rawVerify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signPdf } from '../src/pades/index.js';
import { verifyPdfLongTerm } from '../src/validation/index.js';
import { startLtvPki } from '../test/pades/support/ltv-pki.js';
import { writeBigPdf } from '../test/support/pdf-fixtures.js';

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

async function main(): Promise<void> {
  const cleanups: (() => unknown)[] = [];
  const pki = await startLtvPki({ after: (fn) => cleanups.push(fn) }, { rootCrl: true });
  const dir = mkdtempSync(join(tmpdir(), 'signet-bench-validation-'));
  try {
    const { signer } = await pki.newSigner('Bench Signer');
    const input = join(dir, '1m.pdf');
    writeBigPdf(input, 1024 * 1024);
    const bytes = new Uint8Array(readFileSync(input));
    const lta = await signPdf(bytes, signer, { signingTime: new Date(), level: 'B-LTA', timestamper: pki.timestamper, revocation: pki.revocation });
    const anchors = [pki.hierarchy.root.certificate];
    const check = verifyPdfLongTerm(lta, { trustAnchors: anchors, revocation: { mode: 'offline' } });
    const sig = check.signatures.find((s) => !s.isDocumentTimestamp);
    if (sig?.indication !== 'TOTAL-PASSED' || sig.level !== 'B-LTA') throw new Error(`the bench file does not validate: ${JSON.stringify(sig)}`);
    console.log(`file: ${(lta.length / 1024 / 1024).toFixed(2)} MB, PAdES ${sig.level}, ${check.signatures.length} signatures (incl. document timestamp)`);

    const sha = rate(2, () => createHash('sha256').update(lta).digest());
    console.log(`raw SHA-256 over the file:              ${sha.toFixed(0)} passes/s`);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const data = new Uint8Array(256);
    const ecSig = rawSign('sha256', data, ec.privateKey);
    const ecRate = rate(2, () => rawVerify('sha256', data, ec.publicKey, ecSig));
    console.log(`raw node:crypto ECDSA P-256 verify:     ${ecRate.toFixed(0)} verifies/s`);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const rsaSig = rawSign('sha256', data, rsa.privateKey);
    const rsaRate = rate(2, () => rawVerify('sha256', data, rsa.publicKey, rsaSig));
    console.log(`raw node:crypto RSA-2048 verify:        ${rsaRate.toFixed(0)} verifies/s`);

    const reports = rate(5, () => verifyPdfLongTerm(lta, { trustAnchors: anchors, revocation: { mode: 'offline' } }));
    console.log(`validation reports (verifyPdfLongTerm): ${reports.toFixed(1)} reports/s`);
    console.log(`  = ${(sha / reports).toFixed(1)} SHA-256 passes of the file per report, ${(ecRate / reports).toFixed(0)} ECDSA verifies per report`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await pki.close();
    for (const fn of cleanups.reverse()) await fn();
  }
}

await main();
