/**
 * The standard security handler on read (ISO 32000-1 §7.6.3, ISO 32000-2 §7.6.4): files qpdf
 * encrypts open with the empty user password and read as the plain original; a password-protected
 * file, a tampered /Perms and a foreign security handler are coded errors.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PdfDocument, PdfError, PdfStream } from '../../src/pdf/index.js';
import { rc4 } from '../../src/pdf/encryption/rc4.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { requireTools, runTool } from '../support/tools.js';
import { tempDir } from '../support/tmp.js';

const variants = [
  { args: ['40'], revision: 2, method: 'RC4' },
  { args: ['128'], revision: 3, method: 'RC4' },
  { args: ['128', '--use-aes=y'], revision: 4, method: 'AESV2' },
  { args: ['256'], revision: 6, method: 'AESV3' },
] as const;

function encrypt(dir: string, user: string, args: readonly string[]): Uint8Array {
  const plain = join(dir, 'plain.pdf');
  const out = join(dir, `enc-${args.join('')}-${user}.pdf`);
  writeFileSync(plain, makeBasePdf({ text: 'Encrypted page text' }));
  const r = runTool('qpdf', [
    '--allow-weak-crypto',
    '--encrypt',
    user,
    'owner-pw',
    ...args,
    '--',
    plain,
    out,
  ]);
  assert.equal(r.status, 0, r.stderr);
  return new Uint8Array(readFileSync(out));
}

function pageText(doc: PdfDocument): string {
  const contents = doc.resolve(doc.pages()[0]!.dict.get('Contents'));
  assert.ok(contents instanceof PdfStream);
  return Buffer.from(doc.decodeStream(contents)).toString('latin1');
}

const isPdfError = (code: string) => (e: unknown) => e instanceof PdfError && e.code === code;

describe('RC4 (ISO 32000-1 §7.6.2)', () => {
  it('matches the published test vector Key/Plaintext', () => {
    const out = rc4(new TextEncoder().encode('Key'), new TextEncoder().encode('Plaintext'));
    assert.equal(Buffer.from(out).toString('hex'), 'bbf316e8d940af0ad3');
  });
});

describe('PdfDocument opens standard-handler encryption with the empty user password', () => {
  for (const v of variants) {
    it(`R${v.revision} ${v.method}: strings and streams read decrypted`, (t) => {
      if (!requireTools(t, 'qpdf')) return;
      const doc = PdfDocument.open(encrypt(tempDir(t), '', v.args));
      assert.equal(doc.encryption?.revision, v.revision);
      assert.equal(doc.encryption?.streamMethod, v.method);
      assert.equal(doc.encryption?.isOwner, false);
      assert.match(pageText(doc), /Encrypted page text/);
      doc.loadAllObjects();
      assert.deepEqual(doc.ambiguities, []);
    });
  }

  it('a user password: ERR_PDF_PASSWORD without it or with a wrong one; the user or the owner password opens it', (t) => {
    if (!requireTools(t, 'qpdf')) return;
    const dir = tempDir(t);
    for (const v of variants) {
      const bytes = encrypt(dir, 'user-pw', v.args);
      assert.throws(() => PdfDocument.open(bytes), isPdfError('ERR_PDF_PASSWORD'));
      assert.throws(
        () => PdfDocument.open(bytes, { password: 'nope' }),
        isPdfError('ERR_PDF_PASSWORD'),
      );
      const asUser = PdfDocument.open(bytes, { password: 'user-pw' });
      assert.equal(asUser.encryption?.isOwner, false);
      assert.match(pageText(asUser), /Encrypted page text/);
      const asOwner = PdfDocument.open(bytes, { password: 'owner-pw' });
      assert.equal(
        asOwner.encryption?.isOwner,
        true,
        `R${v.revision}: the owner password is recognised`,
      );
      assert.match(pageText(asOwner), /Encrypted page text/);
    }
  });

  it('R6: a /P changed after encryption no longer matches /Perms: ERR_PDF_ENCRYPTED (ISO 32000-2 Algorithm 13)', (t) => {
    if (!requireTools(t, 'qpdf')) return;
    const bytes = encrypt(tempDir(t), '', ['256']);
    const text = Buffer.from(bytes).toString('latin1');
    const m = /\/P (-?\d+)/.exec(text);
    assert.ok(m, 'the encryption dictionary has /P');
    const changed = m[1] === '-4' ? '-8' : '-4';
    const tampered = new Uint8Array(
      Buffer.from(text.replace(m[0], `/P ${changed.padEnd(m[1]!.length, ' ')}`), 'latin1'),
    );
    assert.throws(() => PdfDocument.open(tampered), isPdfError('ERR_PDF_ENCRYPTED'));
  });

  it('a security handler other than /Standard is ERR_PDF_ENCRYPTED', (t) => {
    if (!requireTools(t, 'qpdf')) return;
    const bytes = encrypt(tempDir(t), '', ['128']);
    const text = Buffer.from(bytes)
      .toString('latin1')
      .replace('/Filter /Standard', '/Filter /PubSecXX');
    assert.throws(
      () => PdfDocument.open(new Uint8Array(Buffer.from(text, 'latin1'))),
      isPdfError('ERR_PDF_ENCRYPTED'),
    );
  });
});
