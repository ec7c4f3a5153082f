/**
 * A loaded PKCS#11 library (PKCS#11 v2.40 §5.4): C_Initialize once per process, slot lookup by
 * token label, and re-initialisation (C_Finalize + C_Initialize) when the library or a token
 * went away. Cryptoki state is per process, so instances are shared per library path.
 */
import pkcs11js from 'pkcs11js';
import { KeyBackendError } from '../errors.js';
import { ckrName } from './pkcs11-errors.js';

// PKCS#11 v2.40 §5.4: C_Initialize is process-wide; a second caller gets
// CKR_CRYPTOKI_ALREADY_INITIALIZED. One shared object per library path mirrors that.
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
   * Finalises and re-initialises the library, unless another caller already did so since
   * `seenGeneration`. Every session and handle of older generations is then invalid.
   */
  reinitialize(seenGeneration: number): void {
    if (seenGeneration !== this.#generation) return;
    try {
      this.api.C_Finalize();
    } catch {
      // Already finalised (e.g. by the fault that brought us here): nothing to undo.
    }
    this.#initialized = false;
    this.#generation++;
    this.ensureInitialized();
  }

  /** The slot holding the initialised token labelled `label` (CK_TOKEN_INFO.label, §3.2). */
  findSlot(label: string): pkcs11js.Handle {
    let slots: pkcs11js.Handle[];
    try {
      slots = this.api.C_GetSlotList(true);
    } catch (err) {
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

  /** Drops one reference; the last one finalises and unloads the library. */
  release(): void {
    this.#references--;
    if (this.#references > 0) return;
    loaded.delete(this.path);
    try {
      this.api.C_Finalize();
    } catch {
      // Already finalised.
    }
    try {
      this.api.close();
    } catch {
      // Nothing more to release.
    }
  }
}
