/**
 * Key backends for the CSC tests that forward the KeyBackend core to a real backend and put the
 * test's own code in front of `sign`: counters, delays, injected faults.
 */
import type { KeyBackend } from '../../../src/keys/index.js';

/**
 * A backend whose `sign` is `sign`, everything else forwarded to `backend`. prepareKey and
 * signMessage are left out on purpose, so every signature the service makes goes through `sign`.
 */
export function signThrough(backend: KeyBackend, sign: KeyBackend['sign']): KeyBackend {
  return {
    kind: backend.kind,
    generateKey: (spec, label) => backend.generateKey(spec, label),
    getPublicKey: (ref) => backend.getPublicKey(ref),
    destroyKey: (ref) => backend.destroyKey(ref),
    health: () => backend.health(),
    close: () => backend.close(),
    sign,
  };
}

/** Counts key operations in `counter.n`, forwarding each to the real backend. */
export function countingSigns(backend: KeyBackend, counter: { n: number }): KeyBackend {
  return signThrough(backend, (ref, request) => {
    counter.n++;
    return backend.sign(ref, request);
  });
}
