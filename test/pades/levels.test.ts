/**
 * PAdES B-T, B-LT and B-LTA (ETSI EN 319 142-1 §6.3–§6.5) against Signet's own CA, OCSP
 * responder and TSA on loopback, judged by pdfsig, qpdf --check, `openssl ts -verify` on every
 * token and `openssl ocsp -respin` on the DSS responses.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { digestOf, type DigestAlgorithm, type Signer } from '../../src/cms/index.js';
import { isSignetError } from '../../src/core/errors.js';
import {
  completeSignature,
  embedCms,
  extendPdf,
  preparePdf,
  reserveForLevel,
  signPdf,
  signPdfFile,
  vriKeyOf,
  type PadesLevel,
} from '../../src/pades/index.js';
import { makeBasePdf, makePdfFlavours } from '../support/pdf-fixtures.js';
import { PdfDocument, bytesSource } from '../../src/pdf/index.js';
import { makeNssDb, qpdfCheck } from '../support/judges.js';
import { requireTools, runTool } from '../support/tools.js';
import { CrlClient, OcspClient, derToPem, revocationSourceFromClients } from '../../src/pki/index.js';
import { systemClock } from '../../src/core/clock.js';
import { verifyPdfLongTerm } from '../../src/validation/index.js';
import { startLtvPki, type LtvPki } from './support/ltv-pki.js';
import {
  byteRangeBytes,
  opensslOcspStatuses,
  opensslTsVerify,
  pdfsigAsync,
  readBack,
  signatureTimestampTokens,
} from './support/ltv-judges.js';

const TOOLS = ['pdfsig', 'qpdf', 'openssl', 'certutil'];

describe('PAdES levels B-T, B-LT, B-LTA', () => {
  let pki: LtvPki;
  let alice: Signer;
  let aliceCert: Uint8Array;
  let nss: string;
  let untrusted: string;
  const cleanups: (() => unknown)[] = [];

  before(async () => {
    pki = await startLtvPki({ after: (fn) => cleanups.push(fn) });
    ({ signer: alice, certificate: aliceCert } = await pki.newSigner('Alice'));
    nss = makeNssDb(pki.dir, readFileSync(pki.files.root, 'utf8'));
    untrusted = join(pki.dir, 'untrusted.pem');
    writeFileSync(untrusted, readFileSync(pki.files.issuing, 'utf8') + readFileSync(pki.files.tsa, 'utf8'));
  });
  after(async () => {
    await pki.close();
    for (const fn of cleanups.reverse()) await fn();
  });

  const sources = (level: PadesLevel) => ({ level, timestamper: pki.timestamper, revocation: pki.revocation });

  /** Every judge on one file: pdfsig (CAdES signatures valid and trusted), qpdf, openssl ts on every token. */
  async function judge(path: string, expect: { signatures: number; documentTimestamps: number; signatureTimestamps: number }): Promise<void> {
    const file = new Uint8Array(readFileSync(path));
    const sigs = await pdfsigAsync(path, nss);
    assert.equal(sigs.length, expect.signatures + expect.documentTimestamps, 'pdfsig lists every signature and document timestamp');
    for (const s of sigs.filter((x) => /ETSI\.CAdES\.detached|adbe\.pkcs7/.test(x.text))) {
      assert.ok(s.isValid, `pdfsig: signature valid\n${s.text}`);
      assert.ok(s.isTrusted, `pdfsig: certificate trusted\n${s.text}`);
    }
    const [ok, out] = qpdfCheck(path);
    assert.ok(ok, `qpdf --check: ${out}`);

    const { signatures } = readBack(file);
    const docTs = signatures.filter((s) => s.isDocumentTimestamp);
    assert.equal(docTs.length, expect.documentTimestamps);
    // Issue 22: a document timestamp's widget carries no appearance (/Rect [0 0 0 0], ISO 32000-2
    // §12.5.5), so validators see an LTA update, not form filling.
    const doc = PdfDocument.open(bytesSource(file));
    const fields = doc.resolveArray(doc.resolveDict(doc.catalog.get('AcroForm'))?.get('Fields')) ?? [];
    const docTsWidgets = fields.map((f) => doc.resolveDict(f)).filter((f) => doc.resolveDict(f?.get('V'))?.getName('Type') === 'DocTimeStamp');
    assert.equal(docTsWidgets.length, expect.documentTimestamps);
    for (const w of docTsWidgets) assert.equal(w?.get('AP'), undefined, 'no /AP on a document timestamp widget');
    for (const ts of docTs) {
      assert.equal(ts.dict.getName('Type'), 'DocTimeStamp');
      assert.equal(ts.dict.getName('SubFilter'), 'ETSI.RFC3161');
      // ISO 32000-2 §12.8.5: the token's imprint is the digest of the ByteRange bytes.
      const [verified, text] = opensslTsVerify(pki.dir, ts.container as Uint8Array, { data: byteRangeBytes(file, ts) }, pki.files.root, untrusted);
      assert.ok(verified, `openssl ts -verify (document timestamp): ${text}`);
    }
    let tokens = 0;
    for (const sig of signatures.filter((s) => !s.isDocumentTimestamp)) {
      for (const { token, signatureValue } of signatureTimestampTokens(sig.container as Uint8Array)) {
        tokens++;
        // EN 319 122-1 §5.3: the imprint is the hash of the SignerInfo signature value.
        const digestHex = Buffer.from(digestOf('SHA-256', signatureValue)).toString('hex');
        const [verified, text] = opensslTsVerify(pki.dir, token, { digestHex }, pki.files.root, untrusted);
        assert.ok(verified, `openssl ts -verify (signature timestamp): ${text}`);
      }
    }
    assert.equal(tokens, expect.signatureTimestamps);
  }

  /** The DSS holds the signer chain, the TSA chain, good OCSP answers that openssl verifies, and one VRI per signature. */
  function judgeDss(file: Uint8Array, options: { vriFor: number; signerStatus?: string }): void {
    const { signatures, dss } = readBack(file);
    const fingerprints = new Set(dss.certificates.map((c) => createHash('sha256').update(c).digest('hex')));
    const has = (der: Uint8Array): boolean => fingerprints.has(createHash('sha256').update(der).digest('hex'));
    assert.ok(has(pki.hierarchy.root.certificate), 'DSS holds the root');
    assert.ok(has(pki.hierarchy.issuing.certificate), 'DSS holds the issuing CA');
    assert.ok(has(pki.hierarchy.tsa.certificate), 'DSS holds the TSA certificate');
    assert.ok(has(pki.hierarchy.ocsp.certificate), 'DSS holds the OCSP responder certificate');
    assert.ok(dss.ocspResponses.length >= 2, 'OCSP responses for the signer and the TSA');
    const statuses = dss.ocspResponses.map((r) => {
      const o = opensslOcspStatuses(pki.dir, r, pki.files.root, pki.files.issuing);
      assert.ok(o.verified, `openssl ocsp verifies the DSS response\n${o.text}`);
      return o.statuses;
    });
    if (options.signerStatus) assert.ok(statuses.flat().includes(options.signerStatus), JSON.stringify(statuses));
    const covered = signatures.slice(0, options.vriFor);
    for (const s of covered) assert.ok(dss.vriKeys.includes(vriKeyOf(s.contents)), `VRI entry for ${s.fieldName}`);
    for (const k of dss.vriKeys) assert.match(k, /^[0-9A-F]{40}$/, 'VRI keys are uppercase hex SHA-1');
  }

  for (const level of ['B-T', 'B-LT', 'B-LTA'] as const) {
    it(`signs at ${level}`, async (t) => {
      if (!requireTools(t, ...TOOLS)) return;
      const path = join(pki.dir, `${level}.pdf`);
      writeFileSync(path, await signPdf(makeBasePdf(), alice, { signingTime: new Date(), ...sources(level) }));
      await judge(path, { signatures: 1, signatureTimestamps: 1, documentTimestamps: level === 'B-LTA' ? 1 : 0 });
      const file = new Uint8Array(readFileSync(path));
      if (level !== 'B-T') judgeDss(file, { vriFor: 1, signerStatus: 'good' });
      else assert.equal(readBack(file).dss.certificates.length, 0, 'no DSS at B-T');
    });
  }

  it('signs every PDF flavour at B-LTA (file to file)', async (t) => {
    if (!requireTools(t, ...TOOLS)) return;
    const flavours = await makePdfFlavours(pki.dir);
    for (const [flavour, input] of Object.entries(flavours)) {
      await t.test(flavour, async () => {
        const out = join(pki.dir, `${flavour}-lta.pdf`);
        await signPdfFile(input, out, alice, { signingTime: new Date(), ...sources('B-LTA') });
        const before = readFileSync(input);
        assert.deepEqual(readFileSync(out).subarray(0, before.length), before, 'original bytes kept');
        await judge(out, { signatures: 1, signatureTimestamps: 1, documentTimestamps: 1 });
      });
    }
  });

  it('two-phase (remote signHash) flow reaches B-LTA', async (t) => {
    if (!requireTools(t, ...TOOLS)) return;
    const pdf = makeBasePdf();
    const level = sources('B-LTA');
    const prepared = preparePdf(pdf, {
      certificateChain: alice.certificateChain,
      signatureAlgorithm: alice.signatureAlgorithm,
      maxSignatureSize: alice.maxSignatureSize(),
      signingTime: new Date(),
      reserveBytes: await reserveForLevel(level, alice.signatureAlgorithm.digest),
    });
    // Another process signs the DTBS (here: the same key through the Signer).
    const roundTripped = JSON.parse(JSON.stringify(prepared)) as typeof prepared;
    const signature = await alice.sign(new Uint8Array(Buffer.from(roundTripped.signedAttributes, 'base64')));
    // Issue 19: the signature-time-stamp token measures the document timestamp's room — two
    // tokens per completion (the signature's and the document's), not a third to measure.
    let tokens = 0;
    const timestamper = { timestamp: (digest: Uint8Array, alg: DigestAlgorithm) => (tokens++, pki.timestamper.timestamp(digest, alg)) };
    const updates = await completeSignature(roundTripped, signature, { ...level, timestamper, document: pdf });
    assert.equal(tokens, 2, 'TSA requests of one B-LTA completion');
    const path = join(pki.dir, 'two-phase.pdf');
    writeFileSync(path, Buffer.concat([pdf, updates]));
    await judge(path, { signatures: 1, signatureTimestamps: 1, documentTimestamps: 1 });
  });

  it('an undersized reservation is ERR_PADES_CONTENTS_OVERFLOW, never a corrupt file', async () => {
    const pdf = makeBasePdf();
    const prepared = preparePdf(pdf, {
      certificateChain: alice.certificateChain,
      signatureAlgorithm: alice.signatureAlgorithm,
      maxSignatureSize: alice.maxSignatureSize(),
      signingTime: new Date(),
    });
    const signature = await alice.sign(new Uint8Array(Buffer.from(prepared.signedAttributes, 'base64')));
    await assert.rejects(
      completeSignature(prepared, signature, { ...sources('B-T'), document: pdf }),
      (err) => isSignetError(err) && err.code === 'ERR_PADES_CONTENTS_OVERFLOW',
    );
  });

  it('missing sources are typed errors', async () => {
    await assert.rejects(signPdf(makeBasePdf(), alice, { signingTime: new Date(), level: 'B-T' }), (err) => isSignetError(err) && err.code === 'ERR_PADES_LEVEL_SOURCE');
    const bt = await signPdf(makeBasePdf(), alice, { signingTime: new Date(), level: 'B-T', timestamper: pki.timestamper });
    await assert.rejects(extendPdf(bt, { level: 'B-LT', timestamper: pki.timestamper }), (err) => isSignetError(err) && err.code === 'ERR_PADES_LEVEL_SOURCE');
    await assert.rejects(extendPdf(makeBasePdf(), sources('B-LT')), (err) => isSignetError(err) && err.code === 'ERR_PADES_NOT_SIGNED');
  });

  it('extends a Signet B-B file to B-T, B-LT and B-LTA', async (t) => {
    if (!requireTools(t, ...TOOLS)) return;
    const bb = await signPdf(makeBasePdf(), alice, { signingTime: new Date() });
    // B-T by a document timestamp (EN 319 142-1 §6.3: a signature-time-stamp or a document time-stamp).
    const bt = await extendPdf(bb, sources('B-T'));
    writeFileSync(join(pki.dir, 'ext-bt.pdf'), bt);
    await judge(join(pki.dir, 'ext-bt.pdf'), { signatures: 1, signatureTimestamps: 0, documentTimestamps: 1 });
    const blt = await extendPdf(bb, sources('B-LT'));
    writeFileSync(join(pki.dir, 'ext-blt.pdf'), blt);
    await judge(join(pki.dir, 'ext-blt.pdf'), { signatures: 1, signatureTimestamps: 0, documentTimestamps: 1 });
    judgeDss(blt, { vriFor: 2, signerStatus: 'good' });
    const blta = await extendPdf(bb, sources('B-LTA'));
    writeFileSync(join(pki.dir, 'ext-blta.pdf'), blta);
    // T, then LT covering that timestamp, then the archive timestamp.
    await judge(join(pki.dir, 'ext-blta.pdf'), { signatures: 1, signatureTimestamps: 0, documentTimestamps: 2 });
    judgeDss(blta, { vriFor: 2, signerStatus: 'good' });
  });

  it('extends a B-B file whose CMS was made by `openssl cms -sign -noattr` (not Signet)', async (t) => {
    if (!requireTools(t, ...TOOLS)) return;
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const record = await pki.ca.issue({
      subject: { commonName: 'Olivia OpenSSL', organization: 'Signet LTV Test', country: 'BE' },
      subjectPublicKey: new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })),
      profile: 'signing',
    });
    const keyPath = join(pki.dir, 'olivia.key');
    const certPath = join(pki.dir, 'olivia.pem');
    writeFileSync(keyPath, privateKey.export({ format: 'pem', type: 'pkcs8' }));
    writeFileSync(certPath, derToPem(record.der, 'CERTIFICATE'));
    const pdf = makeBasePdf();
    // Signet only writes the placeholders; openssl makes the whole CMS over the ByteRange bytes.
    const prepared = preparePdf(pdf, {
      certificateChain: [record.der, pki.hierarchy.issuing.certificate, pki.hierarchy.root.certificate],
      signatureAlgorithm: { scheme: 'ECDSA', digest: 'SHA-256' },
      maxSignatureSize: 72,
      signingTime: new Date(),
      reserveBytes: 2048,
    });
    const update = Buffer.from(prepared.update, 'base64');
    const whole = Buffer.concat([pdf, update]);
    const [a, b, c, d] = prepared.byteRange;
    const dataPath = join(pki.dir, 'olivia-range.bin');
    writeFileSync(dataPath, Buffer.concat([whole.subarray(a, a + b), whole.subarray(c, c + d)]));
    const cmsPath = join(pki.dir, 'olivia.p7s');
    const r = runTool('openssl', ['cms', '-sign', '-binary', '-outform', 'DER', '-noattr', '-md', 'sha256', '-in', dataPath, '-signer', certPath, '-inkey', keyPath, '-certfile', pki.files.chain, '-out', cmsPath]);
    assert.equal(r.status, 0, r.stderr);
    const bb = Buffer.concat([pdf, embedCms(prepared, new Uint8Array(readFileSync(cmsPath)))]);
    const bbPath = join(pki.dir, 'olivia-bb.pdf');
    writeFileSync(bbPath, bb);
    await judge(bbPath, { signatures: 1, signatureTimestamps: 0, documentTimestamps: 0 });
    const lta = await extendPdf(new Uint8Array(bb), sources('B-LTA'));
    const ltaPath = join(pki.dir, 'olivia-lta.pdf');
    writeFileSync(ltaPath, lta);
    await judge(ltaPath, { signatures: 1, signatureTimestamps: 0, documentTimestamps: 2 });
    judgeDss(lta, { vriFor: 2, signerStatus: 'good' });
  });

  it('archive renewal twice: each run adds the previous timestamp’s data and a new document timestamp', async (t) => {
    if (!requireTools(t, ...TOOLS)) return;
    let file = await signPdf(makeBasePdf(), alice, { signingTime: new Date(), ...sources('B-LTA') });
    for (let round = 2; round <= 3; round++) {
      file = await extendPdf(file, sources('B-LTA'));
      const path = join(pki.dir, `renewed-${round}.pdf`);
      writeFileSync(path, file);
      await judge(path, { signatures: 1, signatureTimestamps: 1, documentTimestamps: round });
      // Every signature and timestamp but the newest has its VRI entry.
      judgeDss(file, { vriFor: round, signerStatus: 'good' });
    }
  });

  it('fetches revocation once per certificate and merges into an existing DSS without duplicates', async () => {
    const { signer: bob } = await pki.newSigner('Bob');
    const once = await signPdf(makeBasePdf(), alice, { signingTime: new Date(), ...sources('B-T') });
    const twice = await signPdf(once, bob, { signingTime: new Date(), ...sources('B-T') });
    const ocspBefore = pki.hits.get('POST /ocsp') ?? 0;
    const lt = await extendPdf(twice, sources('B-LT'));
    // Alice, Bob and the TSA (whose certificate is in both tokens): three OCSP requests, not four.
    assert.equal((pki.hits.get('POST /ocsp') ?? 0) - ocspBefore, 3);
    const first = readBack(lt).dss;
    assert.equal(first.vriKeys.length, 2);
    const again = await extendPdf(lt, sources('B-LT'));
    const second = readBack(again).dss;
    const unique = (xs: readonly Uint8Array[]): number => new Set(xs.map((x) => Buffer.from(x).toString('hex'))).size;
    assert.equal(second.certificates.length, first.certificates.length, 'no certificate stored twice');
    assert.equal(unique(second.certificates), second.certificates.length);
    assert.equal(unique(second.ocspResponses), second.ocspResponses.length);
    assert.equal(second.vriKeys.length, 2);
  });

  it('CRL-only revocation source: the DSS holds CRLs that openssl parses, listing a revoked signer', async (t) => {
    if (!requireTools(t, 'openssl')) return;
    const { signer: rita, serialHex } = await pki.newSigner('Rita Revoked');
    const signed = await signPdf(makeBasePdf(), rita, { signingTime: new Date(), ...sources('B-T') });
    await pki.ca.revoke(serialHex, 'keyCompromise');
    const crlOnly = revocationSourceFromClients({ crl: new CrlClient({ clock: systemClock }) });
    const lt = await extendPdf(signed, { level: 'B-LT', timestamper: pki.timestamper, revocation: crlOnly });
    const { dss, signatures } = readBack(lt);
    assert.equal(dss.ocspResponses.length, 0);
    assert.equal(dss.crls.length, 1, 'one CRL, fetched once for the signer and the TSA (same issuer, same content)');
    assert.ok(dss.vriKeys.includes(vriKeyOf(signatures[0]?.contents ?? new Uint8Array(0))));
    const crlPath = join(pki.dir, 'dss.crl');
    writeFileSync(crlPath, dss.crls[0] as Uint8Array);
    const r = runTool('openssl', ['crl', '-inform', 'DER', '-in', crlPath, '-noout', '-text', '-CAfile', pki.files.chain]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(`${r.stdout}${r.stderr}`, /verify OK/);
    assert.match(r.stdout.toUpperCase(), new RegExp(`SERIAL NUMBER: ${serialHex.toUpperCase()}`));
    const report = verifyPdfLongTerm(lt, { trustAnchors: [pki.hierarchy.root.certificate] });
    assert.deepEqual([report.signatures[0]?.revocation?.status, report.signatures[0]?.revocation?.source], ['revoked', 'crl']);
  });

  it('an unreachable OCSP responder is ERR_PADES_REVOCATION_UNAVAILABLE and nothing is written', async () => {
    const signed = await signPdf(makeBasePdf(), alice, { signingTime: new Date(), ...sources('B-T') });
    // The real client, pointed at a closed port (no CRL client to fall back on).
    const dead = revocationSourceFromClients({ ocsp: new OcspClient({ clock: systemClock, url: 'http://127.0.0.1:1/ocsp', timeoutMs: 2000 }) });
    await assert.rejects(
      extendPdf(signed, { level: 'B-LT', timestamper: pki.timestamper, revocation: dead }),
      (err) => isSignetError(err) && err.code === 'ERR_PADES_REVOCATION_UNAVAILABLE' && /Alice|Timestamp/.test(err.message),
    );
  });

  it('a revoked signer shows up as revoked in the DSS', async (t) => {
    if (!requireTools(t, 'openssl')) return;
    const { signer: mallory, serialHex } = await pki.newSigner('Mallory');
    const signed = await signPdf(makeBasePdf(), mallory, { signingTime: new Date(), ...sources('B-T') });
    await pki.ca.revoke(serialHex, 'keyCompromise');
    const lt = await extendPdf(signed, sources('B-LT'));
    const { dss } = readBack(lt);
    const statuses = dss.ocspResponses.flatMap((r) => opensslOcspStatuses(pki.dir, r, pki.files.root, pki.files.issuing).statuses);
    assert.ok(statuses.includes('revoked'), JSON.stringify(statuses));
    assert.ok(statuses.includes('good'), 'the TSA is still good');
    void aliceCert;
  });
});
