/**
 * `signet token-server`: serves the keys of this machine's PKCS#11 tokens (or keystore) to
 * signing nodes over HTTPS with mutual TLS (RFC 8446 §4.3.2), until SIGINT or SIGTERM.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  loadKek,
  Pkcs11Backend,
  readSecretText,
  SoftwareKeystore,
  TokenServer,
  type KeyBackend,
} from '../../keys/index.js';
import type { Command } from '../command.js';
import { CliError } from '../errors.js';

const usage = `usage: signet token-server --tls-cert CERT.pem --tls-key KEY.pem --client-ca CA.pem
                           [--listen HOST:PORT]   (default 127.0.0.1:8443)
                           (--pkcs11-module LIB.so --token LABEL --pin-file F [--token L2 --pin-file F2 …]
                            | --keystore DIR --kek-file F)

  Clients must present a certificate issued by --client-ca. One --pin-file per --token (or a
  single --pin-file for every token). Prints "listening on https://HOST:PORT" once ready.`;

const options = {
  'pkcs11-module': { type: 'string' },
  token: { type: 'string', multiple: true },
  'pin-file': { type: 'string', multiple: true },
  keystore: { type: 'string' },
  'kek-file': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'client-ca': { type: 'string' },
  listen: { type: 'string' },
} as const;

function readPem(path: string | undefined, what: string): string {
  if (path === undefined) throw new CliError('ERR_CLI_USAGE', `${what} is required`);
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    throw new CliError('ERR_CLI_INPUT', `cannot read ${path}`, { cause });
  }
}

function parseListen(listen: string): { host: string; port: number } {
  const match = /^(.+):(\d{1,5})$/.exec(listen);
  const port = Number(match?.[2]);
  if (!match || port > 65535) throw new CliError('ERR_CLI_USAGE', '--listen must be HOST:PORT');
  return { host: (match[1] as string).replace(/^\[(.*)\]$/, '$1'), port };
}

/** `signet token-server`. */
export const tokenServerCommand: Command = {
  name: 'token-server',
  summary: "serve this machine's PKCS#11 tokens to signing nodes over HTTPS with mutual TLS",
  usage,
  async run(argv, io) {
    let values;
    try {
      values = parseArgs({ args: [...argv], options, strict: true }).values;
    } catch (cause) {
      throw new CliError(
        'ERR_CLI_USAGE',
        cause instanceof Error ? cause.message : 'bad arguments',
        { cause },
      );
    }
    const tls = {
      cert: readPem(values['tls-cert'], '--tls-cert'),
      key: readPem(values['tls-key'], '--tls-key'),
      ca: readPem(values['client-ca'], '--client-ca'),
    };
    const { host, port } = parseListen(values.listen ?? '127.0.0.1:8443');
    let backend: KeyBackend;
    if (values['pkcs11-module'] !== undefined && values.keystore === undefined) {
      const tokens = values.token ?? [];
      const pins = values['pin-file'] ?? [];
      if (tokens.length === 0)
        throw new CliError('ERR_CLI_USAGE', '--pkcs11-module needs at least one --token');
      if (pins.length !== 1 && pins.length !== tokens.length) {
        throw new CliError('ERR_CLI_USAGE', 'give one --pin-file per --token, or one for all');
      }
      backend = await Pkcs11Backend.open({
        module: values['pkcs11-module'],
        tokens: tokens.map((label, i) => ({
          label,
          pin: readSecretText((pins[i] ?? pins[0]) as string),
        })),
      });
    } else if (values.keystore !== undefined && values['pkcs11-module'] === undefined) {
      const kek =
        values['kek-file'] !== undefined
          ? loadKek({ file: values['kek-file'] })
          : loadKek({ env: 'SIGNET_KEK' });
      backend = await SoftwareKeystore.open({ dir: values.keystore, kek });
    } else {
      throw new CliError('ERR_CLI_USAGE', 'give exactly one of --pkcs11-module or --keystore');
    }
    let server: TokenServer;
    try {
      server = await TokenServer.start({ backend, tls, host, port });
    } catch (cause) {
      await backend.close();
      throw new CliError('ERR_CLI_INPUT', `cannot listen on ${host}:${port}`, { cause });
    }
    io.stdout.write(`listening on ${server.url}\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await server.close();
    await backend.close();
    return 0;
  },
};
