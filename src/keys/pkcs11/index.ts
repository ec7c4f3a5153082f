/** The PKCS#11 backend (token pool, session pools, RFC 7512 URIs): public surface. */
export { Pkcs11Backend } from './pkcs11-backend.js';
export type { Pkcs11BackendOptions, Pkcs11TokenConfig } from './pkcs11-backend.js';
export { formatPkcs11Uri, parsePkcs11Uri } from './pkcs11-uri.js';
export type { Pkcs11KeyUri } from './pkcs11-uri.js';
export type { SessionPoolStats } from './session-pool.js';
