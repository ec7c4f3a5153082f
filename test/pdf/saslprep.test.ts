/**
 * SASLprep (RFC 4013) for R6 passwords (ISO 32000-2 §7.6.4.3.3 Algorithm 2.A): the RFC's own
 * examples, and a password that NFKC alone would leave different, opened through PdfDocument.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { saslprep } from '../../src/pdf/encryption/saslprep.js';
import { PdfDocument } from '../../src/pdf/index.js';
import { isSignetError } from '../../src/core/errors.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { requireTools, runTool } from '../support/tools.js';
import { tempDir } from '../support/tmp.js';

describe('RFC 4013 SASLprep', () => {
  it('RFC 4013 §3 examples: mapping, NFKC, prohibited output, bidirectional check', () => {
    assert.deepEqual(saslprep('I\u00ADX'), { prepared: 'IX' });
    assert.deepEqual(saslprep('user'), { prepared: 'user' });
    assert.deepEqual(saslprep('USER'), { prepared: 'USER' });
    assert.deepEqual(saslprep('\u00AA'), { prepared: 'a' });
    assert.deepEqual(saslprep('\u2168'), { prepared: 'IX' });
    assert.deepEqual(saslprep('\u0007'), { failure: 'PROHIBITED' });
    assert.deepEqual(saslprep('\u0627\u0031'), { failure: 'BIDI' });
  });

  it('RFC 3454 C.1.2 spaces map to SPACE, B.1 to nothing; private use, surrogates and mixed directions are refused', () => {
    assert.deepEqual(saslprep('a\u00A0b\u3000c\u200Bd'), { prepared: 'a b c d' });
    assert.deepEqual(saslprep('a\uFEFFb\u200Dc\uFE0Fd'), { prepared: 'abcd' });
    assert.deepEqual(saslprep('pass\uE000'), { failure: 'PROHIBITED' });
    assert.deepEqual(saslprep('pass\uD800'), { failure: 'PROHIBITED' });
    assert.deepEqual(saslprep('\u05D0abc\u05D0'), { failure: 'BIDI' });
    assert.deepEqual(saslprep('\u05D0\u05D1\u05D2'), { prepared: '\u05D0\u05D1\u05D2' });
    assert.deepEqual(saslprep('\u0627\u0031\u0628'), { prepared: '\u0627\u0031\u0628' });
  });

  it('ISO 32000-2 §7.6.4.3.3: an R6 file whose password qpdf set to the prepared form opens with the unprepared one (NFKC alone keeps the soft hyphen)', (t) => {
    if (!requireTools(t, 'qpdf')) return;
    const dir = tempDir(t);
    const plain = join(dir, 'plain.pdf');
    const locked = join(dir, 'r6.pdf');
    writeFileSync(plain, makeBasePdf());
    // qpdf does no SASLprep: it is given the prepared password, as a conforming writer would store it.
    const typed = 'se\u00ADcret\u1680x';
    assert.notEqual(typed.normalize('NFKC'), 'secret x');
    const e = runTool('qpdf', ['--encrypt', 'secret x', 'owner', '256', '--', plain, locked]);
    assert.equal(e.status, 0, e.stderr);
    const bytes = new Uint8Array(readFileSync(locked));
    assert.equal(PdfDocument.open(bytes, { password: typed }).encryption?.revision, 6);
    assert.throws(() => PdfDocument.open(bytes, { password: 'se\u00ADcret x\u0007' }), (err) => isSignetError(err, 'ERR_PDF_PASSWORD') && /SASLprep prohibits/.test(err.message));
    // Bytes are taken as they are: the unprepared UTF-8 does not open it.
    assert.throws(() => PdfDocument.open(bytes, { password: new TextEncoder().encode(typed) }), (err) => isSignetError(err, 'ERR_PDF_PASSWORD'));
  });
});
