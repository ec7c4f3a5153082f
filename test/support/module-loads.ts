/**
 * Which modules a run of the real `signet` binary loads: an `--import` preload registers a
 * resolve hook (node:module `register`) that records every ESM specifier's resolved URL, and at
 * exit adds the CommonJS modules in `require.cache`. Lets a test assert that a command never
 * reaches a dependency (issue 18 §4: `signet --help`, `sign` and `verify` stay off the server).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  /**
   * Resolved URLs (file:, node:) of every module the run loaded, sorted, without duplicates; a
   * file of dist/cli-bundle/ stands for the dist/ modules it holds (contents.json says which), so
   * the same assertions hold whether bin/signet.js ran the bundle or dist/cli/.
   */
  readonly urls: readonly string[];
  /** The files of dist/cli-bundle/ the run loaded (none when it ran from dist/cli/). */
  readonly bundleFiles: readonly string[];
  /** The URLs as the hook recorded them (a bundle file as itself). */
  readonly recorded: readonly string[];
}

/** dist/cli-bundle/contents.json: which dist/ modules each bundle file holds. */
function bundleContents(): Readonly<Record<string, readonly string[]>> {
  const contents = join(process.cwd(), 'dist', 'cli-bundle', 'contents.json');
  if (!existsSync(contents)) return {};
  return JSON.parse(readFileSync(contents, 'utf8')) as Record<string, string[]>;
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
    const loaded = [...new Set(readFileSync(out, 'utf8').split('\n').filter(Boolean))];
    const bundleUrl = pathToFileURL(join(process.cwd(), 'dist', 'cli-bundle')).href + '/';
    const contents = bundleContents();
    const bundleFiles = loaded.filter((u) => u.startsWith(bundleUrl)).map((u) => u.slice(bundleUrl.length));
    const held = bundleFiles.flatMap((f) => {
      const modules = contents[f];
      if (modules === undefined) throw new Error(`dist/cli-bundle/${f} is not in contents.json`);
      return modules.map((m) => pathToFileURL(join(process.cwd(), m)).href);
    });
    const urls = [...new Set([...loaded.filter((u) => !u.startsWith(bundleUrl)), ...held])].sort();
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, urls, bundleFiles, recorded: loaded.sort() };
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
