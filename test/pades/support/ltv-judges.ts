/**
 * Judges for PAdES levels: pdfsig run asynchronously (it fetches OCSP from the in-process
 * responder, so a blocking spawn would deadlock), `openssl ts -verify` on signature and document
 * timestamp tokens, and `openssl ocsp -respin` on DSS OCSP responses.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cmsOids, parseSignedData } from '../../../src/cms/index.js';
import { PdfDocument } from '../../../src/pdf/index.js';
import { listPdfSignatures, readDss, type PdfSignature } from '../../../src/pades/index.js';
import { runToolAsync } from '../../pki/support/pki-server.js';
import type { PdfsigSignature } from '../../support/judges.js';
import { runTool } from '../../support/tools.js';

/** pdfsig with an NSS db, without blocking the event loop. */
export async function pdfsigAsync(path: string, nssDb: string): Promise<PdfsigSignature[]> {
  const r = await runToolAsync('pdfsig', ['-nssdir', `sql:${nssDb}`, path]);
  return r.stdout
    .split(/\nSignature #\d+:/)
    .slice(1)
    .filter((b) => !/The signature form field is not signed\./.test(b))
    .map((text) => ({
      isValid: /Signature Validation: Signature is Valid\./.test(text),
      isTrusted: /Certificate Validation: Certificate is Trusted\./.test(text),
      text,
    }));
}

/** The signature-time-stamp tokens of a CMS signature. */
export function signatureTimestampTokens(cms: Uint8Array): { token: Uint8Array; signatureValue: Uint8Array }[] {
  const sd = parseSignedData(cms);
  return sd.signerInfos.flatMap((si) =>
    si.unsignedAttributes
      .filter((a) => a.oid === cmsOids.id_aa_signatureTimeStampToken)
      .flatMap((a) => a.values.map((token) => ({ token, signatureValue: si.signature }))),
  );
}

/** `openssl ts -verify` of a token against a digest (hex) or data file; true when it says OK. */
export function opensslTsVerify(
  workDir: string,
  token: Uint8Array,
  target: { digestHex: string } | { data: Uint8Array },
  caFile: string,
  untrusted: string,
): [boolean, string] {
  const name = createHash('sha1').update(token).digest('hex').slice(0, 12);
  const tokenPath = join(workDir, `tst-${name}.der`);
  writeFileSync(tokenPath, token);
  const args = ['ts', '-verify', '-in', tokenPath, '-token_in', '-CAfile', caFile, '-untrusted', untrusted];
  if ('digestHex' in target) args.push('-digest', target.digestHex);
  else {
    const dataPath = join(workDir, `data-${name}.bin`);
    writeFileSync(dataPath, target.data);
    args.push('-data', dataPath);
  }
  const r = runTool('openssl', args);
  const out = `${r.stdout}${r.stderr}`;
  return [r.status === 0 && /Verification: OK/.test(out), out];
}

/** The bytes a signature's ByteRange covers. */
export function byteRangeBytes(file: Uint8Array, sig: PdfSignature): Uint8Array {
  const [a, b, c, d] = sig.byteRange as [number, number, number, number];
  return Buffer.concat([file.subarray(a, a + b), file.subarray(c, c + d)]);
}

/** Signatures and DSS of a file, read back. */
export function readBack(file: Uint8Array): { signatures: PdfSignature[]; dss: ReturnType<typeof readDss> } {
  const doc = PdfDocument.open(file);
  return { signatures: listPdfSignatures(doc), dss: readDss(doc) };
}

/** `openssl ocsp -respin … -resp_text`: the cert statuses it prints (verifying the response against `caFile`). */
export function opensslOcspStatuses(workDir: string, response: Uint8Array, caFile: string, other: string): { statuses: string[]; verified: boolean; text: string } {
  const path = join(workDir, `ocsp-${createHash('sha1').update(response).digest('hex').slice(0, 12)}.der`);
  writeFileSync(path, response);
  const r = runTool('openssl', ['ocsp', '-respin', path, '-resp_text', '-CAfile', caFile, '-verify_other', other]);
  const text = `${r.stdout}${r.stderr}`;
  return {
    statuses: [...text.matchAll(/Cert Status: (\w+)/g)].map((m) => m[1] as string),
    verified: /Response verify OK/.test(text),
    text,
  };
}
