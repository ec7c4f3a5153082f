/**
 * The Verify page (web/src/pages/verify.tsx) says every validation finding code and sub-indication
 * in plain words: a code the validator can report (src/validation/types.ts) that the page does not
 * know reaches a person as the validator's technical message alone. The page cannot import the
 * library's types (it is built for the browser), so the two are compared as text.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const types = readFileSync('src/validation/types.ts', 'utf8');
const page = readFileSync('web/src/pages/verify.tsx', 'utf8');

/** The string members of `export type NAME = | 'A' | 'B' …;` in src/validation/types.ts. */
function union(name: string): string[] {
  const m = new RegExp(`export type ${name} =([^;]*);`).exec(types);
  assert.ok(m, `src/validation/types.ts declares ${name}`);
  return [...(m[1] as string).matchAll(/'([A-Z_-]+)'/g)].map((x) => x[1] as string);
}

/** The keys of `const NAME: Record<…> = { KEY: … };` in the page. */
function wordTable(name: string): Set<string> {
  const start = page.indexOf(`const ${name}:`);
  assert.ok(start >= 0, `verify.tsx has ${name}`);
  const body = page.slice(start, page.indexOf('\n};', start));
  return new Set([...body.matchAll(/^ {2}'?([A-Z][A-Z_-]*)'?:/gm)].map((x) => x[1] as string));
}

describe('the Verify page has words for what the validator reports', () => {
  it('every ValidationFindingCode is in findingWords', () => {
    const codes = union('ValidationFindingCode');
    assert.ok(codes.length >= 20, codes.join());
    const known = wordTable('findingWords');
    assert.deepEqual(codes.filter((c) => !known.has(c)), []);
  });

  it('every SubIndication is in subIndicationWords', () => {
    const subs = union('SubIndication');
    assert.ok(subs.length >= 10, subs.join());
    const known = wordTable('subIndicationWords');
    assert.deepEqual(subs.filter((s) => !known.has(s)), []);
  });
});
