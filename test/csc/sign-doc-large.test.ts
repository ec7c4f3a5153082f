/**
 * Issue 15: signDoc of an ordinary large document. The strict Base64 check was a regular
 * expression that overflowed the stack above ~4.47 M characters (documents over ~3.35 MB got 500);
 * it is now one linear pass, so a 20 MB PDF signs through signDoc under the documented 64 MiB limit.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { oids } from '../../src/cms/index.js';
import { isStrictBase64 } from '../../src/core/bytes.js';
import { decodeBase64 } from '../../src/csc/request-params.js';
import { verifyPdfSignatures } from '../../src/validation/index.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { testStores } from '../support/stores.js';
import { cscHarness } from './support/csc-harness.js';

const SHA256 = '2.16.840.1.101.3.4.2.1';

describe('issue 15: Base64 without a backtracking regular expression', () => {
  it('RFC 4648 §4 strictness: alphabet, length, padding only at the end', () => {
    for (const ok of ['', 'QQ==', 'QUI=', 'QUJD', 'a+/9', 'A'.repeat(40 * 1024 * 1024)]) assert.equal(isStrictBase64(ok), true, ok.slice(0, 10));
    for (const bad of ['Q', 'QQ=', 'Q===', '=QQQ', 'QQ=Q', 'QU I=', 'QUJ-', 'QUJ_', 'QUJ\n', 'QUJé', `${'A'.repeat(4_000_000)}!AAA`]) {
      assert.equal(isStrictBase64(bad), false, bad.slice(0, 10));
    }
    // The old expression threw RangeError (stack overflow) here; a 2^25-character value is decoded.
    assert.equal(decodeBase64('AAAA'.repeat(1 << 23), 'document').length, 3 << 23);
  });

  it('signDoc of a 20 MB PDF (27 M Base64 characters) answers 200 with a signature that verifies', async (t) => {
    const { store } = await testStores(t).sqlite();
    const h = await cscHarness(t, store);
    const alice = await h.createUser('alice');
    const credentialID = await h.createCredential(alice, { pin: '1234' });
    const token = await h.login('v2', alice);
    const pdf = makeBasePdf({ text: 'signDoc, 20 MB', extraStreamBytes: 20 * 1024 * 1024 });
    const docHash = createHash('sha256').update(pdf).digest('base64');
    const auth = await h.call('v2', 'credentials/authorize', {
      credentialID,
      numSignatures: 1,
      hashes: [docHash],
      hashAlgorithmOID: SHA256,
      authData: [{ id: 'PIN', value: '1234' }, { id: 'OTP', value: h.nextOtp(alice) }],
    }, { bearer: token });
    assert.equal(auth.status, 200, JSON.stringify(auth.body));
    const r = await h.call('v2', 'signatures/signDoc', {
      credentialID,
      SAD: auth.body.SAD as string,
      documents: [{ document: Buffer.from(pdf).toString('base64'), signature_format: 'P', conformance_level: 'AdES-B-B', signAlgo: oids.ecdsa_with_SHA256 }],
    }, { bearer: token });
    assert.equal(r.status, 200, JSON.stringify(r.body).slice(0, 500));
    const signed = new Uint8Array(Buffer.from(r.body.DocumentWithSignature[0] as string, 'base64'));
    assert.ok(signed.length > pdf.length);
    const report = verifyPdfSignatures(signed, { trustAnchors: [h.pki.hierarchy.root.certificate] });
    assert.equal(report.signatures[0]?.indication, 'TOTAL-PASSED', JSON.stringify(report.signatures[0]?.problems));
  });
});
