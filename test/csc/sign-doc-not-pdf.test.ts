/**
 * Issue 20, bug found on the way: signDoc with a document that is not a PDF answered 500 after
 * the SAD was consumed. The document is read before the SAD is used: the answer is a CSC
 * invalid_request saying what is wrong (CSC API v2 §11.11, §14 error codes), and the SAD keeps
 * every signature it authorized (the same SAD then signs the PDF and the refused document's hash).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { oids } from '../../src/cms/index.js';
import { verifyPdfSignatures } from '../../src/validation/index.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { testStores } from '../support/stores.js';
import { cscHarness } from './support/csc-harness.js';

const SHA256 = '2.16.840.1.101.3.4.2.1';
const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
const hashOf = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('base64');

describe('issue 20: signDoc with a document that is not a PDF', () => {
  it('answers 400 invalid_request naming the document, and consumes nothing of the SAD', async (t) => {
    const { store } = await testStores(t).sqlite();
    const h = await cscHarness(t, store);
    const alice = await h.createUser('alice');
    const credentialID = await h.createCredential(alice, { pin: '1234', multisign: 10 });
    const token = await h.login('v2', alice);
    const notPdf = new Uint8Array(Buffer.from('This is a plain text file, not a PDF.\n'.repeat(20)));
    const pdf = makeBasePdf({ text: 'signDoc after a refused document' });
    const SAD = await h.authorizeHashes(alice, token, { credentialID, pin: '1234', hashes: [hashOf(notPdf), hashOf(pdf)] });
    const doc = (bytes: Uint8Array) => ({ document: b64(bytes), signature_format: 'P', conformance_level: 'AdES-B-B', signAlgo: oids.ecdsa_with_SHA256 });

    const refused = await h.call('v2', 'signatures/signDoc', { credentialID, SAD, documents: [doc(notPdf)] }, { bearer: token });
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assert.equal(refused.body.error, 'invalid_request');
    assert.match(String(refused.body.error_description), /PDF/);

    // Both authorized signatures are still there: the PDF signs, and the refused document's hash
    // can still be signed as a hash (signHash) — then the SAD is spent.
    const r = await h.call('v2', 'signatures/signDoc', { credentialID, SAD, documents: [doc(pdf)] }, { bearer: token });
    assert.equal(r.status, 200, JSON.stringify(r.body).slice(0, 500));
    const signed = new Uint8Array(Buffer.from((r.body.DocumentWithSignature as string[])[0] as string, 'base64'));
    const report = verifyPdfSignatures(signed, { trustAnchors: [h.pki.hierarchy.root.certificate] });
    assert.equal(report.signatures[0]?.indication, 'TOTAL-PASSED', JSON.stringify(report.signatures[0]?.problems));
    const hashCall = (SADvalue: string) => h.call('v2', 'signatures/signHash', {
      credentialID, SAD: SADvalue, hashes: [hashOf(notPdf)], hashAlgorithmOID: SHA256, signAlgo: oids.ecdsa_with_SHA256,
    }, { bearer: token });
    const second = await hashCall(SAD);
    assert.equal(second.status, 200, JSON.stringify(second.body));
    const third = await hashCall(SAD);
    assert.equal(third.status, 400, JSON.stringify(third.body));
  });

  it('a document with a PDF header that cannot be signed is refused before the SAD is spent', async (t) => {
    // Issue 20 §1 (a): the header check passed, the parse failed after the SAD was consumed.
    const { store } = await testStores(t).sqlite();
    const h = await cscHarness(t, store);
    const alice = await h.createUser('alice');
    const credentialID = await h.createCredential(alice, { pin: '1234', multisign: 10 });
    const token = await h.login('v2', alice);
    const broken = new Uint8Array(Buffer.from('%PDF-1.7\n' + 'this is no PDF object, no xref and no trailer\n'.repeat(20)));
    const pdf = makeBasePdf({ text: 'signDoc after a broken PDF' });
    const SAD = await h.authorizeHashes(alice, token, { credentialID, pin: '1234', hashes: [hashOf(broken), hashOf(pdf)] });
    const doc = (bytes: Uint8Array) => ({ document: b64(bytes), signature_format: 'P', conformance_level: 'AdES-B-B', signAlgo: oids.ecdsa_with_SHA256 });

    const refused = await h.call('v2', 'signatures/signDoc', { credentialID, SAD, documents: [doc(broken)] }, { bearer: token });
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assert.equal(refused.body.error, 'invalid_request');
    assert.match(String(refused.body.error_description), /document 1 cannot be signed/);

    // Both authorized signatures are still there: the PDF signs, and the refused document's hash
    // can still be signed as a hash.
    const r = await h.call('v2', 'signatures/signDoc', { credentialID, SAD, documents: [doc(pdf)] }, { bearer: token });
    assert.equal(r.status, 200, JSON.stringify(r.body).slice(0, 500));
    const signed = new Uint8Array(Buffer.from((r.body.DocumentWithSignature as string[])[0] as string, 'base64'));
    const report = verifyPdfSignatures(signed, { trustAnchors: [h.pki.hierarchy.root.certificate] });
    assert.equal(report.signatures[0]?.indication, 'TOTAL-PASSED', JSON.stringify(report.signatures[0]?.problems));
    const second = await h.call('v2', 'signatures/signHash', {
      credentialID, SAD, hashes: [hashOf(broken)], hashAlgorithmOID: SHA256, signAlgo: oids.ecdsa_with_SHA256,
    }, { bearer: token });
    assert.equal(second.status, 200, JSON.stringify(second.body));
  });
});
