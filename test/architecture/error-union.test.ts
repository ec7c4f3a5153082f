/** AnySignetError (issue 20): the union names every domain's error class, and the guard narrows to it. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SignetError } from '../../src/core/errors.js';
import { PdfError } from '../../src/pdf/errors.js';
import { isAnySignetError, signetErrorClasses, type AnySignetError } from '../../src/errors/index.js';

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Narrowed by the guard, `err.code` is the union of every code (eslint's switch-exhaustiveness-check holds a switch over it to all of them). */
function kindOf(err: AnySignetError): string {
  const code: AnySignetError['code'] = err.code;
  return code === 'ERR_PDF_NOT_PDF' ? 'not a PDF' : 'other';
}

describe('AnySignetError', () => {
  it('lists every exported class of src/ that extends SignetError', () => {
    const declared = walk('src').flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/^export class (\w+) extends SignetError\b/gm)].map((m) => m[1] as string),
    );
    assert.ok(declared.length >= 10, 'the classes were found');
    const listed = new Set(signetErrorClasses.map((c) => c.name));
    assert.deepEqual(declared.filter((name) => !listed.has(name)).sort(), []);
  });

  it('isAnySignetError narrows domain errors and nothing else', () => {
    const err: unknown = new PdfError('ERR_PDF_NOT_PDF', 'no %PDF- header');
    assert.ok(isAnySignetError(err));
    assert.equal(kindOf(err), 'not a PDF');
    class Foreign extends SignetError<'ERR_FOREIGN'> {}
    assert.equal(isAnySignetError(new Foreign('ERR_FOREIGN', 'x')), false);
    assert.equal(isAnySignetError(new Error('x')), false);
  });
});
