/**
 * The wiring of the domain surfaces into the server: the CSC API plugin (/csc/v2, /csc/v1), the
 * OAuth 2.0 plugin (/oauth2) and the credential lifecycle behind the admin surface, each built
 * from the services container.
 */
import { externalSigningRoutes, type ExternalSigningRoutesOptions } from './routes/external-signing-routes.js';
import {
  addCredentialKey,
  enrollCredential,
  createCredential,
  createCscService,
  disableCredential,
  revokeCredential,
  type CscDeps,
} from '../csc/index.js';
import {
  createOAuth2Service,
  defaultConsentDocumentMaxBytes,
  type OAuth2Service,
} from '../auth/oauth2/index.js';
import { createConsentDocumentInspector } from './consent-document-inspector.js';
import { createPdfPreparer, loadPdfPreparerOptions } from './pdf-preparation-pool.js';
import { ServerError } from './errors.js';
import { CrlClient, OcspClient, handlerFetch, revocationSourceFromClients, type PkiHttpHandler } from '../pki/index.js';
import type { SurfacePlugin } from './app.js';
import type { CredentialOperations } from './admin/admin-service.js';
import type { AdminOrigin } from './admin/admin-tokens.js';
import { cscRoutes } from './routes/csc-routes.js';
import { oauth2Routes } from './routes/oauth2-routes.js';
import { webAppRoutes, type WebAppRoutesOptions } from './routes/web-app-routes.js';
import { loadValidateSettings, validateRoutes, type ValidateRoutesOptions } from './routes/validate-routes.js';
import { cachedRevocationSource } from '../validation/index.js';
import { requireWebUser, type WebUser } from './routes/web-session-auth.js';
import type { Services } from './services.js';
import { loadSigningConfig, type SigningConfig } from './signing-config.js';
import { signingSweeperPlugin, type SigningSweeperOptions } from './signing-sweeper-plugin.js';
import { JobRunner, type JobContext, type JobDocumentWork } from '../gateway/index.js';
import { loadGatewayConfig, type GatewayConfig } from './gateway-config.js';
import { jobRoutes, type JobRoutesOptions, type WebAuth } from './routes/job-routes.js';
import { logoPath } from './routes/logo-route.js';

type CoreServices = Omit<Services, 'admin' | 'close'>;

function lifecycleOrigin(origin: AdminOrigin): { sourceAddress?: string; traceId?: string } {
  return {
    ...(origin.sourceAddress !== undefined ? { sourceAddress: origin.sourceAddress } : {}),
    ...(origin.traceId !== undefined ? { traceId: origin.traceId } : {}),
  };
}

/** `<base URL>/pki/<rest>` for a URL of this Signet's PKI (`…/pki/<rest>`); any other URL unchanged. */
function ownPkiUrl(services: CoreServices, url: string): string {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    return url;
  }
  const at = path.lastIndexOf('/pki/');
  return at < 0 ? url : `${services.baseUrl.get()}${path.slice(at)}`;
}

/** A CrlClient that reads the root CRL this Signet stores (any other CRL URL: 404, no network). */
function rootCrlClient(services: Pick<CoreServices, 'clock' | 'caDirectory'>): CrlClient {
  const handler: PkiHttpHandler = (request) => {
    const der = request.path.endsWith('/ca/root.crl') ? services.caDirectory.readRootCrl() : undefined;
    return Promise.resolve(
      der === undefined
        ? { status: 404, headers: {}, body: new Uint8Array(0) }
        : { status: 200, headers: { 'content-type': 'application/pkix-crl' }, body: der },
    );
  };
  return new CrlClient({ clock: services.clock, fetch: handlerFetch(handler) });
}

/**
 * The CSC service's dependencies from the container (in-process TSA and OCSP for PAdES B-T…B-LTA)
 * and the idempotent-signing settings (default: from the environment, signing-config.ts).
 */
export function cscDepsFor(services: CoreServices, signing: SigningConfig = loadSigningConfig(process.env)): CscDeps {
  // B-LT/B-LTA validation data: no nonce (RFC 5019 §2.1.1), so the responder answers from its
  // pre-signed responses; freshness is thisUpdate/nextUpdate (OcspClient).
  const ocsp = new OcspClient({
    clock: services.clock,
    url: 'http://in-process/pki/ocsp',
    fetch: handlerFetch(services.ocsp.handler),
    nonce: false,
  });
  return {
    store: services.store,
    clock: services.clock,
    audit: services.audit,
    sads: services.sads,
    authenticator: services.authenticator,
    keyBackends: services.backends,
    ca: services.ca,
    tsa: services.tsa,
    // Getters: with port 0 the base URL is known only once the server listens.
    info: {
      name: 'Signet',
      get logo() {
        return `${services.baseUrl.get()}${logoPath}`;
      },
      region: 'BE',
      lang: 'en-US',
      description: 'Signet remote signing service',
      get oauth2Issuer() {
        return services.baseUrl.get();
      },
      supportsRar: true,
    },
    // The issuing CA certificate's CDP names the root CRL (no OCSP for it): served in process, so
    // B-LT/B-LTA validation data covers the whole path (ETSI EN 319 142-1 §5.4.2).
    pades: { revocation: revocationSourceFromClients({ ocsp, crl: rootCrlClient(services) }) },
    signing: {
      abandonAfterMs: signing.abandonAfterMs,
      ...(signing.faults === undefined ? {} : { faults: signing.faults.hooks }),
    },
  };
}

/** The OAuth2 service; its issuer follows the base URL learnt after binding (port 0). */
export function oauth2ServiceFor(services: CoreServices): OAuth2Service {
  return createOAuth2Service({
    store: services.store,
    clock: services.clock,
    audit: services.audit,
    authenticator: services.authenticator,
    sads: services.sads,
    hasher: services.hasher,
    issuer: () => services.baseUrl.get(),
    passkeys: services.passkeys,
    webSessions: services.webSessions,
    // RFC 8705: with a client CA the TLS listener asks for client certificates.
    mutualTls: services.config.tls?.clientCaFile !== undefined,
    documents: {
      inspector: createConsentDocumentInspector(),
      secretBox: services.secretBox,
      maxBytes: consentDocumentMaxBytes(process.env),
    },
  });
}

/** `SIGNET_CONSENT_DOCUMENT_MAX_BYTES` (default 20 MiB): the largest PDF POST /oauth2/documents takes. */
export function consentDocumentMaxBytes(env: NodeJS.ProcessEnv): number {
  const raw = env['SIGNET_CONSENT_DOCUMENT_MAX_BYTES'];
  if (raw === undefined || raw === '') return defaultConsentDocumentMaxBytes;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1024 || n > 1024 * 1024 * 1024) {
    throw new ServerError('ERR_SERVER_CONFIG', 'SIGNET_CONSENT_DOCUMENT_MAX_BYTES must be a number of bytes between 1024 and 1 GiB');
  }
  return n;
}

/**
 * The surfaces registered by `signet serve` next to the built-in ones: CSC v2/v1, OAuth2, the
 * signing-request sweeper, validate, the web gateway's jobs and the web app. Throws ERR_SERVER_CONFIG (so the server does not start) when the
 * environment enables fault hooks outside test mode.
 */
export function serverSurfaces(
  services: Services,
  signing: SigningConfig = loadSigningConfig(process.env),
  gateway: GatewayConfig = loadGatewayConfig(process.env),
): readonly SurfacePlugin[] {
  const sweeper: SigningSweeperOptions = { deps: { store: services.store, clock: services.clock, audit: services.audit }, config: signing };
  // signDoc and the web gateway's jobs parse and prepare documents on worker threads (heap limit, deadline; issue 15).
  const preparer = createPdfPreparer(loadPdfPreparerOptions(process.env));
  services.metrics.watch({ pdfWorkers: () => preparer.stats() });
  return [
    { plugin: cscRoutes as SurfacePlugin['plugin'], options: { csc: createCscService({ ...cscDepsFor(services, signing), documents: preparer }), onClose: () => preparer.close() } },
    { plugin: oauth2Routes as SurfacePlugin['plugin'], options: { oauth2: oauth2ServiceFor(services) } },
    { plugin: signingSweeperPlugin as SurfacePlugin['plugin'], options: sweeper },
    // Issue 16 §3: the two-phase API of credentials whose key the owner holds (enrolled from a CSR).
    { plugin: externalSigningRoutes as SurfacePlugin['plugin'], options: { deps: { ...cscDepsFor(services, signing), secretBox: services.secretBox } } satisfies ExternalSigningRoutesOptions, prefix: '/api/v1' },
    // POST /api/v1/validate (Contract 4): the Verify page's back end, under the web session.
    // Its PDF is read on the same document workers (heap limit, deadline; issue 14, issue 15).
    { plugin: validateRoutes as SurfacePlugin['plugin'], options: validateOptionsFor(services, process.env, preparer), prefix: '/api/v1' },
    // The web gateway's jobs (Contract 4): upload, sign, callback, progress, downloads.
    // Their upload checks and preparation share signDoc's document workers (issue 15).
    jobSurface(services, { preHandler: requireWebUser, userId: (request) => (request.webUser as WebUser).userId, sessionId: (request) => (request.webUser as WebUser).sessionId }, gateway, preparer),
    // The Signature Application (web/, built into dist/web): /, its pages and /assets/ (Contract 5).
    { plugin: webAppRoutes as SurfacePlugin['plugin'], options: {} satisfies WebAppRoutesOptions },
  ];
}

/**
 * The validate endpoint's options: the service's root CA and SIGNET_TRUST_ANCHORS_FILE as trust
 * anchors, SIGNET_VALIDATE_MAX_BYTES as the size limit (ERR_SERVER_CONFIG when malformed), and
 * the document workers that read the PDF when given.
 */
export function validateOptionsFor(
  services: Services,
  env: NodeJS.ProcessEnv = process.env,
  documents?: ValidateRoutesOptions['documents'],
): ValidateRoutesOptions {
  const settings = loadValidateSettings(env);
  // Revocation of the service's own certificates from its own OCSP responder and root CRL, in
  // process (no network); other issuers get no lookup from the server, so their signatures are
  // INDETERMINATE / TRY_LATER unless the document carries evidence (docs/validation.md).
  const ocsp = new OcspClient({ clock: services.clock, url: 'http://in-process/pki/ocsp', fetch: handlerFetch(services.ocsp.handler) });
  return {
    clock: services.clock,
    trustAnchors: [services.rootCertificate, ...settings.extraAnchors],
    maxBytes: settings.maxBytes,
    authenticate: requireWebUser,
    revocation: cachedRevocationSource(revocationSourceFromClients({ ocsp, crl: rootCrlClient(services) }), services.clock, 60_000),
    policy: settings.policy,
    ...(documents === undefined ? {} : { documents }),
  };
}

/** The credential lifecycle (src/csc/credential-lifecycle.ts) as the admin surface drives it. */
export function credentialOperationsFor(services: CoreServices): CredentialOperations {
  const deps = {
    store: services.store,
    clock: services.clock,
    audit: services.audit,
    hasher: services.hasher,
    keyBackends: services.backends,
    ca: services.ca,
    caChain: [services.ca.certificate, services.rootCertificate],
  };
  return {
    create: (request, origin) =>
      createCredential(deps, {
        userId: request.userId,
        backend: request.backend,
        algorithm: request.algorithm,
        subject: { ...request.subject, commonName: request.commonName },
        ...(request.pin !== undefined ? { pin: request.pin } : {}),
        ...(request.profile !== undefined ? { profile: request.profile } : {}),
        ...(request.multisign !== undefined ? { multisign: request.multisign } : {}),
        ...lifecycleOrigin(origin),
      }),
    disable: (credentialId, origin) => disableCredential(deps, { credentialId, ...lifecycleOrigin(origin) }),
    revoke: (credentialId, reason, origin) => revokeCredential(deps, { credentialId, reason, ...lifecycleOrigin(origin) }),
    addKey: (credentialId, backend, origin) => addCredentialKey(deps, { credentialId, backend, ...lifecycleOrigin(origin) }),
    enroll: (request, origin) =>
      enrollCredential(deps, {
        userId: request.userId,
        csr: request.csr,
        ...(request.profile !== undefined ? { profile: request.profile } : {}),
        ...(request.subject !== undefined ? { subject: request.subject } : {}),
        ...(request.pin !== undefined ? { pin: request.pin } : {}),
        ...(request.multisign !== undefined ? { multisign: request.multisign } : {}),
        ...lifecycleOrigin(origin),
      }),
  };
}

/** The web gateway's job context (docs/decisions/0001 Contract 4) over the services. */
export function jobContextFor(services: CoreServices, gateway: GatewayConfig = loadGatewayConfig(process.env), documents?: JobDocumentWork): JobContext {
  return {
    store: services.store,
    clock: services.clock,
    audit: services.audit,
    secretBox: services.secretBox,
    hasher: services.hasher,
    nodeId: services.config.nodeId,
    // Read at use: with port 0 the base URL is known only once the server listens.
    providerUrl: () => gateway.providerUrl ?? services.baseUrl.get(),
    // This Signet's certificates (the TSA's among them) may name a base URL learnt later.
    ...(gateway.providerUrl === undefined
      ? { ocspUrl: () => `${services.baseUrl.get()}/pki/ocsp`, crlUrl: (distributionPoint: string) => ownPkiUrl(services, distributionPoint) }
      : {}),
    callbackUrl: () => `${services.baseUrl.get()}/api/v1/oauth/callback`,
    ...(gateway.foreign !== undefined ? { foreign: gateway.foreign } : {}),
    ...(gateway.tsaUrl !== undefined ? { tsaUrl: () => gateway.tsaUrl as string } : {}),
    limits: gateway.limits,
    sessionIdleMs: services.webSessions.idleMs,
    ...(documents !== undefined ? { documents } : {}),
    ...(gateway.faults !== undefined ? { faults: gateway.faults } : {}),
    log: services.logger,
  };
}

/** The job routes as a surface (under /api/v1), with this node's runner and sweeper. */
export function jobSurface(services: CoreServices, webAuth: WebAuth, gateway: GatewayConfig = loadGatewayConfig(process.env), documents?: JobDocumentWork): SurfacePlugin {
  const jobs = jobContextFor(services, gateway, documents);
  const options: JobRoutesOptions = { jobs, runner: new JobRunner(jobs), webAuth, sweepIntervalMs: gateway.sweepIntervalMs };
  return { plugin: jobRoutes as SurfacePlugin['plugin'], options, prefix: '/api/v1' };
}
