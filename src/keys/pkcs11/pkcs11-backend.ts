/**
 * The PKCS#11 key backend over a pool of tokens (PKCS#11 v2.40): one session pool per token, so
 * signing on one token never waits for another; new keys go to the least-used token; keys are
 * named by RFC 7512 URIs `pkcs11:token=LABEL;object=NAME`.
 */
import type { BackendHealth, GeneratedKey, KeyRef, KeySpec, SignRequest } from '../key-backend.js';
import type { ListingKeyBackend } from '../key-listing.js';
import { KeyBackendError } from '../errors.js';
import { assertKeyLabel, randomKeyLabel } from '../key-label.js';
import { Pkcs11Module } from './pkcs11-module.js';
import { formatPkcs11Uri, parsePkcs11Uri } from './pkcs11-uri.js';
import { Pkcs11Token } from './pkcs11-token.js';
import { SessionPool, type SessionPoolStats } from './session-pool.js';

/** One token of the pool. */
export interface Pkcs11TokenConfig {
  /** CK_TOKEN_INFO.label. */
  readonly label: string;
  /** The user PIN (read it with `readSecretText` / `readSecretFromEnv`; never put it in config files). */
  readonly pin: string;
  /** Most sessions open on this token at once (default 4). */
  readonly maxSessions?: number;
}

/** Options of `Pkcs11Backend.open`. */
export interface Pkcs11BackendOptions {
  /** Path of the PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so. */
  readonly module: string;
  /** The tokens of the pool (at least one). */
  readonly tokens: readonly Pkcs11TokenConfig[];
  /** Longest wait for a free session before `ERR_KEY_BACKEND_BUSY` (default 5000 ms). */
  readonly acquireTimeoutMs?: number;
}

/**
 * Keys on PKCS#11 tokens (HSM slots, smart cards, SoftHSM in tests). Generated keys are
 * sensitive, never extractable and sign-only; references are `pkcs11:token=…;object=…`.
 *
 * @example
 * ```ts
 * const hsm = await Pkcs11Backend.open({
 *   module: '/usr/lib/softhsm/libsofthsm2.so',
 *   tokens: [{ label: 'signet-1', pin: readSecretText('/run/secrets/pin') }],
 * });
 * const { ref } = await hsm.generateKey({ type: 'RSA', bits: 3072 }, 'alice-1');
 * // ref === 'pkcs11:token=signet-1;object=alice-1'
 * ```
 */
export class Pkcs11Backend implements ListingKeyBackend {
  readonly kind = 'pkcs11';
  readonly #module: Pkcs11Module;
  readonly #tokens: Map<string, Pkcs11Token>;
  /** Keys per token (for least-used placement), counted at open and kept current. */
  readonly #usage: Map<string, number>;
  #closed = false;

  private constructor(
    module: Pkcs11Module,
    tokens: Map<string, Pkcs11Token>,
    usage: Map<string, number>,
  ) {
    this.#module = module;
    this.#tokens = tokens;
    this.#usage = usage;
  }

  /**
   * Loads the module, logs in to every token (failing with `ERR_KEY_TOKEN_NOT_FOUND` or
   * `ERR_KEY_PIN` at once rather than at the first signature) and counts their keys.
   */
  static async open(options: Pkcs11BackendOptions): Promise<Pkcs11Backend> {
    if (options.tokens.length === 0) {
      throw new KeyBackendError(
        'ERR_KEY_TOKEN_NOT_FOUND',
        'a PKCS#11 backend needs at least one token',
      );
    }
    const module = Pkcs11Module.acquire(options.module);
    const tokens = new Map<string, Pkcs11Token>();
    const usage = new Map<string, number>();
    try {
      for (const config of options.tokens) {
        const pool = new SessionPool({
          module,
          tokenLabel: config.label,
          pin: config.pin,
          ...(config.maxSessions === undefined ? {} : { maxSessions: config.maxSessions }),
          ...(options.acquireTimeoutMs === undefined
            ? {}
            : { acquireTimeoutMs: options.acquireTimeoutMs }),
        });
        const token = new Pkcs11Token(pool);
        tokens.set(config.label, token);
        usage.set(config.label, (await token.listLabels()).length);
      }
    } catch (err) {
      await Promise.all([...tokens.values()].map((t) => t.pool.close()));
      await module.release();
      throw err;
    }
    return new Pkcs11Backend(module, tokens, usage);
  }

  /** Generates a key on the least-used token (fewest keys; ties by configuration order). */
  async generateKey(spec: KeySpec, label: string = randomKeyLabel()): Promise<GeneratedKey> {
    this.#assertOpen();
    let chosen: string | undefined;
    for (const [name, count] of this.#usage) {
      if (chosen === undefined || count < (this.#usage.get(chosen) ?? 0)) chosen = name;
    }
    return this.generateKeyOn(chosen as string, spec, label);
  }

  /** Generates a key on the named token. */
  async generateKeyOn(
    tokenLabel: string,
    spec: KeySpec,
    label: string = randomKeyLabel(),
  ): Promise<GeneratedKey> {
    this.#assertOpen();
    assertKeyLabel(label);
    const token = this.#token(tokenLabel);
    // Count the key before the (slow) generation so concurrent calls spread over the tokens.
    this.#usage.set(tokenLabel, (this.#usage.get(tokenLabel) ?? 0) + 1);
    try {
      const publicKey = await token.generateKey(spec, label);
      return {
        ref: formatPkcs11Uri({ token: tokenLabel, object: label }),
        publicKey,
        keyType: spec.type,
      };
    } catch (err) {
      this.#usage.set(tokenLabel, (this.#usage.get(tokenLabel) ?? 1) - 1);
      throw err;
    }
  }

  async getPublicKey(ref: KeyRef): Promise<Uint8Array> {
    this.#assertOpen();
    const { token, object } = parsePkcs11Uri(ref);
    return this.#token(token).getPublicKey(object);
  }

  async sign(ref: KeyRef, request: SignRequest): Promise<Uint8Array> {
    this.#assertOpen();
    const { token, object } = parsePkcs11Uri(ref);
    return this.#token(token).sign(object, request);
  }

  async destroyKey(ref: KeyRef): Promise<void> {
    this.#assertOpen();
    const { token, object } = parsePkcs11Uri(ref);
    await this.#token(token).destroyKey(object);
    this.#usage.set(token, Math.max(0, (this.#usage.get(token) ?? 1) - 1));
  }

  /**
   * Of several keys of one signer held on different tokens (the "several personalised cards"
   * of a heavy user), the one whose token is least busy now: fewest callers waiting, then
   * fewest sessions lent out. A batch that picks per signature spreads over the tokens.
   */
  pickLeastBusy(refs: readonly KeyRef[]): KeyRef {
    this.#assertOpen();
    let best: { ref: KeyRef; load: number } | undefined;
    for (const ref of refs) {
      const token = this.#token(parsePkcs11Uri(ref).token);
      const s = token.pool.stats();
      const load = s.waiting * 1000 + (s.open - s.idle);
      if (best === undefined || load < best.load) best = { ref, load };
    }
    if (best === undefined) throw new KeyBackendError('ERR_KEY_NOT_FOUND', 'no key to choose from');
    return best.ref;
  }

  /** The references of every key on every token of the pool. */
  async listKeys(): Promise<readonly KeyRef[]> {
    this.#assertOpen();
    const out: KeyRef[] = [];
    for (const [name, token] of this.#tokens) {
      for (const object of await token.listLabels())
        out.push(formatPkcs11Uri({ token: name, object }));
    }
    return out.sort();
  }

  /** The listing capability: same as `listKeys`. */
  async listKeyRefs(): Promise<readonly KeyRef[]> {
    return this.listKeys();
  }

  /** Session counters per token. */
  stats(): Readonly<Record<string, SessionPoolStats & { readonly keys: number }>> {
    const out: Record<string, SessionPoolStats & { readonly keys: number }> = {};
    for (const [name, token] of this.#tokens)
      out[name] = { ...token.pool.stats(), keys: this.#usage.get(name) ?? 0 };
    return out;
  }

  async health(): Promise<BackendHealth> {
    if (this.#closed) return { ok: false, detail: { closed: true } };
    const detail: Record<string, unknown> = {};
    let ok = true;
    for (const [name, token] of this.#tokens) {
      try {
        await token.pool.check();
        detail[name] = { ok: true, ...token.pool.stats() };
      } catch (err) {
        ok = false;
        detail[name] = {
          ok: false,
          code: err instanceof KeyBackendError ? err.code : 'ERR_KEY_BACKEND_UNAVAILABLE',
        };
      }
    }
    return { ok, detail };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // Operations in flight finish first: C_Finalize must not run under them (PKCS#11 §5.4).
    await Promise.all([...this.#tokens.values()].map((t) => t.pool.close()));
    await this.#module.release();
  }

  #assertOpen(): void {
    if (this.#closed)
      throw new KeyBackendError('ERR_KEY_BACKEND_CLOSED', 'the PKCS#11 backend is closed');
  }

  #token(label: string): Pkcs11Token {
    const token = this.#tokens.get(label);
    if (token === undefined) {
      throw new KeyBackendError(
        'ERR_KEY_TOKEN_NOT_FOUND',
        `token ${label} is not part of this backend`,
      );
    }
    return token;
  }
}
