/** Test helper: qpdf's JSON view of a file (qpdf --json=2) and a comparison with our object model. */
import assert from 'node:assert/strict';
import { PdfDict, PdfName, PdfRef, PdfStream, PdfString, type PdfObject } from '../../src/pdf/index.js';
import { runTool } from '../support/tools.js';

/** qpdf's objects by "N G R" key, plus "trailer". */
export type QpdfObjects = Record<string, { value?: unknown; stream?: { dict: Record<string, unknown> } }>;

/** Runs `qpdf --json=2` on `path` and returns its objects section. */
export function qpdfObjects(path: string): QpdfObjects {
  const r = runTool('qpdf', ['--json=2', '--json-key=qpdf', path]);
  assert.ok(r.status === 0 || r.status === 3, `qpdf --json failed: ${r.stderr}`);
  const json = JSON.parse(r.stdout) as { qpdf: [unknown, QpdfObjects] };
  return json.qpdf[1];
}

/** Asserts that our object equals qpdf's JSON v2 rendering of it (strings as u:/b:, names as /N, refs as "N G R"). */
export function assertSameAsQpdf(ours: PdfObject | undefined, theirs: unknown, path = ''): void {
  if (ours instanceof PdfStream) return assertSameAsQpdf(ours.dict, theirs, path);
  if (ours === null || typeof ours === 'boolean') return assert.equal(theirs, ours, path);
  if (typeof ours === 'number') return assert.ok(Math.abs(Number(theirs) - ours) < 1e-6, `${path}: ${String(theirs)} != ${ours}`);
  if (ours instanceof PdfName) return assert.equal(theirs, `/${ours.name}`, path);
  if (ours instanceof PdfRef) return assert.equal(theirs, `${ours.num} ${ours.gen} R`, path);
  if (ours instanceof PdfString) {
    const t = String(theirs);
    if (t.startsWith('u:')) return assert.equal(ours.toText(), t.slice(2), path);
    return assert.equal(Buffer.from(ours.bytes).toString('hex'), t.slice(2), path);
  }
  if (Array.isArray(ours)) {
    assert.ok(Array.isArray(theirs), `${path}: not an array in qpdf`);
    assert.equal(theirs.length, ours.length, `${path}: array length`);
    ours.forEach((o, i) => assertSameAsQpdf(o, (theirs as unknown[])[i], `${path}[${i}]`));
    return;
  }
  if (ours instanceof PdfDict) {
    const t = theirs as Record<string, unknown>;
    assert.equal(typeof t, 'object', `${path}: not a dictionary in qpdf`);
    // qpdf drops null-valued keys (§7.3.7: a null value is the same as an absent key).
    const keys = [...ours.entries()].filter(([, v]) => v !== null).map(([k]) => `/${k}`).sort();
    assert.deepEqual(Object.keys(t).sort(), keys, `${path}: keys`);
    for (const [k, v] of ours.entries()) if (v !== null) assertSameAsQpdf(v, t[`/${k}`], `${path}/${k}`);
    return;
  }
  assert.fail(`${path}: unexpected object ${String(ours)}`);
}
