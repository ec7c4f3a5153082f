/**
 * An OpenTelemetry ContextManager over node:async_hooks' AsyncLocalStorage: the active span
 * follows a request through its awaits, so the database, key and outgoing-call spans find their
 * parent without being handed it. Installed only when tracing is on (tracing.ts).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { ROOT_CONTEXT, type Context, type ContextManager } from '@opentelemetry/api';

/** The context manager `signet serve` installs with its tracer provider. */
export class AsyncContextManager implements ContextManager {
  readonly #storage = new AsyncLocalStorage<Context>();

  active(): Context {
    return this.#storage.getStore() ?? ROOT_CONTEXT;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    context: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.#storage.run(context, () => fn.apply(thisArg, args) as ReturnType<F>);
  }

  /** Binds functions only; any other target is returned as it is. */
  bind<T>(context: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const fn = target as unknown as (...args: unknown[]) => unknown;
    const run = (...args: unknown[]): unknown => this.#storage.run(context, () => fn(...args));
    return run as unknown as T;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    this.#storage.disable();
    return this;
  }
}
