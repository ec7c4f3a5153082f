/**
 * `signet extend IN.pdf -o OUT.pdf --level B-T|B-LT|B-LTA --tsa URL`: raises the PAdES level of a
 * signed file (ETSI EN 319 142-1 §6), whoever signed it, by appending updates only.
 */
import { systemClock } from '../../core/clock.js';
import { extendSource, writeFileAtomically } from '../../pades/index.js';
import { FileSource } from '../../pdf/index.js';
import type { Command } from '../command.js';
import { CliError } from '../errors.js';
import { pemCertificates } from './pem.js';
import { levelSources, levelUsage } from './sign-level.js';
import { readInputFile, readSecretFile } from './sign-options.js';
import { parseCliArgs } from '../args.js';

const usage = `usage: signet extend IN.pdf -o OUT.pdf --level B-T|B-LT|B-LTA --tsa URL [--chain CA.pem …]

B-T adds a document timestamp to signatures without a signature-time-stamp; B-LT adds a DSS with
the certificates and OCSP/CRL evidence of every signature and timestamp (URLs from the
certificates); B-LTA adds a document timestamp over it (run again for archive renewal).

options:
  --chain CA.pem          extra certificates for path building (when a signature lacks them)
  --password-file F       password of an encrypted PDF the empty user password does not open
${levelUsage}`;

const options = {
  output: { type: 'string', short: 'o' },
  chain: { type: 'string', multiple: true },
  level: { type: 'string' },
  tsa: { type: 'string' },
  'timeout-ms': { type: 'string' },
  'password-file': { type: 'string' },
} as const;

export const extendCommand: Command = {
  name: 'extend',
  summary: 'extend signed PDFs to PAdES B-T, B-LT or B-LTA',
  usage,
  async run(argv, io) {
    const { values: v, positionals } = parseCliArgs({ args: [...argv], options, allowPositionals: true, strict: true });
    if (positionals.length !== 1 || v.output === undefined) throw new CliError('ERR_CLI_USAGE', `one input and -o OUT.pdf\n${usage}`);
    if (v.level === undefined) throw new CliError('ERR_CLI_USAGE', `--level is required\n${usage}`);
    const sources = await levelSources(v, systemClock, 'B-LTA');
    if (sources.level === 'B-B') throw new CliError('ERR_CLI_USAGE', '--level B-B is not an extension');
    const certificates = (v.chain ?? []).flatMap((p) => pemCertificates(readInputFile(p, 'chain file')));
    const input = positionals[0] as string;
    const source = FileSource.open(input);
    let updates: Uint8Array;
    try {
      const password = v['password-file'] === undefined ? {} : { password: readSecretFile(v['password-file'], 'the PDF password file') };
      updates = await extendSource(source, { ...sources, certificates, ...password });
    } finally {
      source.close();
    }
    await writeFileAtomically(v.output, input, updates);
    io.stdout.write(`extended to ${sources.level}: ${updates.length} bytes appended\n`);
    return 0;
  },
};
