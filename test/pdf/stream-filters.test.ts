/** Stream filters (ISO 32000-1 §7.4) judged by qpdf, and their shared output budget (DOS-01/02/03). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { deflateSync } from 'node:zlib';
import { PdfDict, PdfDocument, PdfError, PdfName, PdfRef, PdfStream, decodeFilterChain, type PdfObject } from '../../src/pdf/index.js';
import { spawnSync } from 'node:child_process';
import { requireTools } from '../support/tools.js';

/** Deterministic pseudo-random bytes (xorshift32). */
function noise(n: number, seed = 7): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Sample data with runs and repeats, so every filter has something to do. */
const sample = (() => {
  const parts: number[] = [];
  const text = new TextEncoder().encode('BT /F1 12 Tf (Hello, Signet) Tj ET\n');
  for (let i = 0; i < 40; i++) parts.push(...text);
  parts.push(...new Uint8Array(300).fill(0x41), ...noise(700));
  return Uint8Array.from(parts);
})();

function ascii85(data: Uint8Array): Uint8Array {
  let s = '';
  for (let i = 0; i < data.length; i += 4) {
    const chunk = [data[i] ?? 0, data[i + 1] ?? 0, data[i + 2] ?? 0, data[i + 3] ?? 0];
    let v = ((chunk[0]! << 24) | (chunk[1]! << 16) | (chunk[2]! << 8) | chunk[3]!) >>> 0;
    const n = Math.min(4, data.length - i);
    if (v === 0 && n === 4) {
      s += 'z';
      continue;
    }
    const digits: string[] = [];
    for (let k = 0; k < 5; k++) {
      digits.unshift(String.fromCharCode((v % 85) + 33));
      v = Math.floor(v / 85);
    }
    s += digits.slice(0, n + 1).join('');
  }
  return new TextEncoder().encode(`${s}~>`);
}

function runLength(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  let i = 0;
  while (i < data.length) {
    let run = 1;
    while (i + run < data.length && data[i + run] === data[i] && run < 128) run++;
    if (run > 1) {
      out.push(257 - run, data[i]!);
      i += run;
    } else {
      let j = i;
      while (j < data.length && j - i < 128 && !(j + 1 < data.length && data[j + 1] === data[j])) j++;
      const len = Math.max(1, j - i);
      out.push(len - 1, ...data.subarray(i, i + len));
      i += len;
    }
  }
  out.push(128);
  return Uint8Array.from(out);
}

/** LZW with EarlyChange 1 (§7.4.4.2). */
function lzw(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  let bitBuf = 0;
  let bits = 0;
  let codeLen = 9;
  const emit = (code: number): void => {
    bitBuf = (bitBuf << codeLen) | code;
    bits += codeLen;
    while (bits >= 8) {
      out.push((bitBuf >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
    bitBuf &= (1 << bits) - 1;
  };
  let dict = new Map<string, number>();
  let next = 258;
  emit(256);
  let w = '';
  for (const b of data) {
    const c = String.fromCharCode(b);
    const wc = w + c;
    if (w === '' || dict.has(wc) || wc.length === 1) {
      w = wc;
      continue;
    }
    emit(w.length === 1 ? w.charCodeAt(0) : dict.get(w)!);
    dict.set(wc, next++);
    if (next + 1 > 1 << codeLen && codeLen < 12) codeLen++;
    if (next >= 4094) {
      emit(256);
      dict = new Map();
      next = 258;
      codeLen = 9;
    }
    w = c;
  }
  if (w !== '') emit(w.length === 1 ? w.charCodeAt(0) : dict.get(w)!);
  emit(257);
  if (bits > 0) out.push((bitBuf << (8 - bits)) & 0xff);
  return Uint8Array.from(out);
}

/** PNG "Up"/"Sub"/"Paeth"… rows (§7.4.4.4) for `columns` bytes per row, cycling through row types 0–4. */
function pngPredict(data: Uint8Array, columns: number): Uint8Array {
  const rows = Math.ceil(data.length / columns);
  const out: number[] = [];
  let prev = new Uint8Array(columns);
  for (let r = 0; r < rows; r++) {
    const row = new Uint8Array(columns);
    row.set(data.subarray(r * columns, (r + 1) * columns));
    const type = r % 5;
    out.push(type);
    for (let k = 0; k < columns; k++) {
      const left = k > 0 ? row[k - 1]! : 0;
      const up = prev[k]!;
      const ul = k > 0 ? prev[k - 1]! : 0;
      const p = left + up - ul;
      const pred = [0, left, up, (left + up) >> 1, Math.abs(p - left) <= Math.abs(p - up) && Math.abs(p - left) <= Math.abs(p - ul) ? left : Math.abs(p - up) <= Math.abs(p - ul) ? up : ul][type]!;
      out.push((row[k]! - pred) & 0xff);
    }
    prev = row;
  }
  return Uint8Array.from(out);
}

function hex(data: Uint8Array): Uint8Array {
  return new TextEncoder().encode(`${Buffer.from(data).toString('hex')}>`);
}

interface Case {
  readonly name: string;
  readonly dict: PdfDict;
  readonly raw: Uint8Array;
}

const padded = sample.subarray(0, Math.floor(sample.length / 16) * 16);
const cases: Case[] = [
  { name: 'FlateDecode', dict: PdfDict.of({ Filter: PdfName.of('FlateDecode') }), raw: new Uint8Array(deflateSync(sample)) },
  { name: 'ASCIIHexDecode', dict: PdfDict.of({ Filter: PdfName.of('ASCIIHexDecode') }), raw: hex(sample) },
  { name: 'ASCII85Decode', dict: PdfDict.of({ Filter: PdfName.of('ASCII85Decode') }), raw: ascii85(sample) },
  { name: 'RunLengthDecode', dict: PdfDict.of({ Filter: PdfName.of('RunLengthDecode') }), raw: runLength(sample) },
  { name: 'LZWDecode', dict: PdfDict.of({ Filter: PdfName.of('LZWDecode') }), raw: lzw(sample) },
  {
    name: 'FlateDecode with PNG predictors',
    dict: PdfDict.of({ Filter: PdfName.of('FlateDecode'), DecodeParms: PdfDict.of({ Predictor: 12, Columns: 16 }) }),
    raw: new Uint8Array(deflateSync(pngPredict(padded, 16))),
  },
  {
    name: 'chain [ASCII85Decode FlateDecode]',
    dict: PdfDict.of({ Filter: [PdfName.of('ASCII85Decode'), PdfName.of('FlateDecode')] }),
    raw: ascii85(new Uint8Array(deflateSync(sample))),
  },
];

const noResolve = (o: PdfObject | undefined): PdfObject | undefined => o;

describe('ISO 32000-1 §7.4 stream filters', () => {
  for (const c of cases) {
    it(`${c.name} decodes to the original bytes`, () => {
      const expected = c.name.includes('PNG') ? padded : sample;
      assert.deepEqual(Buffer.from(decodeFilterChain(c.raw, c.dict, 1 << 20, noResolve)), Buffer.from(expected));
    });
  }

  it('every filter decodes exactly as qpdf --filtered-stream-data does', (t) => {
    if (!requireTools(t, 'qpdf')) return;
    const dir = mkdtempSync(join(tmpdir(), 'signet-filters-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    let body = '%PDF-1.7\n';
    const offsets: number[] = [];
    const objs: Uint8Array[] = [];
    const enc = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
    const push = (s: Uint8Array): void => {
      objs.push(s);
      offsets.push(body.length);
      body += Buffer.from(s).toString('latin1');
    };
    push(enc('1 0 obj\n<</Type /Catalog /Pages 2 0 R>>\nendobj\n'));
    push(enc('2 0 obj\n<</Type /Pages /Kids [] /Count 0>>\nendobj\n'));
    cases.forEach((c, i) => {
      const d = c.dict.clone().set('Length', c.raw.length);
      const w = Buffer.concat([
        Buffer.from(`${i + 3} 0 obj\n`),
        Buffer.from(dictText(d)),
        Buffer.from('\nstream\n'),
        Buffer.from(c.raw),
        Buffer.from('\nendstream\nendobj\n'),
      ]);
      push(new Uint8Array(w));
    });
    const xref = body.length;
    body += `xref\n0 ${offsets.length + 1}\n0000000000 65535 f\r\n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n\r\n`).join('')}`;
    body += `trailer\n<</Size ${offsets.length + 1} /Root 1 0 R>>\nstartxref\n${xref}\n%%EOF\n`;
    const path = join(dir, 'filters.pdf');
    const bytes = new Uint8Array(Buffer.from(body, 'latin1'));
    writeFileSync(path, bytes);
    const doc = PdfDocument.open(bytes);
    cases.forEach((c, i) => {
      const s = doc.getObject(new PdfRef(i + 3));
      assert.ok(s instanceof PdfStream, c.name);
      // Binary output: read qpdf's stdout as bytes, not text.
      const theirs = spawnSync('qpdf', [`--show-object=${i + 3}`, '--filtered-stream-data', '--decode-level=generalized', path]);
      assert.equal(theirs.status, 0, `${c.name}: ${String(theirs.stderr)}`);
      assert.ok(Buffer.from(doc.decodeStream(s)).equals(theirs.stdout), c.name);
    });
  });

  it('refuses unknown and image filters with ERR_PDF_FILTER_UNSUPPORTED', () => {
    for (const f of ['DCTDecode', 'JBIG2Decode', 'NoSuchFilter']) {
      assert.throws(() => decodeFilterChain(new Uint8Array(4), PdfDict.of({ Filter: PdfName.of(f) }), 1000, noResolve), {
        code: 'ERR_PDF_FILTER_UNSUPPORTED',
      });
    }
  });

  it('reports corrupt data as ERR_PDF_FILTER_DATA', () => {
    assert.throws(() => decodeFilterChain(new TextEncoder().encode('zz>'), PdfDict.of({ Filter: PdfName.of('ASCIIHexDecode') }), 1000, noResolve), {
      code: 'ERR_PDF_FILTER_DATA',
    });
    assert.throws(() => decodeFilterChain(noise(100), PdfDict.of({ Filter: PdfName.of('FlateDecode') }), 1000, noResolve), {
      code: 'ERR_PDF_FILTER_DATA',
    });
  });
});

describe('DOS-01/02/03 decompression bombs hit one shared budget', () => {
  it('DOS-01: 1 MB of zeros deflated, budget 64 KB → ERR_PDF_LIMIT_DECOMPRESSED quickly', () => {
    const bomb = new Uint8Array(deflateSync(new Uint8Array(1 << 20)));
    const t0 = performance.now();
    assert.throws(() => decodeFilterChain(bomb, PdfDict.of({ Filter: PdfName.of('FlateDecode') }), 64 * 1024, noResolve), (e) => {
      return e instanceof PdfError && e.code === 'ERR_PDF_LIMIT_DECOMPRESSED';
    });
    assert.ok(performance.now() - t0 < 200);
  });

  it('DOS-01: a 64 MB Flate bomb inside a document stops at the per-stream limit', () => {
    // 64 MB of zeros deflated to ~64 KB; the document's limit is 1 MB.
    const bomb = new Uint8Array(deflateSync(new Uint8Array(64 << 20), { level: 9 }));
    const doc = PdfDocument.open(makeStreamPdf(PdfDict.of({ Filter: PdfName.of('FlateDecode') }), bomb), {
      limits: { maxDecodedStreamBytes: 1 << 20 },
    });
    const s = doc.getObject(new PdfRef(3));
    assert.ok(s instanceof PdfStream);
    const t0 = performance.now();
    assert.throws(() => doc.decodeStream(s), { code: 'ERR_PDF_LIMIT_DECOMPRESSED' });
    assert.ok(performance.now() - t0 < 500);
  });

  it('issue 15: a stream is decoded once per document (cached), a refusal too; the document budget is shared', () => {
    const mib = 1 << 20;
    const data = new Uint8Array(deflateSync(new Uint8Array(mib)));
    const pdf = makeStreamPdf(PdfDict.of({ Filter: PdfName.of('FlateDecode') }), data);
    const doc = PdfDocument.open(pdf, { limits: { maxDecodedBytes: 3 * mib } });
    const s = doc.getObject(new PdfRef(3));
    assert.ok(s instanceof PdfStream);
    const first = doc.decodeStream(s);
    const charged = doc.budget.decodedBytes;
    assert.equal(charged, mib);
    for (let i = 0; i < 10; i++) assert.equal(doc.decodeStream(s), first);
    assert.equal(doc.budget.decodedBytes, charged, 'decoded once');
    // A second document over the same file sharing the budget (a validator's signed revision):
    // two more decodes fit in 3 MiB, the third is refused for the document's total.
    const views = [1, 2, 3].map(() => PdfDocument.open(pdf, { limits: doc.limits, budget: doc.budget }));
    const decodeIn = (d: PdfDocument): Uint8Array => d.decodeStream(d.getObject(new PdfRef(3)) as PdfStream);
    decodeIn(views[0]!);
    decodeIn(views[1]!);
    assert.throws(() => decodeIn(views[2]!), (e) => e instanceof PdfError && e.code === 'ERR_PDF_LIMIT_DECOMPRESSED' && /in total/.test(e.message));
    // A refused stream is not decoded again: the budget does not move.
    const bomb = PdfDocument.open(pdf, { limits: { maxDecodedStreamBytes: mib / 2 } });
    const b = bomb.getObject(new PdfRef(3)) as PdfStream;
    assert.throws(() => bomb.decodeStream(b), { code: 'ERR_PDF_LIMIT_DECOMPRESSED' });
    const after = bomb.budget.decodedBytes;
    assert.equal(after, mib / 2);
    for (let i = 0; i < 40; i++) assert.throws(() => bomb.decodeStream(b), { code: 'ERR_PDF_LIMIT_DECOMPRESSED' });
    assert.equal(bomb.budget.decodedBytes, after);
  });

  it('DOS-02: /Filter [/FlateDecode /FlateDecode /FlateDecode] shares one budget across stages', () => {
    const inner = deflateSync(new Uint8Array(4 << 20));
    const middle = deflateSync(inner);
    const outer = new Uint8Array(deflateSync(middle));
    const dict = PdfDict.of({ Filter: [PdfName.of('FlateDecode'), PdfName.of('FlateDecode'), PdfName.of('FlateDecode')] });
    // Each stage alone fits in 1 MB except the last; the shared budget (all stages together) trips.
    assert.throws(() => decodeFilterChain(outer, dict, 1 << 20, noResolve), { code: 'ERR_PDF_LIMIT_DECOMPRESSED' });
    // A budget that holds every stage together decodes it.
    const all = decodeFilterChain(outer, dict, (4 << 20) + inner.length + middle.length, noResolve);
    assert.equal(all.length, 4 << 20);
    // One byte less than the sum of all stages is refused: the budget counts every stage.
    assert.throws(() => decodeFilterChain(outer, dict, (4 << 20) + inner.length + middle.length - 1, noResolve), {
      code: 'ERR_PDF_LIMIT_DECOMPRESSED',
    });
  });

  it('DOS-03: RunLength, LZW, ASCII85 expansions are budgeted too', () => {
    const rl = new Uint8Array(20000);
    for (let i = 0; i < rl.length; i += 2) {
      rl[i] = 129; // repeat next byte 128 times
      rl[i + 1] = 0x41;
    }
    assert.throws(() => decodeFilterChain(rl, PdfDict.of({ Filter: PdfName.of('RunLengthDecode') }), 100_000, noResolve), {
      code: 'ERR_PDF_LIMIT_DECOMPRESSED',
    });
    const z = new TextEncoder().encode('z'.repeat(100_000));
    assert.throws(() => decodeFilterChain(z, PdfDict.of({ Filter: PdfName.of('ASCII85Decode') }), 100_000, noResolve), {
      code: 'ERR_PDF_LIMIT_DECOMPRESSED',
    });
    const l = lzw(new Uint8Array(256 * 1024));
    assert.throws(() => decodeFilterChain(l, PdfDict.of({ Filter: PdfName.of('LZWDecode') }), 100_000, noResolve), {
      code: 'ERR_PDF_LIMIT_DECOMPRESSED',
    });
    assert.equal(decodeFilterChain(l, PdfDict.of({ Filter: PdfName.of('LZWDecode') }), 1 << 20, noResolve).length, 256 * 1024);
  });
});

function dictText(d: PdfDict): string {
  const parts: string[] = [];
  for (const [k, v] of d.entries()) {
    const val = v instanceof PdfName ? `/${v.name}` : Array.isArray(v) ? `[${v.map((x) => (x instanceof PdfName ? `/${x.name}` : String(x))).join(' ')}]` : v instanceof PdfDict ? dictText(v) : String(v);
    parts.push(`/${k} ${val}`);
  }
  return `<<${parts.join(' ')}>>`;
}

/** A one-page-less PDF whose object 3 is a stream with `dict` and `raw`. */
function makeStreamPdf(dict: PdfDict, raw: Uint8Array): Uint8Array {
  const head = '%PDF-1.7\n';
  const o1 = head.length;
  const b1 = '1 0 obj\n<</Type /Catalog /Pages 2 0 R>>\nendobj\n';
  const o2 = o1 + b1.length;
  const b2 = '2 0 obj\n<</Type /Pages /Kids [] /Count 0>>\nendobj\n';
  const o3 = o2 + b2.length;
  const b3a = `3 0 obj\n${dictText(dict.clone().set('Length', raw.length))}\nstream\n`;
  const b3b = '\nendstream\nendobj\n';
  const xref = o3 + b3a.length + raw.length + b3b.length;
  const tail = `xref\n0 4\n0000000000 65535 f\r\n${[o1, o2, o3].map((o) => `${String(o).padStart(10, '0')} 00000 n\r\n`).join('')}trailer\n<</Size 4 /Root 1 0 R>>\nstartxref\n${xref}\n%%EOF\n`;
  return new Uint8Array(Buffer.concat([Buffer.from(head + b1 + b2 + b3a, 'latin1'), Buffer.from(raw), Buffer.from(b3b + tail, 'latin1')]));
}
