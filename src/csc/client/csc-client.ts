/**
 * A typed CSC API v2 client (Cloud Signature Consortium API v2.0.0.2 §7–§11): one POST with a
 * JSON body per method, service authorization by `auth/login` (HTTP Basic) or an OAuth 2.0
 * bearer token, bounded response bodies, per-call timeouts, and the provider's `error` /
 * `error_description` surfaced as a typed `CscClientError`. It speaks to any CSC provider.
 */
import { CscClientError } from './errors.js';
import { fetchTransport, nodeHttpTransport, type JsonTransport } from './json-transport.js';
import { tracedExchange } from './traced-exchange.js';
import type {
  CscAuthorizeRequest,
  CscAuthorizeResponse,
  CscCredentialInfo,
  CscCredentialsInfoRequest,
  CscCredentialsListRequest,
  CscCredentialsListResponse,
  CscExtendTransactionRequest,
  CscInfo,
  CscLoginResponse,
  CscSignHashRequest,
  CscSigningCallOptions,
  CscSignHashResponse,
  CscTimestampRequest,
  CscTimestampResponse,
} from './types.js';

/** How the client obtains service authorization (CSC v2 §8.1). */
export type CscServiceAuth =
  | { readonly kind: 'none' }
  /** An access token obtained elsewhere (OAuth 2.0 `service` or `credential` scope). */
  | { readonly kind: 'bearer'; readonly accessToken: string }
  /** `auth/login` with HTTP Basic (RFC 7617), called on first use and again when the token expires. */
  | { readonly kind: 'basic'; readonly username: string; readonly password: string };

/** Options of `CscClient`. */
export interface CscClientOptions {
  /** The provider's CSC base URI including the version, e.g. `https://rssp.example/csc/v2`. */
  readonly baseUrl: string;
  readonly auth: CscServiceAuth;
  /** Per-call timeout in milliseconds (default 30 000). */
  readonly timeoutMs?: number;
  /** Largest accepted response body in bytes (default 16 MiB). */
  readonly maxResponseBytes?: number;
  /** Send through this fetch implementation instead of node:http(s) (tests check every exchange). */
  readonly fetch?: typeof fetch;
  /** Sent as `clientData` on no call; only as the User-Agent header. */
  readonly userAgent?: string;
}

type AuthUse = 'none' | 'service' | 'basic';

function checkString(value: unknown, method: string, field: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new CscClientError('ERR_CSC_CLIENT_RESPONSE', `${method}: the response has no string ${field}`);
  }
  return value;
}

function checkObject(value: unknown, method: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CscClientError('ERR_CSC_CLIENT_RESPONSE', `${method}: the response is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

function checkStringArray(value: unknown, method: string, field: string): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new CscClientError('ERR_CSC_CLIENT_RESPONSE', `${method}: ${field} is not an array of strings`);
  }
  return value as string[];
}

/**
 * A CSC API v2 client.
 *
 * @example
 * ```ts
 * const csc = new CscClient({ baseUrl: 'https://rssp.example/csc/v2', auth: { kind: 'basic', username, password } });
 * const { SAD } = await csc.authorize({ credentialID, numSignatures: 1, hashes: [h], hashAlgorithmOID,
 *   authData: [{ id: 'PIN', value: pin }, { id: 'OTP', value: otp }] });
 * const { signatures } = await csc.signHash({ credentialID, SAD, hashes: [h], signAlgo });
 * ```
 */
export class CscClient {
  readonly baseUrl: string;
  readonly #options: CscClientOptions;
  readonly #auth: CscServiceAuth;
  readonly #timeoutMs: number;
  readonly #maxResponseBytes: number;
  readonly #transport: JsonTransport;
  readonly #userAgent: string;
  #accessToken: string | undefined;
  #login: Promise<CscLoginResponse> | undefined;

  constructor(options: CscClientOptions) {
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch (cause) {
      throw new CscClientError('ERR_CSC_CLIENT_CONFIG', `not a URL: '${options.baseUrl}'`, { cause });
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new CscClientError('ERR_CSC_CLIENT_CONFIG', `the CSC base URL must be http(s), not ${url.protocol}`);
    }
    this.baseUrl = url.toString().replace(/\/+$/, '');
    this.#options = options;
    this.#auth = options.auth;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#maxResponseBytes = options.maxResponseBytes ?? 16 * 1024 * 1024;
    this.#transport = options.fetch === undefined ? nodeHttpTransport : fetchTransport(options.fetch);
    this.#userAgent = options.userAgent ?? 'signet-csc-client';
    this.#accessToken = options.auth.kind === 'bearer' ? options.auth.accessToken : undefined;
  }

  /** The service access token in use (after `login`, or the configured bearer). */
  get accessToken(): string | undefined {
    return this.#accessToken;
  }

  /**
   * The same provider and options with `accessToken` as the bearer, e.g. a scope-`credential`
   * token from the OAuth 2.0 code flow, which is the bearer of signHash (CSC v2 §8.4).
   */
  withAccessToken(accessToken: string): CscClient {
    return new CscClient({ ...this.#options, auth: { kind: 'bearer', accessToken } });
  }

  /** `info` (§11.1): no authorization. */
  async info(lang?: string): Promise<CscInfo> {
    const body = checkObject(await this.call('info', lang === undefined ? {} : { lang }, 'none'), 'info');
    checkString(body['specs'], 'info', 'specs');
    checkStringArray(body['methods'], 'info', 'methods');
    return body as unknown as CscInfo;
  }

  /** `auth/login` (§11.2) with HTTP Basic; keeps the returned access token for later calls. */
  async login(): Promise<CscLoginResponse> {
    const body = checkObject(await this.call('auth/login', {}, 'basic'), 'auth/login');
    const token = checkString(body['access_token'], 'auth/login', 'access_token');
    this.#accessToken = token;
    return body as unknown as CscLoginResponse;
  }

  /** `auth/revoke` (§11.3): revokes `token` (default: the client's own access token). */
  async revoke(token?: string, tokenTypeHint?: 'access_token' | 'refresh_token'): Promise<void> {
    const value = token ?? this.#accessToken;
    if (value === undefined) return;
    await this.call('auth/revoke', { token: value, ...(tokenTypeHint ? { token_type_hint: tokenTypeHint } : {}) }, 'service');
    if (value === this.#accessToken) this.#accessToken = undefined;
  }

  /** `credentials/list` (§11.4). */
  async listCredentials(request: CscCredentialsListRequest = {}): Promise<CscCredentialsListResponse> {
    const body = checkObject(await this.call('credentials/list', request, 'service'), 'credentials/list');
    checkStringArray(body['credentialIDs'], 'credentials/list', 'credentialIDs');
    return body as unknown as CscCredentialsListResponse;
  }

  /** `credentials/info` (§11.5). */
  async credentialInfo(request: CscCredentialsInfoRequest): Promise<CscCredentialInfo> {
    const method = 'credentials/info';
    const body = checkObject(await this.call(method, request, 'service'), method);
    const key = checkObject(body['key'], method);
    checkStringArray(key['algo'], method, 'key.algo');
    if (body['multisign'] !== undefined && !(Number.isInteger(body['multisign']) && (body['multisign'] as number) >= 1)) {
      throw new CscClientError('ERR_CSC_CLIENT_RESPONSE', `${method}: multisign is not a positive integer`);
    }
    return body as unknown as CscCredentialInfo;
  }

  /** `credentials/authorize` (§11.6, explicit mode): a SAD, or a `handle` when the reply is 202. */
  async authorize(request: CscAuthorizeRequest): Promise<CscAuthorizeResponse> {
    const method = 'credentials/authorize';
    const body = checkObject(await this.call(method, request, 'service'), method);
    if (body['SAD'] === undefined) checkString(body['handle'], method, 'SAD or handle');
    else checkString(body['SAD'], method, 'SAD');
    return body as unknown as CscAuthorizeResponse;
  }

  /** `credentials/extendTransaction` (§11.9): a new SAD for further hashes of the transaction. */
  async extendTransaction(request: CscExtendTransactionRequest): Promise<CscAuthorizeResponse> {
    const method = 'credentials/extendTransaction';
    const body = checkObject(await this.call(method, request, 'service'), method);
    checkString(body['SAD'], method, 'SAD');
    return body as unknown as CscAuthorizeResponse;
  }

  /**
   * `signatures/signHash` (§11.10), synchronous mode. Checks that exactly one signature comes back
   * per hash, in order.
   */
  async signHash(request: CscSignHashRequest, options: CscSigningCallOptions = {}): Promise<CscSignHashResponse> {
    const method = 'signatures/signHash';
    const body = checkObject(await this.#callIdempotent(method, request, options.idempotencyKey), method);
    const signatures = checkStringArray(body['signatures'], method, 'signatures');
    if (signatures.length !== request.hashes.length) {
      throw new CscClientError(
        'ERR_CSC_CLIENT_RESPONSE',
        `${method}: ${signatures.length} signatures returned for ${request.hashes.length} hashes`,
      );
    }
    return { signatures };
  }

  /** `signatures/timestamp` (§11.13): an RFC 3161 TimeStampToken over `hash`. */
  async timestamp(request: CscTimestampRequest): Promise<CscTimestampResponse> {
    const method = 'signatures/timestamp';
    const body = checkObject(await this.call(method, request, 'service'), method);
    return { timestamp: checkString(body['timestamp'], method, 'timestamp') };
  }

  /**
   * A signing call. With an idempotency key the key goes in the `Idempotency-Key` header and a
   * network error or timeout (the answer may be lost after the RSSP signed) is retried once with
   * the same key: the RSSP then returns the stored signatures instead of signing again (docs/security.md
   * SAD-07). Without a key a lost answer is never retried (its SAD slots are spent).
   */
  async #callIdempotent(method: string, body: object, idempotencyKey: string | undefined): Promise<unknown> {
    if (idempotencyKey === undefined) return this.call(method, body, 'service');
    const headers = { 'idempotency-key': idempotencyKey };
    try {
      return await this.call(method, body, 'service', headers);
    } catch (err) {
      const lost = err instanceof CscClientError && (err.code === 'ERR_CSC_CLIENT_NETWORK' || err.code === 'ERR_CSC_CLIENT_TIMEOUT');
      if (!lost) throw err;
      return this.call(method, body, 'service', headers);
    }
  }

  /**
   * Low level: POSTs `body` to `method` and returns the parsed JSON (undefined for 204). With
   * `basic` service auth, logs in on first use and once more when the token was refused
   * (`invalid_token` / `expired_token`, CSC v2 §10.2).
   */
  async call(method: string, body: object, use: AuthUse = 'service', extraHeaders: Readonly<Record<string, string>> = {}): Promise<unknown> {
    if (use === 'service' && this.#auth.kind === 'basic' && this.#accessToken === undefined) await this.#ensureLogin();
    try {
      return await this.#post(method, body, use, extraHeaders);
    } catch (err) {
      const expired =
        err instanceof CscClientError &&
        err.remote?.status === 401 &&
        (err.remote.error === 'invalid_token' || err.remote.error === 'expired_token');
      if (!expired || use !== 'service' || this.#auth.kind !== 'basic') throw err;
      this.#accessToken = undefined;
      await this.#ensureLogin();
      return this.#post(method, body, use, extraHeaders);
    }
  }

  async #ensureLogin(): Promise<void> {
    // One login in flight at a time, shared by concurrent calls.
    this.#login ??= this.login().finally(() => {
      this.#login = undefined;
    });
    await this.#login;
  }

  #authorization(use: AuthUse): string | undefined {
    if (use === 'basic') {
      if (this.#auth.kind !== 'basic') {
        throw new CscClientError('ERR_CSC_CLIENT_CONFIG', 'auth/login needs a username and password');
      }
      // RFC 7617 §2: base64 of user-id ":" password, UTF-8.
      return `Basic ${Buffer.from(`${this.#auth.username}:${this.#auth.password}`, 'utf8').toString('base64')}`;
    }
    if (use === 'service' && this.#accessToken !== undefined) return `Bearer ${this.#accessToken}`;
    return undefined;
  }

  async #post(method: string, body: object, use: AuthUse, extraHeaders: Readonly<Record<string, string>>): Promise<unknown> {
    const headers: Record<string, string> = {
      ...extraHeaders,
      'content-type': 'application/json',
      accept: 'application/json',
      'user-agent': this.#userAgent,
    };
    const authorization = this.#authorization(use);
    if (authorization !== undefined) headers['authorization'] = authorization;
    const reply = await tracedExchange(this.#transport, {
      url: new URL(`${this.baseUrl}/${method}`),
      headers,
      body: JSON.stringify(body),
      method,
      timeoutMs: this.#timeoutMs,
      maxResponseBytes: this.#maxResponseBytes,
    });
    const ok = reply.status >= 200 && reply.status < 300;
    const parsed = parseReply(reply.text, ok, method);
    if (ok) return parsed;
    const remote = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
    const error = typeof remote['error'] === 'string' ? remote['error'] : `http_${reply.status}`;
    const errorDescription = typeof remote['error_description'] === 'string' ? remote['error_description'] : undefined;
    throw new CscClientError(
      'ERR_CSC_CLIENT_REMOTE',
      `${method}: ${error}${errorDescription === undefined ? '' : ` (${errorDescription})`}`,
      { remote: { status: reply.status, error, errorDescription, method } },
    );
  }
}

/**
 * The reply's JSON, or undefined for an empty body (204). An unparsable body is refused on a 2xx
 * reply and read as undefined on an error reply (its status still tells what happened).
 */
function parseReply(text: string, ok: boolean, method: string): unknown {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    if (!ok) return undefined;
    throw new CscClientError('ERR_CSC_CLIENT_RESPONSE', `${method}: the response is not JSON`, { cause });
  }
}
