/**
 * The effective configuration of `signet serve` (issue 17, "Configuration"): every setting of
 * docs/configuration.md with the value this process would use and where it came from, secrets
 * masked. Building it runs every parser of the start-up (server, gateway, signing, document
 * workers, validation, consent documents, TLS), so a malformed value is refused here, before
 * anything is created, with one ERR_SERVER_CONFIG naming the variable.
 */
import { loadGatewayConfig } from './gateway-config.js';
import { loadSigningConfig } from './signing-config.js';
import { loadPdfPreparerOptions, loadPdfReaderLimits } from './pdf-preparation-pool.js';
import { parseLimitSettings } from '../pdf/index.js';
import { loadValidateSettings } from './routes/validate-routes.js';
import { consentDocumentMaxBytes } from './surfaces.js';
import { readTlsMaterial } from './tls-config.js';
import { loadMetricsConfig } from './metrics/index.js';
import type { ServerConfig, ServerConfigInput } from './config.js';

/** Where a value came from: the environment, a command-line option (its flag), or the default. */
export type SettingSource = 'environment' | 'default' | `--${string}`;

/** One line of the effective configuration. */
export interface EffectiveSetting {
  /** The variable (for a secret read from a file, `NAME_FILE`). */
  readonly name: string;
  /** The value in use, secrets replaced by `****`. */
  readonly value: string;
  readonly source: SettingSource;
}

const masked = '****';

function isSet(env: NodeJS.ProcessEnv, name: string): boolean {
  const v = env[name];
  return v !== undefined && v.trim() !== '';
}

/** `postgres://user:secret@host/db` without the password (RFC 3986 §3.2.1: userinfo). */
function maskUrlPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = masked;
    return parsed.toString();
  } catch {
    return masked;
  }
}

/**
 * Resolves and checks every setting of `signet serve` (throws ERR_SERVER_CONFIG on the first
 * malformed one) and lists them in the order of docs/configuration.md.
 *
 * @example
 * ```ts
 * const config = loadServerConfig({ env: process.env });
 * for (const s of effectiveConfiguration(config, {}, process.env)) console.log(`${s.name}=${s.value}`);
 * ```
 */
export function effectiveConfiguration(
  config: ServerConfig,
  input: ServerConfigInput,
  env: NodeJS.ProcessEnv,
): readonly EffectiveSetting[] {
  const gateway = loadGatewayConfig(env);
  const signing = loadSigningConfig(env);
  const pdfWorkers = loadPdfPreparerOptions(env);
  const pdfLimits = loadPdfReaderLimits(env);
  const validate = loadValidateSettings(env);
  const consentMax = consentDocumentMaxBytes(env);
  if (config.tls !== undefined) readTlsMaterial(config.tls);
  const metrics = loadMetricsConfig(env);

  const out: EffectiveSetting[] = [];
  const put = (
    name: string,
    value: string | number | undefined,
    flag?: { readonly given: boolean; readonly name: string },
  ): void => {
    const source: SettingSource =
      flag?.given === true
        ? `--${flag.name}`
        : isSet(env, name) || isSet(env, `${name}_FILE`)
          ? 'environment'
          : 'default';
    out.push({ name, value: value === undefined ? '' : String(value), source });
  };
  /** A secret: its file when `NAME_FILE` is set, `****` when the value itself is in the environment. */
  const secret = (name: string, fallback: string): void => {
    if (isSet(env, `${name}_FILE`))
      out.push({
        name: `${name}_FILE`,
        value: (env[`${name}_FILE`] ?? '').trim(),
        source: 'environment',
      });
    else if (isSet(env, name)) out.push({ name, value: masked, source: 'environment' });
    else out.push({ name, value: fallback, source: 'default' });
  };

  // Service
  put('SIGNET_DATA_DIR', config.dataDir, { given: input.dataDir !== undefined, name: 'data' });
  put('SIGNET_HOST', config.host, { given: input.host !== undefined, name: 'host' });
  put('SIGNET_PORT', config.port, { given: input.port !== undefined, name: 'port' });
  put('SIGNET_BASE_URL', config.baseUrl ?? '(http://<host>:<bound port>)', {
    given: input.baseUrl !== undefined,
    name: 'base-url',
  });
  put('SIGNET_NODE_ID', config.nodeId);
  put('SIGNET_LOG_LEVEL', config.logLevel, {
    given: input.logLevel !== undefined,
    name: 'log-level',
  });
  if (config.database.kind === 'postgres') {
    put('DATABASE_URL', maskUrlPassword(config.database.url));
    put('SIGNET_DB_STATEMENT_TIMEOUT_MS', config.database.statementTimeoutMs ?? 30_000);
    put('SIGNET_DB_CONNECT_TIMEOUT_MS', config.database.connectTimeoutMs ?? 10_000);
  } else {
    put('DATABASE_URL', `(SQLite ${config.database.file})`);
    put('SIGNET_DB_STATEMENT_TIMEOUT_MS', '(PostgreSQL only)');
    put('SIGNET_DB_CONNECT_TIMEOUT_MS', '(PostgreSQL only)');
  }
  put('SIGNET_SHUTDOWN_DELAY_MS', config.shutdown.drainDelayMs);
  put('SIGNET_SHUTDOWN_TIMEOUT_MS', config.shutdown.timeoutMs);

  // TLS
  put('SIGNET_TLS_CERT_FILE', config.tls?.certFile ?? '(plain HTTP)');
  put('SIGNET_TLS_KEY_FILE', config.tls?.keyFile);
  put('SIGNET_TLS_CLIENT_CA_FILE', config.tls?.clientCaFile ?? '(no client certificates)');

  // Keys
  secret('SIGNET_KEK', config.kek.kind === 'file' ? `(development: ${config.kek.file})` : '');
  put('SIGNET_KEK_PREVIOUS_FILE', config.previousKekFile);
  put('SIGNET_KEYSTORE', '(keys commands only)');
  put('SIGNET_SIGNING_THREADS', config.signingThreads);
  put('SIGNET_PKCS11_MODULE', config.pkcs11?.module);
  put('SIGNET_PKCS11_TOKENS', config.pkcs11?.tokens.join(','));
  secret('SIGNET_PKCS11_PIN', '');
  put(
    'SIGNET_TOKEN_SERVERS',
    config.tokenServers?.servers.map((s) => `${s.name}=${s.url}`).join(','),
  );
  put('SIGNET_TOKEN_SERVER_CERT_FILE', config.tokenServers?.certFile);
  put('SIGNET_TOKEN_SERVER_KEY_FILE', config.tokenServers?.keyFile);
  put('SIGNET_TOKEN_SERVER_CA_FILE', config.tokenServers?.caFile);
  put('SIGNET_RENEWAL_INTERVAL_MS', config.renewal.intervalMs);
  put('SIGNET_RENEWAL_WITHIN_DAYS', config.renewal.withinDays);
  put('SIGNET_TSA_SERIAL_BLOCK', config.tsaSerialBlock);
  put('SIGNET_BATCH_EXACT_LIST_MAX', config.batchExactListMax);
  put('SIGNET_CA_POLICY_OID', config.caPolicyOids?.join(',') ?? '(the CA directory\'s)');
  put('SIGNET_CERTIFICATE_PROFILES_FILE', `${config.certificateProfiles.file}${config.certificateProfiles.required ? '' : ' (when present)'}`);
  put('SIGNET_OCSP_STATUS_RECHECK_MS', config.ocsp.statusRecheckMs);
  put('SIGNET_OCSP_MAX_AGE_SECONDS', config.ocsp.httpMaxAgeSeconds);
  put('SIGNET_TRANSPARENCY_STH_INTERVAL_MS', config.transparency.sthIntervalMs);

  // Sign-in and sessions
  put('SIGNET_AUTH_ATTEMPTS_PER_MINUTE', config.authAttemptsPerMinute);
  put('SIGNET_WEBAUTHN_RP_ID', config.webauthn.rpId ?? '(from the base URL)');
  put('SIGNET_WEBAUTHN_ORIGINS', config.webauthn.origins ?? '(from the base URL)');
  put('SIGNET_WEBAUTHN_LOGIN_UV', config.webauthn.requireUserVerificationForLogin ? '1' : '0');
  put('SIGNET_PASSWORDLESS', config.passwordless ? '1' : '0');
  put('SIGNET_SESSION_IDLE_SECONDS', config.webSession.idleSeconds);
  put('SIGNET_SESSION_ABSOLUTE_SECONDS', config.webSession.absoluteSeconds);
  put('SIGNET_OIDC_ISSUER', config.oidc?.issuer);
  put('SIGNET_OIDC_CLIENT_ID', config.oidc?.clientId);
  put('SIGNET_OIDC_CLIENT_SECRET_FILE', config.oidc?.clientSecretFile);
  put('SIGNET_OIDC_USER_CLAIM', config.oidc?.userClaim ?? 'preferred_username');
  put('SIGNET_OIDC_NAME', config.oidc?.name);

  // Limits
  put('SIGNET_REQUESTS_PER_MINUTE', config.rateLimits.requestsPerMinute);
  put('SIGNET_FAILED_REQUESTS_PER_MINUTE', config.rateLimits.failuresPerMinute);
  put('SIGNET_AUDIT_FAILURES_PER_MINUTE', config.failureAudit.perSourcePerMinute);
  put('SIGNET_AUDIT_FAILURES_TOTAL_PER_MINUTE', config.failureAudit.totalPerMinute);
  put('SIGNET_CONSENT_DOCUMENT_MAX_BYTES', consentMax);
  put('SIGNET_VALIDATE_MAX_BYTES', validate.maxBytes);
  put('SIGNET_PDF_WORKERS', pdfWorkers.workers ?? 2);
  put('SIGNET_PDF_WORKER_HEAP_MB', pdfWorkers.maxHeapMb ?? 512);
  put('SIGNET_PDF_WORKER_TIMEOUT_MS', pdfWorkers.timeoutMs ?? 30_000);
  for (const { name, key } of parseLimitSettings) put(name, pdfLimits[key]);
  put(
    'SIGNET_TRUST_ANCHORS_FILE',
    isSet(env, 'SIGNET_TRUST_ANCHORS_FILE')
      ? `${env['SIGNET_TRUST_ANCHORS_FILE'] ?? ''} (${validate.extraAnchors.length} certificates)`
      : undefined,
  );
  put(
    'SIGNET_VALIDATION_POLICY_FILE',
    isSet(env, 'SIGNET_VALIDATION_POLICY_FILE') ? `${env['SIGNET_VALIDATION_POLICY_FILE'] ?? ''} (${validate.policy.name})` : `(${validate.policy.name})`,
  );

  // Signing requests (CSC)
  put('SIGNET_SIGNING_ABANDON_AFTER_MS', signing.abandonAfterMs);
  put('SIGNET_SIGNING_SWEEP_INTERVAL_MS', signing.sweepIntervalMs);

  // Web app and gateway
  put('SIGNET_GATEWAY_PROVIDER_URL', gateway.providerUrl ?? '(this Signet)');
  put('SIGNET_GATEWAY_CLIENT_ID', gateway.foreign?.clientId);
  secret('SIGNET_GATEWAY_CLIENT_SECRET', '');
  put('SIGNET_GATEWAY_PROVIDER_NAME', gateway.foreign?.name);
  put('SIGNET_GATEWAY_TSA_URL', gateway.tsaUrl ?? '(<provider>/pki/tsa)');
  put('SIGNET_UPLOAD_MAX_BYTES', gateway.limits.uploadMaxBytes);
  put('SIGNET_USER_QUOTA_BYTES', gateway.limits.userQuotaBytes);
  put('SIGNET_JOB_RETENTION_HOURS', gateway.limits.retentionMs / 3_600_000);
  put('SIGNET_JOB_LEASE_MS', gateway.limits.leaseMs);
  put('SIGNET_JOB_SWEEP_INTERVAL_MS', gateway.sweepIntervalMs);

  // Metrics and traces
  put(
    'SIGNET_METRICS_ADDRESS',
    metrics.address === undefined ? '(/metrics on the main listener)' : `${metrics.address.host}:${metrics.address.port}`,
  );
  put('SIGNET_METRICS_TOKEN_FILE', metrics.token === undefined ? '(no token)' : (env['SIGNET_METRICS_TOKEN_FILE'] ?? '').trim());
  put('OTEL_EXPORTER_OTLP_ENDPOINT', env['OTEL_EXPORTER_OTLP_ENDPOINT'] || '(no tracing)');
  put('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']);
  put('OTEL_SERVICE_NAME', env['OTEL_SERVICE_NAME'] || 'signet');
  put('OTEL_SDK_DISABLED', env['OTEL_SDK_DISABLED'] || 'false');
  put('OTEL_TRACES_EXPORTER', env['OTEL_TRACES_EXPORTER'] || 'otlp');
  put('OTEL_TRACES_SAMPLER', env['OTEL_TRACES_SAMPLER'] || 'parentbased_always_on');
  put('OTEL_TRACES_SAMPLER_ARG', env['OTEL_TRACES_SAMPLER_ARG']);

  // Tests only
  put('SIGNET_TEST_MODE', env['SIGNET_TEST_MODE'] === '1' ? '1' : '0');
  put(
    'SIGNET_FAULT_HOOKS',
    signing.faults === undefined ? undefined : [...signing.faults.actions.keys()].join(','),
  );
  return out;
}

/** The text `signet serve --print-config` prints: `NAME=value  # source`, one setting a line. */
export function formatEffectiveConfiguration(settings: readonly EffectiveSetting[]): string {
  const width = Math.max(...settings.map((s) => s.name.length + 1 + s.value.length));
  const lines = settings.map((s) => `${`${s.name}=${s.value}`.padEnd(width)}  # ${s.source}`);
  return `# signet serve: effective configuration (secrets masked)\n${lines.join('\n')}\n`;
}
