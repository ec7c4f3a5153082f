/**
 * `signet keys`: generate a key inside a PKCS#11 token (PKCS#11 v2.40; sensitive, never
 * extractable) or the encrypted software keystore, optionally with a PKCS#10 request (RFC 2986)
 * signed by that key; list keys.
 */
import { randomBytes } from 'node:crypto';
import { rename, writeFile, unlink } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import { parseArgs } from 'node:util';
import {
  certificationRequestToPem,
  createCertificationRequest,
  loadKek,
  parseDistinguishedName,
  Pkcs11Backend,
  readSecretFromEnv,
  readSecretText,
  SoftwareKeystore,
  type KeyBackend,
  type KeySpec,
} from '../../keys/index.js';
import { loadServerConfig } from '../../server/config.js';
import { rewrapKeys } from '../../server/kek-rotation.js';
import type { CliIo, Command } from '../command.js';
import { CliError } from '../errors.js';

const usage = `usage: signet keys generate --label NAME --algorithm ALG [--csr-subject "CN=…,O=…"] [-o REQ.pem]
                            (--pkcs11-module LIB.so --token LABEL --pin-file F
                             | --keystore DIR --kek-file F)
       signet keys list (--pkcs11-module LIB.so --token LABEL --pin-file F | --keystore DIR --kek-file F)
       signet keys rewrap --new-kek-file F [--data DIR] [--batch-size N]

  ALG is RSA-2048, RSA-3072, RSA-4096, EC-P256, EC-P384 or EC-P521.
  The key URI (pkcs11:token=…;object=… or keystore:NAME) is printed on stdout; with
  --csr-subject a PKCS#10 request signed by the new key is written to -o (or stdout).
  Secrets: --pin-file (else SIGNET_PKCS11_PIN_FILE / SIGNET_PKCS11_PIN),
           --kek-file (else SIGNET_KEK_FILE / SIGNET_KEK).
  rewrap re-wraps every key of the signing service's database (DATABASE_URL, or the SQLite file
  of --data) and re-seals its secrets under the KEK in F, N keys at a time (default 100), while
  the nodes keep signing: give them F as SIGNET_KEK_FILE and the old KEK as
  SIGNET_KEK_PREVIOUS_FILE first (docs/operations.md, KEK rotation).`;

const options = {
  'pkcs11-module': { type: 'string' },
  token: { type: 'string' },
  'pin-file': { type: 'string' },
  keystore: { type: 'string' },
  'kek-file': { type: 'string' },
  label: { type: 'string' },
  algorithm: { type: 'string' },
  'csr-subject': { type: 'string' },
  output: { type: 'string', short: 'o' },
  'new-kek-file': { type: 'string' },
  data: { type: 'string' },
  'batch-size': { type: 'string' },
} as const;

type Parsed = ReturnType<
  typeof parseArgs<{ options: typeof options; allowPositionals: true }>
>['values'];

const algorithms: Readonly<Record<string, KeySpec>> = {
  'RSA-2048': { type: 'RSA', bits: 2048 },
  'RSA-3072': { type: 'RSA', bits: 3072 },
  'RSA-4096': { type: 'RSA', bits: 4096 },
  'EC-P256': { type: 'EC', curve: 'P-256' },
  'EC-P384': { type: 'EC', curve: 'P-384' },
  'EC-P521': { type: 'EC', curve: 'P-521' },
};

function parse(argv: readonly string[]): { positionals: string[]; values: Parsed } {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (cause) {
    throw new CliError('ERR_CLI_USAGE', cause instanceof Error ? cause.message : 'bad arguments', {
      cause,
    });
  }
}

/** Opens the backend the options name (exactly one of --pkcs11-module / --keystore). */
async function openBackend(v: Parsed): Promise<KeyBackend> {
  if ((v['pkcs11-module'] === undefined) === (v.keystore === undefined)) {
    throw new CliError(
      'ERR_CLI_USAGE',
      'give exactly one of --pkcs11-module (with --token, --pin-file) or --keystore (with --kek-file)',
    );
  }
  if (v['pkcs11-module'] !== undefined) {
    if (v.token === undefined)
      throw new CliError('ERR_CLI_USAGE', '--pkcs11-module needs --token LABEL');
    const pin =
      v['pin-file'] !== undefined
        ? readSecretText(v['pin-file'])
        : new TextDecoder().decode(readSecretFromEnv('SIGNET_PKCS11_PIN')).replace(/\r?\n$/, '');
    return Pkcs11Backend.open({ module: v['pkcs11-module'], tokens: [{ label: v.token, pin }] });
  }
  const kek =
    v['kek-file'] !== undefined ? loadKek({ file: v['kek-file'] }) : loadKek({ env: 'SIGNET_KEK' });
  return SoftwareKeystore.open({ dir: v.keystore as string, kek });
}

/** Writes `text` to `path` via a temporary file and rename: never a half-written file. */
async function writeAtomically(path: string, text: string): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temp, text, { flag: 'wx', mode: 0o644 });
    await rename(temp, path);
  } catch (cause) {
    await unlink(temp).catch(() => undefined);
    throw new CliError('ERR_CLI_INPUT', `cannot write ${path}`, { cause });
  }
}

async function generate(v: Parsed, io: CliIo): Promise<number> {
  if (v.label === undefined) throw new CliError('ERR_CLI_USAGE', '--label NAME is required');
  if (v.algorithm === undefined) throw new CliError('ERR_CLI_USAGE', '--algorithm is required');
  const spec = Object.hasOwn(algorithms, v.algorithm) ? algorithms[v.algorithm] : undefined;
  if (spec === undefined) {
    throw new CliError(
      'ERR_CLI_USAGE',
      `--algorithm must be one of ${Object.keys(algorithms).join(', ')}`,
    );
  }
  if (v.output !== undefined && v['csr-subject'] === undefined) {
    throw new CliError(
      'ERR_CLI_USAGE',
      '-o writes the certification request: give --csr-subject too',
    );
  }
  // Parse the subject before generating, so a typo does not leave a key without its request.
  const subject =
    v['csr-subject'] === undefined ? undefined : parseDistinguishedName(v['csr-subject']);
  const backend = await openBackend(v);
  try {
    const { ref } = await backend.generateKey(spec, v.label);
    io.stdout.write(`${ref}\n`);
    if (subject !== undefined) {
      const pem = certificationRequestToPem(
        await createCertificationRequest(backend, ref, { subject }),
      );
      if (v.output !== undefined) await writeAtomically(v.output, pem);
      else io.stdout.write(pem);
    }
    return 0;
  } finally {
    await backend.close();
  }
}

async function list(v: Parsed, io: CliIo): Promise<number> {
  const backend = await openBackend(v);
  try {
    const refs =
      backend instanceof SoftwareKeystore
        ? (await backend.listKeys()).map((k) => k.ref)
        : backend instanceof Pkcs11Backend
          ? await backend.listKeys()
          : [];
    for (const ref of refs) io.stdout.write(`${ref}\n`);
    return 0;
  } finally {
    await backend.close();
  }
}

async function rewrap(v: Parsed, io: CliIo): Promise<number> {
  const newKekFile = v['new-kek-file'];
  if (newKekFile === undefined) throw new CliError('ERR_CLI_USAGE', 'rewrap needs --new-kek-file F');
  const batchSize = v['batch-size'] === undefined ? undefined : Number(v['batch-size']);
  if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000)) {
    throw new CliError('ERR_CLI_USAGE', '--batch-size must be an integer from 1 to 10000');
  }
  const config = loadServerConfig(v.data !== undefined ? { dataDir: v.data } : {});
  let done = 0;
  const result = await rewrapKeys(config, {
    newKekFile,
    ...(batchSize !== undefined ? { batchSize } : {}),
    onRewrapped: () => {
      done++;
      if (done % 1000 === 0) io.stderr.write(`signet: ${done} keys re-wrapped\n`);
    },
  });
  io.stdout.write(
    `re-wrapped ${result.rewrapped.credentials} credential keys and ${result.rewrapped.ca} CA keys; server secrets ${result.secretsResealed ? 're-sealed' : 'already sealed'}; every key is now under KEK ${result.kekId}\n`,
  );
  return 0;
}

/** `signet keys generate|list|rewrap`. */
export const keysCommand: Command = {
  name: 'keys',
  summary: 'generate keys on a PKCS#11 token or in the encrypted keystore (with a CSR); list keys; re-wrap the service keys under a new KEK',
  usage,
  async run(argv, io) {
    const { positionals, values } = parse(argv);
    const [action, ...extra] = positionals;
    if (extra.length > 0)
      throw new CliError('ERR_CLI_USAGE', `unexpected argument ${extra[0] ?? ''}`);
    if (action === 'generate') return generate(values, io);
    if (action === 'list') return list(values, io);
    if (action === 'rewrap') return rewrap(values, io);
    throw new CliError('ERR_CLI_USAGE', `signet keys generate|list|rewrap (got ${action ?? 'nothing'})`);
  },
};
