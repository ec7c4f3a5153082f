/**
 * `signet pki serve`: runs the RFC 3161 TSA (POST /tsa), the RFC 6960 OCSP responder
 * (GET|POST /ocsp), the CRL (GET /crl, DER) and the CA certificates (GET /ca/issuing.cer,
 * /ca/root.cer) of a CA directory on 127.0.0.1.
 */
import { systemClock } from '../../core/clock.js';
import { openCaDirectory, pkiRoutes, startPkiHttpHost, updateBaseUrl } from '../../pki/index.js';
import type { Command } from '../command.js';
import { CliError } from '../errors.js';
import { parseCliArgs } from '../args.js';

const usage = `usage: signet pki serve --dir DIR --port P [--base-url URL] [--kek-file F]

  Serves POST /tsa, GET|POST /ocsp, GET /crl and GET /ca/{issuing,root}.cer on 127.0.0.1:P
  (P = 0 picks a free port). The base URL (default http://127.0.0.1:P) is saved in DIR/ca.json
  and written into the AIA/CDP of certificates issued afterwards. Stops on SIGINT/SIGTERM.`;

const options = {
  dir: { type: 'string' },
  port: { type: 'string' },
  'base-url': { type: 'string' },
  'kek-file': { type: 'string' },
} as const;

/** The `signet pki` command. */
export const pkiCommand: Command = {
  name: 'pki',
  summary: 'serve the TSA, OCSP responder and CRL of a CA directory',
  usage,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub !== 'serve') {
      io.stderr.write(`${usage}\n`);
      return 2;
    }
    const { values } = parseCliArgs({ args: [...rest], options, strict: true });
    if (values.dir === undefined) throw new CliError('ERR_CLI_USAGE', '--dir is required');
    const port = Number(values.port);
    if (values.port === undefined || !Number.isInteger(port) || port < 0 || port > 65535) {
      throw new CliError('ERR_CLI_USAGE', '--port must be a port number (0 picks a free one)');
    }
    const opened = await openCaDirectory(values.dir, {
      clock: systemClock,
      ...(values['kek-file'] !== undefined ? { kekFile: values['kek-file'] } : {}),
    });
    const host = await startPkiHttpHost({
      routes: pkiRoutes({
        ca: opened.ca,
        ocsp: opened.createOcspResponder().handler,
        tsa: opened.createTimestampAuthority().handler,
        rootCertificate: opened.rootCertificate,
        rootCrl: () => opened.readRootCrl(),
        clock: systemClock,
      }),
      port,
    });
    const baseUrl = values['base-url'] ?? host.url;
    if (baseUrl !== opened.config.baseUrl) updateBaseUrl(opened.dir, opened.config, baseUrl);
    io.stdout.write(`listening on ${host.url} (POST /tsa, GET|POST /ocsp, GET /crl, GET /ca/issuing.cer, GET /ca/root.crl); base URL ${baseUrl}\n`);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await host.close();
    await opened.close();
    return 0;
  },
};
