/**
 * Issue 14, revocation of CA certificates that publish none (EN 319 102-1 §5.2.4 X.509 validation
 * constraints, §5.2.6): the test PKI's issuing CA certificate names no CRL distribution point and
 * no OCSP responder, so no evidence about it can exist. The default policy
 * (revocation.caWithoutRevocationSource "warning") lets it pass unchecked with a warning finding
 * that says so, and the PAdES level does not wait for it; a policy with "error" keeps it
 * INDETERMINATE / TRY_LATER. The signer's own certificate is never let off.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bytesEqual } from '../../src/core/bytes.js';
import { extendPdf, signPdf } from '../../src/pades/index.js';
import { buildCrl } from '../../src/pki/index.js';
import {
  defaultValidationPolicy,
  verifyPdfLongTerm,
  type SignatureReport,
  type ValidationPolicy,
} from '../../src/validation/index.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { startLtvPki, type LtvPki } from '../pades/support/ltv-pki.js';

const strict: ValidationPolicy = {
  ...defaultValidationPolicy,
  revocation: { ...defaultValidationPolicy.revocation, caWithoutRevocationSource: 'error' },
};

const findingsOf = (s: SignatureReport | undefined, code: string): string[] =>
  (s?.findings ?? [])
    .filter((f) => f.code === code)
    .map((f) => `${f.check}/${f.severity}: ${f.message}`);

describe('issue 14: a CA certificate that names no revocation source (policy revocation.caWithoutRevocationSource)', () => {
  let pki: LtvPki;
  let anchors: Uint8Array[];
  let lta: Uint8Array;
  let bb: Uint8Array;
  let staleCaCrl: Uint8Array;
  const cleanups: (() => unknown)[] = [];

  before(async () => {
    // Without rootCrl the issuing CA certificate has no CDP and no AIA: nothing can answer for it.
    pki = await startLtvPki({ after: (fn) => cleanups.push(fn) });
    anchors = [pki.hierarchy.root.certificate];
    const { signer } = await pki.newSigner('Alice');
    bb = await signPdf(makeBasePdf(), signer, { signingTime: new Date() });
    const bt = await signPdf(makeBasePdf(), signer, {
      signingTime: new Date(),
      level: 'B-T',
      timestamper: pki.timestamper,
    });
    lta = await extendPdf(bt, {
      level: 'B-LTA',
      timestamper: pki.timestamper,
      revocation: pki.revocation,
    });
    // Evidence about the issuing CA nonetheless: a root CRL whose validity ended an hour before
    // the time-stamps, which the DSS carries (not fresh, EN 319 102-1 §5.2.5).
    const issuing = pki.hierarchy.issuing.certificate;
    const hourAgo = Date.now() - 3_600_000;
    const rootCrl = await buildCrl({
      issuerKey: { backend: pki.keystore, ref: pki.hierarchy.root.keyRef, algorithm: pki.hierarchy.algorithm },
      issuerCertificate: pki.hierarchy.root.certificate,
      entries: [],
      crlNumber: 1n,
      thisUpdate: new Date(hourAgo - 3_600_000),
      nextUpdate: new Date(hourAgo),
    });
    staleCaCrl = await extendPdf(bt, {
      level: 'B-LT',
      timestamper: pki.timestamper,
      revocation: {
        fetch: (c, i) =>
          bytesEqual(c, issuing)
            ? Promise.resolve({ ocspResponses: [], crls: [rootCrl], certificates: [] })
            : pki.revocation.fetch(c, i),
      },
    });
  });
  after(async () => {
    await pki.close();
    for (const fn of cleanups.reverse()) await fn();
  });

  it('default policy: a B-LTA file is TOTAL-PASSED offline at B-LTA, with a warning naming the unchecked CA for the signer, the TSA and the document timestamp', () => {
    const report = verifyPdfLongTerm(lta, {
      trustAnchors: anchors,
      revocation: { mode: 'offline' },
    });
    const [signature, docTimestamp] = report.signatures;
    assert.equal(signature?.indication, 'TOTAL-PASSED', JSON.stringify(signature?.findings));
    assert.equal(signature?.level, 'B-LTA');
    const unchecked = findingsOf(signature, 'ERR_VALIDATION_NO_REVOCATION');
    assert.deepEqual(
      unchecked.map((m) => m.split(':')[0]).sort(),
      ['revocation/warning', 'time-stamp/warning'],
      unchecked.join('\n'),
    );
    for (const m of unchecked) {
      assert.match(
        m,
        /the revocation status of the CA certificate Signet LTV Test Issuing CA was not checked: it names no CRL distribution point and no OCSP responder/,
      );
    }
    assert.ok(
      signature?.warnings.some((w) => /Signet LTV Test Issuing CA was not checked/.test(w)),
    );
    assert.equal(docTimestamp?.isDocumentTimestamp, true);
    assert.equal(docTimestamp?.indication, 'TOTAL-PASSED', JSON.stringify(docTimestamp?.findings));
    assert.deepEqual(
      findingsOf(docTimestamp, 'ERR_VALIDATION_NO_REVOCATION').map((m) => m.split(':')[0]),
      ['revocation/warning'],
    );
  });

  it('default policy: evidence at hand about that CA but not fresh is named as such in the warning, not as absent', () => {
    const signature = verifyPdfLongTerm(staleCaCrl, {
      trustAnchors: anchors,
      revocation: { mode: 'offline' },
    }).signatures[0];
    assert.equal(signature?.indication, 'TOTAL-PASSED', JSON.stringify(signature?.findings));
    const unchecked = findingsOf(signature, 'ERR_VALIDATION_NO_REVOCATION');
    assert.deepEqual(unchecked.map((m) => m.split(':')[0]).sort(), ['revocation/warning', 'time-stamp/warning'], unchecked.join('\n'));
    for (const m of unchecked) {
      assert.match(
        m,
        /Signet LTV Test Issuing CA was not checked: it names no CRL distribution point and no OCSP responder, and the revocation evidence for it is not fresh \(EN 319 102-1 §5\.2\.5\): the latest was issued [0-9T:.-]+Z, and its nextUpdate is before /,
      );
      assert.doesNotMatch(m, /no evidence is at hand/);
    }
    assert.match(unchecked.find((m) => m.startsWith('revocation/')) ?? '', /the signature's best-signature-time \(first time-stamp\)/);
    assert.match(unchecked.find((m) => m.startsWith('time-stamp/')) ?? '', /the time-stamp's genTime/);
  });

  it('policy "error": the same file is INDETERMINATE / TRY_LATER naming that CA, and not B-LT', () => {
    const report = verifyPdfLongTerm(lta, {
      trustAnchors: anchors,
      revocation: { mode: 'offline' },
      policy: strict,
    });
    const [signature, docTimestamp] = report.signatures;
    assert.equal(signature?.indication, 'INDETERMINATE');
    assert.equal(signature?.subIndication, 'TRY_LATER');
    assert.ok(
      findingsOf(signature, 'ERR_VALIDATION_NO_REVOCATION').some((m) =>
        /^revocation\/error: no revocation evidence for the CA certificate Signet LTV Test Issuing CA/.test(
          m,
        ),
      ),
      JSON.stringify(signature?.findings),
    );
    assert.ok(
      signature?.level !== 'B-LT' && signature?.level !== 'B-LTA',
      `level ${signature?.level}`,
    );
    assert.equal(docTimestamp?.subIndication, 'TRY_LATER');
  });

  it("the signer's own certificate is never let off: a B-B file offline is TRY_LATER for the signer, the CA only a warning", () => {
    const s = verifyPdfLongTerm(bb, { trustAnchors: anchors, revocation: { mode: 'offline' } })
      .signatures[0];
    assert.equal(s?.indication, 'INDETERMINATE');
    assert.equal(s?.subIndication, 'TRY_LATER');
    const found = findingsOf(s, 'ERR_VALIDATION_NO_REVOCATION');
    assert.equal(found.length, 2, found.join('\n'));
    assert.match(
      found[0] ?? '',
      /^revocation\/warning: the revocation status of the CA certificate Signet LTV Test Issuing CA was not checked/,
    );
    assert.match(
      found[1] ?? '',
      /^revocation\/error: no revocation evidence for the signer certificate: none in the document, and online lookups are off/,
    );
  });
});
