#!/usr/bin/env node
// The `signet` command. Runs the compiled CLI (npm ci builds it through the `prepare` script).
// `signet sign`, `verify` and `extend` run from dist/cli-bundle/ (a few files instead of ~85
// modules: issue 18 §4, see scripts/bundle-cli.mjs) while no module it holds was rebuilt after
// it; everything else, or a stale or missing bundle, runs from dist/cli/.
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The commands scripts/bundle-cli.mjs bundles (its manifest lists them too). */
const bundledCommands = new Set(['sign', 'verify', 'extend']);
const argv = process.argv.slice(2);

/** The bundle's entry when it serves this command and is newer than every module it holds. */
function bundledMain(command) {
  if (!bundledCommands.has(command)) return undefined;
  // Plain paths, not URLs: ~220 stat calls cost about 4 ms of CPU this way, 11 ms through URLs.
  const root = fileURLToPath(new URL('../', import.meta.url));
  const manifestPath = `${root}dist/cli-bundle/manifest.json`;
  try {
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    if (!manifest.commands.includes(command)) return undefined;
    const built = statSync(manifestPath).mtimeMs;
    for (const input of manifest.inputs)
      if (statSync(`${root}${input}`).mtimeMs > built) return undefined;
    return new URL('../dist/cli-bundle/main.js', import.meta.url).href;
  } catch {
    return undefined;
  }
}

const { main } = await import(bundledMain(argv[0]) ?? '../dist/cli/main.js');
const code = await main(argv, { stdout: process.stdout, stderr: process.stderr });
process.exitCode = code;
