/**
 * Work that may happen only once a transaction has committed: counting an audited event into the
 * metrics, for one. `Store.transaction()` keeps a list per transaction handle, runs it after the
 * COMMIT returned and drops it on rollback. Outside such a transaction (a handle that is not one,
 * e.g. `store.db`), every statement commits by itself, so the work runs at once.
 */
import type { Db } from './store.js';

const pending = new WeakMap<object, (() => void)[]>();

/**
 * Runs `fn` after `trx` commits, or never if it rolls back; at once when `trx` is not a
 * `Store.transaction()` handle. `fn` must not throw (a throw is swallowed: the commit stands).
 *
 * @example
 * ```ts
 * await store.transaction(async (trx) => {
 *   await insertThing(trx, thing);
 *   afterCommit(trx, () => metrics.things.inc());
 * });
 * ```
 */
export function afterCommit(trx: Db, fn: () => void): void {
  const list = pending.get(trx);
  if (list === undefined) runQuietly(fn);
  else list.push(fn);
}

/** For the Store: starts tracking `trx`; the returned function runs the list (after COMMIT). */
export function trackCommit(trx: object): () => void {
  const list: (() => void)[] = [];
  pending.set(trx, list);
  return () => {
    pending.delete(trx);
    for (const fn of list) runQuietly(fn);
  };
}

/** For the Store: `trx` rolled back (or ended without commit): its list is dropped unrun. */
export function forgetCommit(trx: object): void {
  pending.delete(trx);
}

function runQuietly(fn: () => void): void {
  try {
    fn();
  } catch {
    // Counting work only: a failure here must not turn a committed change into an error.
  }
}
