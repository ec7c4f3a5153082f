/** The remote token server and its client backend: public surface. */
export { TokenServer } from './token-server.js';
export type { MutualTlsOptions, TokenServerOptions } from './token-server.js';
export { RemoteKeyBackend } from './remote-backend.js';
export type { RemoteKeyBackendOptions } from './remote-backend.js';
