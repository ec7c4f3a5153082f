/**
 * Hostile inputs that spend memory and time (issue 15, docs/security.md DOS-01…08, DOS-22): each file is
 * generated here and run through the real `signet` binary in a child process, which must end
 * with a coded error (or a correct report) within 5 s and under 256 MiB peak RSS.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadLocalSigner } from '../../src/keys/local/index.js';
import { PdfDict, PdfName, PdfStream } from '../../src/pdf/index.js';
import { signCrafted } from '../support/crafted-signature.js';
import { appendRevision } from '../support/form-fixtures.js';
import { acroFormFieldBombs, deflateBomb, pagesInObjectStreamBombs } from '../support/pdf-bombs.js';
import { makeBasePdf, makeRawPdf } from '../support/pdf-fixtures.js';
import { runMeasured, type MeasuredRun } from '../support/measured-run.js';
import { buildTestPki } from '../support/pki.js';
import { tempDir } from '../support/tmp.js';

/**
 * The budget is 5 s of the child's own CPU time (user + system): wall time on a shared CI machine
 * measures the neighbours too, so wall time only guards against hangs (a child that waits, e.g.
 * for a lock, shows little CPU). Peak RSS is the child's own maximum resident set.
 */
const CPU_MS = 5_000;
const WALL_MS = 20_000;
const RSS_MIB = 256;
const MiB = 1024 * 1024;

const CATALOG = '<</Type /Catalog /Pages 2 0 R>>';
const PAGES = '<</Type /Pages /Kids [3 0 R] /Count 1>>';
const PAGE = '<</Type /Page /Parent 2 0 R /MediaBox [0 0 200 200]>>';

/** Asserts a coded refusal (`code`, or any ERR_ code when undefined) within the time and memory budget. */
function assertBounded(r: MeasuredRun, what: string, code?: RegExp): void {
  const cost = `${what}: ${r.wallMs.toFixed(0)} ms wall, ${r.cpuMs.toFixed(0)} ms CPU, ${r.maxRssMiB.toFixed(0)} MiB peak RSS`;
  if (process.env['SHOW_COSTS'] === '1') console.log(cost);
  assert.equal(r.signal, null, `${cost}; killed`);
  assert.ok(r.cpuMs < CPU_MS, `${cost}; over ${CPU_MS} ms of CPU`);
  assert.ok(r.wallMs < WALL_MS, `${cost}; over ${WALL_MS} ms wall`);
  assert.ok(r.maxRssMiB < RSS_MIB, `${cost}; over ${RSS_MIB} MiB`);
  assert.doesNotMatch(r.stderr, /\n\s+at /, `${cost}; a stack trace: ${r.stderr.slice(0, 2000)}`);
  if (code !== undefined) assert.match(r.stderr + r.stdout, code, `${cost}; output: ${(r.stderr + r.stdout).slice(0, 2000)}`);
}

describe('issue 15: lexer caps (ISO 32000-1 Annex C as the guide)', () => {
  const dir = tempDir({ after });
  const files: Record<string, string> = {};
  let key: string;
  let cert: string;

  before(async () => {
    const pki = await buildTestPki({ leaves: ['ec-p256'] });
    key = join(dir, 'key.pem');
    cert = join(dir, 'cert.pem');
    writeFileSync(key, pki.leaves['ec-p256'].privateKeyPem);
    writeFileSync(cert, pki.leaves['ec-p256'].pem + pki.intermediate.pem);
    const big = 16 * MiB;
    const tokens: Record<string, string> = {
      number: '1'.repeat(big),
      name: `/${'N'.repeat(big)}`,
      keyword: 'k'.repeat(big),
    };
    for (const [kind, token] of Object.entries(tokens)) {
      files[kind] = join(dir, `${kind}.pdf`);
      writeFileSync(files[kind], makeRawPdf([CATALOG, PAGES, PAGE], `<</Size 4 /Root 1 0 R /X ${token}>>`));
    }
  });

  for (const kind of ['number', 'name', 'keyword']) {
    it(`a trailer holding a 16 MiB ${kind} token: verify refuses it with ERR_PDF_LIMIT_TOKEN`, async () => {
      const r = await runMeasured(['bin/signet.js', 'verify', files[kind]!]);
      assertBounded(r, `16 MiB ${kind} token`, /ERR_PDF_LIMIT_TOKEN/);
      assert.equal(r.status, 1);
    });

    it(`a trailer holding a 16 MiB ${kind} token: sign refuses it with ERR_PDF_LIMIT_TOKEN and writes nothing`, async () => {
      const out = join(dir, `${kind}-signed.pdf`);
      const r = await runMeasured(['bin/signet.js', 'sign', files[kind]!, '-o', out, '--key', key, '--cert', cert]);
      assertBounded(r, `16 MiB ${kind} token, sign`, /ERR_PDF_LIMIT_TOKEN/);
      assert.equal(r.status, 1);
      assert.equal(existsSync(out), false);
    });
  }
});

describe('issue 15: one decompression budget per document, streams decoded once', () => {
  const dir = tempDir({ after });
  const files: Record<string, string> = {};
  let root: string;
  let key: string;
  let cert: string;

  before(async () => {
    const pki = await buildTestPki({ leaves: ['rsa'] });
    const signer = await loadLocalSigner({ kind: 'pem', key: pki.leaves.rsa.privateKeyPem, certificate: pki.leaves.rsa.der, chain: [pki.intermediate.der, pki.root.der] });
    root = join(dir, 'root.pem');
    key = join(dir, 'key.pem');
    cert = join(dir, 'cert.pem');
    writeFileSync(root, pki.root.pem);
    writeFileSync(key, pki.leaves.rsa.privateKeyPem);
    writeFileSync(cert, pki.leaves.rsa.pem + pki.intermediate.pem);
    const z = deflateBomb();
    const signingTime = new Date();

    /** A signed file whose /DSS /Certs array names one 200 MiB-inflating stream `references` times. */
    const signedWithDssBomb = (references: number): Promise<Uint8Array> =>
      signCrafted(makeBasePdf(), signer, {
        signingTime,
        fieldName: 'Signature1',
        alsoWrite: (_doc, w, catalog) => {
          const b = w.allocate();
          w.set(b, new PdfStream(PdfDict.of({ Filter: PdfName.of('FlateDecode') }), z));
          const d = w.allocate();
          w.set(d, PdfDict.of({ Type: PdfName.of('DSS'), Certs: Array.from({ length: references }, () => b) }));
          catalog.set('DSS', d);
        },
      });
    files['dss'] = join(dir, 'dss.pdf');
    writeFileSync(files['dss'], await signedWithDssBomb(8));
    // The same with 16 references (3.6 GB in issue 15).
    files['dss16'] = join(dir, 'dss16.pdf');
    writeFileSync(files['dss16'], await signedWithDssBomb(16));

    // 40 pages sharing one 200 MiB content stream, signed, then one annotation per page.
    const shared = await signCrafted(makeBasePdf({ pages: 40 }), signer, {
      signingTime,
      fieldName: 'Signature1',
      alsoWrite: (doc, w) => {
        const b = w.allocate();
        w.set(b, new PdfStream(PdfDict.of({ Filter: PdfName.of('FlateDecode') }), z));
        for (const page of doc.pages()) w.set(page.ref, new PdfDict([...page.dict.entries(), ['Contents', b]]));
      },
    });
    const annotated = appendRevision(shared, (doc, w) => {
      for (const page of doc.pages()) {
        const a = w.allocate();
        w.set(a, PdfDict.of({ Type: PdfName.of('Annot'), Subtype: PdfName.of('Square'), Rect: [10, 10, 60, 60], F: 4 }));
        w.set(page.ref, new PdfDict([...page.dict.entries(), ['Annots', [a]]]));
      }
    });
    files['sharedContents'] = join(dir, 'shared-contents.pdf');
    writeFileSync(files['sharedContents'], annotated);

    // 9 pages, each in an object stream inflating to 200 MiB.
    files['objStms'] = join(dir, 'objstm-pages.pdf');
    writeFileSync(files['objStms'], pagesInObjectStreamBombs(makeBasePdf({ pages: 9 })));

    // DOS-22: a signed file whose form has 20 fields, each in an object stream of its own inflating
    // to 30 MiB (under the per-stream limit, so each decodes whole until the document's total stops
    // the listing), and the same with 40 fields of 15 MiB (under the cache's bound).
    files['formFields'] = join(dir, 'form-fields.pdf');
    const form = await signCrafted(makeBasePdf(), signer, { signingTime, fieldName: 'Signature1' });
    writeFileSync(files['formFields'], acroFormFieldBombs(form));
    files['formFields15'] = join(dir, 'form-fields-15.pdf');
    writeFileSync(files['formFields15'], acroFormFieldBombs(makeBasePdf({ text: 'form' }), 40, 15));
  });

  it('a /DSS /Certs array naming one 200 MiB-inflating stream 8 times: verify is bounded and not TOTAL-PASSED', async () => {
    const r = await runMeasured(['bin/signet.js', 'verify', files['dss']!, '--trust', root]);
    assertBounded(r, 'DSS bomb ×8', /ERR_PDF_LIMIT_DECOMPRESSED|decod/i);
    assert.doesNotMatch(r.stdout, /TOTAL-PASSED/);
    assert.equal(r.status, 1);
  });

  it('40 pages sharing one 200 MiB content stream, signed, then an annotation per page: verify is bounded', async () => {
    const r = await runMeasured(['bin/signet.js', 'verify', files['sharedContents']!, '--trust', root]);
    assertBounded(r, 'shared content bomb, 40 pages');
    assert.ok(r.status === 0 || r.status === 1, r.stderr);
  });

  it('the DSS naming the bomb 16 times: verify is bounded and not TOTAL-PASSED', async () => {
    const r = await runMeasured(['bin/signet.js', 'verify', files['dss16']!, '--trust', root]);
    assertBounded(r, 'DSS bomb ×16', /ERR_PDF_LIMIT_DECOMPRESSED|decod/i);
    assert.doesNotMatch(r.stdout, /TOTAL-PASSED/);
    assert.equal(r.status, 1);
  });

  for (const [name, what] of [
    ['dss', 'the DSS naming the bomb 8 times'],
    ['sharedContents', '40 pages sharing one 200 MiB content stream'],
  ] as const) {
    it(`${what}: sign is bounded (a second signature, or a coded error) and never writes a half file`, async () => {
      const out = join(dir, `${name}-signed.pdf`);
      const r = await runMeasured(['bin/signet.js', 'sign', files[name]!, '-o', out, '--key', key, '--cert', cert]);
      assertBounded(r, `${what}, sign`);
      if (r.status === 0) {
        const v = await runMeasured(['bin/signet.js', 'verify', out, '--trust', root]);
        assertBounded(v, `${what}, signed again, verify`);
      } else {
        assert.match(r.stderr, /ERR_[A-Z_]+/);
        assert.equal(existsSync(out), false);
      }
    });
  }

  it('9 pages each in an object stream inflating to 200 MiB: verify is bounded (a coded error or a report)', async () => {
    const r = await runMeasured(['bin/signet.js', 'verify', files['objStms']!, '--trust', root]);
    assertBounded(r, 'object-stream bombs, 9 pages, verify');
    assert.ok(r.status === 0 || r.status === 1, r.stderr);
  });

  for (const [name, what] of [
    ['formFields', 'a signed form of 20 fields in object streams inflating to 30 MiB each'],
    ['formFields15', 'a form of 40 fields in object streams inflating to 15 MiB each'],
  ] as const) {
    it(`${what}: verify is bounded and reports the field listing INDETERMINATE (DOS-22)`, async () => {
      const r = await runMeasured(['bin/signet.js', 'verify', files[name]!, '--trust', root]);
      assertBounded(r, `${what}, verify`, /listing the signature fields could not finish within the reader's limits: ERR_PDF_LIMIT_DECOMPRESSED/);
      assert.match(r.stdout, /^file: INDETERMINATE/m);
      assert.doesNotMatch(r.stdout, /TOTAL-PASSED/);
      assert.equal(r.status, 1);
    });

  }

  it('a signed form of 20 fields in object streams inflating to 30 MiB each: sign refuses with ERR_PDF_LIMIT_DECOMPRESSED and writes nothing (DOS-22)', async () => {
    const out = join(dir, 'form-fields-signed.pdf');
    const r = await runMeasured(['bin/signet.js', 'sign', files['formFields']!, '-o', out, '--key', key, '--cert', cert]);
    assertBounded(r, 'form fields in 30 MiB object streams, sign', /ERR_PDF_LIMIT_DECOMPRESSED: the document decodes to more than \d+ bytes in total/);
    assert.equal(r.status, 1);
    assert.equal(existsSync(out), false);
  });

  it('9 pages each in an object stream inflating to 200 MiB: sign refuses with ERR_PDF_LIMIT_DECOMPRESSED', async () => {
    const out = join(dir, 'objstm-signed.pdf');
    const r = await runMeasured(['bin/signet.js', 'sign', files['objStms']!, '-o', out, '--key', key, '--cert', cert]);
    assertBounded(r, 'object-stream bombs, 9 pages', /ERR_PDF_LIMIT_DECOMPRESSED/);
    assert.notEqual(r.status, 0);
  });
});
