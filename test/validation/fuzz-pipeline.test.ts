/**
 * Issue 15 / docs/security.md DOS-13: a seeded mutator over the project's own generated PDFs — plain,
 * object-stream, incremental and hybrid files, and signed ones — run through what a signing
 * service does with an upload: open, validate every signature, prepare a new signature. Any
 * exception that is not a SignetError (a stack trace), a code missing from docs/errors/, a case
 * over its CPU time or a resident set over the budget fails the test, naming the seed.
 * `SIGNET_FUZZ_CASES` raises the count for a soak (default 2,000: about 20–40 s here).
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Signer } from '../../src/cms/index.js';
import { concatBytes } from '../../src/core/bytes.js';
import { SignetError } from '../../src/core/errors.js';
import { loadLocalSigner } from '../../src/keys/local/index.js';
import { preparePdf, signPdf } from '../../src/pades/index.js';
import { verifyPdfSignatures } from '../../src/validation/index.js';
import { addAnnotation } from '../support/form-fixtures.js';
import { addHandWrittenUpdate, makeBasePdf, makeHybridPdf } from '../support/pdf-fixtures.js';
import { buildTestPki } from '../support/pki.js';
import { hasTool, runTool } from '../support/tools.js';
import { seededRandom } from '../support/seeded-random.js';

const CASES = Number(process.env['SIGNET_FUZZ_CASES'] ?? 2_000);
/** CPU time one case may take (the parse limits below end real work far sooner). */
const CASE_CPU_MS = 3_000;
/** Resident set growth over the run's start the whole run may reach. */
const RSS_BUDGET = 256 * 1024 * 1024;
const limits = { maxMillis: 2_000, maxDecodedStreamBytes: 4 << 20, maxDecodedBytes: 16 << 20 };

/** Every code the registry lists (docs/errors/*.md). */
function registeredCodes(): Set<string> {
  const out = new Set<string>();
  for (const f of readdirSync('docs/errors')) {
    if (!f.endsWith('.md')) continue;
    for (const m of readFileSync(join('docs/errors', f), 'utf8').matchAll(/^- `(ERR_[A-Z0-9_]+)` — /gm)) out.add(m[1]!);
  }
  return out;
}


const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const TOKENS = ['[', '<<', '>>', ')', '(', 'endstream', 'endobj', ' 1 0 R ', 'stream\n', '/Length 9 0 R', 'xref', 'trailer', '/Filter /FlateDecode', '/ByteRange [0 0 0 0]', '/Contents <00>', '%%EOF', 'startxref 0'];

/** One mutation: byte flips, chunk delete/duplicate/move, a number edit, a hostile token. */
function mutate(src: Uint8Array, r: () => number): Uint8Array {
  const b = src.slice();
  const at = Math.floor(r() * b.length);
  switch (Math.floor(r() * 6)) {
    case 0:
      for (let k = 0; k < 1 + Math.floor(r() * 8); k++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
      return b;
    case 1:
      return concatBytes([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + Math.floor(r() * 256)))]);
    case 2:
      return concatBytes([b.subarray(0, at), b.subarray(at, at + Math.floor(r() * 400)), b.subarray(at)]);
    case 3: {
      const from = Math.floor(r() * b.length);
      return concatBytes([b.subarray(0, at), b.subarray(from, from + Math.floor(r() * 100)), b.subarray(at)]);
    }
    case 4: {
      let i = at;
      while (i < b.length && !(b[i]! >= 0x30 && b[i]! <= 0x39)) i++;
      let j = i;
      while (j < b.length && b[j]! >= 0x30 && b[j]! <= 0x39) j++;
      const n = [0, 1, 2, 9, 255, 65535, 2 ** 31, 2 ** 53, -1, 999999999999][Math.floor(r() * 10)]!;
      return concatBytes([b.subarray(0, i), enc(String(n)), b.subarray(j)]);
    }
    default:
      return concatBytes([b.subarray(0, at), enc(TOKENS[Math.floor(r() * TOKENS.length)]!), b.subarray(at)]);
  }
}

describe('issue 15: seeded fuzzing of open → validate → prepare', () => {
  const bases: Record<string, Uint8Array> = {};
  const registry = registeredCodes();
  let signer: Signer;
  let anchor: Uint8Array;

  before(async () => {
    const pki = await buildTestPki({ leaves: ['ec-p256'] });
    anchor = pki.root.der;
    signer = await loadLocalSigner({ kind: 'pem', key: pki.leaves['ec-p256'].privateKeyPem, certificate: pki.leaves['ec-p256'].der, chain: [pki.intermediate.der, pki.root.der] });
    const signingTime = new Date('2026-12-01T10:00:00Z');
    const plain = makeBasePdf({ pages: 3, signatureField: 'Signature1' });
    bases['plain'] = plain;
    bases['incremental'] = addHandWrittenUpdate(makeBasePdf({ pages: 2 }));
    bases['hybrid'] = makeHybridPdf();
    bases['signed'] = await signPdf(plain, signer, { signingTime });
    bases['signedAnnotated'] = addAnnotation(bases['signed'], 'Square', [10, 10, 60, 60], 'later');
    if (hasTool('qpdf')) {
      const dir = mkdtempSync(join(tmpdir(), 'signet-fuzz-'));
      try {
        writeFileSync(join(dir, 'in.pdf'), makeBasePdf({ pages: 4, pageTreeFanout: 2 }));
        const r = runTool('qpdf', [join(dir, 'in.pdf'), '--object-streams=generate', join(dir, 'os.pdf')]);
        if (r.status === 0) bases['signedObjStm'] = await signPdf(new Uint8Array(readFileSync(join(dir, 'os.pdf'))), signer, { signingTime });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  /** What a service does with an upload; throws whatever the code under test throws. */
  function pipeline(bytes: Uint8Array): void {
    try {
      const report = verifyPdfSignatures(bytes, { trustAnchors: [anchor], limits });
      assert.ok(Array.isArray(report.signatures));
    } catch (e) {
      if (!(e instanceof SignetError)) throw e;
      check(e);
    }
    try {
      preparePdf(bytes, {
        certificateChain: signer.certificateChain,
        signatureAlgorithm: signer.signatureAlgorithm,
        maxSignatureSize: signer.maxSignatureSize(),
        signingTime: new Date('2026-12-02T10:00:00Z'),
        fieldName: 'Fuzz',
      });
    } catch (e) {
      if (!(e instanceof SignetError)) throw e;
      check(e);
    }
  }

  function check(e: SignetError): void {
    assert.ok(registry.has(e.code), `unregistered code ${e.code}: ${e.message}`);
  }

  it('the unmutated bases validate and prepare', () => {
    for (const [name, b] of Object.entries(bases)) assert.doesNotThrow(() => pipeline(b), name);
    assert.equal(verifyPdfSignatures(bases['signed']!, { trustAnchors: [anchor] }).signatures[0]?.indication, 'TOTAL-PASSED');
  });

  it(`${CASES} seeded cases (SIGNET_FUZZ_CASES): no stack trace, only registered codes, bounded CPU and memory`, () => {
    const names = Object.keys(bases).sort();
    const rssStart = process.memoryUsage.rss();
    let rssMax = rssStart;
    for (let seed = 1; seed <= CASES; seed++) {
      const r = seededRandom(seed);
      const name = names[seed % names.length]!;
      let b = bases[name]!;
      for (let k = 0, n = 1 + Math.floor(r() * 3); k < n; k++) b = mutate(b, r);
      const cpu = process.cpuUsage();
      try {
        pipeline(b);
      } catch (e) {
        assert.fail(`seed ${seed} (${name}): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      }
      const used = process.cpuUsage(cpu);
      const ms = (used.user + used.system) / 1000;
      assert.ok(ms < CASE_CPU_MS, `seed ${seed} (${name}): ${ms.toFixed(0)} ms of CPU`);
      if (seed % 50 === 0) rssMax = Math.max(rssMax, process.memoryUsage.rss());
    }
    rssMax = Math.max(rssMax, process.memoryUsage.rss());
    assert.ok(rssMax - rssStart < RSS_BUDGET, `resident set grew by ${((rssMax - rssStart) / 2 ** 20).toFixed(0)} MiB`);
  });
});
