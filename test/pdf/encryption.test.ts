/**
 * The standard security handler on read (ISO 32000-1 §7.6.3, ISO 32000-2 §7.6.4): files qpdf
 * encrypts open with the empty user password and read as the plain original; a password-protected
 * file, a tampered /Perms and a foreign security handler are coded errors.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { IncrementalWriter, PdfDict, PdfDocument, PdfError, PdfName, PdfStream, type PdfObject, type PdfRef } from '../../src/pdf/index.js';
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

describe('ISO 32000-1 §7.4.10 and §7.6.5: streams that name their crypt filter', () => {
  it('/Crypt /Name /Identity is read as not encrypted, /Crypt /Name /StdCF as the handler says — qpdf reads both the same; a name outside /CF is ERR_PDF_ENCRYPTED', (t) => {
    if (!requireTools(t, 'qpdf')) return;
    const dir = tempDir(t);
    const original = encrypt(dir, '', ['128', '--use-aes=y']);
    const doc = PdfDocument.open(original);
    const writer = new IncrementalWriter(doc);
    // Table 14: /Type /CryptFilterDecodeParms is optional (qpdf 11 wants it when /DecodeParms is one dictionary).
    const parms = (name: string): PdfDict => new PdfDict([['Type', PdfName.of('CryptFilterDecodeParms')], ['Name', PdfName.of(name)]]);
    const crypt = (name: string, more: readonly PdfObject[] = []): [string, PdfObject][] => [
      ['Filter', more.length === 0 ? PdfName.of('Crypt') : [PdfName.of('Crypt'), ...more]],
      ['DecodeParms', more.length === 0 ? parms(name) : [new PdfDict([['Name', PdfName.of(name)]]), null]],
    ];
    const identityText = 'BT /F1 12 Tf 72 700 Td (in clear, Identity) Tj ET';
    const namedText = 'BT /F1 12 Tf 72 680 Td (named StdCF, then Flate) Tj ET';
    const identity = writer.allocate();
    writer.set(identity, new PdfStream(new PdfDict(crypt('Identity')), new TextEncoder().encode(identityText)));
    const named = writer.allocate();
    writer.set(named, new PdfStream(new PdfDict(crypt('StdCF', [PdfName.of('FlateDecode')])), new Uint8Array(deflateSync(namedText))));
    const unknown = writer.allocate();
    writer.set(unknown, new PdfStream(new PdfDict(crypt('Identity')), new TextEncoder().encode('UNKNOWN-CF-MARK')));
    const update = writer.build();
    const file = join(dir, 'crypt-filters.pdf');
    const combined = Buffer.concat([original, update.bytes]);
    // The Identity stream is written in clear (§7.6.5), the StdCF one is not.
    assert.ok(combined.includes(identityText));
    assert.ok(!combined.includes('named StdCF'));
    // The third stream renamed (same length, offsets kept) to a crypt filter /CF does not define.
    const at = combined.lastIndexOf('/Identity', combined.indexOf('UNKNOWN-CF-MARK'));
    assert.ok(at > original.length);
    combined.write('/Unknown1', at, 'latin1');
    const bytes = new Uint8Array(combined);
    writeFileSync(file, bytes);

    const reread = PdfDocument.open(bytes);
    const text = (ref: PdfRef): string => {
      const s = reread.resolve(ref);
      assert.ok(s instanceof PdfStream);
      return Buffer.from(reread.decodeStream(s)).toString('latin1');
    };
    assert.equal(text(identity), identityText);
    assert.equal(text(named), namedText);
    assert.throws(() => text(unknown), (e: unknown) => isPdfError('ERR_PDF_ENCRYPTED')(e) && /crypt filter \/Unknown1/.test((e as Error).message));
    // qpdf, the judge, decodes the two streams to the same bytes.
    for (const [ref, expected] of [[identity, identityText], [named, namedText]] as const) {
      const q = runTool('qpdf', [`--show-object=${ref.num}`, '--filtered-stream-data', file]);
      assert.equal(q.stdout, expected, q.stderr);
    }
  });

  it('the public-key handler /Adobe.PubSec is ERR_PDF_ENCRYPTED, saying a recipient\'s private key is needed', (t) => {
    if (!requireTools(t, 'qpdf')) return;
    const bytes = encrypt(tempDir(t), '', ['128']);
    const text = Buffer.from(bytes).toString('latin1').replace('/Filter /Standard', '/Filter /Adobe.PubSec');
    assert.throws(
      () => PdfDocument.open(new Uint8Array(Buffer.from(text, 'latin1'))),
      (e: unknown) => isPdfError('ERR_PDF_ENCRYPTED')(e) && /private key/.test((e as Error).message),
    );
  });
});

describe('ISO 32000-2 §7.6.4.3.2 Algorithm 2: an R2–R4 password typed as text', () => {
  it('is tried in PDFDocEncoding (what qpdf and Acrobat store), then in UTF-8 (what some writers store)', (t) => {
    if (!requireTools(t, 'qpdf')) return;
    const dir = tempDir(t);
    const plain = join(dir, 'plain.pdf');
    writeFileSync(plain, makeBasePdf());
    for (const [name, mode, euro] of [['pdfdoc', 'auto', 0xa0], ['utf8', 'bytes', 0xe2]] as const) {
      const out = join(dir, `${name}.pdf`);
      // qpdf (password mode auto) transcodes the UTF-8 it is given to PDFDocEncoding for R < 5.
      const r = runTool('qpdf', [`--password-mode=${mode}`, '--encrypt', 'pässwörd €5', 'owner', '128', '--use-aes=y', '--', plain, out]);
      assert.equal(r.status, 0, r.stderr);
      const bytes = new Uint8Array(readFileSync(out));
      const doc = PdfDocument.open(bytes, { password: 'pässwörd €5' });
      assert.equal(doc.encryption?.isOwner, false, name);
      assert.throws(() => PdfDocument.open(bytes, { password: 'passwörd €5' }), isPdfError('ERR_PDF_PASSWORD'));
      // The stored form really differs: € is 0xA0 in PDFDocEncoding, 0xE2 0x82 0xAC in UTF-8.
      const stored = name === 'pdfdoc' ? Uint8Array.from([...Buffer.from('pässwörd ', 'latin1'), euro, 0x35]) : new TextEncoder().encode('pässwörd €5');
      assert.equal(PdfDocument.open(bytes, { password: stored }).encryption?.isOwner, false, name);
    }
  });
});
