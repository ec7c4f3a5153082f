#!/usr/bin/env node
// Runs the test suite with the Node test runner (Node 20 has no glob for .ts files):
// node scripts/run-tests.mjs [path-prefix …]
//
// `npm run typecheck` compiles src/ and test/ into .test-build/; when that build is newer than
// every file under src/ and test/ (as in `npm test`, which typechecks first), the compiled tests
// run on plain Node. Otherwise (a focused run after an edit, or SIGNET_TEST_FROM_SOURCE=1) the
// TypeScript runs through tsx, whose module hooks cost about a second of CPU in every test
// process and worker thread — a fifth of the whole suite's time.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const BUILD = '.test-build';

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const mtime = entry.isDirectory() ? newest(path) : statSync(path).mtimeMs;
    if (mtime > latest) latest = mtime;
  }
  return latest;
}

function compiledIsFresh() {
  if (process.env.SIGNET_TEST_FROM_SOURCE === '1') return false;
  try {
    const built = statSync(join(BUILD, 'test', 'support', 'repo-path.js')).mtimeMs;
    return Math.max(newest('src'), newest('test')) <= built;
  } catch {
    return false;
  }
}

// The files that took longest in recent runs (the list each run ends with) start first, so the
// last files to finish are short ones (longest-first packing onto the concurrency slots); the
// rest follow in alphabetical order. A stale entry only costs packing, never a test.
const longestFirst = [
  'test/server/two-nodes.test.ts',
  'test/cli/serve-demo.test.ts',
  'test/pdf/hostile-resources.test.ts',
  'test/e2e/web-batch.test.ts',
  'test/e2e/web-sign.test.ts',
  'test/server/token-failure.test.ts',
  'test/gateway/web-jobs-tamper.test.ts',
  'test/cli/serve.test.ts',
  'test/cli/serve-config.test.ts',
  'test/auth/oauth2/consent-browser.test.ts',
  'test/e2e/web-foreign-provider.test.ts',
  'test/server/cluster-signing.test.ts',
  'test/gateway/web-jobs-foreign-provider.test.ts',
  'test/auth/oauth2/consent-documents.test.ts',
  'test/server/audit-flood.test.ts',
  'test/cli/sign.test.ts',
];
const rank = (f) => {
  const i = longestFirst.indexOf(f);
  return i === -1 ? longestFirst.length : i;
};
const filters = process.argv.slice(2);
const files = walk('test')
  .filter((f) => filters.length === 0 || filters.some((x) => f.startsWith(x) || f.includes(x)))
  .sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const compiled = compiledIsFresh();
console.log(
  compiled
    ? `running the compiled tests in ${BUILD}/ (built after the last change to src/ and test/)`
    : 'running the TypeScript tests through tsx',
);
const result = spawnSync(
  process.execPath,
  [
    ...(compiled ? [] : ['--import', 'tsx']),
    '--test',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    // Where the time went, printed once at the end (scripts/file-timings-reporter.mjs).
    '--test-reporter=./scripts/file-timings-reporter.mjs',
    '--test-reporter-destination=stdout',
    `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 2}`,
    // A file whose test failed with a thread or socket still open would otherwise never exit, and
    // the run would wait for it until CI's limit; no single test may take 10 minutes either.
    '--test-force-exit',
    '--test-timeout=600000',
    ...(compiled ? files.map((f) => join(BUILD, f.replace(/\.ts$/, '.js'))) : files),
  ],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
