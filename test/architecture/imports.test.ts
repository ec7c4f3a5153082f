/** Boundary test : imports follow docs/architecture.md's dependency table. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve } from 'node:path';
import ts from 'typescript';

const SRC = resolve('src');
const COMMAND_TABLE = join(SRC, 'cli', 'commands', 'index.ts');

/** Which src/ domains each domain may import (core is always allowed). */
const allowed: Record<string, readonly string[]> = {
  core: [],
  pdf: [],
  cms: [],
  pades: ['pdf', 'cms'],
  validation: ['pades', 'pdf', 'cms', 'pki'],
  keys: ['cms'],
  // docs/architecture.md: "auth, pki, audit ──▶ store" (the database CaStore of the server).
  pki: ['cms', 'keys', 'store'],
  auth: ['store', 'audit', 'keys', 'cms', 'transparency'],
  audit: ['store'],
  store: [],
  // Merkle trees (RFC 9162), the signature log and batch receipts.
  transparency: ['store', 'audit', 'keys', 'cms'],
  csc: ['keys', 'auth', 'pki', 'audit', 'store', 'cms', 'pades', 'pdf', 'gateway', 'transparency'],
  gateway: ['pades', 'pdf', 'cms', 'csc', 'pki', 'store', 'audit', 'auth', 'keys', 'transparency'],
  server: ['*'],
  cli: ['*'],
  // The union of every domain's error classes (AnySignetError); nothing imports it but server and cli.
  errors: ['*'],
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

/**
 * The specifiers a file loads at run time: static imports and re-exports that are not type-only,
 * and `import('…')` with a literal specifier (a command that defers its code still loads it) —
 * except the command table's, each of which is another command's entry.
 */
function runtimeImportsOf(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022);
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    if (file === COMMAND_TABLE) return;
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      if (arg !== undefined && ts.isStringLiteral(arg)) out.push(arg.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  source.forEachChild((node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const typeOnly =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (clause.name === undefined &&
            clause.namedBindings !== undefined &&
            ts.isNamedImports(clause.namedBindings) &&
            clause.namedBindings.elements.length > 0 &&
            clause.namedBindings.elements.every((e) => e.isTypeOnly)));
      if (!typeOnly) out.push(node.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      if (!node.isTypeOnly) out.push(node.moduleSpecifier.text);
    }
  });
  return out;
}

/** Every module (src/ files and bare package names) that loading `entry` loads statically. */
function staticClosure(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (files.has(file)) continue;
    files.add(file);
    for (const spec of runtimeImportsOf(file)) {
      if (spec.startsWith('.')) queue.push(resolve(dirname(file), spec).replace(/\.js$/, '.ts'));
      else packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] ?? spec));
    }
  }
  return { files, packages };
}

describe('issue 18 §4: `signet sign` and `signet verify` stay off the server', () => {
  // The command table imports each command's module on demand (src/cli/commands/index.ts); what
  // a command module loads (statically or through a literal import()) must not reach the server,
  // the store or its drivers.
  for (const command of ['sign', 'verify', 'extend']) {
    it(`src/cli/commands/${command}.ts does not statically reach src/server, src/store or the database drivers`, () => {
      const { files, packages } = staticClosure(join(SRC, 'cli', 'commands', `${command}.ts`));
      const domains = new Set([...files].map((f) => relative(SRC, f).split('/')[0]));
      assert.ok(domains.has('pades') || domains.has('validation'), 'the closure was followed');
      assert.deepEqual(
        ['server', 'store', 'csc', 'gateway', 'auth', 'audit'].filter((d) => domains.has(d)),
        [],
        'a src/ domain of the server is reached',
      );
      assert.deepEqual([...packages].filter((p) => /^(fastify|@fastify\/.*|pg|better-sqlite3|kysely|pino)$/.test(p)), []);
    });
  }
});

describe('docs/architecture.md dependency direction', () => {
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
