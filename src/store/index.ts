/** The store domain's public surface: connect, the schema type, and the repositories (the only SQL). */
export { connectStore } from './connect.js';
export type { Store, StoreConfig, StoreKind, Db } from './store.js';
export type {
  Database,
  Flag,
  UsersTable,
  CredentialsTable,
  OAuthClientsTable,
  AuthorizationCodesTable,
  TokensTable,
  SadsTable,
  SadHashesTable,
  AuditLogTable,
  AuditHeadTable,
} from './schema.js';
export { migrateToLatest, migrationsFor } from './migrations.js';
export { StoreError, type StoreErrorCode } from './errors.js';
export {
  reserveAuditSequence,
  insertAuditRow,
  updateAuditHead,
  readAuditHead,
  listAuditRows,
  type AuditRow,
  type AuditHeadRow,
} from './audit-repository.js';
