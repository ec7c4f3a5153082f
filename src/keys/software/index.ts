/** The encrypted software keystore: public surface. */
export { SoftwareKeystore, keystoreRef } from './software-keystore.js';
export type { SoftwareKeystoreOptions, KeystoreEntry } from './software-keystore.js';
export { Kek, loadKek, parseKek } from './kek.js';
export type { KekSource } from './kek.js';
