#!/usr/bin/env node
// Build step after `tsc -p tsconfig.build.json` (issue 18 §4, a CLI that starts at once): bundles
// the compiled `signet sign`, `verify` and `extend` (with the batch's worker entry) into a few
// files in dist/cli-bundle/. Node 20's ESM loader resolves, reads (through the thread pool),
// compiles and links each module on its own: the ~85 modules of `signet sign` cost about a fifth
// of its CPU and, on a loaded machine, most of its wall time; a worker thread of a batch paid them
// again. bin/signet.js runs these commands from the bundle only while it is newer than every dist/
// file it holds (see manifest.json), so a `tsc`-only rebuild never runs stale code.
//
// Stays unbundled: npm packages, and the other commands (the server locates its workers and
// assets by import.meta.url); bin/signet.js runs those from dist/cli/, so no process holds two
// copies of a module (two SignetError classes would break instanceof). esbuild is a development
// dependency (the build needs it); without it the step is skipped and the CLI runs from dist/.
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const root = process.cwd();
const dist = join(root, 'dist');
const out = join(dist, 'cli-bundle');
/** The commands bin/signet.js runs from the bundle (it lists them too). */
const commands = ['sign', 'verify', 'extend'];
const entries = {
  main: join(dist, 'cli', 'main.js'),
  // sign-batch-workers.ts starts `new URL('./sign-batch-worker.js', import.meta.url)`: every
  // output file sits in one folder, so the chunk holding that line finds the bundled worker.
  'sign-batch-worker': join(dist, 'cli', 'commands', 'sign-batch-worker.js'),
  // The same for the keystore's signing pool (`signet sign --key-uri keystore:…`).
  'signing-worker': join(dist, 'keys', 'software', 'signing-worker.js'),
};
const bundled = new Set([
  ...commands.map((c) => join(dist, 'cli', 'commands', `${c}.js`)),
  entries['sign-batch-worker'],
]);

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  console.warn('bundle-cli: esbuild is not installed; signet runs from dist/ unbundled');
  rmSync(out, { recursive: true, force: true });
  process.exit(0);
}

/** The modules the command table imports (`import('./x.js')` in cli/commands/index.js). */
const commandModules = new Set(
  [
    ...readFileSync(join(dist, 'cli', 'commands', 'index.js'), 'utf8').matchAll(
      /import\('\.\/([\w-]+\.js)'\)/g,
    ),
  ].map((m) => join(dist, 'cli', 'commands', m[1])),
);

/** Relative imports of modules that stay in dist/ become external imports of those files. */
const keepInDist = {
  name: 'keep-in-dist',
  setup(build) {
    build.onResolve({ filter: /^\.\.?\// }, (args) => {
      const target = resolve(args.resolveDir, args.path);
      if (!commandModules.has(target) || bundled.has(target)) return undefined;
      return { path: relative(out, target), external: true };
    });
  },
};

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const result = await esbuild.build({
  entryPoints: entries,
  outdir: out,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  chunkNames: '[name]-[hash]',
  metafile: true,
  logLevel: 'warning',
  plugins: [keepInDist],
});

// What bin/signet.js checks: the bundle is used only while no input is newer than manifest.json.
const inputs = Object.keys(result.metafile.inputs).map((p) => relative(root, resolve(root, p)));
const files = readdirSync(out).filter((f) => f.endsWith('.js'));
/** Which dist/ modules each output file holds (tests map a loaded bundle file back to them). */
const contents = Object.fromEntries(
  Object.entries(result.metafile.outputs)
    .filter(([p]) => p.endsWith('.js'))
    .map(([p, o]) => [
      relative(out, resolve(root, p)),
      Object.keys(o.inputs).map((i) => relative(root, resolve(root, i))),
    ]),
);
writeFileSync(join(out, 'contents.json'), `${JSON.stringify(contents, null, 1)}\n`);
// Written last: its mtime is the bundle's.
writeFileSync(join(out, 'manifest.json'), `${JSON.stringify({ commands, inputs })}\n`);
console.log(
  `bundle-cli: ${inputs.length} modules of signet ${commands.join(', ')} in ${files.length} files (dist/cli-bundle/)`,
);
