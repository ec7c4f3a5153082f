/** File names are display text only (docs/security.md AC-09); Content-Disposition per RFC 6266 §4.3 with RFC 8187 `filename*`. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { contentDisposition, displayName, uniqueEntryNames } from '../../../src/gateway/index.js';

describe('gateway/jobs file names', () => {
  it('keeps the last path segment, drops control and bidi-override characters, never empty', () => {
    assert.equal(displayName('../../etc/passwd.pdf'), 'passwd.pdf');
    assert.equal(displayName('C:\\Users\\me\\Contract.pdf'), 'Contract.pdf');
    assert.equal(displayName('evil\r\nSet-Cookie: x=1.pdf'), 'evilSet-Cookie: x=1.pdf');
    assert.equal(displayName('invoice\u202Efdp.exe'), 'invoicefdp.exe');
    assert.equal(displayName('..'), 'document.pdf');
    assert.equal(displayName(undefined), 'document.pdf');
    assert.equal(Array.from(displayName('é'.repeat(500))).length, 200);
  });

  it('writes an ASCII fallback and the exact UTF-8 name; quotes, backslashes and CR/LF cannot break the header', () => {
    assert.equal(contentDisposition('Zürich "final".pdf'), `attachment; filename="Zu_rich _final_.pdf"; filename*=UTF-8''Z%C3%BCrich%20%22final%22.pdf`);
    const header = contentDisposition('a\r\nb;c%d.pdf');
    assert.doesNotMatch(header, /[\r\n]/);
    assert.equal(header, `attachment; filename="ab_c_d.pdf"; filename*=UTF-8''ab%3Bc%25d.pdf`);
    assert.equal(contentDisposition('契約.pdf'), `attachment; filename="__.pdf"; filename*=UTF-8''%E5%A5%91%E7%B4%84.pdf`);
  });

  it('makes ZIP entry names unique and safe', () => {
    assert.deepEqual(uniqueEntryNames(['a.pdf', 'A.pdf', '../a.pdf', 'b', 'b', 'x:y*.pdf']), ['a.pdf', 'A (2).pdf', 'a (3).pdf', 'b', 'b (2)', 'x_y_.pdf']);
  });
});
