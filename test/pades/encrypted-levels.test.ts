/**
 * Issue 18 §2 at the PAdES levels: a password-protected (R6 AES-256) file signed at B-LTA reopens
 * with the same password for the DSS and the document timestamp, every update encrypted with the
 * file's handler; qpdf --check with the password finds no damage and the long-term validation
 * reaches B-LTA.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Signer } from '../../src/cms/index.js';
import { signPdf } from '../../src/pades/index.js';
import { PdfDocument } from '../../src/pdf/index.js';
import { verifyPdfLongTerm } from '../../src/validation/index.js';
import { isSignetError } from '../../src/core/errors.js';
import { startLtvPki, type LtvPki } from './support/ltv-pki.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { requireTools, runTool } from '../support/tools.js';

describe('issue 18 §2: an encrypted file that needs a password, at B-LTA', () => {
  let pki: LtvPki;
  let alice: Signer;
  const cleanups: (() => unknown)[] = [];

  before(async () => {
    pki = await startLtvPki({ after: (fn) => cleanups.push(fn) });
    ({ signer: alice } = await pki.newSigner('Alice'));
  });
  after(async () => {
    await pki.close();
    for (const fn of cleanups.reverse()) await fn();
  });

  it('signs at B-LTA with the user password; qpdf --check passes; the validation reaches B-LTA', async (t) => {
    if (!requireTools(t, 'qpdf')) return;
    const plain = join(pki.dir, 'plain.pdf');
    const locked = join(pki.dir, 'locked.pdf');
    writeFileSync(plain, makeBasePdf());
    const e = runTool('qpdf', ['--encrypt', 'user-pw', 'owner-pw', '256', '--', plain, locked]);
    assert.equal(e.status, 0, e.stderr);
    const bytes = new Uint8Array(readFileSync(locked));
    const level = {
      level: 'B-LTA',
      timestamper: pki.timestamper,
      revocation: pki.revocation,
    } as const;
    await assert.rejects(signPdf(bytes, alice, { signingTime: new Date(), ...level }), (err) =>
      isSignetError(err, 'ERR_PDF_PASSWORD'),
    );

    const signed = await signPdf(bytes, alice, {
      signingTime: new Date(),
      ...level,
      password: 'user-pw',
    });
    const out = join(pki.dir, 'locked-lta.pdf');
    writeFileSync(out, signed);
    const check = runTool('qpdf', ['--password=user-pw', '--check', out]);
    assert.equal(check.status, 0, check.stdout + check.stderr);
    assert.ok(!/WARNING/i.test(check.stdout + check.stderr), check.stdout + check.stderr);

    const doc = PdfDocument.open(signed, { password: 'user-pw' });
    assert.equal(
      doc.revisions.length,
      4,
      'the original, the signature, the DSS and the document timestamp',
    );
    assert.ok(
      doc.resolveDict(doc.catalog.get('DSS')) !== undefined,
      'the DSS is read back through the encryption',
    );

    const report = verifyPdfLongTerm(signed, {
      trustAnchors: [pki.hierarchy.root.certificate],
      password: 'user-pw',
    });
    assert.equal(report.signatures.length, 2, 'the signature and the document timestamp');
    const sig = report.signatures.find((s) => s.level !== undefined);
    assert.equal(
      sig?.level,
      'B-LTA',
      JSON.stringify(report.signatures.map((s) => [s.indication, s.level, s.problems])),
    );
  });
});
