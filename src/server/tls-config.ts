/**
 * HTTPS for `signet serve` (issue 17, "TLS"): `SIGNET_TLS_CERT_FILE` and `SIGNET_TLS_KEY_FILE`
 * (PEM; the certificate file may carry the chain after the leaf) serve TLS 1.2 and 1.3 only, with
 * forward-secret AEAD suites and HTTP/1.1 over ALPN; `SIGNET_TLS_CLIENT_CA_FILE` asks clients for a
 * certificate issued under that CA, optional at the handshake so browsers and other clients still
 * connect (the transport part of RFC 8705 §2; auth/oauth2/client-certificate.ts maps the certificate
 * to an OAuth client). The files are read again on SIGHUP and
 * swapped in with `setSecureContext`: connections already open keep going.
 */
import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContextOptions, type Server as TlsServer } from 'node:tls';
import type { ServerOptions } from 'node:https';
import { ServerError } from './errors.js';

/** Where the TLS material is. */
export interface TlsConfig {
  readonly certFile: string;
  readonly keyFile: string;
  /** The CA whose client certificates are asked for (mutual TLS); undefined: none asked. */
  readonly clientCaFile: string | undefined;
}

/** The PEM text read from the files. */
export interface TlsMaterial {
  readonly cert: string;
  readonly key: string;
  readonly ca: string | undefined;
}

/**
 * TLS 1.2 suites (Mozilla "intermediate" profile, RFC 9325 §4.2): ECDHE key exchange and AEAD only.
 * TLS 1.3 suites are OpenSSL's defaults (all AEAD, RFC 8446 §9.1).
 */
export const tls12Ciphers = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

function nonEmpty(text: string | undefined): string | undefined {
  return text === undefined || text.trim() === '' ? undefined : text.trim();
}

/** Reads the TLS settings; ERR_SERVER_CONFIG when only one of the certificate and key is given. */
export function loadTlsConfig(env: NodeJS.ProcessEnv): TlsConfig | undefined {
  const certFile = nonEmpty(env['SIGNET_TLS_CERT_FILE']);
  const keyFile = nonEmpty(env['SIGNET_TLS_KEY_FILE']);
  const clientCaFile = nonEmpty(env['SIGNET_TLS_CLIENT_CA_FILE']);
  if (certFile === undefined && keyFile === undefined) {
    if (clientCaFile !== undefined) {
      throw new ServerError(
        'ERR_SERVER_CONFIG',
        'SIGNET_TLS_CLIENT_CA_FILE needs SIGNET_TLS_CERT_FILE and SIGNET_TLS_KEY_FILE (mutual TLS is TLS)',
      );
    }
    return undefined;
  }
  if (certFile === undefined)
    throw new ServerError('ERR_SERVER_CONFIG', 'SIGNET_TLS_KEY_FILE needs SIGNET_TLS_CERT_FILE');
  if (keyFile === undefined)
    throw new ServerError('ERR_SERVER_CONFIG', 'SIGNET_TLS_CERT_FILE needs SIGNET_TLS_KEY_FILE');
  return { certFile, keyFile, clientCaFile };
}

function readPem(file: string, variable: string, label: RegExp): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ServerError('ERR_SERVER_CONFIG', `${variable} (${file}) cannot be read`, { cause });
  }
  if (!label.test(text))
    throw new ServerError(
      'ERR_SERVER_CONFIG',
      `${variable} (${file}) holds no PEM ${label.source.replace(/\\/g, '')}`,
    );
  return text;
}

/**
 * Reads and checks the files (each a PEM of the right kind, the key matching the certificate,
 * the client CA a certificate); ERR_SERVER_CONFIG naming the variable otherwise.
 */
export function readTlsMaterial(config: TlsConfig): TlsMaterial {
  const cert = readPem(config.certFile, 'SIGNET_TLS_CERT_FILE', /-----BEGIN CERTIFICATE-----/);
  const key = readPem(
    config.keyFile,
    'SIGNET_TLS_KEY_FILE',
    /-----BEGIN (RSA |EC |ENCRYPTED )?PRIVATE KEY-----/,
  );
  const ca =
    config.clientCaFile === undefined
      ? undefined
      : readPem(config.clientCaFile, 'SIGNET_TLS_CLIENT_CA_FILE', /-----BEGIN CERTIFICATE-----/);
  try {
    createSecureContext({ cert, key });
  } catch (cause) {
    throw new ServerError(
      'ERR_SERVER_CONFIG',
      `SIGNET_TLS_KEY_FILE does not fit SIGNET_TLS_CERT_FILE (${(cause as Error).message})`,
      { cause },
    );
  }
  if (ca !== undefined) {
    try {
      createSecureContext({ ca });
    } catch (cause) {
      throw new ServerError(
        'ERR_SERVER_CONFIG',
        `SIGNET_TLS_CLIENT_CA_FILE (${config.clientCaFile ?? ''}) is not a readable certificate`,
        { cause },
      );
    }
  }
  return { cert, key, ca };
}

/** The secure-context part (what SIGHUP swaps). */
export function secureContextOptions(material: TlsMaterial): SecureContextOptions {
  return {
    cert: material.cert,
    key: material.key,
    ...(material.ca === undefined ? {} : { ca: material.ca }),
    minVersion: 'TLSv1.2',
    ciphers: tls12Ciphers,
    honorCipherOrder: true,
  };
}

/** The options of the HTTPS server. */
export function httpsServerOptions(material: TlsMaterial): ServerOptions {
  return {
    ...secureContextOptions(material),
    // HTTP/1.1 only: no h2 is offered over ALPN (RFC 7301 §3.2).
    ALPNProtocols: ['http/1.1'],
    // RFC 8705 §2: the client certificate is asked for (when a client CA is set) but not required
    // at the handshake; `socket.authorized` says whether it chains to the client CA.
    requestCert: material.ca !== undefined,
    rejectUnauthorized: false,
  };
}

/** What the reload logs to. */
interface ReloadLog {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * On SIGHUP, reads the TLS files again and swaps the new context in (`setSecureContext`): new
 * handshakes use it, connections already open keep theirs. A file that does not read or fit is
 * logged and the current context stays. Returns the function that stops listening for SIGHUP.
 */
export function reloadTlsOnSighup(
  server: TlsServer,
  config: TlsConfig,
  log: ReloadLog,
): () => void {
  const reload = (): void => {
    try {
      server.setSecureContext(secureContextOptions(readTlsMaterial(config)));
      log.info({ certFile: config.certFile }, 'TLS certificate reloaded');
    } catch (err) {
      log.error(
        { err: err instanceof Error ? err.message : String(err) },
        'TLS certificate not reloaded: the current one stays',
      );
    }
  };
  process.on('SIGHUP', reload);
  return () => process.off('SIGHUP', reload);
}

/**
 * Without TLS nothing is reloadable yet, but SIGHUP still comes (a reloader, a habit, `kill -HUP`
 * of a process manager): Node's default action would end the process, so the signal is logged and
 * ignored instead. Returns the function that stops listening for it.
 */
export function logSighupWithoutTls(log: Pick<ReloadLog, 'info'>): () => void {
  const note = (): void => {
    log.info({}, 'SIGHUP: nothing to reload (no TLS configured); still running');
  };
  process.on('SIGHUP', note);
  return () => process.off('SIGHUP', note);
}
