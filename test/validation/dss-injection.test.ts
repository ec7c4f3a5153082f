/**
 * docs/security.md PDF-32: DSS injection (V15). After the signer's certificate is revoked, an update
 * adds a DSS (an allowed, LTA-level change) holding OCSP "good" responses for it from responders
 * the issuer never authorised: one signed by a certificate of the right CA without
 * id-kp-OCSPSigning (RFC 6960 §4.2.2.2), one carrying the real responder's certificate but signed
 * with another key. The forged evidence must never count: the revocation stays REVOKED when real
 * evidence says so, and without it the signature is not TOTAL-PASSED.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fixedClock } from '../../src/core/clock.js';
import type { Signer } from '../../src/cms/index.js';
import { buildDssUpdate, extendPdf, listPdfSignatures, signPdf, vriKeyOf } from '../../src/pades/index.js';
import { PdfDocument, bytesSource } from '../../src/pdf/index.js';
import { OcspClient } from '../../src/pki/ocsp/ocsp-client.js';
import { createOcspResponder, type OcspIssuer } from '../../src/pki/ocsp/ocsp-responder.js';
import type { FetchLike } from '../../src/pki/http/fetch-transport.js';
import { verifyPdfLongTerm, type SignatureReport } from '../../src/validation/index.js';
import { startLtvPki, type LtvPki } from '../pades/support/ltv-pki.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { pdfsigCorpus } from '../support/pdfsig-corpus.js';

const corpus = pdfsigCorpus('dss-injection');

describe('docs/security.md PDF-32: DSS injection of a forged OCSP "good" (V15)', () => {
  let pki: LtvPki;
  let victim: { signer: Signer; serialHex: string; certificate: Uint8Array };
  let signed: Uint8Array;
  let forged: Uint8Array[];
  let forgerCertificates: Uint8Array[];
  const cleanups: (() => unknown)[] = [];

  /** The OCSP response `signer` gives about the victim now, as a DSS would hold it (no nonce). */
  async function responseFrom(signer: OcspIssuer['signer']): Promise<Uint8Array> {
    const responder = createOcspResponder({
      issuers: [{ caId: 'issuing', certificate: pki.hierarchy.issuing.certificate, signer }],
      store: pki.ca.store,
      clock: fixedClock(new Date()),
    });
    let der: Uint8Array | undefined;
    const fetch: FetchLike = async (_url, init) => {
      der = await responder.respond(init.body ?? new Uint8Array(0));
      return new Response(der, { status: 200, headers: { 'content-type': 'application/ocsp-response' } });
    };
    // The client refuses the forgery (that is ASN-11); what it received is what the attacker embeds.
    await new OcspClient({ clock: fixedClock(new Date()), fetch, url: 'http://127.0.0.1:1/ocsp', nonce: false })
      .check(victim.certificate, pki.hierarchy.issuing.certificate)
      .catch(() => undefined);
    assert.ok(der, 'the forged responder answered');
    return der;
  }

  /** `pdf` plus a DSS update holding the forged responses for its first signature. */
  function inject(pdf: Uint8Array): Uint8Array {
    const sig = listPdfSignatures(PdfDocument.open(pdf))[0];
    assert.ok(sig);
    const update = buildDssUpdate(bytesSource(pdf), [
      { vriKey: vriKeyOf(sig.contents), certificates: forgerCertificates, ocspResponses: forged, crls: [] },
    ]);
    return new Uint8Array(Buffer.concat([pdf, update]));
  }

  function signature(pdf: Uint8Array, what: string): SignatureReport {
    corpus.add(what, pdf);
    const sig = verifyPdfLongTerm(pdf, { trustAnchors: [pki.hierarchy.root.certificate] }).signatures.find((s) => !s.isDocumentTimestamp);
    assert.ok(sig, `${what}: reported`);
    return sig;
  }

  before(async () => {
    pki = await startLtvPki({ after: (fn) => cleanups.push(fn) });
    victim = await pki.newSigner('Victim Signer');
    signed = await signPdf(makeBasePdf(), victim.signer, { signingTime: new Date() });
    // Eve: a key of her own, certified by the right CA for signing, not for OCSP.
    const eveKey = await pki.keystore.generateKey({ type: 'EC', curve: 'P-256' });
    const eve = await pki.ca.issue({ subject: { commonName: 'Eve Responder' }, subjectPublicKey: eveKey.publicKey, profile: 'signing' });
    const eveSigner = { backend: pki.keystore, ref: eveKey.ref, algorithm: pki.hierarchy.algorithm };
    // Both forgeries are made while the certificate is still good, then it is revoked.
    forged = [
      await responseFrom({ key: eveSigner, certificate: eve.der }),
      await responseFrom({ key: eveSigner, certificate: pki.hierarchy.ocsp.certificate }),
    ];
    forgerCertificates = [eve.der];
    await pki.ca.revoke(victim.serialHex, 'keyCompromise');
  });
  after(async () => {
    await pki.close();
    for (const fn of cleanups.reverse()) await fn();
  });

  it('B-B + injected DSS: the update is an allowed LTA change, but the forged "good" counts for nothing → not TOTAL-PASSED', () => {
    const attacked = inject(signed);
    const sig = signature(attacked, 'B-B with forged DSS');
    assert.ok(!sig.problems.some((p) => /modified after signing/.test(p)), sig.problems.join('; '));
    assert.ok(sig.warnings.some((w) => /later revision \(lta-updates\)/.test(w)), sig.warnings.join('; '));
    assert.notEqual(sig.revocation?.status, 'good');
    assert.notEqual(sig.level, 'B-LT');
    assert.notEqual(sig.indication, 'TOTAL-PASSED', `${sig.indication}: ${sig.problems.join('; ')}`);
    assert.ok(sig.problems.some((p) => /not authentic/.test(p)), sig.problems.join('; '));
  });

  it('B-LT with the real "revoked" in its DSS + injected forged "good" → revocation stays REVOKED, never PASSED', async () => {
    const lt = await extendPdf(signed, { level: 'B-LT', timestamper: pki.timestamper, revocation: pki.revocation });
    const honest = signature(lt, 'B-LT revoked control');
    assert.equal(honest.revocation?.status, 'revoked');
    const attacked = inject(lt);
    const sig = signature(attacked, 'B-LT revoked with forged DSS');
    assert.equal(sig.revocation?.status, 'revoked');
    assert.notEqual(sig.indication, 'TOTAL-PASSED');
    assert.equal(sig.indication, honest.indication, sig.problems.join('; '));
    assert.equal(sig.subIndication, honest.subIndication);
  });
});

describe('docs/security.md PDF-34: agreement with pdfsig', () => {
  it('on every PDF-32 file: pdfsig valid ⇔ our cryptographic check passes', (t) => corpus.assertAgreement(t));
});
