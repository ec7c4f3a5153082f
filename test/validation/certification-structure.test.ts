/**
 * docs/security.md PDF-24: certification structures ISO 32000-1 §12.8.2.2.1 and §12.8.4 forbid — a
 * certification signature that is not the first, two DocMDP transforms, /Perms /DocMDP naming an
 * approval signature — each fails the offending signature with its reason (V9). The signatures
 * are real (test/support/crafted-signature.ts writes what preparePdf refuses to).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Signer } from '../../src/cms/index.js';
import { isSignetError } from '../../src/core/errors.js';
import { addDocumentTimestamp, signPdf } from '../../src/pades/index.js';
import { bytesSource } from '../../src/pdf/index.js';
import { verifyPdfLongTerm, verifyPdfSignatures, type SignatureReport } from '../../src/validation/index.js';
import { startLtvPki } from '../pades/support/ltv-pki.js';
import { addAnnotation } from '../support/form-fixtures.js';
import { buildTestPki, type TestPki } from '../support/pki.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { pdfsigCorpus } from '../support/pdfsig-corpus.js';
import { sigRef, signCrafted } from '../support/crafted-signature.js';
import { leafSigner } from '../support/leaf-signer.js';

const signingTime = new Date('2026-11-23T10:00:00Z');
const corpus = pdfsigCorpus('certification-structure');

let pki: TestPki<'rsa' | 'ec-p256'>;
let alice: Signer;
let bob: Signer;

before(async () => {
  pki = await buildTestPki({ leaves: ['rsa', 'ec-p256'] });
  alice = await leafSigner(pki, 'rsa');
  bob = await leafSigner(pki, 'ec-p256');
});

function reports(bytes: Uint8Array, what: string): Map<string, SignatureReport> {
  corpus.add(what, bytes);
  return new Map(verifyPdfSignatures(bytes, { trustAnchors: [pki.root.der] }).signatures.map((s) => [s.fieldName, s]));
}

function assertFails(sig: SignatureReport | undefined, what: string, reason: RegExp): void {
  assert.ok(sig, `${what}: reported`);
  assert.equal(sig.indication, 'TOTAL-FAILED', `${what}: ${sig.problems.join('; ')}`);
  assert.ok(sig.problems.some((p) => reason.test(p)), `${what}: the reason is given: ${sig.problems.join('; ')}`);
}

describe('docs/security.md PDF-24: bad certification structure (V9)', () => {
  it('control: a crafted certification as the first signature, named by /Perms /DocMDP, is TOTAL-PASSED', async () => {
    const certified = await signCrafted(makeBasePdf(), alice, {
      signingTime,
      fieldName: 'Cert',
      permsDocMdp: true,
      entries: { Reference: [sigRef('DocMDP', { P: 2 })] },
    });
    const sig = reports(certified, 'control crafted certification').get('Cert');
    assert.equal(sig?.indication, 'TOTAL-PASSED', sig?.problems.join('; '));
  });

  it('a certification signature after an approval signature → FAILED: not the first signature', async () => {
    const approved = await signPdf(makeBasePdf(), bob, { signingTime, fieldName: 'Approval' });
    const late = await signCrafted(approved, alice, {
      signingTime,
      fieldName: 'Cert',
      permsDocMdp: true,
      entries: { Reference: [sigRef('DocMDP', { P: 2 })] },
    });
    assertFails(reports(late, 'certification not first').get('Cert'), 'certification not first', /not the first signature/);
  });

  it('two DocMDP transforms in one signature → FAILED; the strictest P is the one enforced', async () => {
    const twice = await signCrafted(makeBasePdf(), alice, {
      signingTime,
      fieldName: 'Cert',
      permsDocMdp: true,
      entries: { Reference: [sigRef('DocMDP', { P: 3 }), sigRef('DocMDP', { P: 1 })] },
    });
    assertFails(reports(twice, 'two DocMDP transforms').get('Cert'), 'two DocMDP transforms', /2 DocMDP transforms/);
    // Signet's signer refuses to sign it at all (the strictest P is 1); a crafted later approval
    // signature is judged against P=1, not the looser P=3 listed first.
    await assert.rejects(signPdf(twice, bob, { signingTime, fieldName: 'Later' }), (e) => isSignetError(e, 'ERR_PADES_DOCMDP_LOCKED'));
    const signedAfter = await signCrafted(twice, bob, { signingTime, fieldName: 'Later' });
    const cert = reports(signedAfter, 'two DocMDP transforms, signed after').get('Cert');
    assert.ok(cert?.problems.some((p) => /not permitted by the certification signature \(P=1\)/.test(p)), cert?.problems.join('; '));
  });

  it('a second signature with a DocMDP transform after a P=2 certification → that one FAILED, the certification stays TOTAL-PASSED', async () => {
    const certified = await signPdf(makeBasePdf(), alice, { signingTime, certify: 2, fieldName: 'Cert' });
    const second = await signCrafted(certified, bob, { signingTime, fieldName: 'Second', entries: { Reference: [sigRef('DocMDP', { P: 3 })] } });
    // The signer reads every DocMDP claim: a second one with P=1 locks the file for it.
    const lockedBySecond = await signCrafted(certified, bob, { signingTime, fieldName: 'Second', entries: { Reference: [sigRef('DocMDP', { P: 1 })] } });
    await assert.rejects(signPdf(lockedBySecond, alice, { signingTime, fieldName: 'Third' }), (e) => isSignetError(e, 'ERR_PADES_DOCMDP_LOCKED'));
    const all = reports(second, 'second DocMDP signature');
    assertFails(all.get('Second'), 'second DocMDP', /a second signature with a DocMDP transform/);
    assert.ok(all.get('Second')?.problems.some((p) => /\/Perms \/DocMDP does not name it/.test(p)));
    assert.equal(all.get('Cert')?.indication, 'TOTAL-PASSED', all.get('Cert')?.problems.join('; '));
  });

  it('/Perms /DocMDP naming an approval signature (no DocMDP transform) → FAILED', async () => {
    const misnamed = await signCrafted(makeBasePdf(), alice, { signingTime, fieldName: 'Approval', permsDocMdp: true });
    assertFails(reports(misnamed, 'Perms names approval').get('Approval'), 'Perms names approval', /no DocMDP transform \(an approval signature\)/);
  });
});

describe('docs/security.md PDF-24: a document timestamp is judged under the strictest DocMDP permission too', () => {
  const cleanups: (() => unknown)[] = [];
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });

  it('certification claiming P=3 then P=1, a document timestamp, then an annotation → the timestamp fails under P=1', async () => {
    const ltv = await startLtvPki({ after: (fn) => cleanups.push(fn) });
    cleanups.push(() => ltv.close());
    const { signer } = await ltv.newSigner('Certifier');
    const twice = await signCrafted(makeBasePdf(), signer, {
      signingTime: new Date(),
      fieldName: 'Cert',
      permsDocMdp: true,
      entries: { Reference: [sigRef('DocMDP', { P: 3 }), sigRef('DocMDP', { P: 1 })] },
    });
    const update = await addDocumentTimestamp(bytesSource(twice), { timestamper: ltv.timestamper, fieldName: 'Stamp' });
    const stamped = new Uint8Array(Buffer.concat([twice, update]));
    const annotated = addAnnotation(stamped, 'Square', [400, 40, 560, 100], 'note');
    corpus.add('two DocMDP, timestamp, annotation', annotated);
    const stamp = verifyPdfLongTerm(annotated, { trustAnchors: [ltv.hierarchy.root.certificate] }).signatures.find((s) => s.fieldName === 'Stamp');
    assert.equal(stamp?.indication, 'TOTAL-FAILED', stamp?.problems.join('; '));
    assert.ok(stamp?.problems.some((p) => /not permitted by the certification signature \(P=1\)/.test(p)), stamp?.problems.join('; '));
  });
});

describe('docs/security.md PDF-34: agreement with pdfsig', () => {
  it('on every PDF-24 file: pdfsig valid ⇔ our cryptographic check passes', (t) => corpus.assertAgreement(t));
});
