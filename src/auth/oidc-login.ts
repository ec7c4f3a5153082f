/**
 * Federated first factor: OpenID Connect sign-in at the bank's identity provider (OIDC Core 1.0
 * §3.1, authorization code flow; RFC 7636 PKCE S256; RFC 9207 `iss` in the authorization
 * response), then Signet's own second factor (passkey or TOTP) before any session exists
 * (docs/security.md SCA-19). The transaction (state, nonce, PKCE verifier, browser binding) and the
 * first factor awaiting its second are rows of `webauthn_challenges` (purposes
 * `oidc-authorization`, `oidc-first-factor`): any node finishes them, each is taken once by
 * `DELETE … RETURNING`, and they expire.
 */
import { createHash, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import type { Clock } from '../core/clock.js';
import { appendAudit, appendFailureAudit, type AuditContext } from '../audit/index.js';
import {
  findUserById,
  findUserByUsername,
  findWebauthnChallenge,
  insertWebauthnChallenge,
  takeWebauthnChallenge,
  type Store,
  type WebauthnChallengeRow,
} from '../store/index.js';
import { OidcError } from './errors.js';
import { hashOpaqueToken } from './opaque-token.js';
import { createAesGcmSecretBox } from './secret-box.js';
import type { RequestOrigin } from './sad.js';

/** Configuration of the identity provider (`SIGNET_OIDC_*`). */
export interface OidcSettings {
  /** `SIGNET_OIDC_ISSUER`: discovery at `<issuer>/.well-known/openid-configuration`. */
  readonly issuer: string;
  readonly clientId: string;
  /** Read from `SIGNET_OIDC_CLIENT_SECRET_FILE` only. */
  readonly clientSecret: string;
  /** The id_token claim that names the Signet user (default `preferred_username`). */
  readonly userClaim: string;
  /** Shown as "Sign in with <name>". */
  readonly name: string;
}

/** What OidcLogin is wired with. */
export interface OidcLoginOptions {
  readonly store: Store;
  readonly clock: Clock;
  readonly audit: AuditContext;
  readonly settings: OidcSettings;
  /** The redirect URI registered at the provider (`<base URL>/api/v1/session/oidc/callback`). */
  readonly redirectUri: () => string;
  /** Allowed difference between our clock and the provider's for exp/iat (default 60 s). */
  readonly clockSkewSeconds?: number;
  /** Network timeout of each request to the provider (default 5 s). */
  readonly timeoutMs?: number;
}

/**
 * The nonce and PKCE verifier are sealed under a key derived from the state, which only the
 * browser's URL carries (the row is found by the state's SHA-256): a copy of the database alone
 * cannot redeem an intercepted code (RFC 7636 §1's threat) nor forge the nonce.
 */
function transactionBox(state: string) {
  return createAesGcmSecretBox(new Uint8Array(hkdfSync('sha256', state, new Uint8Array(0), 'signet oidc transaction', 32)));
}

function sealTransaction(state: string, secrets: { readonly nonce: string; readonly verifier: string }): Uint8Array {
  return transactionBox(state).seal(new TextEncoder().encode(JSON.stringify(secrets)), 'oidc-authorization');
}

function openTransaction(state: string, sealed: Uint8Array): { nonce: string; verifier: string } {
  return JSON.parse(new TextDecoder().decode(transactionBox(state).open(sealed, 'oidc-authorization'))) as { nonce: string; verifier: string };
}

/** A started authorization: where to send the browser, and the value of its binding cookie. */
export interface StartedOidcLogin {
  readonly location: string;
  readonly browserToken: string;
}

/** A verified first factor waiting for Signet's second factor. */
export interface OidcFirstFactor {
  /** The opaque value of the first-factor cookie. */
  readonly token: string;
  readonly userId: string;
  readonly maxAgeSeconds: number;
}

/** The provider metadata Signet uses (OIDC Discovery 1.0 §3). */
interface ProviderMetadata {
  readonly issuer: string;
  readonly authorization_endpoint: string;
  readonly token_endpoint: string;
  readonly jwks_uri: string;
  readonly authorization_response_iss_parameter_supported?: boolean;
}

const transactionTtlMs = 10 * 60 * 1000;
const firstFactorTtlMs = 5 * 60 * 1000;
const maxDocumentBytes = 256 * 1024;
/** Asymmetric algorithms only: `none` and HMAC with the client secret are refused (OIDC Core §3.1.3.7). */
const algorithms = ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'];

function b64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

function sha256(text: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(text, 'utf8').digest());
}

function sameText(a: string, b: string): boolean {
  const x = sha256(a);
  const y = sha256(b);
  return timingSafeEqual(x, y);
}

function bindingOf(browserToken: string | undefined): string | undefined {
  if (browserToken === undefined || !/^[A-Za-z0-9_-]{43}$/.test(browserToken)) return undefined;
  return `browser:${b64url(hashOpaqueToken(browserToken))}`;
}

/** The binding a passkey ceremony started for a federated first factor carries. */
export function firstFactorBinding(firstFactorToken: string): string {
  return `oidc:${b64url(hashOpaqueToken(firstFactorToken))}`;
}

function origin(request: RequestOrigin): RequestOrigin {
  return {
    ...(request.sourceAddress === undefined ? {} : { sourceAddress: request.sourceAddress }),
    ...(request.traceId === undefined ? {} : { traceId: request.traceId }),
  };
}

/**
 * The OpenID Connect relying party of the web sign-in.
 *
 * @example
 * ```ts
 * const oidc = new OidcLogin({ store, clock, audit, settings, redirectUri: () => `${base}/api/v1/session/oidc/callback` });
 * const { location, browserToken } = await oidc.start();
 * const first = await oidc.callback({ state, code, iss, browserToken });
 * ```
 */
export class OidcLogin {
  readonly #o: OidcLoginOptions;
  #metadata: Promise<ProviderMetadata> | undefined;
  #jwks: { at: number; keys: ReturnType<typeof createLocalJWKSet> } | undefined;

  constructor(options: OidcLoginOptions) {
    this.#o = options;
  }

  /** The provider's display name. */
  get name(): string {
    return this.#o.settings.name;
  }

  /** Starts an authorization: stores state, nonce and PKCE verifier; returns the IdP URL. */
  async start(request: RequestOrigin = {}): Promise<StartedOidcLogin> {
    const metadata = await this.#discover();
    const state = b64url(randomBytes(32));
    const nonce = b64url(randomBytes(32));
    const verifier = b64url(randomBytes(32));
    const browserToken = b64url(randomBytes(32));
    const now = this.#now();
    await this.#o.store.transaction((trx) =>
      insertWebauthnChallenge(trx, {
        ticket_hash: hashOpaqueToken(state),
        challenge: sealTransaction(state, { nonce, verifier }),
        purpose: 'oidc-authorization',
        user_id: null,
        binding: bindingOf(browserToken) ?? null,
        expires_at: now + transactionTtlMs,
        created_at: now,
      }),
    );
    const url = new URL(metadata.authorization_endpoint);
    const q = url.searchParams;
    q.set('response_type', 'code');
    q.set('client_id', this.#o.settings.clientId);
    q.set('redirect_uri', this.#o.redirectUri());
    q.set('scope', 'openid profile');
    q.set('state', state);
    q.set('nonce', nonce);
    // RFC 7636 §4.2: code_challenge = BASE64URL(SHA256(ASCII(code_verifier))).
    q.set('code_challenge', b64url(sha256(verifier)));
    q.set('code_challenge_method', 'S256');
    void request;
    return { location: url.toString(), browserToken };
  }

  /**
   * Finishes the authorization response: takes the transaction once, checks the browser binding,
   * `iss` (RFC 9207), redeems the code with the PKCE verifier, verifies the id_token and maps the
   * user claim to a Signet user. Returns the first factor awaiting the second. Every refusal is
   * audited (`auth.oidc.login`, failure, with the code).
   */
  async callback(
    request: {
      readonly state?: string | undefined;
      readonly code?: string | undefined;
      readonly iss?: string | undefined;
      readonly error?: string | undefined;
      readonly browserToken?: string | undefined;
    } & RequestOrigin,
  ): Promise<OidcFirstFactor> {
    let userId: string | undefined;
    try {
      const row = await this.#takeTransaction(request.state, request.browserToken);
      const { nonce, verifier } = openTransaction(request.state as string, row.challenge);
      const metadata = await this.#discover();
      // RFC 9207 §2.4: the iss parameter, when present (or announced), must be the issuer we asked.
      if (request.iss !== undefined || metadata.authorization_response_iss_parameter_supported === true) {
        if (request.iss === undefined || request.iss !== this.#o.settings.issuer) {
          throw new OidcError('ERR_OIDC_ISSUER_MISMATCH', 'the response comes from another identity provider');
        }
      }
      if (request.error !== undefined) {
        throw new OidcError('ERR_OIDC_PROVIDER_REFUSED', 'the identity provider did not sign you in');
      }
      if (request.code === undefined || request.code === '' || request.code.length > 2048) {
        throw new OidcError('ERR_OIDC_RESPONSE_INVALID', 'the identity provider sent no authorization code');
      }
      const idToken = await this.#redeem(metadata, request.code, verifier);
      const claims = await this.#verifyIdToken(idToken, nonce);
      const value = claims[this.#o.settings.userClaim];
      const user = typeof value === 'string' && value !== '' ? await findUserByUsername(this.#o.store.db, value) : undefined;
      if (user?.status !== 'active') {
        throw new OidcError('ERR_OIDC_USER_UNKNOWN', 'no Signet account matches the identity provider’s user');
      }
      userId = user.id;
      const token = b64url(randomBytes(32));
      const now = this.#now();
      await this.#o.store.transaction(async (trx) => {
        await insertWebauthnChallenge(trx, {
          ticket_hash: hashOpaqueToken(token),
          challenge: new Uint8Array(0),
          purpose: 'oidc-first-factor',
          user_id: user.id,
          binding: null,
          expires_at: now + firstFactorTtlMs,
          created_at: now,
        });
        await appendAudit(
          trx,
          {
            type: 'auth.oidc.login',
            outcome: 'success',
            actorUserId: user.id,
            subject: `user:${user.id}`,
            details: { issuer: this.#o.settings.issuer, sub: String(claims.sub ?? ''), step: 'first-factor' },
            ...origin(request),
          },
          this.#o.audit,
        );
      });
      return { token, userId: user.id, maxAgeSeconds: firstFactorTtlMs / 1000 };
    } catch (err) {
      const reason = err instanceof OidcError ? err.code : 'ERR_OIDC_RESPONSE_INVALID';
      await appendFailureAudit(
        this.#o.store,
        {
          type: 'auth.oidc.login',
          outcome: 'failure',
          ...(userId === undefined ? {} : { actorUserId: userId }),
          details: { reason, issuer: this.#o.settings.issuer },
          ...origin(request),
        },
        this.#o.audit,
      );
      if (err instanceof OidcError) throw err;
      throw new OidcError('ERR_OIDC_RESPONSE_INVALID', 'the identity provider’s answer could not be used', { cause: err });
    }
  }

  /** The user of a live first factor (not taken: wrong second factors may be retried until it expires). */
  async pendingUser(token: string | undefined): Promise<string> {
    if (token === undefined || !/^[A-Za-z0-9_-]{43}$/.test(token)) {
      throw new OidcError('ERR_OIDC_FIRST_FACTOR_INVALID', 'sign in at the identity provider first');
    }
    const row = await findWebauthnChallenge(this.#o.store.db, hashOpaqueToken(token));
    if (row?.purpose !== 'oidc-first-factor' || row.user_id === null || row.expires_at <= this.#now()) {
      throw new OidcError('ERR_OIDC_FIRST_FACTOR_INVALID', 'sign in at the identity provider first');
    }
    const user = await findUserById(this.#o.store.db, row.user_id);
    if (user?.status !== 'active') throw new OidcError('ERR_OIDC_FIRST_FACTOR_INVALID', 'sign in at the identity provider first');
    return row.user_id;
  }

  /** Takes the first factor once (after the second factor verified); the caller opens the session. */
  async consumeFirstFactor(token: string, userId: string): Promise<void> {
    const row = await this.#o.store.transaction((trx) => takeWebauthnChallenge(trx, hashOpaqueToken(token)));
    if (row?.purpose !== 'oidc-first-factor' || row.user_id !== userId || row.expires_at <= this.#now()) {
      throw new OidcError('ERR_OIDC_FIRST_FACTOR_INVALID', 'sign in at the identity provider first');
    }
  }

  async #takeTransaction(state: string | undefined, browserToken: string | undefined): Promise<WebauthnChallengeRow> {
    if (state === undefined || !/^[A-Za-z0-9_-]{43}$/.test(state)) {
      throw new OidcError('ERR_OIDC_STATE_INVALID', 'the sign-in is unknown or was finished already: start again');
    }
    const row = await this.#o.store.transaction((trx) => takeWebauthnChallenge(trx, hashOpaqueToken(state)));
    if (row?.purpose !== 'oidc-authorization') {
      throw new OidcError('ERR_OIDC_STATE_INVALID', 'the sign-in is unknown or was finished already: start again');
    }
    if (row.expires_at <= this.#now()) throw new OidcError('ERR_OIDC_STATE_EXPIRED', 'the sign-in took too long: start again');
    // Login CSRF (RFC 6749 §10.12): the response must come back to the browser that started it.
    const binding = bindingOf(browserToken);
    if (binding === undefined || row.binding === null || !sameText(binding, row.binding)) {
      throw new OidcError('ERR_OIDC_BROWSER_MISMATCH', 'the sign-in was started in another browser: start again');
    }
    return row;
  }

  async #redeem(metadata: ProviderMetadata, code: string, verifier: string): Promise<string> {
    const { clientId, clientSecret } = this.#o.settings;
    // RFC 6749 §2.3.1: client_secret_basic, both parts form-urlencoded first.
    const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64');
    const body = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: this.#o.redirectUri(), code_verifier: verifier });
    let answer: unknown;
    let status: number;
    try {
      const res = await fetch(metadata.token_endpoint, {
        method: 'POST',
        headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body,
        redirect: 'error',
        signal: AbortSignal.timeout(this.#timeoutMs()),
      });
      status = res.status;
      answer = JSON.parse(await readLimited(res));
    } catch (cause) {
      throw new OidcError('ERR_OIDC_TOKEN_REQUEST', 'the identity provider did not answer the token request', { cause });
    }
    const idToken = (answer as { id_token?: unknown } | null)?.id_token;
    if (status !== 200 || typeof idToken !== 'string') {
      throw new OidcError('ERR_OIDC_TOKEN_REQUEST', 'the identity provider refused the authorization code');
    }
    return idToken;
  }

  async #verifyIdToken(idToken: string, nonce: string): Promise<JWTPayload> {
    const { issuer, clientId } = this.#o.settings;
    const verify = async (): Promise<JWTPayload> =>
      (
        await jwtVerify(idToken, await this.#keys(), {
          issuer,
          audience: clientId,
          algorithms,
          currentDate: this.#o.clock.now(),
          clockTolerance: this.#o.clockSkewSeconds ?? 60,
          requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat'],
        })
      ).payload;
    let claims: JWTPayload;
    try {
      try {
        claims = await verify();
      } catch (err) {
        // A key rotated at the provider: fetch the JWKS once more, then give up.
        if (!(err instanceof joseErrors.JWKSNoMatchingKey)) throw err;
        this.#jwks = undefined;
        claims = await verify();
      }
    } catch (cause) {
      throw idTokenError(cause);
    }
    // §3.1.3.7 step 10: iat must be a time already passed (jose only checks that it is a number).
    const skew = this.#o.clockSkewSeconds ?? 60;
    if (typeof claims.iat !== 'number' || claims.iat > this.#o.clock.now().getTime() / 1000 + skew) {
      throw new OidcError('ERR_OIDC_TOKEN_EXPIRED', 'the id_token is not valid at this time');
    }
    // OIDC Core §3.1.3.7 step 4/5: several audiences need azp, and azp must be us.
    const aud = claims.aud;
    if ((Array.isArray(aud) && aud.length > 1 && claims['azp'] === undefined) || (claims['azp'] !== undefined && claims['azp'] !== clientId)) {
      throw new OidcError('ERR_OIDC_AUDIENCE', 'the id_token was issued to another client');
    }
    // §3.1.3.7 step 11: the nonce we sent, in constant time.
    const got = claims['nonce'];
    if (typeof got !== 'string' || !sameText(got, nonce)) {
      throw new OidcError('ERR_OIDC_NONCE', 'the id_token was not issued for this sign-in');
    }
    return claims;
  }

  async #keys(): Promise<ReturnType<typeof createLocalJWKSet>> {
    const now = this.#now();
    if (this.#jwks !== undefined && now - this.#jwks.at < 10 * 60 * 1000) return this.#jwks.keys;
    const metadata = await this.#discover();
    const jwks = (await this.#getJson(metadata.jwks_uri)) as JSONWebKeySet;
    let keys: ReturnType<typeof createLocalJWKSet>;
    try {
      keys = createLocalJWKSet(jwks);
    } catch (cause) {
      throw new OidcError('ERR_OIDC_DISCOVERY', 'the identity provider’s key set is unusable', { cause });
    }
    this.#jwks = { at: now, keys };
    return keys;
  }

  /** OIDC Discovery 1.0 §4: the document at the issuer, whose `issuer` must be identical (§4.3). */
  #discover(): Promise<ProviderMetadata> {
    this.#metadata ??= (async () => {
      const issuer = this.#o.settings.issuer;
      const doc = (await this.#getJson(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`)) as Partial<ProviderMetadata> | null;
      if (doc?.issuer !== issuer) {
        throw new OidcError('ERR_OIDC_DISCOVERY', 'the discovery document names another issuer');
      }
      for (const k of ['authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const) {
        if (typeof doc[k] !== 'string') throw new OidcError('ERR_OIDC_DISCOVERY', `the discovery document lacks ${k}`);
      }
      return doc as ProviderMetadata;
    })().catch((err: unknown) => {
      this.#metadata = undefined;
      throw err;
    });
    return this.#metadata;
  }

  async #getJson(url: string): Promise<unknown> {
    try {
      const res = await fetch(url, { redirect: 'error', headers: { accept: 'application/json' }, signal: AbortSignal.timeout(this.#timeoutMs()) });
      if (res.status !== 200) throw new OidcError('ERR_OIDC_DISCOVERY', `the identity provider answered ${res.status}`);
      return JSON.parse(await readLimited(res));
    } catch (cause) {
      if (cause instanceof OidcError) throw cause;
      throw new OidcError('ERR_OIDC_DISCOVERY', 'the identity provider could not be reached', { cause });
    }
  }

  #timeoutMs(): number {
    return this.#o.timeoutMs ?? 5000;
  }

  #now(): number {
    return this.#o.clock.now().getTime();
  }
}

/** Reads a response body of at most 256 KiB. */
async function readLimited(res: Response): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > maxDocumentBytes) throw new OidcError('ERR_OIDC_RESPONSE_INVALID', 'the identity provider’s answer is too large');
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (res.body !== null) {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > maxDocumentBytes) throw new OidcError('ERR_OIDC_RESPONSE_INVALID', 'the identity provider’s answer is too large');
      chunks.push(chunk);
    }
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** jose's refusals as stable codes. */
function idTokenError(cause: unknown): OidcError {
  if (cause instanceof OidcError) return cause;
  if (cause instanceof joseErrors.JWTExpired) return new OidcError('ERR_OIDC_TOKEN_EXPIRED', 'the id_token has expired', { cause });
  if (cause instanceof joseErrors.JWTClaimValidationFailed) {
    if (cause.claim === 'iss') return new OidcError('ERR_OIDC_ISSUER_MISMATCH', 'the id_token comes from another issuer', { cause });
    if (cause.claim === 'aud') return new OidcError('ERR_OIDC_AUDIENCE', 'the id_token was issued to another client', { cause });
    if (cause.claim === 'iat' || cause.claim === 'nbf') return new OidcError('ERR_OIDC_TOKEN_EXPIRED', 'the id_token is not valid at this time', { cause });
  }
  if (cause instanceof joseErrors.JWSSignatureVerificationFailed || cause instanceof joseErrors.JWKSNoMatchingKey) {
    return new OidcError('ERR_OIDC_TOKEN_SIGNATURE', 'the id_token is not signed by the identity provider', { cause });
  }
  return new OidcError('ERR_OIDC_TOKEN_INVALID', 'the id_token is malformed or uses a refused algorithm', { cause });
}
