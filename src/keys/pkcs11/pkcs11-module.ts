/**
 * A loaded PKCS#11 library (PKCS#11 v2.40 §5.4): C_Initialize once per process, slot lookup by
 * token label, and re-initialisation (C_Finalize + C_Initialize) when the library or a token
 * went away. Cryptoki state is per process, so instances are shared per library path.
 */
import pkcs11js from 'pkcs11js';
import { KeyBackendError } from '../errors.js';
import { ckrName, classifyPkcs11Failure } from './pkcs11-errors.js';

// PKCS#11 v2.40 §5.4: C_Initialize is process-wide; a second caller gets
// CKR_CRYPTOKI_ALREADY_INITIALIZED. One shared object per library path mirrors that; entries are
// kept for the life of the process (see `release`).
const loaded = new Map<string, Pkcs11Module>();

/**
 * One PKCS#11 library. `generation` increases on every re-initialisation, so sessions and object
 * handles from an older generation are known to be stale.
 */
export class Pkcs11Module {
  readonly path: string;
  readonly api: pkcs11js.PKCS11;
  #generation = 0;
  #initialized = false;
  #references = 0;
  #inflight = 0;
  #drained: (() => void)[] = [];
  #reinit: Promise<void> | undefined;

  private constructor(path: string) {
    this.path = path;
    this.api = new pkcs11js.PKCS11();
    try {
      this.api.load(path);
    } catch (err) {
      throw new KeyBackendError(
        'ERR_KEY_BACKEND_UNAVAILABLE',
        `cannot load PKCS#11 module ${path}`,
        { cause: err },
      );
    }
  }

  /** Loads (or shares) the library at `path` and initialises it. Pair with `release()`. */
  static acquire(path: string): Pkcs11Module {
    let module = loaded.get(path);
    if (module === undefined) {
      module = new Pkcs11Module(path);
      loaded.set(path, module);
    }
    module.#references++;
    module.ensureInitialized();
    return module;
  }

  /** The current generation (bumped by `reinitialize`). */
  get generation(): number {
    return this.#generation;
  }

  /** C_Initialize with OS locking (several threads sign in parallel), tolerating "already". */
  ensureInitialized(): void {
    if (this.#initialized) return;
    try {
      this.api.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
    } catch (err) {
      if (ckrName(err) !== 'CKR_CRYPTOKI_ALREADY_INITIALIZED') {
        throw new KeyBackendError('ERR_KEY_BACKEND_UNAVAILABLE', 'C_Initialize failed', {
          cause: err,
          detail: { ckr: ckrName(err) ?? null },
        });
      }
    }
    this.#initialized = true;
  }

  /**
   * Marks the start of an operation on the library. Waits while a re-initialisation runs, so no
   * call enters the library between C_Finalize and C_Initialize. Pair with `leave()`.
   */
  async enter(): Promise<void> {
    while (this.#reinit !== undefined) await this.#reinit;
    this.#inflight++;
  }

  /** Marks the end of an operation started with `enter()`. */
  leave(): void {
    this.#inflight--;
    if (this.#inflight === 0) for (const resolve of this.#drained.splice(0)) resolve();
  }

  #quiesce(): Promise<void> {
    return this.#inflight === 0
      ? Promise.resolve()
      : new Promise((resolve) => this.#drained.push(resolve));
  }

  /**
   * Finalises and re-initialises the library, unless another caller already did so since
   * `seenGeneration`. Waits for operations in flight first: PKCS#11 §5.4 forbids C_Finalize
   * while other threads are inside the library (SoftHSM crashes). Every session and handle of
   * older generations is invalid afterwards.
   */
  async reinitialize(seenGeneration: number): Promise<void> {
    if (this.#reinit !== undefined) return this.#reinit;
    if (seenGeneration !== this.#generation) return;
    this.#reinit = (async () => {
      await this.#quiesce();
      try {
        this.api.C_Finalize();
      } catch {
        // Already finalised (e.g. by the fault that brought us here): nothing to undo.
      }
      this.#initialized = false;
      this.#generation++;
      this.ensureInitialized();
    })().finally(() => {
      this.#reinit = undefined;
    });
    return this.#reinit;
  }

  /** The slot holding the initialised token labelled `label` (CK_TOKEN_INFO.label, §3.2). */
  findSlot(label: string): pkcs11js.Handle {
    let slots: pkcs11js.Handle[];
    try {
      slots = this.api.C_GetSlotList(true);
    } catch (err) {
      // A finalised or vanished library is repaired by the caller (SessionPool.use).
      if (classifyPkcs11Failure(err) === 'module-lost') throw err;
      throw new KeyBackendError('ERR_KEY_BACKEND_UNAVAILABLE', 'C_GetSlotList failed', {
        cause: err,
        detail: { ckr: ckrName(err) ?? null },
      });
    }
    for (const slot of slots) {
      try {
        // CK_TOKEN_INFO.label is blank-padded to 32 bytes.
        if (this.api.C_GetTokenInfo(slot).label.trim() === label) return slot;
      } catch {
        // A slot whose token vanished meanwhile is skipped.
      }
    }
    throw new KeyBackendError('ERR_KEY_TOKEN_NOT_FOUND', `no PKCS#11 token labelled ${label}`);
  }

  /**
   * Drops one reference; the last one finalises the library (C_Finalize). The library stays
   * loaded for the life of the process: unloading it (dlclose) lets libraries it pulled in run
   * exit handlers from unmapped code, which crashes the process at exit.
   */
  async release(): Promise<void> {
    this.#references--;
    if (this.#references > 0) return;
    await this.#quiesce();
    if (this.#references > 0) return;
    try {
      this.api.C_Finalize();
    } catch {
      // Already finalised.
    }
    this.#initialized = false;
    this.#generation++;
  }
}
