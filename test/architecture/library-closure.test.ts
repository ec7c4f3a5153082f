/**
 * Boundary test, transitive (issue 20 §2): each library entry point (`pdf`, `cms`, `pades`,
 * `validation`) is loaded in a child process whose resolve hook (node:module `register`) records
 * every edge importer → imported; what the load reaches must stay inside the library (its own
 * domains and `core`), off the database drivers, PKCS#11, Fastify, logging and node's network
 * modules (docs/architecture.md, "The library"). A failure names the chain of imports.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const SRC = resolve('src');

const hooks = `import { appendFileSync } from 'node:fs';
let out;
export function initialize(data) { out = data.out; }
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(out, (context.parentURL ?? '') + '\\t' + resolved.url + '\\n');
  return resolved;
}
`;

/** Loads `entry` (a src/ .ts file) through tsx with the recording hook; the edges it resolved. */
function edgesOfLoading(entry: string): { edges: Map<string, string[]>; entryUrl: string } {
  const dir = mkdtempSync(join(tmpdir(), 'signet-closure-'));
  try {
    const hooksFile = join(dir, 'hooks.mjs');
    const out = join(dir, 'edges.tsv');
    writeFileSync(out, '');
    writeFileSync(hooksFile, hooks);
    const entryUrl = pathToFileURL(entry).href;
    const program =
      `import { register } from 'node:module';\n` +
      `register(${JSON.stringify(pathToFileURL(hooksFile).href)}, { data: { out: ${JSON.stringify(out)} } });\n` +
      `await import(${JSON.stringify(entryUrl)});\n`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', program], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, `loading ${entry} failed: ${r.stderr}`);
    const edges = new Map<string, string[]>();
    for (const line of readFileSync(out, 'utf8').split('\n')) {
      const [from, to] = line.split('\t');
      if (from === undefined || to === undefined || from === '') continue;
      edges.set(from, [...(edges.get(from) ?? []), to]);
    }
    return { edges, entryUrl };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const forbiddenPackages = /^(better-sqlite3|pg|pg-.*|kysely|pkcs11js|graphene-pk11|fastify|@fastify\/.*|pino|pino-.*)$/;
const forbiddenBuiltins = new Set(['node:http', 'node:https', 'node:net', 'node:tls', 'node:http2', 'node:dgram']);
const libraryFolders = new Set(['pdf', 'cms', 'pades', 'validation', 'core']);

/** Why `url` must not be reached from the library, or undefined when it may. */
function forbiddenReason(url: string): string | undefined {
  if (url.startsWith('node:')) return forbiddenBuiltins.has(url) ? `network module ${url}` : undefined;
  if (!url.startsWith('file:')) return undefined;
  const path = fileURLToPath(url);
  const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path)?.[1];
  if (pkg !== undefined) return forbiddenPackages.test(pkg) ? `package ${pkg}` : undefined;
  const rel = relative(SRC, path);
  if (rel.startsWith('..')) return undefined;
  const domain = rel.split('/')[0] ?? '';
  return libraryFolders.has(domain) ? undefined : `src/${domain} is outside the library`;
}

function short(url: string): string {
  if (!url.startsWith('file:')) return url;
  const path = fileURLToPath(url);
  const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path)?.[1];
  return pkg !== undefined ? pkg : relative('.', path);
}

/**
 * Breadth-first from the entry: the shortest chain to each forbidden package or network module,
 * and to the first file reached of each forbidden src/ domain.
 */
function forbiddenChains(entry: string): { chains: string[]; reached: number } {
  const { edges, entryUrl } = edgesOfLoading(entry);
  const parent = new Map<string, string>([[entryUrl, '']]);
  const queue = [entryUrl];
  const chains: string[] = [];
  const seenReasons = new Set<string>();
  while (queue.length > 0) {
    const url = queue.shift() as string;
    const reason = url === entryUrl ? undefined : forbiddenReason(url);
    if (reason !== undefined && !seenReasons.has(reason)) {
      seenReasons.add(reason);
      const chain: string[] = [];
      for (let u = url; u !== ''; u = parent.get(u) ?? '') chain.unshift(short(u));
      chains.push(`${reason}: ${chain.join(' → ')}`);
    }
    for (const next of edges.get(url) ?? []) {
      if (parent.has(next)) continue;
      parent.set(next, url);
      queue.push(next);
    }
  }
  return { chains, reached: parent.size };
}

describe('issue 20 §2: the library stands alone, transitively', () => {
  for (const domain of ['pdf', 'cms', 'pades', 'validation']) {
    it(`loading src/${domain}/index.ts reaches no server, store, keys, pki, database, PKCS#11, Fastify or network module`, () => {
      const { chains, reached } = forbiddenChains(join(SRC, domain, 'index.ts'));
      assert.ok(reached > 3, 'the hook recorded the load');
      assert.deepEqual(chains, [], `src/${domain}/index.ts reaches outside the library:\n${chains.join('\n')}`);
    });
  }

  it('the judge itself sees a forbidden chain (src/pki/database.ts reaches the database drivers)', () => {
    const { chains } = forbiddenChains(join(SRC, 'pki', 'database.ts'));
    assert.ok(chains.some((c) => /store|kysely|better-sqlite3/.test(c)), chains.join('\n'));
  });
});
