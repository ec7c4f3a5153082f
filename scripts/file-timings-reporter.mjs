// A Node test-runner reporter that prints, when the run ends, the test files that took longest
// (the sum of their top-level tests' durations), so a CI log shows where the suite's time goes.
// node --test --test-reporter=./scripts/file-timings-reporter.mjs --test-reporter-destination=stderr
import { relative } from 'node:path';

const SHOWN = Number(process.env.TEST_TIMINGS_SHOWN ?? 25);

export default async function* fileTimings(source) {
  const perFile = new Map();
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { data } = event;
    if (data.nesting !== 0 || data.file === undefined) continue;
    const file = relative(process.cwd(), data.file).replace(/^\.test-build\/(.*)\.js$/, '$1.ts');
    perFile.set(file, (perFile.get(file) ?? 0) + (data.details?.duration_ms ?? 0));
  }
  const rows = [...perFile].sort((a, b) => b[1] - a[1]);
  const total = rows.reduce((sum, [, ms]) => sum + ms, 0);
  yield `\nslowest test files (sum of top-level tests; ${rows.length} files, ${(total / 1000).toFixed(0)} s in all):\n`;
  for (const [file, ms] of rows.slice(0, SHOWN))
    yield `${(ms / 1000).toFixed(1).padStart(7)} s  ${file}\n`;
}
