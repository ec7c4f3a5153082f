/**
 * SECURITY.md PDF-34: a list of the control and adversarial files a validation test file builds,
 * judged at the end by poppler's pdfsig. pdfsig checks integrity only (the CMS signature over the
 * ByteRange bytes, SECURITY.md §2.5), so the verdict compared is "pdfsig says Signature is Valid"
 * ⇔ "our cryptographic check passed" (`SignatureReport.isIntact`), signature by signature.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { verifyPdfSignatures, type SignatureReport } from '../../src/validation/index.js';
import { tempDir } from './tmp.js';
import { requireTools, runTool } from './tools.js';

/** One signature as pdfsig reports it (integrity only: run with -nocert -no-ocsp). */
interface PdfsigVerdict {
  readonly fieldName: string;
  readonly isValid: boolean;
  readonly text: string;
}

function pdfsigVerdicts(path: string): PdfsigVerdict[] {
  const r = runTool('pdfsig', ['-nocert', '-no-ocsp', path]);
  return r.stdout
    .split(/\nSignature #\d+:/)
    .slice(1)
    .filter((b) => !/The signature form field is not signed\./.test(b))
    .map((text) => ({
      fieldName: /Signature Field Name: (.*)/.exec(text)?.[1]?.trim() ?? '',
      isValid: /Signature Validation: Signature is Valid\./.test(text),
      text: text.trim().replace(/\s+/g, ' '),
    }));
}

/** A named list of generated files to compare with pdfsig. */
export interface PdfsigCorpus {
  /** Records a file (a control or an attack) under a name unique in this corpus. */
  add(name: string, bytes: Uint8Array): void;
  /** The recorded files, by name. */
  readonly files: ReadonlyMap<string, Uint8Array>;
  /**
   * Runs pdfsig and our validator on every recorded file and fails, listing each disagreement,
   * unless pdfsig's "Signature is Valid" matches our `isIntact` for every signature either lists.
   */
  assertAgreement(t: TestContext): void;
}

function describeDisagreement(name: string, pdfsig: readonly PdfsigVerdict[], ours: readonly SignatureReport[] | string): string[] {
  const out: string[] = [];
  if (typeof ours === 'string') {
    for (const v of pdfsig.filter((p) => p.isValid)) out.push(`${name}: pdfsig says ${v.fieldName} is valid, our validator refused the file (${ours})`);
    return out;
  }
  for (const v of pdfsig) {
    const mine = ours.find((s) => s.fieldName === v.fieldName);
    if (mine === undefined) {
      if (v.isValid) out.push(`${name}: pdfsig says ${v.fieldName} is valid, our report does not list it`);
    } else if (mine.isIntact !== v.isValid) {
      out.push(`${name}: ${v.fieldName} pdfsig valid=${v.isValid}, ours isIntact=${mine.isIntact} (${mine.problems.join('; ')}) [pdfsig: ${v.text}]`);
    }
  }
  for (const s of ours.filter((x) => x.isIntact && !pdfsig.some((v) => v.fieldName === x.fieldName))) {
    out.push(`${name}: our check passes ${s.fieldName}, pdfsig does not list it as signed`);
  }
  return out;
}

/**
 * Creates an empty corpus; `suite` names the temporary files.
 *
 * @example
 * ```ts
 * const corpus = pdfsigCorpus('pdf-attacks');
 * corpus.add('control', signedPdf);
 * it('SECURITY.md PDF-34: pdfsig agrees', (t) => corpus.assertAgreement(t));
 * ```
 */
export function pdfsigCorpus(suite: string): PdfsigCorpus {
  const files = new Map<string, Uint8Array>();
  return {
    files,
    add(name, bytes) {
      assert.ok(!files.has(name), `corpus ${suite}: ${name} recorded twice`);
      files.set(name, bytes);
    },
    assertAgreement(t) {
      if (!requireTools(t, 'pdfsig')) return;
      assert.ok(files.size > 0, `corpus ${suite} is empty (did the tests that fill it run?)`);
      const dir = tempDir(t, `signet-pdfsig-${suite}-`);
      const disagreements: string[] = [];
      let signatures = 0;
      for (const [name, bytes] of files) {
        const path = join(dir, `${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.pdf`);
        writeFileSync(path, bytes);
        let ours: readonly SignatureReport[] | string;
        try {
          ours = verifyPdfSignatures(bytes).signatures;
        } catch (err) {
          ours = err instanceof Error ? err.message : String(err);
        }
        const verdicts = pdfsigVerdicts(path);
        signatures += verdicts.length;
        disagreements.push(...describeDisagreement(name, verdicts, ours));
      }
      t.diagnostic(`${suite}: ${files.size} files, ${signatures} signatures judged by pdfsig`);
      assert.deepEqual(disagreements, [], disagreements.join('\n'));
    },
  };
}
