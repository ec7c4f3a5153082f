/**
 * docs/configuration.md lists every setting the code reads from the environment (issue 17,
 * "Configuration"): a `SIGNET_*` or `OTEL_*` variable (or `DATABASE_URL`) named in a string of src/ that the
 * table does not list fails, and so does a row the code no longer reads. A secret row `NAME` also
 * covers `NAME_FILE` (the `*_FILE` convention of src/keys/secret-source.ts). `signet serve
 * --print-config` (src/server/effective-config.ts) shows every row.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadServerConfig } from '../../src/server/config.js';
import { effectiveConfiguration } from '../../src/server/effective-config.js';

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Code without its comments (a variable named only in prose is not read). */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

const NAME = /['"`](SIGNET_[A-Z0-9_]*[A-Z0-9]|OTEL_[A-Z0-9_]*[A-Z0-9]|DATABASE_URL)['"`]/g;

describe('configuration table (docs/configuration.md)', () => {
  const read = new Set<string>();
  for (const file of walk('src')) {
    for (const m of code(readFileSync(file, 'utf8')).matchAll(NAME)) read.add(m[1] as string);
  }
  const rows = new Map<string, { secret: boolean }>();
  for (const m of readFileSync('docs/configuration.md', 'utf8').matchAll(/^\| `([A-Z0-9_]+)` \|(.*)\|$/gm)) {
    rows.set(m[1] as string, { secret: /\|\s*yes\b[^|]*$/.test(m[2] as string) });
  }
  const listed = (name: string): boolean =>
    rows.has(name) || (name.endsWith('_FILE') && rows.get(name.slice(0, -'_FILE'.length))?.secret === true);

  it('finds the settings in both places (the patterns still match)', () => {
    assert.ok(read.size > 30, `read ${read.size}`);
    assert.ok(rows.size > 30, `rows ${rows.size}`);
  });

  it('lists every variable the code reads', () => {
    assert.deepEqual([...read].filter((n) => !listed(n)).sort(), []);
  });

  it('lists no variable the code no longer reads', () => {
    assert.deepEqual([...rows.keys()].filter((n) => !read.has(n) && !read.has(`${n}_FILE`)).sort(), []);
  });

  it('signet serve --print-config shows every row (a secret row as NAME or NAME_FILE)', () => {
    const env = { SIGNET_DATA_DIR: 'signet-data' };
    const printed = new Set(effectiveConfiguration(loadServerConfig({ env }), {}, env).map((s) => s.name));
    const missing = [...rows.entries()].filter(([n, r]) => !printed.has(n) && !(r.secret && printed.has(`${n}_FILE`))).map(([n]) => n);
    assert.deepEqual(missing.sort(), []);
    assert.deepEqual([...printed].filter((n) => !listed(n)).sort(), [], 'printed but not in the table');
  });
});
