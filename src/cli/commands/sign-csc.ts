/**
 * `signet sign-remote`: PAdES signing of one file or a batch with a credential held by a CSC
 * provider (Signet or any CSC API v2 service): auth/login (or an OAuth token), one
 * credentials/authorize with PIN + OTP for the whole batch (CSC v2 §11.6), signatures/signHash
 * in chunks (§11.10), embedding here.
 */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { parseArgs } from 'node:util';
import { decodeBase32, generateTotp, totpStep, defaultTotpParams } from '../../auth/index.js';
import { monotonicMs, systemClock, type Clock } from '../../core/clock.js';
import { CscClient, loadRemoteCredential, type CscServiceAuth, type ExplicitSecrets } from '../../csc/client/index.js';
import { bearerAuthorizer, cscTimestamper, explicitAuthorizer, signBatch, type BatchDocument, type DocumentSignOptions } from '../../gateway/index.js';
import type { CliIo, Command } from '../command.js';
import { expandInputs, prepareOutDir, progressBar } from './batch-io.js';
import { CliError } from '../errors.js';
import { formatError } from '../main.js';
import { levelSources, levelUsage } from './sign-level.js';
import { appearanceFrom, appearanceOptions, checkOutputs, parseDigest, parseScheme, readSecretFile } from './sign-options.js';
import { parseCliArgs } from '../args.js';

const usage = `usage: signet sign-remote IN.pdf -o OUT.pdf --csc-url URL [authorization] [options]
       signet sign-remote A.pdf B.pdf … | DIR --out-dir OUTDIR --csc-url URL [authorization] [options]
       signet sign-remote IN.pdf OUT.pdf --csc-url URL --demo DATA/demo.json   (OUT.pdf must not exist)

Signs with a credential of a CSC API v2 provider (e.g. signet serve: --csc-url http://127.0.0.1:8080).
The whole batch is authorized once (PIN + OTP over all its hashes), then signed with signHash.

service authorization (one of):
  --demo FILE                      the demo.json of 'signet serve --demo' (username, password,
                                   totpSecret, credentialID, pin): nothing else needed
  --username U --password-file F   auth/login with HTTP Basic
  --access-token-file F            an OAuth 2.0 access token (scope service; with scope
                                   credential it is the SAD itself and no PIN/OTP is sent)
credential authorization (explicit mode):
  --credential ID                  the credential (default: the only one the user has)
  --pin-file F                     the credential's PIN
  --totp-secret-file F             base32 TOTP secret: a fresh code for each authorization
  --otp CODE                       a one-time code (enough for one authorization)
options:
  --csc-url URL           the provider; /csc/v2 is appended when the URL has no /csc/vN path
                          (--service URL is the same option)
  --field NAME  --reason TEXT  --location TEXT  --contact TEXT
  --visible P,X1,Y1,X2,Y2 visible signature on page P (1-based), rectangle in points
  --certify 1|2|3         certification signature with DocMDP permission P
  --algorithm rsa-pss|rsa-pkcs1|ecdsa     --digest sha256|sha384|sha512
  --hashes-per-call N     hashes per signHash call (default 50)
  --concurrency N         signHash calls in flight (default 2)
${levelUsage}
  --tsa csc               take the timestamps from the provider's signatures/timestamp`;

const options = {
  output: { type: 'string', short: 'o' },
  'out-dir': { type: 'string' },
  'csc-url': { type: 'string' },
  service: { type: 'string' },
  demo: { type: 'string' },
  username: { type: 'string' },
  'password-file': { type: 'string' },
  'access-token-file': { type: 'string' },
  credential: { type: 'string' },
  'pin-file': { type: 'string' },
  'totp-secret-file': { type: 'string' },
  otp: { type: 'string' },
  ...appearanceOptions,
  algorithm: { type: 'string' },
  digest: { type: 'string' },
  'hashes-per-call': { type: 'string' },
  concurrency: { type: 'string' },
  level: { type: 'string' },
  tsa: { type: 'string' },
  'timeout-ms': { type: 'string' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>['values'];

function parse(argv: readonly string[]): ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>> {
  return parseCliArgs({ args: [...argv], options, allowPositionals: true, strict: true });
}

/** `--csc-url`: the base URI of the CSC methods (CSC v2 §7.2: `…/csc/v2/{method}`). */
export function cscBaseUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliError('ERR_CLI_USAGE', `--csc-url expects an http(s) URL (got '${text}')`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError('ERR_CLI_USAGE', `--csc-url expects an http(s) URL (got '${text}')`);
  const path = url.pathname.replace(/\/+$/, '');
  url.pathname = /\/csc\/v\d+$/.test(path) ? path : `${path}/csc/v2`;
  return url.toString();
}

function positiveInt(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new CliError('ERR_CLI_USAGE', `--${name} expects a positive integer (got '${text}')`);
  return n;
}

/** The account file written by `signet serve --demo`. */
interface DemoFile {
  readonly username: string;
  readonly password: string;
  readonly totpSecret: string;
  readonly credentialID: string;
  readonly pin: string;
}

function readDemoFile(path: string): DemoFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readSecretFile(path, 'demo file'));
  } catch (cause) {
    if (cause instanceof CliError) throw cause;
    throw new CliError('ERR_CLI_INPUT', `the demo file '${path}' is not JSON`, { cause });
  }
  const d = parsed as Record<string, unknown>;
  for (const k of ['username', 'password', 'totpSecret', 'credentialID', 'pin']) {
    if (typeof d[k] !== 'string') throw new CliError('ERR_CLI_INPUT', `the demo file '${path}' has no string "${k}"`);
  }
  return d as unknown as DemoFile;
}

function serviceAuth(v: Values, demo: DemoFile | undefined): CscServiceAuth {
  if (demo !== undefined) {
    if (v.username !== undefined || v['access-token-file'] !== undefined) throw new CliError('ERR_CLI_USAGE', 'use either --demo or --username/--access-token-file');
    return { kind: 'basic', username: demo.username, password: demo.password };
  }
  if (v['access-token-file'] !== undefined) {
    if (v.username !== undefined) throw new CliError('ERR_CLI_USAGE', 'use either --access-token-file or --username, not both');
    return { kind: 'bearer', accessToken: readSecretFile(v['access-token-file'], 'access token file') };
  }
  if (v.username === undefined || v['password-file'] === undefined) {
    throw new CliError('ERR_CLI_USAGE', `give --username U --password-file F, or --access-token-file F\n${usage}`);
  }
  return { kind: 'basic', username: v.username, password: readSecretFile(v['password-file'], 'password file') };
}

/**
 * One OTP per authorization: from a TOTP secret (RFC 6238), never reusing a time step the
 * provider has already seen (it refuses replays, RFC 6238 §5.2) — waits for the next step —
 * or the single code given with --otp.
 */
function otpSource(v: Values, demo: DemoFile | undefined, clock: Clock, io: CliIo): (() => Promise<string | undefined>) {
  if (v['totp-secret-file'] !== undefined && v.otp !== undefined) throw new CliError('ERR_CLI_USAGE', 'use either --totp-secret-file or --otp, not both');
  const secretText = v['totp-secret-file'] !== undefined && v.otp === undefined ? readSecretFile(v['totp-secret-file'], 'TOTP secret file') : v.otp === undefined ? demo?.totpSecret : undefined;
  if (secretText !== undefined) {
    const secret = decodeBase32(secretText.trim());
    let lastStep = -1;
    return async () => {
      let now = clock.now();
      const period = defaultTotpParams.periodSeconds * 1000;
      if (totpStep(now) <= lastStep) {
        const wait = period - (now.getTime() % period) + 50;
        io.stderr.write(`waiting ${Math.ceil(wait / 1000)} s for the next TOTP code\n`);
        await new Promise((resolve) => setTimeout(resolve, wait));
        now = clock.now();
      }
      lastStep = totpStep(now);
      return generateTotp(secret, now);
    };
  }
  let code = v.otp;
  return () => {
    if (code === undefined && v.otp !== undefined) {
      return Promise.reject(new CliError('ERR_CLI_USAGE', '--otp is good for one authorization; this batch needs more (use --totp-secret-file)'));
    }
    const out = code;
    code = undefined;
    return Promise.resolve(out);
  };
}

export const signCscCommand: Command = {
  name: 'sign-remote',
  summary: 'sign PDF files (PAdES) with a credential of a CSC API provider, one or a batch',
  usage,
  async run(argv, io) {
    const { values: v, positionals } = parse(argv);
    if (positionals.length === 0) throw new CliError('ERR_CLI_USAGE', `no input file\n${usage}`);
    const cscUrl = v['csc-url'] ?? v.service;
    if (cscUrl === undefined) throw new CliError('ERR_CLI_USAGE', `--csc-url is required\n${usage}`);
    const outDir = v['out-dir'];
    let output = v.output;
    if (outDir === undefined && output === undefined && positionals.length === 2 && !existsSync(positionals[1] as string)) {
      // `IN.pdf OUT.pdf`: only when OUT does not exist, so a forgotten --out-dir never overwrites an input.
      output = positionals.pop();
    }
    checkOutputs(positionals.length, output, outDir);
    const clock = systemClock;
    // `--tsa csc`: the signature-time-stamps come from the provider's signatures/timestamp.
    const providerTsa = v.tsa?.toLowerCase() === 'csc';
    const level = await levelSources(providerTsa ? { ...v, tsa: 'http://provider.invalid/tsa' } : v, clock);
    const signOptions: DocumentSignOptions = {
      ...level,
      ...appearanceFrom(v),
    };
    const hashesPerCall = positiveInt(v['hashes-per-call'], 'hashes-per-call');
    const concurrency = positiveInt(v.concurrency, 'concurrency');
    const scheme = parseScheme(v.algorithm);
    const digest = parseDigest(v.digest);
    const demo = v.demo === undefined ? undefined : readDemoFile(v.demo);
    const auth = serviceAuth(v, demo);
    const pin = v['pin-file'] === undefined ? demo?.pin : readSecretFile(v['pin-file'], 'PIN file');
    const nextOtp = otpSource(v, demo, clock, io);

    const client = new CscClient({ baseUrl: cscBaseUrl(cscUrl), auth });
    const batchOptions: DocumentSignOptions = providerTsa && level.timestamper ? { ...signOptions, timestamper: cscTimestamper(client) } : signOptions;
    let credentialID = v.credential ?? demo?.credentialID;
    if (credentialID === undefined) {
      const { credentialIDs } = await client.listCredentials();
      if (credentialIDs.length !== 1) {
        throw new CliError('ERR_CLI_USAGE', `choose a credential with --credential (available: ${credentialIDs.join(', ') || 'none'})`);
      }
      credentialID = credentialIDs[0] as string;
    }
    const credential = await loadRemoteCredential(client, credentialID, {
      ...(scheme === undefined ? {} : { scheme }),
      ...(digest === undefined ? {} : { digest }),
    });
    // Without PIN and OTP, a bearer token of scope `credential` is the SAD (CSC v2 §8.4).
    const authorize =
      auth.kind === 'bearer' && pin === undefined && v.otp === undefined && v['totp-secret-file'] === undefined && demo === undefined
        ? bearerAuthorizer()
        : explicitAuthorizer(client, credential, async (): Promise<ExplicitSecrets> => {
            const otp = await nextOtp();
            return { ...(pin === undefined ? {} : { pin }), ...(otp === undefined ? {} : { otp }) };
          });

    const files = outDir === undefined ? positionals : expandInputs(positionals);
    if (outDir !== undefined) prepareOutDir(outDir);
    const documents: BatchDocument[] = files.map((file) => ({
      id: file,
      source: { kind: 'file', path: file },
      sink: { kind: 'file', path: outDir === undefined ? (output as string) : join(outDir, basename(file)) },
    }));
    const started = monotonicMs();
    const result = await signBatch(documents, {
      client,
      credential,
      authorize,
      clock,
      options: batchOptions,
      ...(hashesPerCall === undefined ? {} : { hashesPerCall }),
      ...(concurrency === undefined ? {} : { concurrency }),
      onProgress: (p) => {
        if (p.event !== 'prepared') progressBar(io, p.finished, p.total, basename(p.id));
      },
    });
    if (io.stderr.isTTY) io.stderr.write('\n');
    for (const r of result.results) {
      if (!r.ok) io.stderr.write(`${r.id}: ${formatError(r.error)}\n`);
    }
    if (outDir === undefined && result.failed === 0) return 0;
    const seconds = ((monotonicMs() - started) / 1000).toFixed(2);
    io.stdout.write(
      `signed ${result.signed} of ${files.length} files in ${seconds} s with credential ${credential.credentialID}` +
        ` (${result.authorizations} authorization${result.authorizations === 1 ? '' : 's'}, ${result.signHashCalls} signHash call${result.signHashCalls === 1 ? '' : 's'})` +
        `${result.failed ? `, ${result.failed} failed` : ''}\n`,
    );
    return result.failed === 0 ? 0 : 1;
  },
};

/** `signet sign-csc`: the same command under the name `signet serve --demo` prints. */
export const signCscAliasCommand: Command = { ...signCscCommand, name: 'sign-csc', summary: 'same as sign-remote' };
