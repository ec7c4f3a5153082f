/**
 * Software signing off the event loop. An RSA-2048 signature costs about a millisecond of CPU
 * (RSA-4096 several), and one signHash call may carry 1000 hashes: signed on the event loop, that
 * stalls every other request of the process (logins, health checks, OCSP) for as long, and a
 * multi-core server signs on one core. The pool runs `signDigest` on a few worker threads; keys
 * are posted as KeyObjects, which cross threads as cloned handles, never as key bytes.
 */
import type { KeyObject } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { namedCurveOf } from '../../cms/algorithms.js';
import { KeyBackendError, type KeyErrorCode } from '../errors.js';
import { signDigest, type SoftwareSignRequest } from './sign-digest.js';
import type { SigningAnswer, SigningBatch, SigningJob } from './signing-worker.js';

/** Jobs waiting in the whole pool beyond which `sign` answers ERR_KEY_BACKEND_BUSY (INV-7). */
const defaultMaxQueued = 8192;

interface Pending {
  readonly resolve: (signature: Uint8Array) => void;
  readonly reject: (err: Error) => void;
}

/** A signature given to a thread and not yet posted to it (posted at the end of the turn). */
interface Outgoing {
  readonly id: number;
  readonly key: KeyObject;
  readonly request: SoftwareSignRequest;
}

interface Thread {
  readonly worker: Worker;
  readonly pending: Map<number, Pending>;
  /** Signatures given to this thread in this turn, posted together by #post. */
  readonly outbox: Outgoing[];
}

/**
 * How to start the worker: the compiled `signing-worker.js` beside this module; when running from
 * the TypeScript sources (tests, `tsx`), the `.ts` file through tsx's loader, which a worker does
 * not inherit from its parent.
 */
function startWorker(): Worker {
  if (import.meta.url.endsWith('.ts')) {
    const source = new URL('./signing-worker.ts', import.meta.url).href;
    return new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(source)}); });`, { eval: true });
  }
  return new Worker(new URL('./signing-worker.js', import.meta.url));
}

const errorCodes = new Set<string>([
  'ERR_KEY_DIGEST_INVALID',
  'ERR_KEY_MECHANISM_UNSUPPORTED',
  'ERR_KEY_SIGN_FAILED',
] satisfies KeyErrorCode[]);

/**
 * Keys whose signature over a digest costs less than the hop to a signing thread: EC P-256 and
 * P-384 (ECDSA over a digest, ecdsa-prehash.ts) and RSA up to 2048 bits.
 */
function isCheapToSign(key: KeyObject): boolean {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'ec') {
    const curve = namedCurveOf(details?.namedCurve);
    return curve === 'P-256' || curve === 'P-384';
  }
  return key.asymmetricKeyType === 'rsa' && (details?.modulusLength ?? Infinity) <= 2048;
}

/** A fixed number of signing threads, started on first use; idle threads do not keep the process alive. */
export class SigningPool {
  static readonly #shared = new Map<number, SigningPool>();

  /** The process-wide pool of `threads` threads (every keystore of the process shares the cores). */
  static shared(threads: number): SigningPool {
    let pool = SigningPool.#shared.get(threads);
    if (pool === undefined) {
      pool = new SigningPool(threads);
      SigningPool.#shared.set(threads, pool);
    }
    return pool;
  }

  readonly #size: number;
  readonly #maxQueued: number;
  readonly #threads: Thread[] = [];
  #nextId = 0;
  #queued = 0;
  #signedInlineThisTurn = false;

  constructor(threads: number, options: { readonly maxQueued?: number } = {}) {
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError('a signing pool needs at least one thread');
    this.#size = threads;
    this.#maxQueued = options.maxQueued ?? defaultMaxQueued;
  }

  /** Number of threads the pool runs when busy. */
  get size(): number {
    return this.#size;
  }

  /** Threads started so far (they start on demand, up to `size`). */
  get running(): number {
    return this.#threads.length;
  }

  /** Threads configured, threads with work, and signatures sent and not yet answered (metrics). */
  stats(): { readonly threads: number; readonly busy: number; readonly queued: number } {
    return { threads: this.#size, busy: this.#threads.filter((t) => t.pending.size > 0).length, queued: this.#queued };
  }

  /**
   * Signs `request.digest` with `key` on the least busy thread (see signDigest for the schemes) —
   * or on the calling thread when nothing is waiting in the pool, the key is cheap to sign with
   * (isCheapToSign) and no other signature was made there in this turn of the event loop: posting
   * the KeyObject and waking a thread cost more than such a signature (issue 19: postMessage alone
   * was ~0.6 ms of event-loop CPU per one-hash signHash, an RSA-2048 signature ~0.4 ms), and one
   * signature per turn stalls the loop for less than that. A batch goes to the threads.
   */
  sign(key: KeyObject, request: SoftwareSignRequest): Promise<Uint8Array> {
    if (this.#queued === 0 && !this.#signedInlineThisTurn && isCheapToSign(key)) {
      this.#signedInlineThisTurn = true;
      setImmediate(() => {
        this.#signedInlineThisTurn = false;
      });
      try {
        return Promise.resolve(signDigest(key, request));
      } catch (err) {
        return Promise.reject(err instanceof KeyBackendError ? err : new KeyBackendError('ERR_KEY_SIGN_FAILED', 'the signature failed', { cause: err }));
      }
    }
    if (this.#queued >= this.#maxQueued) {
      return Promise.reject(new KeyBackendError('ERR_KEY_BACKEND_BUSY', 'too many signatures are waiting'));
    }
    const thread = this.#leastBusy();
    const id = ++this.#nextId;
    return new Promise<Uint8Array>((resolve, reject) => {
      if (thread.pending.size === 0) thread.worker.ref();
      thread.pending.set(id, { resolve, reject });
      this.#queued++;
      // Issue 19: the digests of one signHash are given here in one turn; they are posted to
      // the thread together when the turn's synchronous work ends (one message, each key once, one
      // answer) — a message per digest cost the event loop and the thread ~0.1 ms a signature.
      thread.outbox.push({ id, key, request });
      if (thread.outbox.length === 1) queueMicrotask(() => this.#post(thread));
    });
  }

  /** Posts the signatures waiting in `thread`'s outbox as one batch, each key once. */
  #post(thread: Thread): void {
    const outgoing = thread.outbox.splice(0);
    if (outgoing.length === 0 || !this.#threads.includes(thread)) return;
    const keys: KeyObject[] = [];
    const keyIndex = new Map<KeyObject, number>();
    const jobs = outgoing.map(({ id, key, request }): SigningJob => {
      let index = keyIndex.get(key);
      if (index === undefined) {
        index = keys.push(key) - 1;
        keyIndex.set(key, index);
      }
      return { id, key: index, request };
    });
    const batch: SigningBatch = { keys, jobs };
    thread.worker.postMessage(batch);
  }

  /** Stops every thread; waiting signatures fail with ERR_KEY_BACKEND_CLOSED. */
  async close(): Promise<void> {
    const threads = this.#threads.splice(0);
    for (const [key, pool] of SigningPool.#shared) if (pool === this) SigningPool.#shared.delete(key);
    await Promise.all(
      threads.map(async (thread) => {
        this.#fail(thread, new KeyBackendError('ERR_KEY_BACKEND_CLOSED', 'the signing pool is closed'));
        await thread.worker.terminate();
      }),
    );
  }

  #leastBusy(): Thread {
    let best: Thread | undefined;
    for (const thread of this.#threads) {
      if (thread.pending.size === 0) return thread;
      if (best === undefined || thread.pending.size < best.pending.size) best = thread;
    }
    if (this.#threads.length < this.#size) return this.#spawn();
    return best as Thread;
  }

  #spawn(): Thread {
    const thread: Thread = { worker: startWorker(), pending: new Map(), outbox: [] };
    thread.worker.unref();
    thread.worker.on('message', (answers: readonly SigningAnswer[]) => {
      for (const answer of answers) this.#answer(thread, answer);
    });
    // A thread that dies takes its jobs with it: they fail (the key operation may or may not have
    // run, so the caller's reservation stays burned, INV-6), and the next signature starts a new one.
    const lost = (reason: string) => (): void => {
      const index = this.#threads.indexOf(thread);
      if (index !== -1) this.#threads.splice(index, 1);
      this.#fail(thread, new KeyBackendError('ERR_KEY_BACKEND_UNAVAILABLE', `a signing thread ${reason}`));
    };
    thread.worker.on('error', lost('failed'));
    thread.worker.on('exit', lost('stopped'));
    this.#threads.push(thread);
    return thread;
  }

  #answer(thread: Thread, answer: SigningAnswer): void {
    const pending = thread.pending.get(answer.id);
    if (pending === undefined) return;
    thread.pending.delete(answer.id);
    this.#queued--;
    if (thread.pending.size === 0) thread.worker.unref();
    if ('signature' in answer) {
      pending.resolve(answer.signature);
      return;
    }
    const code = errorCodes.has(answer.error.code) ? (answer.error.code as KeyErrorCode) : 'ERR_KEY_SIGN_FAILED';
    pending.reject(new KeyBackendError(code, answer.error.message));
  }

  #fail(thread: Thread, err: KeyBackendError): void {
    thread.outbox.length = 0;
    for (const pending of thread.pending.values()) pending.reject(err);
    this.#queued -= thread.pending.size;
    thread.pending.clear();
  }
}
