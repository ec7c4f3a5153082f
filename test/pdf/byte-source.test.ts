/** ByteSource implementations: clamped random access; FileSource never reads a big file whole. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileSource, PdfDocument, PdfError, appendedBytes, bytesSource } from '../../src/pdf/index.js';
import { writeBigPdf } from '../support/pdf-fixtures.js';
import { tempDir } from '../support/tmp.js';

describe('ByteSource', () => {
  it('bytesSource clamps reads at both ends', () => {
    const s = bytesSource(Uint8Array.from([1, 2, 3, 4, 5]));
    assert.deepEqual([...s.read(3, 10)], [4, 5]);
    assert.deepEqual([...s.read(-2, 3)], [1]);
    assert.deepEqual([...s.read(9, 2)], []);
    assert.equal(s.length, 5);
  });

  it('appendedBytes: read and readParts give the bytes of the concatenation, clamped; readParts as views of the parts (nested)', () => {
    const original = Uint8Array.from({ length: 100 }, (_, i) => i);
    const first = Uint8Array.from({ length: 30 }, (_, i) => 100 + i);
    const second = Uint8Array.from({ length: 20 }, (_, i) => 200 + i);
    const joined = Uint8Array.from([...original, ...first, ...second]);
    const s = appendedBytes(appendedBytes(bytesSource(original), first), second);
    assert.equal(s.length, 150);
    for (const [off, len] of [[0, 150], [-5, 20], [90, 50], [99, 2], [100, 30], [125, 100], [140, 5], [150, 3], [10, 0]] as const) {
      const want = [...joined.subarray(Math.max(0, off), Math.max(0, Math.min(150, off + len)))];
      assert.deepEqual([...s.read(off, len)], want, `read ${off}+${len}`);
      const parts = s.readParts!(off, len);
      assert.deepEqual(parts.flatMap((p) => [...p]), want, `readParts ${off}+${len}`);
      for (const p of parts) assert.ok([original, first, second].some((b) => b.buffer === p.buffer), 'a view, not a copy');
    }
    assert.equal(s.readParts!(0, 150).length, 3);
  });

  it('FileSource reads the same bytes as the file, across block edges', (t) => {
    const dir = tempDir(t);
    const data = new Uint8Array(300_000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >> 8)) & 0xff;
    writeFileSync(join(dir, 'f.bin'), data);
    const src = FileSource.open(join(dir, 'f.bin'));
    t.after(() => src.close());
    assert.equal(src.length, data.length);
    for (const [off, len] of [[0, 10], [65530, 20], [65536 * 2 - 1, 2], [1000, 250_000], [299_990, 50]] as const) {
      assert.deepEqual(Buffer.from(src.read(off, len)), Buffer.from(data.subarray(off, off + len)), `${off}+${len}`);
    }
  });

  it('FileSource: opening a 32 MB PDF and listing its pages reads well under 1 MB', (t) => {
    const dir = tempDir(t);
    const path = join(dir, 'big.pdf');
    writeBigPdf(path, 32 * 1024 * 1024);
    const src = FileSource.open(path);
    t.after(() => src.close());
    const doc = PdfDocument.open(src);
    assert.equal(doc.pages().length, 1);
    doc.loadAllObjects();
    assert.ok(src.bytesRead < 1024 * 1024, `read ${src.bytesRead}`);
  });

  it('a missing file or a closed source is ERR_PDF_IO', (t) => {
    assert.throws(() => FileSource.open(join(tempDir(t), 'nope.pdf')), (e) => e instanceof PdfError && e.code === 'ERR_PDF_IO');
    const dir = tempDir(t);
    writeFileSync(join(dir, 'x'), 'abc');
    const src = FileSource.open(join(dir, 'x'));
    src.close();
    assert.throws(() => src.read(0, 1), { code: 'ERR_PDF_IO' });
  });
});
