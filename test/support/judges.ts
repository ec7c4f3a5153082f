/**
 * External judges of signed PDFs, independent of Signet's own parser: pdfsig (poppler, with an NSS
 * database trusting the test root), qpdf --check, and openssl cms -verify over the ByteRange bytes.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runTool } from './tools.js';

/** One signature as pdfsig reports it. */
export interface PdfsigSignature {
  readonly isValid: boolean;
  readonly isTrusted: boolean;
  readonly text: string;
}

/** Creates an NSS database in `dir` that trusts `rootPem` for pdfsig's certificate validation. */
export function makeNssDb(dir: string, rootPem: string): string {
  // A fresh directory each time: certutil -N on an existing database prompts for its password forever.
  const db = mkdtempSync(join(dir, 'nssdb-'));
  const init = runTool('certutil', ['-N', '-d', `sql:${db}`, '--empty-password']);
  if (init.status !== 0) throw new Error(`certutil -N failed: ${init.stderr}`);
  const rootPath = join(dir, 'nss-root.pem');
  writeFileSync(rootPath, rootPem);
  const add = runTool('certutil', ['-A', '-d', `sql:${db}`, '-n', 'signet-test-root', '-t', 'CT,C,C', '-a', '-i', rootPath]);
  if (add.status !== 0) throw new Error(`certutil -A failed: ${add.stderr}`);
  return db;
}

/** Runs pdfsig and returns each signature's verdicts. */
export function pdfsig(path: string, nssDb?: string): PdfsigSignature[] {
  const args = [...(nssDb ? ['-nssdir', `sql:${nssDb}`] : []), path];
  return pdfsigVerdicts(runTool('pdfsig', args).stdout);
}

/**
 * pdfsig without blocking the event loop: for a signer certificate whose AIA names an OCSP
 * responder served by this very process (poppler asks it; a synchronous child would deadlock).
 */
export async function pdfsigAsync(path: string, nssDb?: string): Promise<PdfsigSignature[]> {
  const args = [...(nssDb ? ['-nssdir', `sql:${nssDb}`] : []), path];
  const stdout = await new Promise<string>((resolve) => {
    execFile('pdfsig', args, { encoding: 'utf8', timeout: 60_000 }, (_err, out) => resolve(out));
  });
  return pdfsigVerdicts(stdout);
}

function pdfsigVerdicts(stdout: string): PdfsigSignature[] {
  // Empty signature fields are listed too ("The signature form field is not signed."): skip them.
  const blocks = stdout
    .split(/\nSignature #\d+:/)
    .slice(1)
    .filter((b) => !/The signature form field is not signed\./.test(b));
  return blocks.map((text) => ({
    isValid: /Signature Validation: Signature is Valid\./.test(text),
    isTrusted: /Certificate Validation: Certificate is Trusted\./.test(text),
    text,
  }));
}

/** Runs `qpdf --check`; returns [ok, output]. Warnings count as failures. */
export function qpdfCheck(path: string): [boolean, string] {
  const r = runTool('qpdf', ['--check', path]);
  const out = `${r.stdout}${r.stderr}`;
  return [r.status === 0 && !/WARNING/i.test(out), out];
}

/** Every (ByteRange, Contents) pair found by scanning the raw file (not Signet's parser). */
export function scanSignatures(bytes: Uint8Array): { byteRange: number[]; cms: Uint8Array }[] {
  const text = Buffer.from(bytes).toString('latin1');
  const out: { byteRange: number[]; cms: Uint8Array }[] = [];
  for (const m of text.matchAll(/\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/g)) {
    const br = m.slice(1, 5).map(Number);
    const [, b, c] = br as [number, number, number, number];
    const hex = text.slice(b + 1, c - 1);
    if (!/^[0-9a-fA-F]*$/.test(hex)) continue;
    out.push({ byteRange: br, cms: new Uint8Array(Buffer.from(hex.replace(/(00)+$/, ''), 'hex')) });
  }
  return out;
}

/**
 * `openssl cms -verify` of each signature over its ByteRange bytes, with `rootPem` as the only
 * trust anchor. Returns one boolean per signature found.
 */
export function opensslVerifyAll(path: string, rootPath: string, workDir: string): boolean[] {
  const bytes = new Uint8Array(readFileSync(path));
  return scanSignatures(bytes).map(({ byteRange, cms }, i) => {
    const [a, b, c, d] = byteRange as [number, number, number, number];
    const content = Buffer.concat([bytes.subarray(a, a + b), bytes.subarray(c, c + d)]);
    const sig = join(workDir, `sig-${i}.der`);
    const data = join(workDir, `data-${i}.bin`);
    // Trailing zero padding of /Contents may have eaten a final 00 of the DER: re-read its length.
    writeFileSync(sig, trimDer(cms));
    writeFileSync(data, content);
    const r = runTool('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', sig, '-content', data, '-CAfile', rootPath, '-purpose', 'any', '-out', '/dev/null']);
    return r.status === 0;
  });
}

/** Cuts or pads the DER to the length its outer header declares. */
function trimDer(bytes: Uint8Array): Uint8Array {
  if (bytes.length < 2) return bytes;
  const first = bytes[1] as number;
  let len: number;
  let header: number;
  if (first < 0x80) {
    len = first;
    header = 2;
  } else {
    const n = first & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (bytes[2 + i] as number);
    header = 2 + n;
  }
  const total = header + len;
  if (bytes.length >= total) return bytes.subarray(0, total);
  const out = new Uint8Array(total);
  out.set(bytes);
  return out;
}
