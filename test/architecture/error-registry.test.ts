/** Parity of error codes (house style, Errors): every code in src/ is in docs/errors/, and no more. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

function walk(dir: string, ext: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p, ext) : p.endsWith(ext) ? [p] : [];
  });
}

const CODE = /['"`](ERR_[A-Z0-9_]+)['"`]/g;

describe('error registry (docs/errors/*.md)', () => {
  const inSource = new Set<string>();
  for (const file of walk('src', '.ts')) {
    for (const m of readFileSync(file, 'utf8').matchAll(CODE)) inSource.add(m[1] as string);
  }
  const documented = new Set<string>();
  for (const file of walk('docs/errors', '.md')) {
    for (const m of readFileSync(file, 'utf8').matchAll(/^- `(ERR_[A-Z0-9_]+)` — \S/gm)) {
      documented.add(m[1] as string);
    }
  }

  it('documents every code used in src/', () => {
    assert.deepEqual([...inSource].filter((c) => !documented.has(c)).sort(), []);
  });

  it('lists no code that src/ does not use', () => {
    assert.deepEqual([...documented].filter((c) => !inSource.has(c)).sort(), []);
  });
});
