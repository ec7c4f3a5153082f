/** The encrypted software keystore: public surface. */
export { SoftwareKeystore, keystoreRef } from './software-keystore.js';
export type { SoftwareKeystoreOptions, KeystoreEntry, RotateKekOptions } from './software-keystore.js';
export { FileKeyRecords } from './key-records.js';
export type { KeyRecords, StoredKeyRecord } from './key-records.js';
export { Kek, loadKek, parseKek } from './kek.js';
export type { KekSource } from './kek.js';
export { decodeKeyFile as decodeKeyEnvelope } from './key-file.js';
