// A Node test-runner reporter that prints, when the run ends, the test files that took longest
// (the sum of their top-level tests' durations), so a CI log shows where the suite's time goes.
// node --test --test-reporter=./scripts/file-timings-reporter.mjs --test-reporter-destination=stdout
//
// Printed with a synchronous write when the run's closing "tests N" line arrives, not when the
// event stream ends: under --test-force-exit (scripts/run-tests.mjs) the runner exits right after
// its closing lines, before a reporter's last output would reach stdout.
import { writeSync } from 'node:fs';
import { relative } from 'node:path';

const SHOWN = Number(process.env.TEST_TIMINGS_SHOWN ?? 25);

function summary(perFile) {
  const rows = [...perFile].sort((a, b) => b[1] - a[1]);
  const total = rows.reduce((sum, [, ms]) => sum + ms, 0);
  let out = `\nslowest test files (sum of top-level tests; ${rows.length} files, ${(total / 1000).toFixed(0)} s in all):\n`;
  for (const [file, ms] of rows.slice(0, SHOWN)) out += `${(ms / 1000).toFixed(1).padStart(7)} s  ${file}\n`;
  return out;
}

export default async function* fileTimings(source) {
  const perFile = new Map();
  let printed = false;
  for await (const event of source) {
    const { data } = event;
    if (event.type === 'test:diagnostic' && !printed && data.nesting === 0 && /^tests \d/.test(data.message)) {
      printed = true;
      writeSync(1, summary(perFile));
      continue;
    }
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    if (data.nesting !== 0 || data.file === undefined) continue;
    const file = relative(process.cwd(), data.file).replace(/^\.test-build\/(.*)\.js$/, '$1.ts');
    perFile.set(file, (perFile.get(file) ?? 0) + (data.details?.duration_ms ?? 0));
  }
  if (!printed) yield summary(perFile);
}
