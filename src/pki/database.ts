/**
 * The PKI's database-backed CA store, a public entry of its own next to `index.ts`: the server
 * imports it from here, so that what `index.ts` offers (certificates, the TSA/OCSP/CRL clients
 * that `signet sign`, `signet verify` and validation use) does not load the database drivers.
 */
export { DbCaStore } from './store/db-ca-store.js';
export type { CaStoreChange, CaStoreImport, DbCaStoreOptions } from './store/db-ca-store.js';
