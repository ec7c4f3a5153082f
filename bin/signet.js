#!/usr/bin/env node
// The `signet` command. Runs the compiled CLI (npm ci builds it through the `prepare` script).
// `signet sign`, `verify`, `extend` and `--help` run from dist/cli-bundle/ (a few files instead of
// ~85 modules: issue 18 §4, see scripts/bundle-cli.mjs) while no module it holds was rebuilt after
// it; everything else, or a stale or missing bundle, runs from dist/cli/.
import { readFileSync, statSync } from 'node:fs';

const argv = process.argv.slice(2);

/** The bundle's entry when it serves this command and is newer than every module it holds. */
function bundledMain(command) {
  const base = new URL('../dist/cli-bundle/', import.meta.url);
  try {
    const manifestUrl = new URL('manifest.json', base);
    const manifest = JSON.parse(readFileSync(manifestUrl, 'utf8'));
    if (!(
      command === undefined ||
      command === '--help' ||
      command === '-h' ||
      manifest.commands.includes(command)
    ))
      return undefined;
    const built = statSync(manifestUrl).mtimeMs;
    for (const input of manifest.inputs)
      if (statSync(new URL(`../${input}`, import.meta.url)).mtimeMs > built) return undefined;
    return new URL('main.js', base).href;
  } catch {
    return undefined;
  }
}

const { main } = await import(bundledMain(argv[0]) ?? '../dist/cli/main.js');
const code = await main(argv, { stdout: process.stdout, stderr: process.stderr });
process.exitCode = code;
