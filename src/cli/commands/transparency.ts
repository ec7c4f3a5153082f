/**
 * `signet transparency monitor --service URL --token FILE [--state FILE] [--known FILE]`: checks
 * the service's signature transparency log for the signed-in user (issue 21; docs/transparency.md)
 * and names every signature of theirs they have not marked as known.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { TransparencyError, httpMonitorSource, parseKnownSignatures, parseMonitorState, runMonitor, type MonitorState } from '../../transparency/index.js';
import { systemClock } from '../../core/clock.js';
import type { Command } from '../command.js';
import { parseCliArgs } from '../args.js';

const usage = `usage: signet transparency monitor --service URL --token FILE [--state FILE] [--known FILE] [--json]

  Reads the signature transparency log of the Signet service at URL as the user whose access
  token is in FILE. Checks the signed tree head with the log key (pinned in the state file on
  first use), its consistency with the head kept in the state file (default
  ./signet-monitor.json), that a new head is not stamped before the kept one nor more than five
  minutes after this machine's clock, that no two signed heads of one size differ (split view), that each of
  the user's signatures is included in the head and that signatures seen before are still there.
  Then names every signature not listed in the --known file (one per line: a leaf index, a DTBS/R
  hash in base64 or hex, or a SAD id; # starts a comment).
  Exit 0: all checked, all known. 1: signatures not marked as known (named). 2: the log failed a
  check (named; the state file keeps the last trusted head). 3: the service or a file could not be read.`;

const options = {
  service: { type: 'string' },
  token: { type: 'string' },
  state: { type: 'string' },
  known: { type: 'string' },
  json: { type: 'boolean' },
} as const;

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (cause) {
    throw new TransparencyError('ERR_TRANSPARENCY_MONITOR_STATE', `cannot read the ${what} ${file}`, { cause });
  }
}

function readState(file: string): MonitorState | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TransparencyError('ERR_TRANSPARENCY_MONITOR_STATE', `cannot read the state file ${file}`, { cause: err });
  }
  return parseMonitorState(text);
}

/** The `signet transparency` command. */
export const transparencyCommand: Command = {
  name: 'transparency',
  summary: 'monitor the signature transparency log for your signatures',
  usage,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub !== 'monitor') {
      io.stderr.write(`${usage}\n`);
      return 3;
    }
    const { values } = parseCliArgs({ args: [...rest], options, strict: true });
    if (values.service === undefined || values.token === undefined) {
      io.stderr.write(`${usage}\n`);
      return 3;
    }
    const stateFile = values.state ?? 'signet-monitor.json';
    try {
      const token = readText(values.token, 'token file').trim();
      const known = values.known === undefined ? new Set<string>() : parseKnownSignatures(readText(values.known, 'known-signatures file'));
      const previous = readState(stateFile);
      const report = await runMonitor(httpMonitorSource(fetch, values.service, token), previous, known, { now: systemClock.now() });
      if (report.state !== undefined && report.state !== previous) {
        writeFileSync(`${stateFile}.tmp`, `${JSON.stringify(report.state, null, 2)}\n`, { mode: 0o600 });
        renameSync(`${stateFile}.tmp`, stateFile);
      }
      if (values.json === true) {
        io.stdout.write(`${JSON.stringify({ treeSize: report.treeSize, signaturesChecked: report.signaturesChecked, findings: report.findings })}\n`);
      } else {
        for (const f of report.findings) io.stdout.write(`signet: ${f.kind}: ${f.message}\n`);
        io.stdout.write(`signet: tree size ${report.treeSize}, ${report.signaturesChecked} signature(s) checked, ${report.findings.length} finding(s)\n`);
      }
      return report.exitCode;
    } catch (err) {
      if (err instanceof TransparencyError) {
        io.stderr.write(`signet: ${err.code}: ${err.message}\n`);
        return 3;
      }
      throw err;
    }
  },
};
