/** `signet sign`: PAdES signing of one file or a batch, with a local key, PKCS#12 or a key URI. */
import { basename, join } from 'node:path';
import type { parseArgs } from 'node:util';
import { monotonicMs } from '../../core/clock.js';
import type { Command } from '../command.js';
import { expandInputs, prepareOutDir, progressBar } from './batch-io.js';
import { CliError } from '../errors.js';
import { formatError } from '../main.js';
import { levelUsage } from './sign-level.js';
import { appearanceOptions, checkOutputs } from './sign-options.js';
import type { BatchWorker } from './sign-batch-workers.js';
import { parseCliArgs } from '../args.js';

const usage = `usage: signet sign IN.pdf -o OUT.pdf (--key KEY.pem --cert CERT.pem [--chain CA.pem …]
                                     | --p12 ID.p12 --pass-file PASS
                                     | --key-uri URI --cert CERT.pem [backend options])
       signet sign A.pdf B.pdf … | DIR  --out-dir OUTDIR [key options]

options:
  --field NAME            sign into this field (an existing empty signature field is used)
  --reason TEXT           --location TEXT          --contact TEXT
  --visible P,X1,Y1,X2,Y2 visible signature on page P (1-based), rectangle in points
  --certify 1|2|3         certification signature with DocMDP permission P
  --algorithm rsa-pss|rsa-pkcs1|ecdsa     --digest sha256|sha384|sha512
  --key-pass-file F       passphrase of an encrypted PEM key
  --password-file F       user (or owner) password of an encrypted PDF; without it the empty
                          user password is tried (ERR_PDF_PASSWORD when it does not open the file)
  --workers N             worker threads for a batch with a key file (default: one per idle
                          core beyond two when the batch has 24 files a worker; 0: none)
  --key-uri URI           pkcs11:token=LABEL;object=NAME (with --pkcs11-module, --pin-file)
                          or keystore:NAME (with --keystore DIR --kek-file F)
${levelUsage}`;

/** Files of a batch signed at once (see the loop in `run`). */
const BATCH_IN_FLIGHT = 4;

const options = {
  output: { type: 'string', short: 'o' },
  'out-dir': { type: 'string' },
  key: { type: 'string' },
  cert: { type: 'string' },
  chain: { type: 'string', multiple: true },
  'key-pass-file': { type: 'string' },
  p12: { type: 'string' },
  'pass-file': { type: 'string' },
  'key-uri': { type: 'string' },
  'pkcs11-module': { type: 'string' },
  'pin-file': { type: 'string' },
  keystore: { type: 'string' },
  'kek-file': { type: 'string' },
  'password-file': { type: 'string' },
  workers: { type: 'string' },
  ...appearanceOptions,
  algorithm: { type: 'string' },
  digest: { type: 'string' },
  level: { type: 'string' },
  tsa: { type: 'string' },
  'timeout-ms': { type: 'string' },
} as const;

function parse(argv: readonly string[]): ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>> {
  return parseCliArgs({ args: [...argv], options, allowPositionals: true, strict: true });
}

export const signCommand: Command = {
  name: 'sign',
  summary: 'sign PDF files (PAdES), one or a batch',
  usage,
  async run(argv, io) {
    const { values: v, positionals } = parse(argv);
    if (positionals.length === 0) throw new CliError('ERR_CLI_USAGE', `no input file\n${usage}`);
    const outDir = v['out-dir'];
    checkOutputs(positionals.length, v.output, outDir);
    if (outDir === undefined) {
      const signing = await (await import('./sign-setup.js')).loadSigning(v);
      try {
        await signing.signFile(positionals[0] as string, v.output as string);
        return 0;
      } finally {
        await signing.loaded.close();
      }
    }

    const files = expandInputs(positionals);
    prepareOutDir(outDir);
    // Issue 18 §4: the workers start first, so they load the signing code while this thread does
    // (node:worker_threads itself is imported only for a batch).
    const { batchWorkerCount, startBatchWorker } = await import('./sign-batch-workers.js');
    const workers: BatchWorker[] = Array.from({ length: batchWorkerCount(v, files.length) }, () => startBatchWorker(v));
    try {
      const signing = await (await import('./sign-setup.js')).loadSigning(v);
      try {
        const started = monotonicMs();
        let failed = 0;
        let done = 0;
        let next = 0;
        const finish = (file: string, error: string | undefined): void => {
          if (error !== undefined) {
            failed++;
            if (io.stderr.isTTY) io.stderr.write('\n');
            io.stderr.write(`${file}: ${error}\n`);
          }
          progressBar(io, ++done, files.length, basename(file));
        };
        // A few files in flight on this thread (while one waits for its signature — the key
        // backend may sign on a token or a remote server — the next one is prepared), and on each
        // worker thread once it has loaded its signer.
        const signHere = async (): Promise<void> => {
          while (next < files.length) {
            const file = files[next++] as string;
            let error: string | undefined;
            try {
              await signing.signFile(file, join(outDir, basename(file)));
            } catch (err) {
              error = formatError(err);
            }
            finish(file, error);
          }
        };
        const signOnWorker = async (worker: BatchWorker): Promise<void> => {
          if (!(await worker.ready)) return;
          while (next < files.length && worker.isAlive) {
            const file = files[next++] as string;
            finish(file, await worker.sign(file, join(outDir, basename(file))));
          }
        };
        progressBar(io, 0, files.length, '');
        await Promise.all([
          ...Array.from({ length: Math.min(BATCH_IN_FLIGHT, files.length) }, signHere),
          ...workers.flatMap((w) => [signOnWorker(w), signOnWorker(w)]),
        ]);
        progressBar(io, files.length, files.length, '');
        if (io.stderr.isTTY) io.stderr.write('\n');
        const seconds = ((monotonicMs() - started) / 1000).toFixed(2);
        io.stdout.write(`signed ${files.length - failed} of ${files.length} files in ${seconds} s${failed ? ` (${failed} failed)` : ''}\n`);
        return failed === 0 ? 0 : 1;
      } finally {
        await signing.loaded.close();
      }
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
    }
  },
};
