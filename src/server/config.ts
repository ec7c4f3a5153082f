/**
 * Server configuration: embedded defaults (data directory `./signet-data`, SQLite file inside it,
 * KEK file inside it) overridden by options and the environment (`DATABASE_URL`, `SIGNET_KEK`,
 * `SIGNET_KEK_FILE`, `SIGNET_BASE_URL`, `SIGNET_PORT`, `SIGNET_HOST`, `SIGNET_LOG_LEVEL`, and the
 * attempt, request and failure-audit limits).
 */
import { availableParallelism, hostname } from 'node:os';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { StoreConfig } from '../store/index.js';
import { ServerError } from './errors.js';
import { loadTlsConfig, type TlsConfig } from './tls-config.js';

/** Where the key-encryption key comes from. */
export type KekLocation =
  | { readonly kind: 'file'; readonly file: string }
  /** `SIGNET_KEK_FILE` or `SIGNET_KEK` (the `*_FILE` convention; the file wins). */
  | { readonly kind: 'env'; readonly environment: NodeJS.ProcessEnv };

/** The remote token servers of a node and the client identity it presents to them. */
export interface TokenServersConfig {
  readonly servers: readonly { readonly name: string; readonly url: string }[];
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile: string;
}

/** The resolved configuration of one server process. */
export interface ServerConfig {
  /** Absolute path of the data directory. */
  readonly dataDir: string;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Public base URL (AIA/CDP URLs, OAuth issuer); undefined: `http://host:<bound port>`. */
  readonly baseUrl: string | undefined;
  readonly database: StoreConfig;
  readonly kek: KekLocation;
  /**
   * `SIGNET_KEK_PREVIOUS_FILE`: the KEK being rotated away from, still accepted for unwrapping
   * while `signet keys rewrap` moves every key to the current one (docs/operations.md).
   */
  readonly previousKekFile: string | undefined;
  /**
   * Remote token servers (`signet token-server`, issue 16 §2) from `SIGNET_TOKEN_SERVERS`
   * (`NAME=https://host:port,…`), each a key backend `remote:NAME`, reached over mutual TLS with
   * one client identity (`SIGNET_TOKEN_SERVER_CERT_FILE`, `_KEY_FILE`, `_CA_FILE`).
   */
  readonly tokenServers: TokenServersConfig | undefined;
  /** `NODE_ENV=production`: the KEK must come from SIGNET_KEK_FILE outside the data directory. */
  readonly production: boolean;
  /** Largest accepted request body, in bytes (CSC signDoc documents travel base64 in JSON). */
  readonly bodyLimitBytes: number;
  readonly logLevel: string;
  /** This node's id in the audit log (docs/security.md AUD: per-node provenance). */
  readonly nodeId: string;
  /** Whether `--demo` was asked for. */
  readonly demo: boolean;
  /**
   * Password/TOTP attempts per source address per minute (docs/security.md SCA-01/03), from
   * `SIGNET_AUTH_ATTEMPTS_PER_MINUTE` (default 60; 0 turns the limit off).
   */
  readonly authAttemptsPerMinute: number;
  /**
   * Request limits on the CSC, OAuth2 and user API routes (docs/security.md DOS-17), per source address
   * and per presented client credential (Authorization header), as token buckets refilled each
   * minute: `SIGNET_FAILED_REQUESTS_PER_MINUTE` counts refused (4xx) answers only (default 300),
   * `SIGNET_REQUESTS_PER_MINUTE` counts every request (default 120000, well above a batch
   * gateway's signHash rate). 0 turns a limit off. In-process: each node counts on its own.
   */
  readonly rateLimits: { readonly failuresPerMinute: number; readonly requestsPerMinute: number };
  /**
   * Failure-audit aggregation (docs/security.md DOS-20): per event type, the first
   * `SIGNET_AUDIT_FAILURES_PER_MINUTE` failures per source address (default 100) and
   * `SIGNET_AUDIT_FAILURES_TOTAL_PER_MINUTE` failures in all (default 10000) are recorded one by
   * one each minute; past that, summary entries with the running count. 0 records every failure.
   */
  readonly failureAudit: { readonly perSourcePerMinute: number; readonly totalPerMinute: number };
  /**
   * A PKCS#11 key backend (kind `pkcs11`) next to the software keystore: `SIGNET_PKCS11_MODULE`
   * (library path), `SIGNET_PKCS11_TOKENS` (comma-separated token labels, one pool), the user PIN
   * from `SIGNET_PKCS11_PIN_FILE` or `SIGNET_PKCS11_PIN` (read at start, never stored).
   */
  readonly pkcs11: { readonly module: string; readonly tokens: readonly string[]; readonly environment: NodeJS.ProcessEnv } | undefined;
  /**
   * Graceful shutdown on SIGTERM/SIGINT (docs/security.md FLT-19): readiness turns false at once, new
   * requests are still served for `SIGNET_SHUTDOWN_DELAY_MS` (default 0; set it to the load
   * balancer's probe interval so it stops routing here first), then the listener closes and
   * in-flight requests finish; past `SIGNET_SHUTDOWN_TIMEOUT_MS` (default 30000) the remaining
   * connections are cut and the process exits 1.
   */
  readonly shutdown: { readonly drainDelayMs: number; readonly timeoutMs: number };
  /**
   * The periodic certificate renewal job (docs/security.md FLT-20): every `SIGNET_RENEWAL_INTERVAL_MS`
   * (default 3600000; 0 turns it off) the credential certificates expiring within
   * `SIGNET_RENEWAL_WITHIN_DAYS` (default 30) are renewed; one node runs it at a time.
   */
  readonly renewal: { readonly intervalMs: number; readonly withinDays: number };
  /** The TSA's serial numbers reserved per database round trip (`SIGNET_TSA_SERIAL_BLOCK`, 1–65536). */
  readonly tsaSerialBlock: number;
  /**
   * Issue 21: the largest approved batch whose hashes signHash accepts as the exact list, without
   * their inclusion proofs (`SIGNET_BATCH_EXACT_LIST_MAX`, default 1000 = the SAD maximum, 1–1000).
   */
  readonly batchExactListMax: number;
  /**
   * The credential certificate profiles (issue 16 §3, docs/certificate-profiles.md):
   * `SIGNET_CERTIFICATE_PROFILES_FILE` (must exist), else `DIR/certificate-profiles.json` when it
   * exists; without either only the built-in `signing` profile is offered.
   */
  readonly certificateProfiles: { readonly file: string; readonly required: boolean };
  /**
   * `SIGNET_CA_POLICY_OID`: the CA's own certificate-policy OIDs (comma-separated; what a profile's
   * `ca` policy writes, RFC 5280 §4.2.1.4), instead of the CA directory's (a development UUID OID
   * unless the CA was imported with its own).
   */
  readonly caPolicyOids: readonly string[] | undefined;
  /**
   * The OCSP responder's pre-signed answers: a certificate's status is read again after
   * `statusRecheckMs` (`SIGNET_OCSP_STATUS_RECHECK_MS`, default 1000, 0–60000), and a revocation is
   * acknowledged that long after it committed; GET answers carry max-age up to `httpMaxAgeSeconds`
   * (`SIGNET_OCSP_MAX_AGE_SECONDS`, default 60).
   */
  readonly ocsp: { readonly statusRecheckMs: number; readonly httpMaxAgeSeconds: number };
  /**
   * The signature transparency log (issue 21): a signed tree head over the leaves queued since the
   * last one every `sthIntervalMs` (`SIGNET_TRANSPARENCY_STH_INTERVAL_MS`, default 10000, 0: only
   * at start), by one node at a time.
   */
  readonly transparency: { readonly sthIntervalMs: number };
  /**
   * Worker threads that make the software keystore's signatures, off the event loop
   * (`SIGNET_SIGNING_THREADS`; default one per core but one, at most 4; 0 signs on the event loop).
   */
  readonly signingThreads: number;
  /**
   * WebAuthn relying party (issue 12): `SIGNET_WEBAUTHN_RP_ID` and `SIGNET_WEBAUTHN_ORIGINS`
   * (comma-separated), empty: derived from the base URL (an IP address host gives `localhost`);
   * `SIGNET_WEBAUTHN_LOGIN_UV=1` also requires user verification for a passkey after the password.
   */
  readonly webauthn: { readonly rpId: string | undefined; readonly origins: string | undefined; readonly requireUserVerificationForLogin: boolean };
  /** `SIGNET_PASSWORDLESS=1`: a discoverable passkey with user verification signs in alone. */
  readonly passwordless: boolean;
  /**
   * Web sessions (docs/decisions/0001 Contract 1): `SIGNET_SESSION_IDLE_SECONDS` (default 1800)
   * and `SIGNET_SESSION_ABSOLUTE_SECONDS` (default 43200).
   */
  readonly webSession: { readonly idleSeconds: number; readonly absoluteSeconds: number };
  /**
   * Federated first factor (OpenID Connect, docs/passkeys.md): `SIGNET_OIDC_ISSUER`,
   * `SIGNET_OIDC_CLIENT_ID`, `SIGNET_OIDC_CLIENT_SECRET_FILE` (the secret only from a file),
   * `SIGNET_OIDC_USER_CLAIM` (default `preferred_username`), `SIGNET_OIDC_NAME`; undefined when
   * `SIGNET_OIDC_ISSUER` is unset.
   */
  readonly oidc: OidcConfig | undefined;
  /** HTTPS (and mutual TLS) from `SIGNET_TLS_CERT_FILE`, `_KEY_FILE`, `_CLIENT_CA_FILE` (tls-config.ts). */
  readonly tls: TlsConfig | undefined;
}

/** The identity provider of the federated first factor. */
export interface OidcConfig {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecretFile: string;
  readonly userClaim: string;
  readonly name: string;
}

function oidcConfig(env: NodeJS.ProcessEnv): OidcConfig | undefined {
  const issuer = nonEmpty(env['SIGNET_OIDC_ISSUER']);
  if (issuer === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(issuer);
  } catch (cause) {
    throw new ServerError('ERR_SERVER_CONFIG', 'SIGNET_OIDC_ISSUER is not a URL', { cause });
  }
  // OIDC Core §2: the issuer is an https URL (http only on loopback, for tests and development).
  const loopback = url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new ServerError('ERR_SERVER_CONFIG', 'SIGNET_OIDC_ISSUER must be an https URL');
  }
  const clientId = nonEmpty(env['SIGNET_OIDC_CLIENT_ID']);
  const clientSecretFile = nonEmpty(env['SIGNET_OIDC_CLIENT_SECRET_FILE']);
  if (clientId === undefined || clientSecretFile === undefined) {
    throw new ServerError('ERR_SERVER_CONFIG', 'SIGNET_OIDC_ISSUER needs SIGNET_OIDC_CLIENT_ID and SIGNET_OIDC_CLIENT_SECRET_FILE');
  }
  return {
    issuer,
    clientId,
    clientSecretFile,
    userClaim: nonEmpty(env['SIGNET_OIDC_USER_CLAIM']) ?? 'preferred_username',
    name: nonEmpty(env['SIGNET_OIDC_NAME']) ?? url.hostname,
  };
}

/** One signing thread per core but the one the event loop runs on, at most 4. */
function defaultSigningThreads(): number {
  return Math.min(Math.max(availableParallelism() - 1, 0), 4);
}

/** What the caller (the CLI, a test) may set; everything else comes from the environment or defaults. */
export interface ServerConfigInput {
  readonly dataDir?: string;
  readonly port?: number;
  readonly host?: string;
  readonly baseUrl?: string;
  readonly demo?: boolean;
  readonly bodyLimitBytes?: number;
  readonly logLevel?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** The default data directory (relative to the working directory). */
export const defaultDataDir = 'signet-data';
/** The default port. */
export const defaultPort = 8080;
/** The default body limit: 64 MiB (a 40 MiB PDF base64-encoded in a signDoc request). */
export const defaultBodyLimitBytes = 64 * 1024 * 1024;

function parsePort(text: string, what: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ServerError('ERR_SERVER_CONFIG', `${what} must be a port number (0 picks a free one)`);
  }
  return port;
}

function parseCount(text: string | undefined, fallback: number, what: string): number {
  if (text === undefined || text === '') return fallback;
  if (!/^\d{1,9}$/.test(text)) throw new ServerError('ERR_SERVER_CONFIG', `${what} must be a whole number`);
  return Number(text);
}

function atMost(value: number, max: number, what: string): number {
  if (value > max) throw new ServerError('ERR_SERVER_CONFIG', `${what} must be at most ${max}`);
  return value;
}

function tsaSerialBlock(text: string | undefined): number {
  const block = parseCount(text, 256, 'SIGNET_TSA_SERIAL_BLOCK');
  if (block < 1 || block > 65_536) throw new ServerError('ERR_SERVER_CONFIG', 'SIGNET_TSA_SERIAL_BLOCK must be between 1 and 65536');
  return block;
}

function batchExactListMax(text: string | undefined): number {
  const max = parseCount(text, 1000, 'SIGNET_BATCH_EXACT_LIST_MAX');
  if (max < 1 || max > 1000) throw new ServerError('ERR_SERVER_CONFIG', 'SIGNET_BATCH_EXACT_LIST_MAX must be between 1 and 1000');
  return max;
}

function signingThreads(text: string | undefined): number {
  const threads = parseCount(text, defaultSigningThreads(), 'SIGNET_SIGNING_THREADS');
  if (threads > 64) throw new ServerError('ERR_SERVER_CONFIG', 'SIGNET_SIGNING_THREADS must be at most 64');
  return threads;
}

function pkcs11Config(env: NodeJS.ProcessEnv): ServerConfig['pkcs11'] {
  const module = env['SIGNET_PKCS11_MODULE'];
  if (module === undefined || module === '') return undefined;
  const tokens = (env['SIGNET_PKCS11_TOKENS'] ?? '').split(',').map((t) => t.trim()).filter((t) => t !== '');
  if (tokens.length === 0) {
    throw new ServerError('ERR_SERVER_CONFIG', 'SIGNET_PKCS11_MODULE needs SIGNET_PKCS11_TOKENS (token labels)');
  }
  return { module, tokens, environment: env };
}

function tokenServersConfig(env: NodeJS.ProcessEnv): TokenServersConfig | undefined {
  const list = nonEmpty(env['SIGNET_TOKEN_SERVERS']);
  if (list === undefined) return undefined;
  const bad = (why: string): never => {
    throw new ServerError('ERR_SERVER_CONFIG', `SIGNET_TOKEN_SERVERS: ${why}`);
  };
  const servers = list.split(',').map((entry) => {
    const m = /^\s*([a-z0-9][a-z0-9-]{0,31})=(\S+)\s*$/.exec(entry);
    if (m === null) return bad(`"${entry.trim()}" is not NAME=https://host:port (NAME: a-z, 0-9, -)`);
    let url: URL;
    try {
      url = new URL(m[2] as string);
    } catch {
      return bad(`${m[2] as string} is not a URL`);
    }
    if (url.protocol !== 'https:') bad(`${m[2] as string} must be https: (mutual TLS)`);
    return { name: m[1] as string, url: url.toString().replace(/\/+$/, '') };
  });
  if (new Set(servers.map((s) => s.name)).size !== servers.length) bad('a name is given twice');
  const file = (name: string): string => nonEmpty(env[name]) ?? bad(`needs ${name}`);
  return {
    servers,
    certFile: file('SIGNET_TOKEN_SERVER_CERT_FILE'),
    keyFile: file('SIGNET_TOKEN_SERVER_KEY_FILE'),
    caFile: file('SIGNET_TOKEN_SERVER_CA_FILE'),
  };
}

function checkBaseUrl(url: string, what: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new ServerError('ERR_SERVER_CONFIG', `${what}: the base URL is not a URL`, { cause });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ServerError('ERR_SERVER_CONFIG', `${what}: the base URL must be http: or https:`);
  }
  if (parsed.search !== '' || parsed.hash !== '') {
    throw new ServerError('ERR_SERVER_CONFIG', `${what}: the base URL must not carry a query or fragment`);
  }
  return url.replace(/\/+$/, '');
}

/**
 * SQLite under the data directory, or PostgreSQL from `DATABASE_URL` with the bounds of
 * docs/security.md FLT-08/14/21: `SIGNET_DB_STATEMENT_TIMEOUT_MS` (default 30000) and
 * `SIGNET_DB_CONNECT_TIMEOUT_MS` (default 10000).
 */
function databaseConfig(env: NodeJS.ProcessEnv, dataDir: string): StoreConfig {
  // The *_FILE convention of a secret (the URL may hold a password): the file wins.
  const file = nonEmpty(env['DATABASE_URL_FILE']);
  let url = env['DATABASE_URL'];
  if (file !== undefined) {
    try {
      url = readFileSync(file, 'utf8').trim();
    } catch (cause) {
      throw new ServerError('ERR_SERVER_CONFIG', `DATABASE_URL_FILE (${file}) cannot be read`, { cause });
    }
  }
  // The WAL is checkpointed on a thread of its own, not inside a request's commit (wal-checkpointer.ts).
  if (url === undefined || url === '') return { kind: 'sqlite', file: join(dataDir, 'signet.db'), walCheckpoints: 'thread' };
  if (!/^postgres(ql)?:\/\//.test(url)) {
    throw new ServerError('ERR_SERVER_CONFIG', 'DATABASE_URL must be a postgres:// URL');
  }
  const statement = env['SIGNET_DB_STATEMENT_TIMEOUT_MS'];
  const connect = env['SIGNET_DB_CONNECT_TIMEOUT_MS'];
  return {
    kind: 'postgres',
    url,
    ...(statement !== undefined && statement !== '' ? { statementTimeoutMs: positiveMs(statement, 'SIGNET_DB_STATEMENT_TIMEOUT_MS') } : {}),
    ...(connect !== undefined && connect !== '' ? { connectTimeoutMs: positiveMs(connect, 'SIGNET_DB_CONNECT_TIMEOUT_MS') } : {}),
  };
}

/** pino's levels (a level pino does not know would fail later, inside the logger). */
const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function checkLogLevel(level: string, what: string): string {
  if (!(logLevels as readonly string[]).includes(level)) {
    throw new ServerError('ERR_SERVER_CONFIG', `${what} must be one of ${logLevels.join(', ')}`);
  }
  return level;
}

/** An IP address or a DNS name (RFC 1123 §2.1 labels) to listen on. */
function checkHost(host: string, what: string): string {
  if (isIP(host) === 0 && !/^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(host)) {
    throw new ServerError('ERR_SERVER_CONFIG', `${what} must be an IP address or a host name`);
  }
  return host;
}

/** The node id goes into every audit entry: short and printable. */
function checkNodeId(id: string): string {
  if (!/^[\x21-\x7e]{1,64}$/.test(id)) {
    throw new ServerError('ERR_SERVER_CONFIG', 'SIGNET_NODE_ID must be 1 to 64 printable characters without spaces');
  }
  return id;
}

function nonEmpty(text: string | undefined): string | undefined {
  return text === undefined || text.trim() === '' ? undefined : text.trim();
}

function atLeastOne(n: number, what: string): number {
  if (n < 1) throw new ServerError('ERR_SERVER_CONFIG', `${what} must be at least 1`);
  return n;
}

/** A timeout in milliseconds: a whole number ≥ 1 (0 would mean "wait forever" to the driver). */
function positiveMs(text: string, what: string): number {
  const ms = parseCount(text, 0, what);
  if (ms < 1) throw new ServerError('ERR_SERVER_CONFIG', `${what} must be at least 1 ms`);
  return ms;
}

/**
 * Resolves the configuration from explicit input, the environment and the embedded defaults.
 *
 * @example
 * ```ts
 * const config = loadServerConfig({ dataDir: './signet-data', port: 0, env: process.env });
 * ```
 */
export function loadServerConfig(input: ServerConfigInput = {}): ServerConfig {
  const env = input.env ?? process.env;
  const dataDir = resolve(input.dataDir ?? env['SIGNET_DATA_DIR'] ?? defaultDataDir);
  const port =
    input.port ?? (env['SIGNET_PORT'] !== undefined ? parsePort(env['SIGNET_PORT'], 'SIGNET_PORT') : defaultPort);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ServerError('ERR_SERVER_CONFIG', 'the port must be between 0 and 65535');
  }
  const baseUrlText = input.baseUrl ?? env['SIGNET_BASE_URL'];
  const hasEnvKek = env['SIGNET_KEK_FILE'] !== undefined || env['SIGNET_KEK'] !== undefined;
  return {
    dataDir,
    host: input.host !== undefined ? checkHost(input.host, '--host') : checkHost(env['SIGNET_HOST'] ?? '127.0.0.1', 'SIGNET_HOST'),
    port,
    baseUrl: baseUrlText === undefined ? undefined : checkBaseUrl(baseUrlText, input.baseUrl !== undefined ? '--base-url' : 'SIGNET_BASE_URL'),
    database: databaseConfig(env, dataDir),
    kek: hasEnvKek ? { kind: 'env', environment: env } : { kind: 'file', file: join(dataDir, 'kek') },
    previousKekFile: nonEmpty(env['SIGNET_KEK_PREVIOUS_FILE']),
    production: env['NODE_ENV'] === 'production',
    bodyLimitBytes: input.bodyLimitBytes ?? defaultBodyLimitBytes,
    logLevel: input.logLevel !== undefined ? checkLogLevel(input.logLevel, '--log-level') : checkLogLevel(env['SIGNET_LOG_LEVEL'] ?? 'info', 'SIGNET_LOG_LEVEL'),
    nodeId: checkNodeId(env['SIGNET_NODE_ID'] ?? hostname()),
    demo: input.demo ?? false,
    pkcs11: pkcs11Config(env),
    tokenServers: tokenServersConfig(env),
    shutdown: {
      drainDelayMs: parseCount(env['SIGNET_SHUTDOWN_DELAY_MS'], 0, 'SIGNET_SHUTDOWN_DELAY_MS'),
      timeoutMs: parseCount(env['SIGNET_SHUTDOWN_TIMEOUT_MS'], 30_000, 'SIGNET_SHUTDOWN_TIMEOUT_MS'),
    },
    renewal: {
      intervalMs: parseCount(env['SIGNET_RENEWAL_INTERVAL_MS'], 3_600_000, 'SIGNET_RENEWAL_INTERVAL_MS'),
      withinDays: parseCount(env['SIGNET_RENEWAL_WITHIN_DAYS'], 30, 'SIGNET_RENEWAL_WITHIN_DAYS'),
    },
    tsaSerialBlock: tsaSerialBlock(env['SIGNET_TSA_SERIAL_BLOCK']),
    batchExactListMax: batchExactListMax(env['SIGNET_BATCH_EXACT_LIST_MAX']),
    certificateProfiles:
      nonEmpty(env['SIGNET_CERTIFICATE_PROFILES_FILE']) !== undefined
        ? { file: resolve(env['SIGNET_CERTIFICATE_PROFILES_FILE'] as string), required: true }
        : { file: join(dataDir, 'certificate-profiles.json'), required: false },
    caPolicyOids: caPolicyOids(env['SIGNET_CA_POLICY_OID']),
    ocsp: {
      statusRecheckMs: atMost(parseCount(env['SIGNET_OCSP_STATUS_RECHECK_MS'], 1000, 'SIGNET_OCSP_STATUS_RECHECK_MS'), 60_000, 'SIGNET_OCSP_STATUS_RECHECK_MS'),
      httpMaxAgeSeconds: parseCount(env['SIGNET_OCSP_MAX_AGE_SECONDS'], 60, 'SIGNET_OCSP_MAX_AGE_SECONDS'),
    },
    transparency: {
      sthIntervalMs: atMost(parseCount(env['SIGNET_TRANSPARENCY_STH_INTERVAL_MS'], 10_000, 'SIGNET_TRANSPARENCY_STH_INTERVAL_MS'), 86_400_000, 'SIGNET_TRANSPARENCY_STH_INTERVAL_MS'),
    },
    authAttemptsPerMinute: parseCount(env['SIGNET_AUTH_ATTEMPTS_PER_MINUTE'], 60, 'SIGNET_AUTH_ATTEMPTS_PER_MINUTE'),
    rateLimits: {
      failuresPerMinute: parseCount(env['SIGNET_FAILED_REQUESTS_PER_MINUTE'], 300, 'SIGNET_FAILED_REQUESTS_PER_MINUTE'),
      requestsPerMinute: parseCount(env['SIGNET_REQUESTS_PER_MINUTE'], 120_000, 'SIGNET_REQUESTS_PER_MINUTE'),
    },
    failureAudit: {
      perSourcePerMinute: parseCount(env['SIGNET_AUDIT_FAILURES_PER_MINUTE'], 100, 'SIGNET_AUDIT_FAILURES_PER_MINUTE'),
      totalPerMinute: parseCount(env['SIGNET_AUDIT_FAILURES_TOTAL_PER_MINUTE'], 10_000, 'SIGNET_AUDIT_FAILURES_TOTAL_PER_MINUTE'),
    },
    signingThreads: signingThreads(env['SIGNET_SIGNING_THREADS']),
    webauthn: {
      rpId: nonEmpty(env['SIGNET_WEBAUTHN_RP_ID']),
      origins: nonEmpty(env['SIGNET_WEBAUTHN_ORIGINS']),
      requireUserVerificationForLogin: env['SIGNET_WEBAUTHN_LOGIN_UV'] === '1',
    },
    passwordless: env['SIGNET_PASSWORDLESS'] === '1',
    webSession: {
      idleSeconds: atLeastOne(parseCount(env['SIGNET_SESSION_IDLE_SECONDS'], 1800, 'SIGNET_SESSION_IDLE_SECONDS'), 'SIGNET_SESSION_IDLE_SECONDS'),
      absoluteSeconds: atLeastOne(parseCount(env['SIGNET_SESSION_ABSOLUTE_SECONDS'], 43_200, 'SIGNET_SESSION_ABSOLUTE_SECONDS'), 'SIGNET_SESSION_ABSOLUTE_SECONDS'),
    },
    oidc: oidcConfig(env),
    tls: loadTlsConfig(env),
  };
}

function caPolicyOids(text: string | undefined): readonly string[] | undefined {
  if (nonEmpty(text) === undefined) return undefined;
  const oids = (text as string).split(',').map((o) => o.trim());
  if (oids.some((o) => !/^[0-2](\.(0|[1-9]\d*))+$/.test(o))) {
    throw new ServerError('ERR_SERVER_CONFIG', 'SIGNET_CA_POLICY_OID is a comma-separated list of dotted OIDs');
  }
  return oids;
}

/**
 * `NODE_ENV=production` (issue 16): the KEK must come from SIGNET_KEK_FILE, a file outside the
 * data directory (a mounted secret), never from the data directory itself nor from plain
 * SIGNET_KEK text in the environment (which every child process and crash dump sees).
 * ERR_SERVER_CONFIG naming the fix otherwise.
 */
export function checkProductionKek(config: ServerConfig): void {
  if (!config.production) return;
  const fix = 'set SIGNET_KEK_FILE to a file outside the data directory (a mounted secret)';
  const refuse = (what: string): never => {
    throw new ServerError('ERR_SERVER_CONFIG', `NODE_ENV=production: ${what}; ${fix}`);
  };
  const inside = (file: string): boolean => {
    const rel = relative(config.dataDir, resolve(file));
    return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
  };
  if (config.kek.kind === 'file') refuse(`the KEK would be kept in the data directory (${config.kek.file})`);
  if (config.kek.kind === 'env') {
    const file = config.kek.environment['SIGNET_KEK_FILE'];
    if (file === undefined || file === '') refuse('SIGNET_KEK holds the KEK as plain environment text');
    else if (inside(file)) refuse(`the KEK file ${file} is inside the data directory ${config.dataDir}`);
  }
  if (config.previousKekFile !== undefined && inside(config.previousKekFile)) {
    refuse(`the previous KEK file ${config.previousKekFile} is inside the data directory ${config.dataDir}`);
  }
}

export { parsePort };
