/**
 * Issue 15: signDoc of an ordinary large document. The strict Base64 check was a regular
 * expression that overflowed the stack above ~4.47 M characters (documents over ~3.35 MB got 500);
 * it is now one linear pass, so a 20 MB PDF signs through signDoc under the documented 64 MiB limit:
 * through the whole assembled server (its document workers included), judged by pdfsig and qpdf.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { derToPem } from '../../src/pki/index.js';
import { isStrictBase64 } from '../../src/core/bytes.js';
import { decodeBase64 } from '../../src/csc/request-params.js';
import { verifyPdfSignatures } from '../../src/validation/index.js';
import { makeNssDb, pdfsigAsync, qpdfCheck } from '../support/judges.js';
import { writeBigPdf } from '../support/pdf-fixtures.js';
import { tempDir } from '../support/tmp.js';
import { requireTools } from '../support/tools.js';
import { ECDSA_SHA256_OID, apiServer } from '../server/support/api-fixture.js';

describe('issue 15: Base64 without a backtracking regular expression', () => {
  it('RFC 4648 §4 strictness: alphabet, length, padding only at the end', () => {
    for (const ok of ['', 'QQ==', 'QUI=', 'QUJD', 'a+/9', 'A'.repeat(40 * 1024 * 1024)]) assert.equal(isStrictBase64(ok), true, ok.slice(0, 10));
    for (const bad of ['Q', 'QQ=', 'Q===', '=QQQ', 'QQ=Q', 'QU I=', 'QUJ-', 'QUJ_', 'QUJ\n', 'QUJé', `${'A'.repeat(4_000_000)}!AAA`]) {
      assert.equal(isStrictBase64(bad), false, bad.slice(0, 10));
    }
    // The old expression threw RangeError (stack overflow) here; a 2^25-character value is decoded.
    assert.equal(decodeBase64('AAAA'.repeat(1 << 23), 'document').length, 3 << 23);
  });

  it('signDoc of a 20 MB PDF (27 M Base64 characters) through the assembled server: 200, pdfsig valid and trusted, qpdf --check clean, TOTAL-PASSED (DOS-23)', async (t) => {
    if (!requireTools(t, 'pdfsig', 'certutil', 'qpdf')) return;
    // The whole server as signet serve assembles it: body limits, JSON depth check, Base64 check,
    // the document workers that parse and prepare the PDF, the key operation and the embedding.
    const s = await apiServer(t, 'sqlite');
    if (!s) return;
    const dir = tempDir(t);
    // Listening, so that the certificate names a reachable OCSP responder for pdfsig to ask.
    const address = await s.app.listen({ host: '127.0.0.1', port: 0 });
    s.services.baseUrl.set(address);
    const signer = await s.addSigner('twenty');
    const token = await s.login(signer);
    // An ordinary document: one page showing a 20 MiB image of incompressible bytes.
    const input = join(dir, 'twenty.pdf');
    writeBigPdf(input, 20 * 1024 * 1024, { text: 'signDoc, 20 MB' });
    const pdf = readFileSync(input);
    assert.ok(pdf.length > 20_000_000, `${pdf.length} bytes`);
    const sad = await s.authorize(signer, token, [createHash('sha256').update(pdf).digest('base64')]);
    const r = await s.csc(
      'signatures/signDoc',
      {
        credentialID: signer.credentialId,
        SAD: sad,
        documents: [{ document: pdf.toString('base64'), signature_format: 'P', conformance_level: 'AdES-B-B', signAlgo: ECDSA_SHA256_OID }],
      },
      { bearer: token },
    );
    assert.equal(r.statusCode, 200, r.body.slice(0, 500));
    const signed = Buffer.from(r.json<{ DocumentWithSignature: string[] }>().DocumentWithSignature[0]!, 'base64');
    // An incremental update: the original bytes come first, unchanged.
    assert.ok(signed.length > pdf.length);
    assert.ok(signed.subarray(0, pdf.length).equals(pdf), 'the original bytes are kept');
    const output = join(dir, 'twenty-signed.pdf');
    writeFileSync(output, signed);
    const nss = makeNssDb(dir, derToPem(s.services.rootCertificate, 'CERTIFICATE'));
    const verdicts = await pdfsigAsync(output, nss);
    assert.equal(verdicts.length, 1, JSON.stringify(verdicts));
    assert.ok(verdicts[0]!.isValid, verdicts[0]!.text);
    assert.ok(verdicts[0]!.isTrusted, verdicts[0]!.text);
    const [clean, said] = qpdfCheck(output);
    assert.ok(clean, said);
    const report = verifyPdfSignatures(new Uint8Array(signed), { trustAnchors: [s.services.rootCertificate] });
    assert.equal(report.signatures[0]?.indication, 'TOTAL-PASSED', JSON.stringify(report.signatures[0]?.problems));
  });
});
