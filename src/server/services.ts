/**
 * The services container built once at start-up from the configuration: store (migrated), clock,
 * key backends, CA / TSA / OCSP responder, SAD service, authenticator, hasher, audit context,
 * logger, admin service. Plain objects handed to the route plugins; `close()` releases them all.
 */
import { loadCertificateProfiles } from './certificate-profiles.js';
import { readFileSync, rmSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import { AuditHealth, createAuditKey, type AuditContext, type AuditKey } from '../audit/index.js';
import {
  Authenticator,
  FactorManager,
  OidcLogin,
  PasskeyService,
  SadService,
  WebLogin,
  WebSessionService,
  relyingPartyFor,
  createAesGcmSecretBox,
  createScryptHasher,
  type ScryptParams,
  type SecretBox,
  type SecretHasher,
} from '../auth/index.js';
import { Pkcs11Backend, RemoteKeyBackend, SoftwareKeystore, keystoreRef, readSecretFromEnv, readSecretText, type KeyBackend } from '../keys/index.js';
import { TreeHeadPublisher, logKeyLabel, openLogSigner, openReceiptSigner, type LogSigner, type ReceiptSigner } from '../transparency/index.js';
import { DbCaStore } from '../pki/database.js';
import {
  CertificateAuthority,
  openCaDirectory,
  pkiUrlsFor,
  signetDevelopmentPolicyOid,
  readCaDirectoryConfig,
  updateBaseUrl,
  type OcspResponder,
  type OpenedCaDirectory,
  type PkiUrls,
  type TimestampAuthority,
} from '../pki/index.js';
import { connectStore, startDatabaseClock, withAdvisoryLock, type Store } from '../store/index.js';
import { AdminService, type CredentialOperations } from './admin/admin-service.js';
import { oauthClientRegistry, type ClientRegistry } from './admin/client-registry.js';
import { checkProductionKek, type ServerConfig } from './config.js';
import { backfillCredentialSerials, recordCaChanges } from './ca-records.js';
import { bootstrapDataDir, type DataDirLayout } from './data-dir.js';
import { lockDataDir } from './data-dir-lock.js';
import { ensureFirstStart, firstStartLock } from './first-start.js';
import { DbKeyRecords } from './db-key-records.js';
import { ensureNodeSecrets } from './node-state.js';
import { createLogger } from './logger.js';
import {
  SignetMetrics,
  auditMetrics,
  observeKeyBackend,
  observeOcspResponder,
  observeStore,
  observeTimestampAuthority,
} from './metrics/index.js';
import type { Tracing } from './tracing/index.js';

/**
 * The public base URL, settable once the listening port is known (port 0). Setting it also stores
 * `<url>/pki` as the CA's base URL in ca.json, where every certificate URL comes from.
 */
export interface BaseUrl {
  /** e.g. `https://sign.example.org` (no trailing slash). */
  get(): string;
  set(url: string): void;
}

/** Every long-lived object of one server process. */
export interface Services {
  readonly config: ServerConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly store: Store;
  readonly layout: DataDirLayout;
  /** True when this start created the data directory's keys and secrets. */
  readonly fresh: boolean;
  /** The one-time administrator set-up token, on the first start only. */
  readonly setupToken: string | undefined;
  readonly baseUrl: BaseUrl;
  /** The software keystore holding the credentials' keys. */
  readonly keystore: SoftwareKeystore;
  /** Key backends by `credentials.backend_kind`. */
  readonly backends: ReadonlyMap<string, KeyBackend>;
  readonly caDirectory: OpenedCaDirectory;
  /** The CA's records in the service database (shared by every node on it). */
  readonly caStore: DbCaStore;
  /** The issuing CA; AIA/CDP of issued certificates point at `<base URL>/pki/…`. */
  readonly ca: CertificateAuthority;
  readonly rootCertificate: Uint8Array;
  readonly tsa: TimestampAuthority;
  readonly ocsp: OcspResponder;
  readonly hasher: SecretHasher;
  readonly secretBox: SecretBox;
  readonly auditKey: AuditKey;
  readonly audit: AuditContext;
  readonly sads: SadService;
  readonly authenticator: Authenticator;
  /** WebAuthn ceremonies and passkeys (issue 12; docs/decisions/0001 Contract 2). */
  readonly passkeys: PasskeyService;
  /** First-party web sessions (Contract 1). */
  readonly webSessions: WebSessionService;
  /** Sign-in and step-up over the authenticator, the passkeys and the sessions. */
  readonly webLogin: WebLogin;
  /** The federated first factor (OpenID Connect), when `SIGNET_OIDC_ISSUER` is set. */
  readonly oidc: OidcLogin | undefined;
  /** A user's second factors as a whole: removal rules (SCA-18), the administrator's reset. */
  readonly factors: FactorManager;
  readonly clients: ClientRegistry;
  readonly admin: AdminService;
  /** This process's metrics (`GET /metrics`), fed by the store, key backends, TSA, OCSP and audit. */
  readonly metrics: SignetMetrics;
  /** The running OpenTelemetry tracing, when OTEL_EXPORTER_OTLP_ENDPOINT turned it on. */
  readonly tracing: Tracing | undefined;
  /**
   * The signature transparency log (issue 21): its key (in the CA's keystore, made on first use)
   * and the publisher of its signed tree heads (`signet serve` runs it on a timer).
   */
  readonly transparency: { readonly signer: () => Promise<LogSigner>; readonly publisher: TreeHeadPublisher };
  /** Closes the store and every key backend (idempotent). */
  close(): Promise<void>;
}

/** Options of createServices (tests inject a clock, a log destination, cheaper scrypt). */
export interface CreateServicesOptions {
  /** The clock, used as given (tests); default: the database's clock (store/database-clock.ts, FLT-15). */
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly logDestination?: NodeJS.WritableStream;
  readonly scrypt?: ScryptParams;
  /** The credential lifecycle (A's src/csc/credential-lifecycle.ts) as the admin surface uses it. */
  readonly credentials?: (services: Omit<Services, 'admin' | 'close'>) => CredentialOperations | undefined;
  /** Tracing started by `signet serve` (tracing/tracing.ts): spans for transactions and key operations. */
  readonly tracing?: Tracing;
  /**
   * Benchmarks only (bench/transparency.bench.ts): a service without the transparency log's
   * leaves or without batch receipts, to measure what each costs a signHash in the same run.
   * `signet serve` never sets it and no configuration reaches it.
   */
  readonly benchmarkWithout?: { readonly signatureLog?: boolean; readonly receipts?: boolean };
}

function mutableBaseUrl(initial: string, onSet: (url: string) => void): BaseUrl {
  let value = initial.replace(/\/+$/, '');
  return {
    get: () => value,
    set: (url) => {
      value = url.replace(/\/+$/, '');
      onSet(value);
    },
  };
}

/** Stores `<base URL>/pki` in ca.json when it differs (an atomic replace, see updateBaseUrl). */
function storeCaBaseUrl(caDir: string, baseUrl: string): void {
  const config = readCaDirectoryConfig(caDir);
  const pki = `${baseUrl}/pki`;
  if (config.baseUrl !== pki) updateBaseUrl(caDir, config, pki);
}

/**
 * PKI URLs read at issuance time from the CA's one stored base URL (ca.json, which `signet serve`
 * updates once it knows its own): a certificate made by another process on the same data
 * directory (`signet admin credentials create`) names the serving instance's URLs, never a
 * default of that process.
 */
function storedPkiUrls(caDir: string): PkiUrls {
  const urls = (): PkiUrls => pkiUrlsFor(readCaDirectoryConfig(caDir).baseUrl);
  return {
    get ocsp() {
      return urls().ocsp;
    },
    get caIssuers() {
      return urls().caIssuers;
    },
    get crl() {
      return urls().crl;
    },
  } as PkiUrls;
}

/**
 * Bootstraps the data directory (first start) and builds every service. On failure everything
 * opened so far is closed again.
 *
 * @example
 * ```ts
 * const services = await createServices(loadServerConfig({ port: 0 }));
 * const app = await buildServer(services);
 * ```
 */
export async function createServices(config: ServerConfig, options: CreateServicesOptions = {}): Promise<Services> {
  checkProductionKek(config);
  const logger = options.logger ?? createLogger(config.logLevel, options.logDestination);
  // Several nodes starting at once on one data directory take turns: one creates the KEK,
  // secrets and CA, the others wait and load them (data-dir-lock.ts, first-start.ts).
  const dataDirLock = await lockDataDir(config.dataDir);
  const boot = await bootstrapDataDir(config).catch((err: unknown) => {
    dataDirLock.release();
    throw err;
  });
  const closers: (() => Promise<void>)[] = [async () => dataDirLock.release()];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.splice(0).reverse()) {
      try {
        await close();
      } catch (err) {
        logger.warn({ err }, 'error while closing a service');
      }
    }
  };
  try {
    const baseUrl = mutableBaseUrl(
      config.baseUrl ?? (config.host === '127.0.0.1' ? `http://localhost:${config.port}` : `http://${config.host}:${config.port}`),
      (url) => {
        try {
          storeCaBaseUrl(boot.layout.caDir, url);
        } catch (err) {
          // The server keeps serving; certificates then name the URL stored before.
          logger.warn({ err }, 'could not store the base URL in the CA directory (ca.json)');
        }
      },
    );
    const metrics = new SignetMetrics();
    const tracer = options.tracing?.tracer;
    const store = observeStore(await connectStore(config.database), metrics, tracer);
    closers.push(() => store.close());
    // docs/security.md FLT-15: expiries and timestamps follow the database's clock, shared by every node.
    const databaseClock = options.clock === undefined ? await startDatabaseClock(store) : undefined;
    if (databaseClock !== undefined) closers.push(async () => databaseClock.stop());
    const clock = options.clock ?? (databaseClock as Clock);
    metrics.watch({
      storePool: () => {
        const stats = store.poolStats?.();
        return stats === undefined ? undefined : { store: store.kind, ...stats };
      },
      ...(databaseClock !== undefined ? { databaseClock } : {}),
    });
    // Issue 16: the server secrets live in the database, sealed under the KEK; the first start
    // on a database brings them from this data directory or makes them.
    const secrets = await withAdvisoryLock(store, firstStartLock, () => store.transaction((trx) => ensureNodeSecrets(trx, boot.layout, boot.keks, clock))).catch(
      (err: unknown) => {
        // A KEK this start generated cannot open what the database holds: leave no such file.
        if (boot.kekCreated && config.kek.kind === 'file') rmSync(config.kek.file, { force: true });
        throw err;
      },
    );
    // Every wrapped key lives in the database: the credentials' keys and the CA's (CA, TSA, OCSP).
    const previousKeks = boot.keks.slice(1);
    const caKeystore = await SoftwareKeystore.open({ records: new DbKeyRecords(store, 'ca', clock), kek: boot.kek, previousKeks, clock });
    closers.push(() => caKeystore.close());
    const keystore = await SoftwareKeystore.open({
      records: new DbKeyRecords(store, 'credentials', clock),
      kek: boot.kek,
      previousKeks,
      clock,
      signingThreads: config.signingThreads,
    });
    closers.push(() => keystore.close());
    const auditKey = createAuditKey(secrets.auditKey);
    const audit: AuditContext = { key: auditKey, nodeId: config.nodeId, clock, failures: config.failureAudit, health: new AuditHealth(() => clock.now()), observer: auditMetrics(metrics) };
    // The CA's records live in the database: a fresh data directory starts there, an older one
    // (ca-store.json) is imported once; every CA change is audited in its own transaction, and a
    // renewal moves its credential to the new certificate there too.
    // A revocation drops this node's pre-signed OCSP answers at once and is acknowledged once every
    // other node has read the status again (docs/operations.md, OCSP).
    let ocsp: OcspResponder | undefined;
    const caStore = new DbCaStore({
      store,
      onChange: recordCaChanges(audit),
      onRevoked: (record) => ocsp?.forget(record.serialHex),
      revocationSettleMs: config.ocsp.statusRecheckMs,
    });
    const { setupToken } = await ensureFirstStart({ config, boot, caKeystore, clock, store, caStore, audit, logger });
    if (config.baseUrl !== undefined) storeCaBaseUrl(boot.layout.caDir, baseUrl.get());
    dataDirLock.release();
    await backfillCredentialSerials(store);
    const caDirectory = await openCaDirectory(boot.layout.caDir, { clock, ...boot.kekChoice, store: caStore, keystore: caKeystore });
    closers.push(() => caDirectory.close());
    const backends = new Map<string, KeyBackend>([[keystore.kind, observeKeyBackend(keystore, metrics, tracer)]]);
    metrics.watch({ signingPool: () => keystore.signingPoolStats() });
    if (config.pkcs11 !== undefined) {
      const pinBytes = readSecretFromEnv('SIGNET_PKCS11_PIN', config.pkcs11.environment);
      const pin = new TextDecoder().decode(pinBytes).replace(/\r?\n$/, '');
      pinBytes.fill(0);
      const hsm = await Pkcs11Backend.open({
        module: config.pkcs11.module,
        tokens: config.pkcs11.tokens.map((label) => ({ label, pin })),
      });
      closers.push(() => hsm.close());
      backends.set(hsm.kind, observeKeyBackend(hsm, metrics, tracer));
      metrics.watch({ pkcs11Tokens: () => hsm.stats() });
    }
    if (config.tokenServers !== undefined) {
      // Issue 16 §2: each token server is the key backend `remote:NAME` (credentials are created
      // on it with --backend remote:NAME); one client identity over mutual TLS for all of them.
      const { certFile, keyFile, caFile } = config.tokenServers;
      const tls = { cert: readFileSync(certFile, 'utf8'), key: readSecretText(keyFile), ca: readFileSync(caFile, 'utf8') };
      for (const server of config.tokenServers.servers) {
        // Its sign requests carry this machine's wall-clock time: the token server checks their
        // freshness against its own (KEY-10), not against the database's.
        const remote = new RemoteKeyBackend({ url: server.url, tls });
        closers.push(() => remote.close());
        backends.set(`remote:${server.name}`, observeKeyBackend(remote, metrics, tracer, `remote:${server.name}`));
      }
    }

    const { config: caConfig } = caDirectory;
    if (config.caPolicyOids === undefined && caConfig.policyOids.includes(signetDevelopmentPolicyOid)) {
      // A development default that matters (node-oidc-provider's mustChange): warn once, naming the fix.
      logger.warn('credential certificates name the development certificate policy OID; set SIGNET_CA_POLICY_OID to your CP\'s OID');
    }
    const ca = new CertificateAuthority({
      id: caDirectory.ca.id,
      key: { backend: caDirectory.keystore, ref: caConfig.keys.issuing, algorithm: caConfig.algorithm },
      certificate: caDirectory.ca.certificate,
      store: caDirectory.store,
      clock,
      urls: storedPkiUrls(boot.layout.caDir),
      policyOids: config.caPolicyOids ?? caConfig.policyOids,
      credentialProfiles: loadCertificateProfiles(config.certificateProfiles),
    });
    const hasher = createScryptHasher(options.scrypt);
    const secretBox = createAesGcmSecretBox(secrets.secretBoxKey);
    const authenticator = new Authenticator({
      store,
      clock,
      audit,
      hasher,
      secretBox,
      ...(config.authAttemptsPerMinute > 0
        ? { sourceLimit: { maxAttempts: config.authAttemptsPerMinute, windowSeconds: 60 } }
        : {}),
    });
    // Issue 21: the transparency log's key (in the CA's keystore, made on first use) signs the tree
    // heads and the batch receipts; it is opened once per process and kept ready (a software key
    // decrypted), since receipts are signed inside the consuming transaction. The approved batch
    // size past which signHash needs inclusion proofs.
    let logSigner: Promise<LogSigner> | undefined;
    const signer = (): Promise<LogSigner> =>
      (logSigner ??= openLogSigner(caKeystore, keystoreRef(logKeyLabel), logKeyLabel).catch((err: unknown) => {
        logSigner = undefined;
        throw err;
      }));
    let receiptSigner: Promise<ReceiptSigner> | undefined;
    const receiptKey = (): Promise<ReceiptSigner> =>
      (receiptSigner ??= signer()
        .then(openReceiptSigner)
        .catch((err: unknown) => {
          receiptSigner = undefined;
          throw err;
        }));
    const without = options.benchmarkWithout;
    const sads = new SadService({
      store,
      clock,
      audit,
      ...(without?.receipts === true ? {} : { receiptKey }),
      signatureLog: without?.signatureLog !== true,
      exactListMax: config.batchExactListMax,
    });
    const passkeys = new PasskeyService({
      store,
      clock,
      audit,
      relyingParty: () => relyingPartyFor(baseUrl.get(), config.webauthn),
      requireUserVerificationForLogin: config.webauthn.requireUserVerificationForLogin,
      // docs/security.md SCA-02/08: a refused passkey counts toward the user's lockout like a wrong code.
      attempts: (userId, origin, check) => authenticator.countedFactor({ userId, ...origin }, 'auth.passkey.attempt', check),
    });
    const webSessions = new WebSessionService({ store, clock, audit, ...config.webSession });
    const factors = new FactorManager({ store, clock, audit, passkeys });
    const webLogin = new WebLogin({ store, clock, audit, authenticator, passkeys, sessions: webSessions, passwordless: config.passwordless });
    const oidc =
      config.oidc === undefined
        ? undefined
        : new OidcLogin({
            store,
            clock,
            audit,
            settings: { ...config.oidc, clientSecret: readSecretText(config.oidc.clientSecretFile) },
            redirectUri: () => `${baseUrl.get()}/api/v1/session/oidc/callback`,
          });
    const clients = oauthClientRegistry({ store, clock, audit, hasher });
    const transparency = { signer, publisher: new TreeHeadPublisher({ store, clock, audit, signer, nodeId: config.nodeId }) };
    const base = {
      config,
      clock,
      logger,
      store,
      layout: boot.layout,
      fresh: boot.fresh,
      setupToken,
      baseUrl,
      keystore,
      backends,
      caDirectory,
      caStore,
      ca,
      rootCertificate: caDirectory.rootCertificate,
      tsa: observeTimestampAuthority(caDirectory.createTimestampAuthority({ blockSize: config.tsaSerialBlock, reservedBy: config.nodeId }), metrics, tracer),
      ocsp: (ocsp = observeOcspResponder(caDirectory.createOcspResponder(config.ocsp), metrics, tracer)),
      hasher,
      secretBox,
      auditKey,
      audit,
      sads,
      authenticator,
      passkeys,
      webSessions,
      webLogin,
      oidc,
      factors,
      clients,
      metrics,
      tracing: options.tracing,
      transparency,
    };
    const credentials = options.credentials?.(base);
    const admin = new AdminService({
      store,
      clock,
      audit,
      hasher,
      authenticator,
      clients,
      factors: { manager: factors, passkeys },
      ...(credentials !== undefined ? { credentials } : {}),
    });
    let closed: Promise<void> | undefined;
    return { ...base, admin, close: () => (closed ??= closeAll()) };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
