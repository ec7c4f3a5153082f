/**
 * `signet serve [--data DIR] [--port P] [--host H] [--base-url URL] [--demo]`: one process serving
 * the CSC API, OAuth2, the PKI endpoints and the admin API. First start bootstraps the data
 * directory and prints a one-time administrator set-up token; SIGTERM/SIGINT drain and stop
 * (docs/security.md FLT-19: readiness false first, in-flight requests finish, then exit 0).
 */
import type { Logger } from 'pino';
import {
  Readiness,
  buildServer,
  startRenewalJob,
  createLogger,
  createServices,
  loadServerConfig,
  parsePort,
  type ServerConfig,
  type ServerConfigInput,
  type Services,
} from '../../server/index.js';
import { effectiveConfiguration, formatEffectiveConfiguration } from '../../server/effective-config.js';
import { httpsServerOptions, logSighupWithoutTls, readTlsMaterial, reloadTlsOnSighup } from '../../server/tls-config.js';
import { Server as TlsServer } from 'node:tls';
import { ensureDemoAccount, type DemoAccount } from '../../server/demo.js';
import { serverSurfaces, credentialOperationsFor } from '../../server/surfaces.js';
import { loadMetricsConfig, startMetricsListener } from '../../server/metrics/index.js';
import { startTracing } from '../../server/tracing/index.js';
import type { CliIo, Command } from '../command.js';
import { parseCliArgs } from '../args.js';

const usage = `usage: signet serve [--data DIR] [--port P] [--host H] [--base-url URL] [--demo] [--print-config]

  Serves the CSC API (/csc/v2, /csc/v1), OAuth 2.0 (/oauth2), the PKI endpoints (/pki: tsa,
  ocsp, crl, ca certificates), the admin API (/admin/v1), /healthz and the OpenAPI document
  (/documentation, /documentation/json). Defaults: --data ./signet-data, --port 8080, --host 127.0.0.1 (the
  base URL is then http://localhost:P: passkeys need a domain name, not an IP address).
  P = 0 picks a free port; the line "signet: listening on URL port=P" names it.
  DATABASE_URL=postgres://… switches from the SQLite file to PostgreSQL; SIGNET_KEK_FILE or
  SIGNET_KEK supply the key-encryption key instead of DIR/kek. SIGNET_PKCS11_MODULE, _TOKENS and
  _PIN(_FILE) add a PKCS#11 key backend (kind pkcs11) next to the software keystore.
  --demo creates once a demo user, credential and OAuth client, written to DIR/demo.json.
  /health/live and /health/ready are the liveness and readiness probes. SIGTERM: readiness false,
  SIGNET_SHUTDOWN_DELAY_MS (default 0) more of serving, then in-flight requests finish (at most
  SIGNET_SHUTDOWN_TIMEOUT_MS, default 30000) and exit 0. See docs/operations.md.
  SIGNET_TLS_CERT_FILE and SIGNET_TLS_KEY_FILE serve HTTPS (re-read on SIGHUP); with
  SIGNET_TLS_CLIENT_CA_FILE client certificates are asked for (optional at the handshake).
  --print-config prints the effective configuration (NAME=value # source, secrets masked) and
  exits; a malformed setting stops the start with one line naming it (docs/configuration.md).`;

/** The version named in spans (package.json's). */
const signetVersion = '0.1.0';

const options = {
  data: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  'base-url': { type: 'string' },
  demo: { type: 'boolean' },
  'log-level': { type: 'string' },
  'print-config': { type: 'boolean' },
} as const;

function demoInstructions(demo: DemoAccount, baseUrl: string, dataDir: string): string {
  const b = baseUrl;
  return [
    '',
    `Demo account (stored in ${dataDir}/demo.json):`,
    `  user ${demo.username}, credential ${demo.credentialID}, OAuth client ${demo.clientId}`,
    'Sign a PDF from the CLI:',
    `  node bin/signet.js sign-csc in.pdf out.pdf --service ${b} --demo ${dataDir}/demo.json`,
    'Or the CSC flow by hand (TOTP from totpSecret, e.g. `oathtool --totp -b SECRET`):',
    `  curl -s -u USER:PASSWORD -X POST ${b}/csc/v2/auth/login -H 'content-type: application/json' -d '{}'`,
    `  curl -s -X POST ${b}/csc/v2/credentials/authorize -H 'authorization: Bearer TOKEN' -H 'content-type: application/json' \\`,
    `       -d '{"credentialID":"${demo.credentialID}","numSignatures":1,"hashes":["<base64 SHA-256>"],"hashAlgorithmOID":"2.16.840.1.101.3.4.2.1","authData":[{"id":"PIN","value":"PIN"},{"id":"OTP","value":"OTP"}]}'`,
    `  curl -s -X POST ${b}/csc/v2/signatures/signHash -H 'authorization: Bearer TOKEN' -H 'content-type: application/json' \\`,
    `       -d '{"credentialID":"${demo.credentialID}","SAD":"SAD","hashes":["<base64 SHA-256>"],"hashAlgorithmOID":"2.16.840.1.101.3.4.2.1","signAlgo":"1.2.840.10045.4.3.2"}'`,
    '',
  ].join('\n');
}

/**
 * The base URL when none is configured. On the loopback default it is `http://localhost:PORT`:
 * WebAuthn refuses an IP address as relying-party id (W3C WebAuthn L2 §5.1.4.1), and browsers
 * reach a 127.0.0.1 listener under that name.
 */
export function defaultBaseUrl(host: string, port: number, scheme: 'http' | 'https' = 'http'): string {
  if (host === '127.0.0.1' || host === 'localhost') return `${scheme}://localhost:${port}`;
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

async function waitForSignal(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: string): void => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(signal);
    };
    const onInt = (): void => stop('SIGINT');
    const onTerm = (): void => stop('SIGTERM');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
  });
}

function warnDevelopmentDefaults(services: Services, log: Logger): void {
  if (services.config.kek.kind === 'file') {
    log.warn(
      { kekFile: services.config.kek.file },
      'the KEK is stored in the data directory (development default): production must keep it elsewhere (SIGNET_KEK_FILE)',
    );
  }
  if (services.config.baseUrl === undefined && (services.config.host === '0.0.0.0' || services.config.host === '::')) {
    log.warn(
      { host: services.config.host },
      'no --base-url (SIGNET_BASE_URL) while listening on all interfaces: certificate AIA/CDP URLs and the OAuth issuer will name an unroutable address',
    );
  }
  if (services.config.database.kind === 'sqlite') {
    log.info({ file: services.config.database.file }, 'embedded SQLite database (set DATABASE_URL for PostgreSQL)');
  }
}

/**
 * The graceful stop (docs/security.md FLT-19): readiness false first (a load balancer stops routing
 * here), requests still served for the drain delay, then Fastify's close() stops accepting,
 * answers 503 on kept-alive connections and waits for in-flight requests. True when everything
 * finished within the shutdown timeout; otherwise the remaining connections are cut.
 */
async function drainAndClose(app: Awaited<ReturnType<typeof buildServer>>, readiness: Readiness, shutdown: ServerConfig['shutdown'], log: Logger): Promise<boolean> {
  readiness.drain();
  log.info({ drainDelayMs: shutdown.drainDelayMs }, 'shutting down: readiness is false');
  if (shutdown.drainDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, shutdown.drainDelayMs));
  log.info('shutting down: closing the listener, draining requests');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), shutdown.timeoutMs);
  });
  // A connection whose last answer went out just before close() stays open as keep-alive; cut
  // idle ones until the server is closed (answers in progress are never cut).
  const sweeper = setInterval(() => app.server.closeIdleConnections(), 100);
  const drained = await Promise.race([app.close().then(() => true as const), timedOut]);
  clearInterval(sweeper);
  clearTimeout(timer);
  if (!drained) {
    log.warn({ timeoutMs: shutdown.timeoutMs }, 'shutdown timeout: cutting the remaining connections');
    app.server.closeAllConnections();
  }
  return drained;
}

/** Runs the server until SIGINT/SIGTERM (or `stop` resolves, in tests). */
export async function runServe(argv: readonly string[], io: CliIo, stop: Promise<unknown> = waitForSignal()): Promise<number> {
  const { values } = parseCliArgs({ args: [...argv], options, strict: true, allowPositionals: false });
  const input: ServerConfigInput = {
    ...(values.data !== undefined ? { dataDir: values.data } : {}),
    ...(values.port !== undefined ? { port: parsePort(values.port, '--port') } : {}),
    ...(values.host !== undefined ? { host: values.host } : {}),
    ...(values['base-url'] !== undefined ? { baseUrl: values['base-url'] } : {}),
    ...(values['log-level'] !== undefined ? { logLevel: values['log-level'] } : {}),
    demo: values.demo === true,
  };
  const config = loadServerConfig(input);
  const metricsConfig = loadMetricsConfig();
  // Every setting is parsed before anything is created: a malformed one stops here, in one line.
  const settings = effectiveConfiguration(config, input, process.env);
  if (values['print-config'] === true) {
    io.stdout.write(formatEffectiveConfiguration(settings));
    return 0;
  }
  const logger = createLogger(config.logLevel, io.stdout);
  // OTEL_EXPORTER_OTLP_ENDPOINT set: spans over OTLP/HTTP; unset: nothing is installed.
  const tracing = startTracing(process.env, { version: signetVersion, nodeId: config.nodeId });
  const services = await createServices(config, { logger, credentials: credentialOperationsFor, ...(tracing !== undefined ? { tracing } : {}) }).catch(
    async (err: unknown) => {
      await tracing?.shutdown();
      throw err;
    },
  );
  services.metrics.collectProcessMetrics();
  let exitCode = 0;
  let metricsListener: Awaited<ReturnType<typeof startMetricsListener>> | undefined;
  let stopMetricsTlsReload = (): void => undefined;
  try {
    warnDevelopmentDefaults(services, logger);
    // Not ready before the demo account (and demo.json) exists: a probe must not route clients
    // to a server whose demo credential is still being made.
    const readiness = new Readiness({ store: services.store, backends: services.backends, audit: services.audit, starting: config.demo });
    const tls = config.tls === undefined ? undefined : readTlsMaterial(config.tls);
    const app = await buildServer(services, {
      surfaces: serverSurfaces(services),
      readiness,
      ...(tls === undefined ? {} : { https: httpsServerOptions(tls) }),
      metricsRoute: metricsConfig.address === undefined ? { ...(metricsConfig.token !== undefined ? { token: metricsConfig.token } : {}) } : false,
    });
    // SIGHUP: the certificate and key are read again, open connections keep going (issue 17);
    // without TLS the signal is logged and ignored (Node's default action would end the process).
    const stopTlsReload = config.tls !== undefined && app.server instanceof TlsServer ? reloadTlsOnSighup(app.server, config.tls, logger) : logSighupWithoutTls(logger);
    await app.listen({ port: config.port, host: config.host });
    if (metricsConfig.address !== undefined) {
      metricsListener = await startMetricsListener(metricsConfig.address, services.metrics, metricsConfig.token, tls);
      if (config.tls !== undefined && metricsListener.tlsServer !== undefined) stopMetricsTlsReload = reloadTlsOnSighup(metricsListener.tlsServer, config.tls, logger);
      io.stdout.write(`signet: metrics at ${metricsListener.url}\n`);
    }
    const address = app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : config.port;
    if (config.baseUrl === undefined) services.baseUrl.set(defaultBaseUrl(config.host, port, tls === undefined ? 'http' : 'https'));
    const base = services.baseUrl.get();
    // After listening: the demo certificate's AIA/CDP must carry the bound port.
    const demo = config.demo ? await ensureDemoAccount(services) : undefined;
    readiness.started();
    io.stdout.write(`signet: OpenAPI document at ${base}/documentation/json\n`);
    if (services.setupToken !== undefined) {
      io.stdout.write(
        `signet: one-time administrator set-up token (shown once): ${services.setupToken}\n` +
          `signet:   curl -s -X POST ${base}/admin/v1/setup -H 'content-type: application/json' -d '{"setupToken":"${services.setupToken}"}'\n`,
      );
    }
    if (demo !== undefined) io.stdout.write(`${demoInstructions(demo.demo, base, config.dataDir)}\n`);
    // Last: once this line is out, everything (demo account included) is ready.
    io.stdout.write(`signet: listening on ${base} port=${port}\n`);
    // docs/security.md FLT-20: certificate renewal every SIGNET_RENEWAL_INTERVAL_MS, one node at a time.
    const renewal = startRenewalJob(
      { store: services.store, ca: services.ca, logger, nodeId: config.nodeId, onRound: (outcome) => services.metrics.renewalRuns.inc({ outcome }) },
      config.renewal,
    );
    // Issue 21: a signed tree head of the transparency log every SIGNET_TRANSPARENCY_STH_INTERVAL_MS
    // (one node at a time), and one now, so a new log has a head at once.
    const { publisher } = services.transparency;
    if (config.transparency.sthIntervalMs > 0) {
      publisher.start(config.transparency.sthIntervalMs, (err) => logger.error({ err }, 'transparency tree head not published'));
    } else {
      void publisher.publish().catch((err: unknown) => logger.error({ err }, 'transparency tree head not published'));
    }
    const signal = await stop;
    logger.info({ signal }, 'shutting down');
    stopTlsReload();
    stopMetricsTlsReload();
    await renewal.stop();
    await publisher.stop();
    if (!(await drainAndClose(app, readiness, config.shutdown, logger))) exitCode = 1;
  } finally {
    await metricsListener?.close();
    await services.close();
    await tracing?.shutdown();
  }
  io.stdout.write('signet: stopped\n');
  return exitCode;
}

/** The `signet serve` command. */
export const serveCommand: Command = {
  name: 'serve',
  summary: 'run the signing service (CSC API, OAuth2, PKI, admin)',
  usage,
  run: (argv, io) => runServe(argv, io),
};
