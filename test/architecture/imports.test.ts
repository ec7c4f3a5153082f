/** Boundary test (STYLE.md): imports follow ARCHITECTURE.md's dependency table. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve } from 'node:path';
import ts from 'typescript';

const SRC = resolve('src');

/** Which src/ domains each domain may import (core is always allowed). */
const allowed: Record<string, readonly string[]> = {
  core: [],
  pdf: [],
  cms: [],
  pades: ['pdf', 'cms'],
  validation: ['pades', 'pdf', 'cms', 'pki'],
  keys: ['cms'],
  // ARCHITECTURE.md: "auth, pki, audit ──▶ store" (the database CaStore of the server).
  pki: ['cms', 'keys', 'store'],
  auth: ['store', 'audit', 'keys', 'cms'],
  audit: ['store'],
  store: [],
  csc: ['keys', 'auth', 'pki', 'audit', 'store', 'cms', 'pades', 'pdf', 'gateway'],
  gateway: ['pades', 'pdf', 'cms', 'csc', 'pki', 'store', 'audit', 'auth', 'keys'],
  server: ['*'],
  cli: ['*'],
};

const libraryDomains = new Set(['pdf', 'cms', 'pades', 'validation']);
const forbiddenInLibrary = /^(node:http|node:https|node:net|http|https|fastify|@fastify\/|kysely|pg|better-sqlite3|pino)/;

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function importsOf(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022);
  const out: string[] = [];
  source.forEachChild((node) => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      out.push(node.moduleSpecifier.text);
    }
  });
  return out;
}

describe('ARCHITECTURE.md dependency direction', () => {
  const files = walk(SRC);
  it('finds the source tree', () => assert.ok(files.length > 0));

  it('every import follows the table, and the library stays free of HTTP/SQL/logging', () => {
    const violations: string[] = [];
    for (const file of files) {
      const domain = relative(SRC, file).split('/')[0] ?? '';
      for (const spec of importsOf(file)) {
        if (!spec.startsWith('.')) {
          if (libraryDomains.has(domain) && forbiddenInLibrary.test(spec)) {
            violations.push(`${relative('.', file)} imports ${spec} (library must not)`);
          }
          continue;
        }
        const target = relative(SRC, resolve(dirname(file), spec)).split('/')[0] ?? '';
        if (target === domain || target === 'core' || target.startsWith('..')) continue;
        const ok = allowed[domain];
        if (ok === undefined) {
          violations.push(`${relative('.', file)}: domain '${domain}' is not in the table`);
        } else if (!ok.includes('*') && !ok.includes(target)) {
          violations.push(`${relative('.', file)} imports ${spec} (${domain} → ${target} not allowed)`);
        }
      }
      if (domain === 'core') {
        for (const spec of importsOf(file)) {
          if (spec.startsWith('.') && !resolve(dirname(file), spec).startsWith(join(SRC, 'core'))) {
            violations.push(`${relative('.', file)}: core imports ${spec}`);
          }
        }
      }
    }
    assert.deepEqual(violations, []);
  });
});
