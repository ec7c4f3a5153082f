/**
 * Hostile inputs that spend memory and time (issue 15, SECURITY.md DOS-01…08): each file is
 * generated here and run through the real `signet` binary in a child process, which must end
 * with a coded error (or a correct report) within 5 s and under 256 MiB peak RSS.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeRawPdf } from '../support/pdf-fixtures.js';
import { runMeasured, type MeasuredRun } from '../support/measured-run.js';
import { tempDir } from '../support/tmp.js';

const WALL_MS = 5_000;
const RSS_MIB = 256;
const MiB = 1024 * 1024;

const CATALOG = '<</Type /Catalog /Pages 2 0 R>>';
const PAGES = '<</Type /Pages /Kids [3 0 R] /Count 1>>';
const PAGE = '<</Type /Page /Parent 2 0 R /MediaBox [0 0 200 200]>>';

/** Asserts a coded refusal (`code`, or any ERR_ code when undefined) within the time and memory budget. */
function assertBounded(r: MeasuredRun, what: string, code?: RegExp): void {
  const cost = `${what}: ${r.wallMs.toFixed(0)} ms wall, ${r.cpuMs.toFixed(0)} ms CPU, ${r.maxRssMiB.toFixed(0)} MiB peak RSS`;
  assert.equal(r.signal, null, `${cost}; killed`);
  assert.ok(r.wallMs < WALL_MS, `${cost}; over ${WALL_MS} ms`);
  assert.ok(r.maxRssMiB < RSS_MIB, `${cost}; over ${RSS_MIB} MiB`);
  assert.doesNotMatch(r.stderr, /\n\s+at /, `${cost}; a stack trace: ${r.stderr.slice(0, 2000)}`);
  if (code !== undefined) assert.match(r.stderr + r.stdout, code, `${cost}; output: ${(r.stderr + r.stdout).slice(0, 2000)}`);
}

describe('issue 15: lexer caps (ISO 32000-1 Annex C as the guide)', () => {
  const dir = tempDir({ after });
  const files: Record<string, string> = {};

  before(() => {
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
  }
});
