/** The server domain: configuration, data-directory bootstrap, services container, Fastify assembly, admin surface. */
export { loadServerConfig, defaultDataDir, defaultPort, defaultBodyLimitBytes, parsePort } from './config.js';
export type { ServerConfig, ServerConfigInput, KekLocation } from './config.js';
export { bootstrapDataDir, dataDirLayout, openServerSecrets } from './data-dir.js';
export type { BootstrapResult, DataDirLayout } from './data-dir.js';
export { createServices } from './services.js';
export type { Services, BaseUrl, CreateServicesOptions } from './services.js';
export { buildServer } from './app.js';
export type { BuildServerOptions, SurfacePlugin } from './app.js';
export { Readiness, retryAfterSeconds, type ReadinessOptions, type ReadinessReport } from './readiness.js';
export { startRenewalJob, type RenewalJob, type RenewalJobDeps, type RenewalJobOptions, type RenewalRound } from './renewal-job.js';
export { createLogger, loggerOptions, secretFieldNames, traceIdFor } from './logger.js';
export { ServerError, type ServerErrorCode } from './errors.js';
export { AdminService } from './admin/admin-service.js';
export type { AdminServiceDeps, CreatedUser, CredentialAlgorithm, CredentialOperations, NewCredentialRequest, SubjectFields, EnrollmentRequest } from './admin/admin-service.js';
export {
  adminClientId,
  ensureSetupToken,
  exchangeSetupToken,
  issueAdminToken,
  verifyAdminToken,
  type AdminOrigin,
  type AdminSession,
} from './admin/admin-tokens.js';
export { oauthClientRegistry, checkNewClient, type ClientRegistry, type NewClient } from './admin/client-registry.js';
