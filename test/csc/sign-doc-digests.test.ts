/**
 * CSC v2 signatures/signDoc with `documentDigests` beyond B-B (CSC API v2 §11.11;
 * ETSI EN 319 122-1 §5.3, EN 319 142-1 §5.4.2/§6): the returned detached CMS carries an RFC 3161
 * signature-time-stamp over the signature value (B-T); `returnValidationInfo` returns the OCSP
 * responses and certificates of the signer's and the TSA's paths, which a PAdES client writes into
 * the DSS to reach B-LT; B-LTA with digests is refused (it needs the whole PDF). Judges: openssl
 * cms -verify on the detached CMS, openssl ts on the embedded token, openssl ocsp on the returned
 * responses, and Signet's long-term validator on the PDF the client assembles. Requests and
 * responses are checked against the CSC specification by the harness.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { oids } from '../../src/cms/index.js';
import { bytesSource, PdfDocument } from '../../src/pdf/index.js';
import { buildDssUpdate, embedCms, listPdfSignatures, preparePdf, vriKeyOf } from '../../src/pades/index.js';
import { verifyPdfLongTerm } from '../../src/validation/index.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { testStores } from '../support/stores.js';
import { requireTools, runTool } from '../support/tools.js';
import { tempDir } from '../support/tmp.js';
import { byteRangeBytes, opensslOcspStatuses, opensslTsVerify, signatureTimestampTokens } from '../pades/support/ltv-judges.js';
import { startLtvPki, type LtvPki } from '../pades/support/ltv-pki.js';
import { cscHarness, type CscHarness, type TestUser } from './support/csc-harness.js';

const SHA256 = '2.16.840.1.101.3.4.2.1';
const ES256 = oids.ecdsa_with_SHA256;

describe('CSC signDoc documentDigests: B-T, validationInfo, B-LT by the client, B-LTA refused', () => {
  let pki: LtvPki;
  const cleanups: (() => unknown)[] = [];
  before(async () => {
    pki = await startLtvPki({ after: (fn) => cleanups.push(fn) });
  });
  after(async () => {
    await pki.close();
    for (const fn of cleanups.reverse()) await fn();
  });

  async function rssp(t: Parameters<typeof cscHarness>[0] & Parameters<typeof testStores>[0]) {
    const { store } = await testStores(t).sqlite();
    const h = await cscHarness(t, store, {
      issuing: { ca: pki.ca, chain: [pki.hierarchy.issuing.certificate, pki.hierarchy.root.certificate] },
      pades: { timestamper: pki.timestamper, revocation: pki.revocation },
    });
    const user = await h.createUser('dora');
    const credentialID = await h.createCredential(user, { pin: '1234', multisign: 10 });
    const token = await h.login('v2', user);
    const info = await h.call('v2', 'credentials/info', { credentialID, certificates: 'chain' }, { bearer: token });
    const chain = (info.body.cert.certificates as string[]).map((c) => new Uint8Array(Buffer.from(c, 'base64')));
    return { h, user, credentialID, token, chain };
  }

  async function authorize(h: CscHarness, user: TestUser, token: string, credentialID: string, hashes: string[]): Promise<string> {
    const res = await h.call('v2', 'credentials/authorize', {
      credentialID,
      numSignatures: hashes.length,
      hashes,
      hashAlgorithmOID: SHA256,
      authData: [{ id: 'PIN', value: '1234' }, { id: 'OTP', value: h.nextOtp(user) }],
    }, { bearer: token });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.SAD as string;
  }

  it('B-T and B-LT: openssl cms/ts/ocsp accept the CMS, the token and the responses; the client-built PDF validates at B-T, and at B-LT with the returned validationInfo in its DSS', async (t) => {
    if (!requireTools(t, 'openssl')) return;
    const dir = tempDir(t);
    const { h, user, credentialID, token, chain } = await rssp(t);
    const infoRes = await h.call('v2', 'info', {});
    assert.equal(infoRes.body.validationInfo, true);
    assert.deepEqual(infoRes.body.conformance_levels, ['Ades-B-B', 'Ades-B-T', 'Ades-B-LT', 'Ades-B-LTA']);

    // The client (a remote PAdES application) prepares two PDFs; the SDR digests are their ByteRange digests.
    const prepare = (text: string) => {
      const pdf = makeBasePdf({ text });
      const prepared = preparePdf(pdf, { certificateChain: chain, signatureAlgorithm: { scheme: 'ECDSA', digest: 'SHA-256' }, maxSignatureSize: 72, signingTime: h.clock.now(), reserveBytes: 12_000 });
      return { pdf, prepared };
    };
    const bt = prepare('signDoc digests B-T');
    const lt = prepare('signDoc digests B-LT');
    const sad = await authorize(h, user, token, credentialID, [bt.prepared.documentDigest, lt.prepared.documentDigest]);

    // B-LTA needs the PDF itself (document time-stamp over the DSS): refused, nothing consumed.
    const lta = await h.call('v2', 'signatures/signDoc', { credentialID, SAD: sad, hashAlgorithmOID: SHA256, documentDigests: [{ hashes: [bt.prepared.documentDigest], signature_format: 'P', conformance_level: 'AdES-B-LTA', signAlgo: ES256 }] }, { bearer: token });
    assert.deepEqual([lta.status, lta.body.error, lta.body.error_description], [400, 'invalid_request', 'Invalid parameter conformance_level']);
    // B-LT is reached only through validationInfo, so it must be asked for.
    const ltNoInfo = await h.call('v2', 'signatures/signDoc', { credentialID, SAD: sad, hashAlgorithmOID: SHA256, documentDigests: [{ hashes: [lt.prepared.documentDigest], signature_format: 'P', conformance_level: 'AdES-B-LT', signAlgo: ES256 }] }, { bearer: token });
    assert.deepEqual([ltNoInfo.status, ltNoInfo.body.error_description], [400, 'Invalid parameter returnValidationInfo']);

    const btRes = await h.call('v2', 'signatures/signDoc', { credentialID, SAD: sad, hashAlgorithmOID: SHA256, documentDigests: [{ hashes: [bt.prepared.documentDigest], signature_format: 'P', conformance_level: 'AdES-B-T', signAlgo: ES256 }] }, { bearer: token });
    assert.equal(btRes.status, 200, JSON.stringify(btRes.body));
    assert.equal(btRes.body.validationInfo, undefined, 'not asked for');
    const ltRes = await h.call('v2', 'signatures/signDoc', { credentialID, SAD: sad, hashAlgorithmOID: SHA256, returnValidationInfo: true, documentDigests: [{ hashes: [lt.prepared.documentDigest], signature_format: 'P', conformance_level: 'AdES-B-LT', signAlgo: ES256 }] }, { bearer: token });
    assert.equal(ltRes.status, 200, JSON.stringify(ltRes.body));

    const files = { root: pki.files.root, issuing: pki.files.issuing };
    for (const [name, res, doc] of [['B-T', btRes, bt], ['B-LT', ltRes, lt]] as const) {
      const cms = new Uint8Array(Buffer.from(res.body.SignatureObject[0] as string, 'base64'));
      const signed = new Uint8Array(Buffer.concat([doc.pdf, embedCms(doc.prepared, cms)]));
      const sig = listPdfSignatures(PdfDocument.open(signed))[0]!;
      // openssl: the detached CMS verifies over the bytes the ByteRange covers, to the root.
      const cmsPath = join(dir, `${name}.der`);
      const contentPath = join(dir, `${name}.bin`);
      writeFileSync(cmsPath, cms);
      writeFileSync(contentPath, byteRangeBytes(signed, sig));
      const verify = runTool('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', cmsPath, '-content', contentPath, '-CAfile', files.root, '-purpose', 'any', '-out', join(dir, `${name}.out`)]);
      assert.equal(verify.status, 0, `${name}: ${verify.stderr}`);
      assert.match(verify.stderr, /Verification successful/);
      // The signature-time-stamp: one RFC 3161 token whose imprint is SHA-256 of the signature value.
      const tokens = signatureTimestampTokens(cms);
      assert.equal(tokens.length, 1, `${name}: one signature-time-stamp`);
      const { token: tst, signatureValue } = tokens[0]!;
      const imprint = createHash('sha256').update(signatureValue).digest('hex');
      const tokenPath = join(dir, `${name}-tst.der`);
      writeFileSync(tokenPath, tst);
      const text = runTool('openssl', ['ts', '-reply', '-in', tokenPath, '-token_in', '-text']);
      assert.equal(text.status, 0, text.stderr);
      assert.match(text.stdout, /Hash Algorithm: sha256/);
      // The hex dump lines: "    0000 - f4 80 … 16   ascii"; 16 bytes take 47 characters after " - ".
      const dump = text.stdout.match(/Message data:\n([\s\S]*?)\nSerial number/)?.[1] ?? '';
      const printed = dump.split('\n').map((l) => (/^\s*[0-9a-f]{4} - (.{1,47})/i.exec(l)?.[1] ?? '').replace(/[^0-9a-f]/gi, '')).join('');
      assert.equal(printed.toLowerCase(), imprint, `${name}: the token's imprint as openssl prints it`);
      const [tsOk, tsOut] = opensslTsVerify(dir, tst, { digestHex: imprint }, files.root, files.issuing);
      assert.ok(tsOk, tsOut);

      if (name === 'B-T') {
        const report = verifyPdfLongTerm(signed, { trustAnchors: [pki.hierarchy.root.certificate] });
        const s = report.signatures[0];
        assert.equal(s?.level, 'B-T', JSON.stringify(s?.problems));
        assert.equal(s?.indication, 'TOTAL-PASSED', JSON.stringify(s));
        continue;
      }
      // B-LT: validationInfo covers the signer's and the TSA's paths, with OCSP "good" for each leaf.
      const vi = res.body.validationInfo as { ocsp: string[]; crl: string[]; certificates: string[] };
      const der = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'));
      const certs = vi.certificates.map(der);
      const has = (c: Uint8Array) => certs.some((x) => Buffer.compare(x, c) === 0);
      assert.ok(has(chain[0]!), 'the signer certificate');
      assert.ok(has(pki.hierarchy.tsa.certificate), 'the TSA certificate');
      assert.ok(has(pki.hierarchy.issuing.certificate), 'the issuing CA');
      assert.ok(vi.ocsp.length >= 2, `OCSP for the signer and the TSA: ${vi.ocsp.length}`);
      for (const o of vi.ocsp) {
        const statuses = opensslOcspStatuses(dir, der(o), files.root, files.issuing);
        assert.ok(statuses.verified, statuses.text);
        assert.ok(statuses.statuses.length > 0 && statuses.statuses.every((x) => x === 'good'), statuses.text);
      }
      // Without the DSS the file is B-T; with the returned validationInfo in the DSS it is B-LT.
      assert.equal(verifyPdfLongTerm(signed, { trustAnchors: [pki.hierarchy.root.certificate] }).signatures[0]?.level, 'B-T');
      const dss = buildDssUpdate(bytesSource(signed), [{ vriKey: vriKeyOf(sig.contents), certificates: certs, ocspResponses: vi.ocsp.map(der), crls: vi.crl.map(der) }]);
      const ltFile = new Uint8Array(Buffer.concat([signed, dss]));
      const report = verifyPdfLongTerm(ltFile, { trustAnchors: [pki.hierarchy.root.certificate] });
      const s = report.signatures.find((x) => !x.isDocumentTimestamp);
      assert.equal(s?.level, 'B-LT', JSON.stringify(s?.problems));
      assert.deepEqual(s?.revocation?.status, 'good');
      assert.notEqual(s?.indication, 'TOTAL-FAILED');
    }
    const audit = await h.store.db.selectFrom('audit_log').select('details').where('event_type', '=', 'csc.signatures.signDoc').where('outcome', '=', 'success').execute();
    assert.deepEqual(audit.map((r) => (JSON.parse(r.details) as { levels: string[] }).levels), [['B-T'], ['B-LT']]);
  });

  it('returnValidationInfo with B-B digests and with documents; refused where no revocation source is configured', async (t) => {
    const { h, user, credentialID, token } = await rssp(t);
    const digest = createHash('sha256').update('sdr').digest('base64');
    const pdf = makeBasePdf({ text: 'documents + validationInfo' });
    const docHash = createHash('sha256').update(pdf).digest('base64');
    const sad = await authorize(h, user, token, credentialID, [digest, docHash]);
    const bb = await h.call('v2', 'signatures/signDoc', { credentialID, SAD: sad, hashAlgorithmOID: SHA256, returnValidationInfo: true, documentDigests: [{ hashes: [digest], signature_format: 'P', signAlgo: ES256 }] }, { bearer: token });
    assert.equal(bb.status, 200, JSON.stringify(bb.body));
    assert.equal(signatureTimestampTokens(new Uint8Array(Buffer.from(bb.body.SignatureObject[0] as string, 'base64'))).length, 0, 'B-B: no time-stamp');
    assert.ok((bb.body.validationInfo.ocsp as string[]).length >= 1);
    const docs = await h.call('v2', 'signatures/signDoc', { credentialID, SAD: sad, returnValidationInfo: true, documents: [{ document: Buffer.from(pdf).toString('base64'), signature_format: 'P', conformance_level: 'AdES-B-T', signAlgo: ES256 }] }, { bearer: token });
    assert.equal(docs.status, 200, JSON.stringify(docs.body));
    assert.ok((docs.body.validationInfo.certificates as string[]).includes(Buffer.from(pki.hierarchy.tsa.certificate).toString('base64')));

    // The plain harness has a TSA but no revocation source: refused before the SAD is touched.
    const { store } = await testStores(t).sqlite();
    const plain = await cscHarness(t, store);
    const eve = await plain.createUser('eve');
    const c = await plain.createCredential(eve, { pin: '1234' });
    const eveToken = await plain.login('v2', eve);
    assert.equal((await plain.call('v2', 'info', {})).body.validationInfo, false);
    const eveSad = await authorize(plain, eve, eveToken, c, [digest]);
    const refused = await plain.call('v2', 'signatures/signDoc', { credentialID: c, SAD: eveSad, hashAlgorithmOID: SHA256, returnValidationInfo: true, documentDigests: [{ hashes: [digest], signature_format: 'P', signAlgo: ES256 }] }, { bearer: eveToken });
    assert.deepEqual([refused.status, refused.body.error_description], [400, 'Invalid parameter returnValidationInfo']);
    const ok = await plain.call('v2', 'signatures/signDoc', { credentialID: c, SAD: eveSad, hashAlgorithmOID: SHA256, documentDigests: [{ hashes: [digest], signature_format: 'P', conformance_level: 'AdES-B-T', signAlgo: ES256 }] }, { bearer: eveToken });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(signatureTimestampTokens(new Uint8Array(Buffer.from(ok.body.SignatureObject[0] as string, 'base64'))).length, 1);
  });
});
