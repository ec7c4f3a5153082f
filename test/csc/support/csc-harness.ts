/**
 * A CSC RSSP under test: a real store (SQLite or PostgreSQL), the built-in CA on a software
 * keystore, a user with password + confirmed TOTP, credentials created through the lifecycle, and
 * cscRoutes mounted on a Fastify instance driven with inject(). Every request and response is
 * checked against the CSC specification (test/support/csc-spec.ts).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { createAuditKey, type AuditContext } from '../../../src/audit/index.js';
import {
  Authenticator,
  SadService,
  createAesGcmSecretBox,
  createScryptHasher,
  generateTotp,
  type SecretBox,
} from '../../../src/auth/index.js';
import type { Clock } from '../../../src/core/clock.js';
import {
  createCredential,
  createCscService,
  type CredentialAlgorithm,
  type CredentialLifecycleDeps,
  type CscDeps,
  type CscService,
} from '../../../src/csc/index.js';
import { CertificateAuthority, createTimestampAuthority } from '../../../src/pki/index.js';
import type { Store } from '../../../src/store/index.js';
import type { KeyBackend } from '../../../src/keys/index.js';
import { cscRoutes } from '../../../src/server/routes/csc-routes.js';
import { loadCscSpec } from '../../support/csc-spec.js';
import { makePki, type PkiFixture } from '../../pki/support/pki-fixture.js';

const SHA256_OID = '2.16.840.1.101.3.4.2.1';

/** A clock tests move forward (TOTP steps, SAD expiry). Starts at the real time: certificates are issued "now". */
export interface TestClock extends Clock {
  advance(ms: number): void;
}

export function testClock(): TestClock {
  let t = Math.floor(Date.now() / 30_000) * 30_000 + 1_000;
  return { now: () => new Date(t), advance: (ms) => void (t += ms) };
}

/** A user with password and TOTP. */
export interface TestUser {
  readonly id: string;
  readonly username: string;
  readonly password: string;
  readonly totpSecret: Uint8Array;
}

/** The assembled RSSP. */
export interface CscHarness {
  readonly store: Store;
  readonly clock: TestClock;
  readonly pki: PkiFixture;
  readonly audit: AuditContext;
  readonly csc: CscService;
  readonly app: FastifyInstance;
  readonly lifecycle: CredentialLifecycleDeps;
  /** The CSC service's dependencies and the secret box (for surfaces mounted beside the CSC routes). */
  readonly deps: CscDeps & { readonly secretBox: SecretBox };
  readonly authenticator: Authenticator;
  readonly sads: SadService;
  createUser(username: string): Promise<TestUser>;
  createCredential(user: TestUser, options?: { algorithm?: CredentialAlgorithm; pin?: string; multisign?: number }): Promise<string>;
  /** The user's current TOTP code; moves the clock to the next step first so each code is fresh. */
  nextOtp(user: TestUser): string;
  call(version: 'v1' | 'v2', operation: string, body: unknown, auth?: Auth, extraHeaders?: Readonly<Record<string, string>>): Promise<{ status: number; body: any; headers: Record<string, unknown> }>; // eslint-disable-line @typescript-eslint/no-explicit-any
  login(version: 'v1' | 'v2', user: TestUser): Promise<string>;
  /**
   * v2 credentials/authorize of these base64 SHA-256 hashes with the credential's PIN and the
   * user's next one-time code; asserts 200 and returns the SAD. numSignatures defaults to the
   * number of hashes.
   */
  authorizeHashes(user: TestUser, token: string, request: AuthorizeHashes): Promise<string>;
  /** Another node: the same configuration on another database connection (pool), its own app. */
  secondNode(store: Store): Promise<FastifyInstance>;
  auditTypes(): Promise<string[]>;
}

/** How a call authenticates. */
/** What authorizeHashes sends besides the one-time code. */
export interface AuthorizeHashes {
  readonly credentialID: string;
  readonly pin: string;
  readonly hashes: readonly string[];
  readonly numSignatures?: number;
}

export type Auth = { readonly bearer: string } | { readonly basic: string } | undefined;

/** Builds the RSSP on `store`. */
export async function cscHarness(
  t: Pick<TestContext, 'after'>,
  store: Store,
  options: {
    maxAttempts?: number;
    wrapBackend?: (backend: KeyBackend) => KeyBackend;
    /** Another issuing CA for the credentials (e.g. one with OCSP/CRL URLs for B-LT) and its chain. */
    issuing?: { readonly ca: CertificateAuthority; readonly chain: readonly Uint8Array[] };
    /** signDoc's level sources (CscDeps.pades). */
    pades?: CscDeps['pades'];
    /** Idempotent signing options (abandonment bound, test fault hooks). */
    signing?: CscDeps['signing'];
  } = {},
): Promise<CscHarness> {
  const clock = testClock();
  const pki = await makePki(t, { clock });
  const audit: AuditContext = { key: createAuditKey(randomBytes(32)), nodeId: 'test-node', clock };
  const hasher = createScryptHasher({ N: 2 ** 10, r: 8, p: 1 }, { minimumN: 2 ** 10 });
  const secretBox = createAesGcmSecretBox(randomBytes(32));
  const authenticator = new Authenticator({
    store,
    clock,
    audit,
    hasher,
    secretBox,
    credentialLockout: { maxAttempts: options.maxAttempts ?? 3 },
  });
  const sads = new SadService({ store, clock, audit });
  const keyBackends = new Map<string, KeyBackend>([['software', pki.keystore]]);
  const signingBackends = new Map<string, KeyBackend>([['software', options.wrapBackend?.(pki.keystore) ?? pki.keystore]]);
  const tsa = createTimestampAuthority({
    key: { backend: pki.keystore, ref: pki.hierarchy.tsa.keyRef, algorithm: pki.hierarchy.algorithm },
    certificate: pki.hierarchy.tsa.certificate,
    chain: [pki.hierarchy.issuing.certificate],
    policyOid: '2.25.7',
    store: pki.store,
    clock,
  });
  // The signing CA: like pki.ca but without AIA/CDP URLs. pdfsig (poppler 22.12) reports
  // "Unknown issue" when the OCSP URL is unreachable, and also whenever -no-ocsp is given.
  const signingCa = new CertificateAuthority({
    id: 'issuing',
    key: { backend: pki.keystore, ref: pki.hierarchy.issuing.keyRef, algorithm: pki.hierarchy.algorithm },
    certificate: pki.hierarchy.issuing.certificate,
    store: pki.store,
    clock,
    urls: {},
  });
  const deps: CscDeps = {
    store,
    clock,
    audit,
    sads,
    authenticator,
    keyBackends: signingBackends,
    ca: options.issuing?.ca ?? signingCa,
    tsa,
    ...(options.pades === undefined ? {} : { pades: options.pades }),
    ...(options.signing === undefined ? {} : { signing: options.signing }),
    info: { name: 'Signet test RSSP', logo: 'https://signet.test/logo.png', region: 'BE', lang: 'en-US', description: 'Signet under test' },
  };
  const csc = createCscService(deps);
  const mount = async (service: CscService): Promise<FastifyInstance> => {
    const a = Fastify({ logger: false });
    await a.register(cscRoutes, { csc: service, bodyLimit: 256 * 1024 });
    await a.ready();
    t.after(() => a.close());
    return a;
  };
  const app = await mount(csc);
  const lifecycle: CredentialLifecycleDeps = {
    store,
    clock,
    audit,
    hasher,
    keyBackends,
    ca: options.issuing?.ca ?? signingCa,
    caChain: options.issuing?.chain ?? [pki.hierarchy.issuing.certificate, pki.hierarchy.root.certificate],
  };
  const spec = loadCscSpec();

  const harness: CscHarness = {
    store,
    clock,
    pki,
    audit,
    csc,
    app,
    lifecycle,
    deps: { ...deps, secretBox },
    authenticator,
    sads,
    async createUser(username) {
      const password = `pw-${username}-${randomBytes(4).toString('hex')}`;
      const id = await authenticator.createUser({ username, password });
      const { secret } = await authenticator.enrollTotp({ userId: id });
      await authenticator.confirmTotp({ userId: id, code: generateTotp(secret, clock.now()) });
      return { id, username, password, totpSecret: secret };
    },
    async createCredential(user, o = {}) {
      const { credentialID } = await createCredential(lifecycle, {
        userId: user.id,
        backend: 'software',
        algorithm: o.algorithm ?? 'EC-P256',
        pin: o.pin ?? '123456',
        subject: { commonName: `${user.username} signer`, country: 'BE' },
        multisign: o.multisign ?? 100,
      });
      return credentialID;
    },
    nextOtp(user) {
      clock.advance(30_000);
      return generateTotp(user.totpSecret, clock.now());
    },
    async call(version, operation, body, auth, extraHeaders = {}) {
      const isRaw = typeof body === 'string';
      if (!isRaw) spec.checkRequest(version, operation, body);
      const headers: Record<string, string> = { 'content-type': 'application/json', ...extraHeaders };
      if (auth !== undefined && 'bearer' in auth) headers['authorization'] = `Bearer ${auth.bearer}`;
      if (auth !== undefined && 'basic' in auth) headers['authorization'] = `Basic ${auth.basic}`;
      const res = await app.inject({
        method: 'POST',
        url: `/csc/${version}/${operation}`,
        headers,
        payload: isRaw ? body : JSON.stringify(body),
      });
      const parsed: unknown = res.body === '' ? undefined : JSON.parse(res.body);
      spec.checkResponse(version, operation, res.statusCode, parsed);
      return { status: res.statusCode, body: parsed as any, headers: res.headers }; // eslint-disable-line @typescript-eslint/no-explicit-any
    },
    async login(version, user) {
      const basic = Buffer.from(`${user.username}:${user.password}`).toString('base64');
      // The v1.0.3 schema lists rememberMe as required.
      const res = await harness.call(version, 'auth/login', version === 'v1' ? { rememberMe: false } : {}, { basic });
      if (res.status !== 200) throw new Error(`login failed: ${JSON.stringify(res.body)}`);
      return res.body.access_token as string;
    },
    async authorizeHashes(user, token, r) {
      const res = await harness.call(
        'v2',
        'credentials/authorize',
        {
          credentialID: r.credentialID,
          numSignatures: r.numSignatures ?? r.hashes.length,
          hashes: r.hashes,
          hashAlgorithmOID: SHA256_OID,
          authData: [
            { id: 'PIN', value: r.pin },
            { id: 'OTP', value: harness.nextOtp(user) },
          ],
        },
        { bearer: token },
      );
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.SAD as string;
    },
    async secondNode(other) {
      const sads2 = new SadService({ store: other, clock, audit });
      const auth2 = new Authenticator({
        store: other,
        clock,
        audit,
        hasher,
        secretBox,
        credentialLockout: { maxAttempts: options.maxAttempts ?? 3 },
      });
      return mount(createCscService({ ...deps, store: other, sads: sads2, authenticator: auth2 }));
    },
    async auditTypes() {
      const rows = await store.db.selectFrom('audit_log').select(['event_type', 'outcome']).orderBy('seq').execute();
      return rows.map((r) => `${r.event_type}:${r.outcome}`);
    },
  };
  return harness;
}
