/** The object parser on ISO 32000-1 §7.2/§7.3 syntax, including the corner cases readers disagree on. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ObjectParser, PdfDict, PdfDocument, PdfError, PdfName, PdfRef, type PdfString, parseNumberToken, serializeObject, type PdfObject } from '../../src/pdf/index.js';
import { makeRawPdf } from '../support/pdf-fixtures.js';

function parse(text: string, maxDepth = 64): PdfObject {
  return new ObjectParser(new Uint8Array(Buffer.from(text, 'latin1')), 0, true, maxDepth).parseObject();
}

describe('ISO 32000-1 §7.3 objects', () => {
  it('§7.3.2/§7.3.3 booleans, null, integers and reals (no exponents)', () => {
    assert.equal(parse('true'), true);
    assert.equal(parse('false'), false);
    assert.equal(parse('null'), null);
    assert.equal(parse('123'), 123);
    assert.equal(parse('-17'), -17);
    assert.equal(parse('+4.5'), 4.5);
    assert.equal(parse('.5'), 0.5);
    assert.equal(parse('-.002'), -0.002);
    assert.equal(parse('4.'), 4);
    assert.equal(parseNumberToken('1e5'), undefined);
    assert.throws(() => parse('1e5'), { code: 'ERR_PDF_SYNTAX' });
  });

  it('§7.3.4.2 literal strings: balanced parentheses, escapes, octal, line continuation, EOL normalisation', () => {
    const s = parse('(a(b)c\\n\\(\\)\\\\\\101\\0123\\\nd\r\ne)') as PdfString;
    assert.equal(Buffer.from(s.bytes).toString('latin1'), 'a(b)c\n()\\A\n3d\ne');
    assert.equal(s.isHex, false);
  });

  it('§7.3.4.3 hexadecimal strings: white space ignored, odd digit padded with 0', () => {
    const s = parse('<48 65 6c6C 6f 7>') as PdfString;
    assert.deepEqual([...s.bytes], [0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x70]);
    assert.equal(s.isHex, true);
    assert.throws(() => parse('<4G>'), { code: 'ERR_PDF_SYNTAX' });
  });

  it('§7.3.4.3 hexadecimal strings read at once (digits only) and digit by digit agree', () => {
    const bytes = new Uint8Array(3000).map((_, i) => (i * 37 + 11) % 256);
    const hex = Buffer.from(bytes).toString('hex');
    for (const text of [hex, hex.toUpperCase(), `${hex.slice(0, 1000)}\n${hex.slice(1000)}`, `${hex}A`, '']) {
      const s = parse(`<${text}>`) as PdfString;
      const digits = text.replace(/\s/g, '');
      const expected = Buffer.from(digits.length % 2 === 0 ? digits : `${digits}0`, 'hex');
      assert.deepEqual(Buffer.from(s.bytes), expected);
      assert.equal(s.isHex, true);
    }
    // A bad digit anywhere, a byte above 0x7f, or no end: refused as before.
    for (const bad of [`<${hex.slice(0, 2000)}zz${hex.slice(2002)}>`, `<${hex.slice(0, 10)}\u00e9a>`, `<${hex}`]) {
      assert.throws(() => parse(bad), { code: bad.endsWith('>') ? 'ERR_PDF_SYNTAX' : /ERR_PDF_(SYNTAX|TRUNCATED)/ });
    }
    // The parser goes on after the string.
    const parser = new ObjectParser(new Uint8Array(Buffer.from('<4142> <43>', 'latin1')), 0, true, 8);
    assert.deepEqual([...(parser.parseObject() as PdfString).bytes], [0x41, 0x42]);
    assert.deepEqual([...(parser.parseObject() as PdfString).bytes], [0x43]);
  });

  it('§7.3.4.3 a hexadecimal string longer than the reader\'s first windows (2 KB, 16 KB) reads as in one buffer, errors at the same offset', () => {
    const bytes = new Uint8Array(20000).map((_, i) => (i * 53 + 7) % 256);
    const hex = Buffer.from(bytes).toString('hex');
    const variants = [
      hex,
      hex.toUpperCase(),
      `${hex}A`,
      `${hex.slice(0, 10000)}\n${hex.slice(10000)}`,
      `${hex.slice(0, 30000)}zz${hex.slice(30002)}`,
      `${hex.slice(0, 1000)}zz${hex.slice(1002)}`,
    ];
    for (const text of variants) {
      // The string as the third object of a file: the document reads it through growing windows.
      const pdf = makeRawPdf(['<</Type /Catalog /Pages 2 0 R>>', '<</Type /Pages /Kids [] /Count 0>>', `<${text}>`], '<</Size 4 /Root 1 0 R>>');
      const at = Buffer.from(pdf).toString('latin1').indexOf('3 0 obj');
      const whole = (): PdfObject => new ObjectParser(pdf.subarray(at + 8), at + 8, true, 8).parseObject();
      const windowed = (): PdfObject => PdfDocument.open(pdf).getObject(new PdfRef(3, 0));
      let expected: PdfObject | Error;
      try {
        expected = whole();
      } catch (err) {
        expected = err as Error;
      }
      if (expected instanceof Error) {
        assert.throws(windowed, (e) => e instanceof PdfError && e.message === expected.message, text.slice(0, 20));
      } else {
        assert.deepEqual(Buffer.from((windowed() as PdfString).bytes), Buffer.from((expected as PdfString).bytes));
      }
    }
  });

  it('§7.3.5 names: #xx escapes, UTF-8 and delimiters', () => {
    assert.equal(parse('/A#20B'), PdfName.of('A B'));
    assert.equal(parse('/Caf#C3#A9'), PdfName.of('Café'));
    assert.equal((parse('/Name1/Name2') as PdfName).name, 'Name1');
    assert.equal(parse('/'), PdfName.of(''));
    // Round trip through the serializer.
    assert.equal(parse(Buffer.from(serializeObject(PdfName.of('A B#(x)'))).toString('latin1')), PdfName.of('A B#(x)'));
  });

  it('§7.3.6/§7.3.7/§7.3.10 arrays, dictionaries and references, with comments', () => {
    const d = parse('<< /Type /Page % a comment\n /Kids [1 0 R 2 5 R 3] /N 4 /Sub <</A [[]]>> >>') as PdfDict;
    assert.ok(d instanceof PdfDict);
    assert.equal(d.getName('Type'), 'Page');
    const kids = d.get('Kids') as PdfObject[];
    assert.ok(kids[0] instanceof PdfRef && kids[0].equals(new PdfRef(1, 0)));
    assert.ok(kids[1] instanceof PdfRef && kids[1].gen === 5);
    assert.equal(kids[2], 3);
    assert.equal(d.get('N'), 4);
    // "4 0" not followed by R is two numbers, not a reference.
    assert.deepEqual((parse('[4 0 /X 5 0 R]') as PdfObject[]).slice(0, 3), [4, 0, PdfName.of('X')]);
    assert.throws(() => parse('<</N 4 0 /Sub 1>>'), { code: 'ERR_PDF_SYNTAX' });
  });

  it('reports duplicate keys to the hooks (PDF-28) and keeps the last value', () => {
    const dups: string[] = [];
    const p = new ObjectParser(new Uint8Array(Buffer.from('<</A 1 /A 2>>')), 0, true, 8, { onDuplicateKey: (k) => dups.push(k) });
    const d = p.parseObject() as PdfDict;
    assert.equal(d.get('A'), 2);
    assert.deepEqual(dups, ['A']);
  });

  it('malformed syntax is ERR_PDF_SYNTAX, truncation too', () => {
    for (const bad of ['<</A>>', '<< 1 2 >>', '[1 2', '(abc', '<</A 1', 'foo', '}', '<<']) {
      assert.throws(() => parse(bad), (e) => e instanceof PdfError && e.code === 'ERR_PDF_SYNTAX', bad);
    }
  });

  it('DOS-05: nesting is limited before the stack is', () => {
    assert.throws(() => parse('['.repeat(100_000)), { code: 'ERR_PDF_LIMIT_DEPTH' });
    assert.throws(() => parse('<</A '.repeat(100_000)), { code: 'ERR_PDF_LIMIT_DEPTH' });
    assert.deepEqual(parse('[[[]]]', 3), [[[]]]);
  });

  it('issue 15: token caps after ISO 32000-1 Annex C — at the cap accepted, one byte over refused without reading on', () => {
    const name = 'N'.repeat(4096);
    assert.equal((parse(`/${name}`) as PdfName).name, name);
    assert.throws(() => parse(`/${name}N`), { code: 'ERR_PDF_LIMIT_TOKEN' });
    assert.throws(() => parse('k'.repeat(256)), { code: 'ERR_PDF_LIMIT_TOKEN' });
    assert.throws(() => parse('1'.repeat(256)), { code: 'ERR_PDF_LIMIT_TOKEN' });
    assert.throws(() => parse('1'.repeat(255)), { code: 'ERR_PDF_SYNTAX' }); // a malformed number, under the cap
    // A window that ends inside an over-long token is refused at once, not grown (NeedMoreData).
    const windowed = new ObjectParser(new Uint8Array(Buffer.from(`/X ${'k'.repeat(300)}`, 'latin1')), 0, false, 8);
    windowed.parseObject();
    assert.throws(() => windowed.parseObject(), { code: 'ERR_PDF_LIMIT_TOKEN' });
    assert.equal((parse(`<${'ab'.repeat(100_000)}>`) as PdfString).bytes.length, 100_000);
  });

  it('round-trips through the serializer', () => {
    const src = '<</Type /Annot /Rect [0 0 612.5 -3] /T (Sig\\(1\\)) /V null /B true /H <00ff> /R 12 0 R>>';
    const once = parse(src);
    const again = parse(Buffer.from(serializeObject(once)).toString('latin1'));
    assert.deepEqual(serializeObject(again), serializeObject(once));
  });
});
