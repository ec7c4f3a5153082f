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
  RateLimitsTable,
  OAuthInteractionsTable,
  ConsentDocumentsTable,
  CaCertificatesTable,
  CaCountersTable,
  WebauthnCredentialsTable,
  WebauthnChallengesTable,
  WebSessionsTable,
  SigningRequestState,
  SigningRequestsTable,
} from './schema.js';
export { migrateToLatest, migrationsFor } from './migrations.js';
export { databaseTime } from './database-time.js';
export { startDatabaseClock, type DatabaseClock, type DatabaseClockOptions } from './database-clock.js';
export { withAdvisoryLock, tryAdvisoryLock } from './advisory-lock.js';
export { StoreError, retriableStoreError, type RetriableStoreErrorCode, type StoreErrorCode } from './errors.js';
export {
  reserveAuditSequence,
  insertAuditRow,
  updateAuditHead,
  readAuditHead,
  listAuditRows,
  type AuditRow,
  type AuditHeadRow,
} from './audit-repository.js';
export {
  insertSad,
  findSad,
  findSadForUse,
  countListedSadHashes,
  decrementSadRemaining,
  markSadHashesUsed,
  revokeSadRow,
  type SadRow,
  type SadForUse,
} from './sads-repository.js';
export {
  insertSigningRequest,
  findSigningRequest,
  completeSigningRequest,
  resumeSigningRequest,
  listStaleSigningRequests,
  abandonSigningRequest,
  purgeSigningRequests,
  type SigningRequestRow,
} from './signing-requests-repository.js';
export { isUniqueViolation } from './unique-violation.js';
export {
  findSadForExtension,
  retireSad,
  listSadHashes,
  insertSuccessorSad,
  type SadForExtension,
} from './sad-transactions-repository.js';
export {
  insertUser,
  findUserByUsername,
  findUserById,
  reserveUserAttempt,
  clearUserAttempts,
  lockUser,
  unlockUser,
  setUserStatus,
  setUserPasswordHash,
  setUserPendingTotpSecret,
  confirmUserTotpSecret,
  clearUserTotp,
  advanceUserTotpStep,
  setUserRole,
  setUserRequirePasskey,
  type UserRow,
  type UserRole,
  type UserStatus,
} from './users-repository.js';
export {
  insertWebauthnCredential,
  findWebauthnCredentialByCredentialId,
  findUserWebauthnCredential,
  listUserWebauthnCredentials,
  countUserWebauthnCredentials,
  recordWebauthnCredentialUse,
  renameWebauthnCredential,
  deleteWebauthnCredential,
  deleteUserWebauthnCredentials,
  insertWebauthnChallenge,
  takeWebauthnChallenge,
  deleteExpiredWebauthnChallenges,
  type WebauthnCredentialRow,
  type WebauthnChallengeRow,
} from './webauthn-repository.js';
export {
  insertWebSession,
  findWebSession,
  touchWebSession,
  setWebSessionSecondFactor,
  revokeWebSession,
  revokeUserWebSessions,
  deleteExpiredWebSessions,
  type WebSessionRow,
  type WebSessionWithUser,
} from './web-sessions-repository.js';
export {
  insertCredential,
  findCredential,
  listUserCredentials,
  credentialCertificates,
  setCredentialStatus,
  reserveCredentialAttempt,
  clearCredentialAttempts,
  releaseCredentialAttempt,
  setCredentialLocked,
  setCredentialPinHash,
  setCredentialCertificateSerial,
  moveCredentialCertificate,
  listCredentialsWithoutSerial,
  type CredentialRow,
  type CredentialStatus,
  type NewCredential,
} from './credentials-repository.js';
export {
  insertOAuthClient,
  findOAuthClient,
  type OAuthClient,
  type OAuthClientType,
} from './oauth-clients-repository.js';
export {
  insertAuthorizationCode,
  findAuthorizationCode,
  redeemAuthorizationCode,
  deleteExpiredAuthorizationCodes,
  type AuthorizationCodeRow,
} from './authorization-codes-repository.js';
export {
  insertToken,
  findToken,
  findTokenWithUser,
  useRefreshToken,
  revokeToken,
  revokeTokenFamily,
  listTokenFamily,
  type TokenRow,
  type TokenWithUserRow,
  type TokenKind,
} from './tokens-repository.js';
export { hitRateLimit, deleteExpiredRateLimits } from './rate-limits-repository.js';
export {
  listUsers,
  listOAuthClients,
  listCredentialSummaries,
  countTokensOfKinds,
  redeemSingleUseToken,
  type UserSummary,
  type OAuthClientSummary,
  type CredentialSummary,
} from './admin-repository.js';
export {
  insertOAuthInteraction,
  claimOAuthInteraction,
  setOAuthInteractionCsrf,
  deleteOAuthInteraction,
  deleteExpiredOAuthInteractions,
  takeOAuthInteraction,
  findOAuthInteraction,
  type OAuthInteractionRow,
} from './oauth-interactions-repository.js';
export {
  lockCaPublicKey,
  isKeyCertifiedForOtherSubject,
  insertCaCertificate,
  findCaCertificate,
  hasCaCertificates,
  listExpiringCaCertificates,
  listRevokedCaCertificates,
  revokeCaCertificate,
  reserveCaCounter,
  raiseCaCounter,
  listCaCounters,
  claimCaRenewal,
  linkCaRenewal,
  type CaCertificateRow,
} from './ca-repository.js';
export {
  insertConsentDocument,
  findConsentDocuments,
  bindConsentDocument,
  deleteConsentDocumentsOfRequest,
  deleteExpiredConsentDocuments,
  type ConsentDocumentRow,
} from './consent-documents-repository.js';
