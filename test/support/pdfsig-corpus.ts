/**
 * docs/security.md PDF-34: a list of the control and adversarial files a validation test file builds,
 * judged at the end by poppler's pdfsig. pdfsig checks integrity only (the CMS signature over the
 * ByteRange bytes, docs/security.md §2.5), so the verdict compared is "pdfsig says Signature is Valid"
 * ⇔ "our cryptographic check passed" (`SignatureReport.isIntact`), signature by signature; and every
 * other report field pdfsig prints (issue 14): /SubFilter, signer common name, signing time, signed
 * ranges, whole document signed.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { verifyPdfSignatures, type SignatureReport } from '../../src/validation/index.js';
import { tempDir } from './tmp.js';
import { requireTools } from './tools.js';

const PDFSIG_PARALLELISM = 6;

/** One signature as pdfsig reports it (run with -nocert -no-ocsp: no certificate or revocation verdict). */
interface PdfsigVerdict {
  readonly fieldName: string;
  readonly isValid: boolean;
  /** "Signature Type" (the /SubFilter), unless pdfsig says unknown. */
  readonly subFilter: string | undefined;
  /** "Signer Certificate Common Name". */
  readonly signerCommonName: string | undefined;
  /** "Signing Time" (pdfsig runs with TZ=UTC): /M, or the CMS signing-time attribute when there is one. */
  readonly signingTime: Date | undefined;
  /** "Signed Ranges: [a - b], [c - d]" as [start, end] pairs. */
  readonly ranges: readonly (readonly [number, number])[] | undefined;
  /** "Total document signed" / "Not total document signed". */
  readonly isTotalDocumentSigned: boolean | undefined;
  readonly text: string;
}

/** pdfsig's output for `path`; pdfsig exits non-zero for some invalid signatures, its stdout still says why. */
function runPdfsig(path: string): Promise<string> {
  return new Promise((resolve) => {
    execFile('pdfsig', ['-nocert', '-no-ocsp', path], { maxBuffer: 1 << 24, env: { ...process.env, TZ: 'UTC' } }, (_err, stdout) => resolve(stdout));
  });
}

function parseVerdicts(stdout: string): PdfsigVerdict[] {
  return stdout
    .split(/\nSignature #\d+:/)
    .slice(1)
    .filter((b) => !/The signature form field is not signed\./.test(b))
    .map((text) => {
      const type = /Signature Type: (.*)/.exec(text)?.[1]?.trim();
      const ranges = /Signed Ranges: (.*)/.exec(text)?.[1];
      const signingTime = /Signing Time: (.+)/.exec(text)?.[1]?.trim();
      return {
        fieldName: /Signature Field Name: (.*)/.exec(text)?.[1]?.trim() ?? '',
        isValid: /Signature Validation: Signature is Valid\./.test(text),
        subFilter: type === undefined || type === 'unknown' ? undefined : type,
        signerCommonName: /Signer Certificate Common Name: (.+)/.exec(text)?.[1]?.trim().replace(/^\(null\)$/, '') || undefined,
        // "Nov 23 2026 10:00:00", printed in the process's time zone (UTC here); the epoch when it
        // has none (a document timestamp, whose type pdfsig 22.12 does not know).
        signingTime: signingTime === undefined || !(Date.parse(`${signingTime} UTC`) > 0) ? undefined : new Date(`${signingTime} UTC`),
        ranges: ranges === undefined ? undefined : [...ranges.matchAll(/\[(\d+) - (\d+)\]/g)].map((m) => [Number(m[1]), Number(m[2])] as const),
        isTotalDocumentSigned: /Not total document signed/.test(text) ? false : /Total document signed/.test(text) ? true : undefined,
        text: text.trim().replace(/\s+/g, ' '),
      };
    });
}

/** A named list of generated files to compare with pdfsig. */
export interface PdfsigCorpus {
  /**
   * Records a file (a control or an attack); a repeated name gets a `#n` suffix. `knownDifference`
   * names why pdfsig and we must disagree on this file (e.g. pdfsig reads a dictionary our strict
   * parser refuses); the disagreement is then asserted instead, so the note cannot go stale.
   */
  add(name: string, bytes: Uint8Array, knownDifference?: string): void;
  /** The recorded files, by name. */
  readonly files: ReadonlyMap<string, { readonly bytes: Uint8Array; readonly knownDifference: string | undefined }>;
  /**
   * Runs pdfsig and our validator on every recorded file and fails, listing each disagreement,
   * unless pdfsig's "Signature is Valid" matches our `isIntact` for every signature either lists.
   */
  assertAgreement(t: TestContext): Promise<void>;
}

/**
 * The report fields pdfsig also prints, compared where both judge them: the /SubFilter and the
 * signed ranges (not when our reader refused the signature dictionary and the field is unset), the
 * signer's common name (pdfsig prints "(null)" when it found no certificate), the signing time
 * (pdfsig prints whole seconds; ours is /M, the claimed time of PAdES; not when our reader refused
 * the dictionary), and whether the whole
 * document is signed — pdfsig knows that only once it has hashed the ranges (it says "Not total
 * document signed" for any signature it could not verify), so it is compared where pdfsig says
 * valid and we did not refuse the /ByteRange itself (ERR_VALIDATION_BYTE_RANGE).
 */
function otherFields(name: string, v: PdfsigVerdict, mine: SignatureReport): string[] {
  const out: string[] = [];
  const say = (what: string, theirs: unknown, ours: unknown): void => {
    out.push(`${name}: ${v.fieldName} ${what}: pdfsig ${JSON.stringify(theirs)}, ours ${JSON.stringify(ours)} [pdfsig: ${v.text}]`);
  };
  if (v.subFilter !== undefined && mine.subFilter !== undefined && mine.subFilter !== v.subFilter) say('SubFilter', v.subFilter, mine.subFilter);
  if (v.signerCommonName !== undefined && mine.signerSubject !== undefined && mine.signerSubject !== v.signerCommonName) say('signer', v.signerCommonName, mine.signerSubject);
  const claimed = mine.claimedSigningTime === undefined ? undefined : Math.floor(mine.claimedSigningTime.getTime() / 1000) * 1000;
  if (v.signingTime !== undefined && claimed !== undefined && claimed !== v.signingTime.getTime()) {
    say('signing time', v.signingTime.toISOString(), new Date(claimed).toISOString());
  }
  if (v.ranges !== undefined && v.ranges.length > 0 && mine.byteRange !== undefined) {
    const [a = 0, b = 0, c = 0, d = 0] = mine.byteRange;
    const ours = [
      [a, a + b],
      [c, c + d],
    ];
    if (JSON.stringify(ours) !== JSON.stringify(v.ranges)) say('signed ranges', v.ranges, ours);
  }
  const refusedRange = (mine.findings ?? []).some((f) => f.code === 'ERR_VALIDATION_BYTE_RANGE');
  if (v.isValid && v.isTotalDocumentSigned !== undefined && !refusedRange && mine.coversWholeDocument !== v.isTotalDocumentSigned) {
    say('whole document signed', v.isTotalDocumentSigned, mine.coversWholeDocument);
  }
  return out;
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
    } else {
      if (mine.isIntact !== v.isValid) {
        out.push(`${name}: ${v.fieldName} pdfsig valid=${v.isValid}, ours isIntact=${mine.isIntact} (${mine.problems.join('; ')}) [pdfsig: ${v.text}]`);
      }
      out.push(...otherFields(name, v, mine));
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
 * it('docs/security.md PDF-34: pdfsig agrees', (t) => corpus.assertAgreement(t));
 * ```
 */
export function pdfsigCorpus(suite: string): PdfsigCorpus {
  const files = new Map<string, { bytes: Uint8Array; knownDifference: string | undefined }>();
  return {
    files,
    add(name, bytes, knownDifference) {
      let key = name;
      for (let n = 2; files.has(key); n++) key = `${name} #${n}`;
      files.set(key, { bytes, knownDifference });
    },
    async assertAgreement(t) {
      if (!requireTools(t, 'pdfsig')) return;
      assert.ok(files.size > 0, `corpus ${suite} is empty (did the tests that fill it run?)`);
      const dir = tempDir(t, `signet-pdfsig-${suite}-`);
      const disagreements: string[] = [];
      let signatures = 0;
      const entries = [...files].map(([name, { bytes, knownDifference }], i) => {
        const path = join(dir, `${i}-${name.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 80)}.pdf`);
        writeFileSync(path, bytes);
        return { name, bytes, knownDifference, path };
      });
      // pdfsig spends its time opening NSS, not on the CPU: a few at once keep a large corpus quick.
      const outputs: string[] = new Array<string>(entries.length);
      let next = 0;
      const worker = async (): Promise<void> => {
        for (let i = next++; i < entries.length; i = next++) outputs[i] = await runPdfsig(entries[i]!.path);
      };
      await Promise.all(Array.from({ length: PDFSIG_PARALLELISM }, worker));
      entries.forEach(({ name, bytes, knownDifference }, i) => {
        let ours: readonly SignatureReport[] | string;
        try {
          ours = verifyPdfSignatures(bytes).signatures;
        } catch (err) {
          ours = err instanceof Error ? err.message : String(err);
        }
        const verdicts = parseVerdicts(outputs[i] ?? '');
        signatures += verdicts.length;
        const found = describeDisagreement(name, verdicts, ours);
        if (knownDifference === undefined) disagreements.push(...found);
        else if (found.length === 0) disagreements.push(`${name}: expected pdfsig to differ (${knownDifference}), it agrees`);
        else t.diagnostic(`known difference on ${name}: ${knownDifference}`);
      });
      t.diagnostic(`${suite}: ${files.size} files, ${signatures} signatures judged by pdfsig`);
      assert.deepEqual(disagreements, [], disagreements.join('\n'));
    },
  };
}
