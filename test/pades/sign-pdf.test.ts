/** PAdES B-B signing (ETSI EN 319 142-1) judged by pdfsig, qpdf --check and openssl cms -verify. */
import { before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sign as rawSign } from 'node:crypto';
import type { Signer } from '../../src/cms/index.js';
import {
  embedSignature,
  listSignatureFields,
  preparePdf,
  signPdf,
  signPdfFile,
  type PreparedSignature,
} from '../../src/pades/index.js';
import { PdfDocument } from '../../src/pdf/index.js';
import { verifyPdfSignatures } from '../../src/validation/index.js';
import { buildTestPki, leafKinds, type LeafKind, type TestPki } from '../support/pki.js';
import { makePdfFlavours, makeBasePdf } from '../support/pdf-fixtures.js';
import { makeNssDb, opensslVerifyAll, pdfsig, qpdfCheck } from '../support/judges.js';
import { requireTools } from '../support/tools.js';
import { tempDir } from '../support/tmp.js';
import { leafSigner } from '../support/leaf-signer.js';
import { isSignetError } from '../../src/core/errors.js';

const signingTime = new Date('2026-11-23T10:00:00Z');

function signerFor(pki: TestPki<LeafKind>, kind: LeafKind): Promise<Signer> {
  return leafSigner(pki, kind, kind === 'rsa-pss' ? { scheme: 'RSASSA-PSS' } : {});
}

describe('PAdES B-B signing', () => {
  let pki: TestPki<LeafKind>;
  let dir: string;
  let nss: string;
  let rootPath: string;
  let flavours: Record<string, string>;
  let rsa: Signer;

  before(async () => {
    pki = await buildTestPki({ leaves: [...leafKinds] });
    rsa = await signerFor(pki, 'rsa');
  });

  /**
   * Skips the test when a judge's tool is missing; otherwise a fresh directory with an NSS
   * database and root.pem that trust the test PKI's root, for judge().
   */
  const prepareJudges = (t: TestContext): boolean => {
    if (!requireTools(t, 'pdfsig', 'qpdf', 'openssl', 'certutil')) return false;
    dir = tempDir(t);
    nss = makeNssDb(dir, pki.root.pem);
    rootPath = join(dir, 'root.pem');
    writeFileSync(rootPath, pki.root.pem);
    return true;
  };

  /** pdfsig (valid and trusted), qpdf --check and openssl cms -verify each accept every signature. */
  const judge = (path: string, expectedSignatures: number): void => {
    const sigs = pdfsig(path, nss);
    assert.equal(sigs.length, expectedSignatures, `pdfsig sees ${expectedSignatures} signatures in ${path}`);
    for (const s of sigs) {
      assert.ok(s.isValid, `pdfsig: signature valid\n${s.text}`);
      assert.ok(s.isTrusted, `pdfsig: certificate trusted\n${s.text}`);
    }
    const [ok, out] = qpdfCheck(path);
    assert.ok(ok, `qpdf --check: ${out}`);
    const ossl = opensslVerifyAll(path, rootPath, dir);
    assert.equal(ossl.length, expectedSignatures);
    assert.ok(ossl.every(Boolean), 'openssl cms -verify accepts every signature');
  };

  /** Writes the signed bytes as `name` in the judges' directory and judges them. */
  const judgeBytes = (name: string, signed: Uint8Array, expectedSignatures: number): void => {
    const out = join(dir, name);
    writeFileSync(out, signed);
    judge(out, expectedSignatures);
  };

  it('signs every PDF flavour; pdfsig, qpdf and openssl accept the result', async (t) => {
    if (!prepareJudges(t)) return;
    flavours = await makePdfFlavours(dir);
    for (const [flavour, path] of Object.entries(flavours)) {
      await t.test(flavour, async () => {
        const out = join(dir, `${flavour}-signed.pdf`);
        await signPdfFile(path, out, rsa, { signingTime, reason: 'Approved', location: 'Brussels' });
        const before = readFileSync(path);
        const after = readFileSync(out);
        assert.deepEqual(after.subarray(0, before.length), before, 'original bytes are kept unchanged');
        judge(out, 1);
        const report = verifyPdfSignatures(new Uint8Array(after), { trustAnchors: [pki.root.der] });
        assert.equal(report.signatures.length, 1);
        assert.equal(report.signatures[0]?.indication, 'TOTAL-PASSED', JSON.stringify(report.signatures[0]?.problems));
      });
    }
  });

  it('signs with RSA PKCS#1 v1.5, RSA-PSS and ECDSA P-256/P-384/P-521', async (t) => {
    if (!prepareJudges(t)) return;
    const pdf = makeBasePdf();
    for (const kind of leafKinds) {
      const signer = await signerFor(pki, kind);
      judgeBytes(`${kind}.pdf`, await signPdf(pdf, signer, { signingTime }), 1);
    }
  });

  it('a second signature leaves the first valid; an empty field is filled by name', async (t) => {
    if (!prepareJudges(t)) return;
    flavours = await makePdfFlavours(dir);
    const form = new Uint8Array(readFileSync(flavours['formEmptySigField'] as string));
    const once = await signPdf(form, rsa, { signingTime, fieldName: 'Signature1' });
    const onceDoc = PdfDocument.open(once);
    assert.equal(listSignatureFields(onceDoc).length, 1, 'the existing field was used, none added');
    const ec = await signerFor(pki, 'ec-p256');
    const twice = await signPdf(once, ec, { signingTime, visible: { page: 1, rect: [50, 50, 250, 110] }, reason: 'Second' });
    judgeBytes('twice.pdf', twice, 2);
    const report = verifyPdfSignatures(twice, { trustAnchors: [pki.root.der] });
    assert.equal(report.signatures.length, 2);
    assert.ok(report.signatures.every((s) => s.isIntact));
    await assert.rejects(
      () => signPdf(twice, rsa, { signingTime, fieldName: 'Signature1' }),
      (e) => isSignetError(e, 'ERR_PADES_FIELD_SIGNED'),
    );
  });

  it('certification (DocMDP): P=2 allows an approval signature, P=1 refuses further signatures', async (t) => {
    if (!prepareJudges(t)) return;
    const pdf = makeBasePdf();
    const certified = await signPdf(pdf, rsa, { signingTime, certify: 2 });
    // A different signer approves: poppler 22.12 (NSS) reports "Unknown issue with Certificate" for
    // every later signature made with a certificate already used earlier in the same file, even
    // when openssl and Signet's validator accept it; a second person approving is the real case.
    const approved = await signPdf(certified, await signerFor(pki, 'ec-p384'), { signingTime });
    judgeBytes('certified.pdf', approved, 2);
    const locked = await signPdf(pdf, rsa, { signingTime, certify: 1 });
    await assert.rejects(() => signPdf(locked, rsa, { signingTime }), (e) => isSignetError(e, 'ERR_PADES_DOCMDP_LOCKED'));
    await assert.rejects(() => signPdf(certified, rsa, { signingTime, certify: 3 }), (e) => isSignetError(e, 'ERR_PADES_CERTIFY_NOT_FIRST'));
  });

  it('two phases: prepare, serialise to JSON, sign the DTBS elsewhere, embed', async (t) => {
    if (!prepareJudges(t)) return;
    const pdf = makeBasePdf();
    const prepared = preparePdf(pdf, {
      certificateChain: pki.chain('rsa'),
      signatureAlgorithm: { scheme: 'RSASSA-PKCS1-v1_5', digest: 'SHA-256' },
      maxSignatureSize: 256,
      signingTime,
    });
    const roundTripped = JSON.parse(JSON.stringify(prepared)) as PreparedSignature;
    const dtbs = Buffer.from(roundTripped.signedAttributes, 'base64');
    const signature = new Uint8Array(rawSign('sha256', dtbs, pki.leaves.rsa.privateKey));
    const update = embedSignature(roundTripped, signature);
    judgeBytes('two-phase.pdf', Buffer.concat([pdf, update]), 1);
  });

  it('refuses bad requests with typed errors', async () => {
    const pdf = makeBasePdf();
    await assert.rejects(
      () => signPdf(pdf, rsa, { signingTime, visible: { page: 9, rect: [0, 0, 10, 10] } }),
      (e) => isSignetError(e, 'ERR_PADES_PAGE_RANGE'),
    );
    await assert.rejects(
      () => signPdf(pdf, rsa, { signingTime, visible: { page: 1, rect: [10, 10, 0, 0] } }),
      (e) => isSignetError(e, 'ERR_PADES_RECT'),
    );
    await assert.rejects(() => signPdf(new Uint8Array([1, 2, 3]), rsa, { signingTime }), (e) => isSignetError(e));
  });
});
