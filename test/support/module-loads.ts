/**
 * Which modules a run of the real `signet` binary loads: an `--import` preload registers a
 * resolve hook (node:module `register`) that records every ESM specifier's resolved URL, and at
 * exit adds the CommonJS modules in `require.cache`. Lets a test assert that a command never
 * reaches a dependency (issue 18 §4: `signet --help`, `sign` and `verify` stay off the server).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const hooks = `import { appendFileSync } from 'node:fs';
let out;
export function initialize(data) { out = data.out; }
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(out, resolved.url + '\\n');
  return resolved;
}
`;

const preload = (hooksUrl: string, out: string) => `import { register, createRequire } from 'node:module';
import { appendFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
register(${JSON.stringify(hooksUrl)}, { data: { out: ${JSON.stringify(out)} } });
const require = createRequire(import.meta.url);
process.on('exit', () => {
  const loaded = Object.keys(require.cache).map((p) => pathToFileURL(p).href);
  appendFileSync(${JSON.stringify(out)}, loaded.map((u) => u + '\\n').join(''));
});
`;

export interface ModuleLoads {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Resolved URLs (file:, node:) of every module the run loaded, sorted, without duplicates. */
  readonly urls: readonly string[];
}

/** Runs `node bin/signet.js …args` (the compiled CLI) and records the modules it loads. */
export function modulesLoadedBy(args: readonly string[]): ModuleLoads {
  const dir = mkdtempSync(join(tmpdir(), 'signet-loads-'));
  try {
    const hooksFile = join(dir, 'hooks.mjs');
    const preloadFile = join(dir, 'preload.mjs');
    const out = join(dir, 'loaded.txt');
    writeFileSync(out, '');
    writeFileSync(hooksFile, hooks);
    writeFileSync(preloadFile, preload(pathToFileURL(hooksFile).href, out));
    const r = spawnSync(process.execPath, ['--import', pathToFileURL(preloadFile).href, 'bin/signet.js', ...args], {
      encoding: 'utf8',
    });
    const urls = [...new Set(readFileSync(out, 'utf8').split('\n').filter(Boolean))].sort();
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, urls };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The URLs among `urls` that belong to one of the npm packages or `src/` (dist/) folders named. */
export function loadedFrom(
  urls: readonly string[],
  forbidden: { readonly packages: readonly string[]; readonly folders: readonly string[] },
): string[] {
  return urls.filter(
    (u) =>
      forbidden.packages.some((p) => u.includes(`/node_modules/${p}/`)) ||
      forbidden.folders.some((f) => u.includes(`/dist/${f}/`)),
  );
}
