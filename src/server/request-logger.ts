/**
 * The per-request logger Fastify hands to every request (`request.log`, bound to its trace id),
 * made only when the request logs something. A pino child serialises its bindings through the
 * redaction pass when it is created (about 15 µs), and most requests never log: their one access
 * line is written by the log controller (app.ts AccessLog), not through this logger.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions, LogFn } from 'pino';

/** Forwards every call to the child of `parent`, created on first use with the same bindings and options. */
class LazyChildLogger implements FastifyBaseLogger {
  readonly #parent: FastifyBaseLogger;
  readonly #bindings: Bindings;
  readonly #options: ChildLoggerOptions | undefined;
  #child: FastifyBaseLogger | undefined;

  constructor(parent: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions | undefined) {
    this.#parent = parent;
    this.#bindings = bindings;
    this.#options = options;
  }

  #real(): FastifyBaseLogger {
    this.#child ??= this.#parent.child(this.#bindings, this.#options);
    return this.#child;
  }

  get level(): string {
    return this.#child?.level ?? this.#options?.level ?? this.#parent.level;
  }

  set level(level: string) {
    this.#real().level = level;
  }

  readonly fatal: LogFn = (...args: Parameters<LogFn>) => this.#real().fatal(...args);
  readonly error: LogFn = (...args: Parameters<LogFn>) => this.#real().error(...args);
  readonly warn: LogFn = (...args: Parameters<LogFn>) => this.#real().warn(...args);
  readonly info: LogFn = (...args: Parameters<LogFn>) => this.#real().info(...args);
  readonly debug: LogFn = (...args: Parameters<LogFn>) => this.#real().debug(...args);
  readonly trace: LogFn = (...args: Parameters<LogFn>) => this.#real().trace(...args);
  readonly silent: LogFn = (...args: Parameters<LogFn>) => this.#real().silent(...args);

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#real().child(bindings, options);
  }
}

/**
 * Fastify's `childLoggerFactory`: the request's child logger, created when first used.
 *
 * @example
 * ```ts
 * const app = Fastify({ loggerInstance: logger, childLoggerFactory: lazyChildLogger });
 * ```
 */
export function lazyChildLogger(logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  return new LazyChildLogger(logger, bindings, Object.keys(options).length === 0 ? undefined : options);
}
