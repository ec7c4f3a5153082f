/** The optional listing capability of a key backend (a capability interface with a type guard). */
import type { KeyBackend, KeyRef } from './key-backend.js';

/** A backend that can enumerate its keys. */
export interface ListingKeyBackend extends KeyBackend {
  /** The references of every key, sorted. */
  listKeyRefs(): Promise<readonly KeyRef[]>;
}

/** True when `backend` can list its keys. */
export function isListing(backend: KeyBackend): backend is ListingKeyBackend {
  return typeof (backend as Partial<ListingKeyBackend>).listKeyRefs === 'function';
}
