/**
 * The server's pino logger: JSON lines, one trace id per request, and redaction of every secret
 * that may travel in a request (docs/security.md KEY-11: secrets never logged): Authorization and
 * cookies, passwords, PINs, OTPs, SADs, tokens, client secrets, authorization codes and PKCE
 * verifiers, wherever they appear in a logged object. Query strings are dropped from logged URLs
 * (RFC 6749 §4.1.2 codes and RFC 6750 §2.3 tokens may travel there).
 */
import { randomFillSync } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { pino, type Logger, type LoggerOptions } from 'pino';

/** Field names whose values are never logged (matched at the top level and two levels down). */
export const secretFieldNames: readonly string[] = [
  'authorization',
  'cookie',
  'set-cookie',
  'password',
  'pin',
  'PIN',
  'otp',
  'OTP',
  'SAD',
  'sad',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'client_secret',
  'clientSecret',
  'secret',
  'totpSecret',
  'code',
  'code_verifier',
  'setupToken',
  'adminToken',
  'kek',
];

function redactPaths(): string[] {
  const paths: string[] = [];
  for (const name of secretFieldNames) {
    const key = /^[A-Za-z_$][\w$]*$/.test(name) ? name : `["${name}"]`;
    const join = (prefix: string): string => (key.startsWith('[') ? `${prefix}${key}` : `${prefix}.${key}`);
    paths.push(key.startsWith('[') ? key.slice(2, -2) : key);
    paths.push(join('*'), join('*.*'), join('req.headers'), join('res.headers'));
  }
  return paths;
}

/** W3C Trace Context §3.2: `traceparent` = version-traceid-parentid-flags; the trace id is kept. */
const traceparentPattern = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** The request's trace id: the caller's W3C trace id when present and valid, else 128 random bits. */
export function traceIdFor(req: IncomingMessage): string {
  const header = req.headers['traceparent'];
  const match = typeof header === 'string' ? traceparentPattern.exec(header.trim()) : null;
  if (match?.[1] !== undefined && !/^0+$/.test(match[1])) return match[1];
  return randomTraceId();
}

/**
 * 128 random bits as 32 hex digits, drawn from a pool refilled 256 ids at a time: one CSPRNG
 * call per 256 requests instead of one per request (a trace id is an identifier, not a secret).
 */
const tracePool = Buffer.alloc(16 * 256);
let traceOffset = tracePool.length;
function randomTraceId(): string {
  if (traceOffset === tracePool.length) {
    randomFillSync(tracePool);
    traceOffset = 0;
  }
  traceOffset += 16;
  return tracePool.toString('hex', traceOffset - 16, traceOffset);
}

/** The URL without its query string. */
function pathOnly(url: string | undefined): string {
  if (url === undefined) return '';
  const q = url.indexOf('?');
  return q === -1 ? url : `${url.slice(0, q)}?…`;
}

/** Pino options: level, redaction and request/response serialisers that carry no secrets. */
export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    base: { service: 'signet' },
    redact: { paths: redactPaths(), censor: '[redacted]' },
    serializers: {
      req: (req: { method?: string; url?: string; ip?: string; id?: string }) => ({
        method: req.method,
        url: pathOnly(req.url),
        remoteAddress: req.ip,
      }),
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
    },
  };
}

/**
 * Creates the logger, writing to `destination` (default stdout).
 *
 * @example
 * ```ts
 * const logger = createLogger('info');
 * logger.info({ password: 'x' }, 'never shows the password');
 * ```
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return destination === undefined ? pino(loggerOptions(level)) : pino(loggerOptions(level), destination);
}

/** One access-log line: fixed fields only, none of which can carry a secret. */
export interface AccessLine {
  readonly traceId: string;
  readonly req: { readonly method: string; readonly url: string; readonly remoteAddress: string | undefined };
  readonly res: { readonly statusCode: number };
  readonly responseTime: number;
}

/** Writes access-log lines beside `logger`: same destination and base fields, `msg` 'request completed'. */
export type AccessLogger = (line: AccessLine) => void;

/**
 * The access logger of `logger`. Its lines are assembled from fixed fields (method, path without
 * query, address, status, time, trace id), so they skip the redaction pass over the secret paths,
 * which cost as much as the rest of the line on the signing hot path; they are written only when
 * `logger` has `info` enabled, and to its own destination.
 */
export function accessLoggerFor(logger: Logger): AccessLogger {
  const stream = (logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] as pino.DestinationStream | undefined;
  const plain = pino({ level: 'info', base: { service: 'signet' } }, stream ?? process.stdout);
  return (line) => {
    if (logger.isLevelEnabled('info')) plain.info({ ...line, req: { ...line.req, url: pathOnly(line.req.url) } }, 'request completed');
  };
}
