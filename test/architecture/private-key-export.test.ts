/**
 * docs/security.md KEY-05, source half: `.export(` of a key object in src/ is either a public-key export
 * (`type: 'spki'`, written literally at the call) or sits in one of the keystore modules below,
 * which need the private key's bytes (to seal them, or for ECDSA over a pre-hash). WebCrypto's
 * exportKey is not used at all. Found with the TypeScript compiler API, so a comment or a string
 * that mentions `.export(` does not count and a call split over lines does.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { repoPath } from '../support/repo-path.js';

const SRC = repoPath('src');

/** The modules allowed to export private key material, and why. */
const allowed: Readonly<Record<string, string>> = {
  'src/keys/software/software-keystore.ts': 'seals the PKCS#8 under the data key (generate, import)',
  'src/keys/software/ecdsa-prehash.ts': 'reads the EC scalar for ECDSA over a pre-computed hash',
};

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function isSpkiExport(call: ts.CallExpression): boolean {
  const arg = call.arguments[0];
  if (!arg || !ts.isObjectLiteralExpression(arg)) return false;
  return arg.properties.some(
    (p) => ts.isPropertyAssignment(p) && p.name.getText() === 'type' && ts.isStringLiteral(p.initializer) && p.initializer.text === 'spki',
  );
}

/** `line: text` of every call that may export private key material. */
function privateExports(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, true);
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
      const name = node.expression.name.text;
      if ((name === 'export' && !isSpkiExport(node)) || name === 'exportKey') {
        const line = source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
        out.push(`${line}: ${node.getText().replace(/\s+/g, ' ').slice(0, 80)}`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

describe('docs/security.md KEY-05: private keys are exported only inside the keystore modules', () => {
  it('the scan finds a private export and passes a public one (control)', () => {
    assert.deepEqual(privateExports('x.ts', "const a = pub.export({ format: 'der', type: 'spki' });"), []);
    assert.equal(privateExports('x.ts', "const b = key\n  .export({ format: 'pem', type: 'pkcs8' });").length, 1);
    assert.equal(privateExports('x.ts', "const c = key.export({ format: 'jwk' });").length, 1);
    assert.equal(privateExports('x.ts', "const d = await crypto.subtle.exportKey('pkcs8', k);").length, 1);
    assert.deepEqual(privateExports('x.ts', "// key.export({ type: 'pkcs8' })\nconst e = 'x.export(';"), []);
  });

  it('src/ has no private export outside the allow-list, and every allow-list entry still needs its place', () => {
    const violations: string[] = [];
    const used = new Set<string>();
    for (const file of walk(SRC)) {
      const rel = relative(join(SRC, '..'), file).split('\\').join('/');
      const found = privateExports(file, readFileSync(file, 'utf8'));
      if (found.length === 0) continue;
      if (allowed[rel] !== undefined) used.add(rel);
      else violations.push(...found.map((f) => `${rel}:${f}`));
    }
    assert.deepEqual(violations, []);
    assert.deepEqual([...used].sort(), Object.keys(allowed).sort());
  });
});
