/**
 * The administrator operations behind both the admin API and `signet admin …`: users (create with
 * password and optional TOTP, disable, list), OAuth clients (create, list), credentials (create,
 * disable, revoke, list, delegated to the credential lifecycle), and (issue 12) roles, the
 * require-passkey policy and second factors (list, revoke one, reset: recovery is an administrator's
 * action). Framework-free; every change is audited in the same transaction as the change (INV-5).
 */
import type { Clock } from '../../core/clock.js';
import { appendAudit, type AuditContext } from '../../audit/index.js';
import {
  encodeBase32,
  generateTotp,
  type Authenticator,
  type FactorManager,
  type PasskeyService,
  type SecretHasher,
  type UserFactors,
} from '../../auth/index.js';
import {
  findUserById,
  findUserByUsername,
  listCredentialSummaries,
  listOAuthClients,
  listUsers,
  setUserRequirePasskey,
  setUserRole,
  setUserStatus,
  type CredentialSummary,
  type Db,
  type UserRole,
  type OAuthClientSummary,
  type Store,
  type UserSummary,
} from '../../store/index.js';
import { ServerError } from '../errors.js';
import type { AdminOrigin } from './admin-tokens.js';
import type { ClientRegistry, NewClient } from './client-registry.js';

/** Key algorithms a credential may be created with (contract 4). */
export type CredentialAlgorithm = 'RSA-2048' | 'RSA-3072' | 'EC-P256' | 'EC-P384';

/** Subject attributes besides the common name (ETSI EN 319 412-2 §4.2.4), given with the request. */
export interface SubjectFields {
  readonly givenName?: string;
  readonly surname?: string;
  /** ETSI EN 319 412-1 §5.1.3 semantics identifier, e.g. `PNOCZ-8001011234`. */
  readonly serialNumber?: string;
  /** ISO 3166-1 alpha-2. */
  readonly country?: string;
  readonly organization?: string;
}

/** A credential creation request as the admin surface takes it. */
export interface NewCredentialRequest {
  readonly userId: string;
  readonly backend: string;
  readonly algorithm: CredentialAlgorithm;
  readonly pin?: string;
  readonly commonName: string;
  readonly subject?: SubjectFields;
  readonly profile?: string;
  /** Signatures one authorization may cover (CSC `multisign`, 1…1000; default 100). */
  readonly multisign?: number;
}

/** The credential lifecycle the admin surface drives (A's src/csc/credential-lifecycle.ts, adapted). */
export interface CredentialOperations {
  create(request: NewCredentialRequest, origin: AdminOrigin): Promise<{ readonly credentialID: string }>;
  disable(credentialId: string, origin: AdminOrigin): Promise<void>;
  revoke(credentialId: string, reason: string, origin: AdminOrigin): Promise<void>;
  /** Adds a key on another backend (issue 16 §2): its certificate's serial number. */
  addKey(credentialId: string, backend: string, origin: AdminOrigin): Promise<{ readonly keyId: string; readonly serialNumber: string }>;
  /** Enrolls a CSR of a key held elsewhere (issue 16 §3): an external-mode credential. */
  enroll(request: EnrollmentRequest, origin: AdminOrigin): Promise<{ readonly credentialID: string; readonly serialNumber: string }>;
}

/** A CSR enrollment as the admin surface takes it. */
export interface EnrollmentRequest {
  readonly userId: string;
  /** PKCS#10, PEM (or DER). */
  readonly csr: string | Uint8Array;
  readonly profile?: string;
  /** Replaces or adds to the CSR's subject attributes. */
  readonly subject?: SubjectFields & { readonly commonName?: string };
  readonly pin?: string;
  readonly multisign?: number;
}

/** What the admin service needs. */
export interface AdminServiceDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly audit: AuditContext;
  readonly hasher: SecretHasher;
  readonly authenticator: Authenticator;
  readonly clients: ClientRegistry;
  /** Absent when the credential lifecycle is not part of this build. */
  readonly credentials?: CredentialOperations;
  /** Second factors (issue 12); absent: the factor operations answer ERR_SERVER_UNAVAILABLE. */
  readonly factors?: { readonly manager: FactorManager; readonly passkeys: PasskeyService };
  /** TOTP step length in seconds (default 30, RFC 6238 §4.1). */
  readonly totpPeriodSeconds?: number;
}

/** A created user; `totp` only when TOTP was enrolled (shown once). */
export interface CreatedUser {
  readonly userId: string;
  readonly username: string;
  readonly totp?: { readonly secret: string; readonly uri: string };
}

const usernamePattern = /^[A-Za-z0-9._@-]{1,64}$/;

function originFields(origin: AdminOrigin): { sourceAddress?: string; traceId?: string } {
  return {
    ...(origin.sourceAddress !== undefined ? { sourceAddress: origin.sourceAddress } : {}),
    ...(origin.traceId !== undefined ? { traceId: origin.traceId } : {}),
  };
}

function adminDetails(origin: AdminOrigin): { via: string; session?: string } {
  return { via: origin.via, ...(origin.session !== undefined ? { session: origin.session } : {}) };
}

function actorOf(origin: AdminOrigin): { actorUserId?: string } {
  return origin.actorUserId !== undefined ? { actorUserId: origin.actorUserId } : {};
}

/** Roles a user may have. */
export const userRoles: readonly UserRole[] = ['user', 'admin'];

/**
 * Administrator operations.
 *
 * @example
 * ```ts
 * const admin = new AdminService({ store, clock, audit, hasher, authenticator, clients });
 * const { userId, totp } = await admin.createUser({ username: 'alice', password: 's3cret', totp: true }, { via: 'cli' });
 * ```
 */
export class AdminService {
  readonly #d: AdminServiceDeps;

  constructor(deps: AdminServiceDeps) {
    this.#d = deps;
  }

  /**
   * Creates an active user with a password and, when asked, an enrolled TOTP device. The TOTP
   * secret is provisioned by the administrator (who hands the otpauth URI over), so the pending
   * secret is confirmed here with the previous step's code: the user's first code, in the current
   * step, is then still accepted (RFC 6238 §5.2 one-use-per-step).
   */
  async createUser(
    request: {
      readonly username: string;
      readonly password: string;
      readonly totp?: boolean;
      readonly role?: UserRole;
      readonly requirePasskey?: boolean;
    },
    origin: AdminOrigin,
  ): Promise<CreatedUser> {
    if (request.role !== undefined && !userRoles.includes(request.role)) {
      throw new ServerError('ERR_SERVER_INVALID_REQUEST', 'a role is user or admin');
    }
    if (!usernamePattern.test(request.username)) {
      throw new ServerError('ERR_SERVER_INVALID_REQUEST', 'a username has 1 to 64 of A-Z a-z 0-9 . _ @ -');
    }
    if (request.password.length < 8) {
      throw new ServerError('ERR_SERVER_INVALID_REQUEST', 'a password has at least 8 characters');
    }
    const auth = this.#d.authenticator;
    const userId = await auth.createUser({
      username: request.username,
      password: request.password,
      ...originFields(origin),
    });
    await this.#audit('admin.user.create', `user:${userId}`, origin, { username: request.username });
    if (request.role !== undefined && request.role !== 'user') await this.setRole(userId, request.role, origin);
    if (request.requirePasskey === true) await this.setRequirePasskey(userId, true, origin);
    if (request.totp !== true) return { userId, username: request.username };
    const enrollment = await auth.enrollTotp({ userId, ...originFields(origin) });
    const period = this.#d.totpPeriodSeconds ?? 30;
    const previous = new Date(this.#d.clock.now().getTime() - period * 1000);
    await auth.confirmTotp({ userId, code: generateTotp(enrollment.secret, previous), ...originFields(origin) });
    return {
      userId,
      username: request.username,
      totp: { secret: encodeBase32(enrollment.secret), uri: enrollment.uri },
    };
  }

  /** Disables a user (by id or username): no more logins, no more signatures. Audited. */
  async disableUser(user: string, origin: AdminOrigin): Promise<{ readonly userId: string }> {
    const userId = await this.resolveUserId(user);
    await this.#d.store.transaction(async (trx) => {
      await setUserStatus(trx, userId, 'disabled');
      await appendAudit(
        trx,
        {
          type: 'admin.user.disable',
          outcome: 'success',
          subject: `user:${userId}`,
          ...originFields(origin),
          details: adminDetails(origin),
        },
        this.#d.audit,
      );
    });
    return { userId };
  }

  /** Every user (no secrets). */
  listUsers(): Promise<readonly UserSummary[]> {
    return listUsers(this.#d.store.db, this.#d.clock.now().getTime());
  }

  /** Registers an OAuth client; the secret of a confidential client is returned once. Audited. */
  async createClient(
    request: NewClient,
    origin: AdminOrigin,
  ): Promise<{ readonly clientId: string; readonly clientSecret?: string }> {
    const created = await this.#d.clients.create(request, origin);
    await this.#audit('admin.client.create', `client:${created.clientId}`, origin, {
      type: request.clientType,
      scopes: [...request.allowedScopes],
    });
    return created;
  }

  /** Every OAuth client (no secrets). */
  listClients(): Promise<readonly OAuthClientSummary[]> {
    return listOAuthClients(this.#d.store.db);
  }

  /** Creates a credential for a user on a key backend, with automatic certificate issuance. */
  async createCredential(
    request: Omit<NewCredentialRequest, 'userId'> & { readonly user: string },
    origin: AdminOrigin,
  ): Promise<{ readonly credentialID: string }> {
    const userId = await this.resolveUserId(request.user);
    const created = await this.#credentials().create(
      {
        userId,
        backend: request.backend,
        algorithm: request.algorithm,
        commonName: request.commonName,
        ...(request.subject !== undefined ? { subject: request.subject } : {}),
        ...(request.pin !== undefined ? { pin: request.pin } : {}),
        ...(request.profile !== undefined ? { profile: request.profile } : {}),
        ...(request.multisign !== undefined ? { multisign: request.multisign } : {}),
      },
      origin,
    );
    await this.#audit('admin.credential.create', `credential:${created.credentialID}`, origin, {
      user: userId,
      backend: request.backend,
      algorithm: request.algorithm,
      profile: request.profile ?? 'signing',
    });
    return created;
  }

  /**
   * Enrolls a CSR for a user (a key held elsewhere): proof of possession and key policy checked,
   * certificate issued under the profile, credential in external mode. Audited.
   */
  async enrollCredential(
    request: Omit<EnrollmentRequest, 'userId'> & { readonly user: string },
    origin: AdminOrigin,
  ): Promise<{ readonly credentialID: string; readonly serialNumber: string }> {
    const userId = await this.resolveUserId(request.user);
    const enrolled = await this.#credentials().enroll(
      {
        userId,
        csr: request.csr,
        ...(request.profile !== undefined ? { profile: request.profile } : {}),
        ...(request.subject !== undefined ? { subject: request.subject } : {}),
        ...(request.pin !== undefined ? { pin: request.pin } : {}),
        ...(request.multisign !== undefined ? { multisign: request.multisign } : {}),
      },
      origin,
    );
    await this.#audit('admin.credential.enroll', `credential:${enrolled.credentialID}`, origin, {
      user: userId,
      profile: request.profile ?? 'signing',
      serialNumber: enrolled.serialNumber,
    });
    return enrolled;
  }

  /** Disables a credential: it cannot sign until re-enabled. */
  async disableCredential(credentialId: string, origin: AdminOrigin): Promise<void> {
    await this.#credentials().disable(credentialId, origin);
    await this.#audit('admin.credential.disable', `credential:${credentialId}`, origin, {});
  }

  /** Revokes a credential's certificate (RFC 5280 reason) and the credential: signing stops at once. */
  async revokeCredential(credentialId: string, reason: string, origin: AdminOrigin): Promise<void> {
    await this.#credentials().revoke(credentialId, reason, origin);
    await this.#audit('admin.credential.revoke', `credential:${credentialId}`, origin, { reason });
  }

  /**
   * Adds a key on another token to a credential (issue 16 §2): generated on `backend`, certified
   * for the same subject; the credential then signs with the least busy of its keys. Audited.
   */
  async addCredentialKey(
    credentialId: string,
    backend: string,
    origin: AdminOrigin,
  ): Promise<{ readonly credentialID: string; readonly keyId: string; readonly serialNumber: string }> {
    const added = await this.#credentials().addKey(credentialId, backend, origin);
    await this.#audit('admin.credential.add_key', `credential:${credentialId}`, origin, {
      backend,
      serialNumber: added.serialNumber,
    });
    return { credentialID: credentialId, ...added };
  }

  /** Every credential, or one user's (no secrets). */
  async listCredentials(user?: string): Promise<readonly CredentialSummary[]> {
    const filter = user === undefined ? {} : { userId: await this.resolveUserId(user) };
    return listCredentialSummaries(this.#d.store.db, filter);
  }

  /** Sets a user's role (by id or username). Audited `admin.user.role`. */
  async setRole(user: string, role: UserRole, origin: AdminOrigin): Promise<{ readonly userId: string; readonly role: UserRole }> {
    if (!userRoles.includes(role)) throw new ServerError('ERR_SERVER_INVALID_REQUEST', 'a role is user or admin');
    const userId = await this.resolveUserId(user);
    await this.#change(userId, origin, 'admin.user.role', { role }, (trx) => setUserRole(trx, userId, role));
    return { userId, role };
  }

  /** Sets whether a user must sign in with a passkey (TOTP sign-in refused). Audited `admin.user.require_passkey`. */
  async setRequirePasskey(user: string, required: boolean, origin: AdminOrigin): Promise<{ readonly userId: string; readonly requirePasskey: boolean }> {
    const userId = await this.resolveUserId(user);
    await this.#change(userId, origin, 'admin.user.require_passkey', { required: String(required) }, (trx) =>
      setUserRequirePasskey(trx, userId, required),
    );
    return { userId, requirePasskey: required };
  }

  /** A user's second factors (no secrets). */
  async listFactors(user: string): Promise<UserFactors> {
    return this.#factors().manager.list(await this.resolveUserId(user));
  }

  /**
   * Revokes one of a user's passkeys, even the last one (the administrator decides), and ends
   * every web session of that user in the same transaction: a revoked key may be a stolen one, and
   * a session does not record which passkey opened or stepped it up. Audited.
   */
  async revokePasskey(user: string, passkeyId: string, origin: AdminOrigin): Promise<{ readonly sessionsEnded: number }> {
    const userId = await this.resolveUserId(user);
    return this.#factors().passkeys.removePasskey({
      userId,
      passkeyId,
      allowLast: true,
      endSessions: true,
      via: `admin-${origin.via}`,
      ...originFields(origin),
      ...actorOf(origin),
    });
  }

  /**
   * Removes a user's TOTP device, even as the last factor, and ends every web session of that user
   * in the same transaction (as a passkey revocation does). Audited.
   */
  async revokeTotp(user: string, origin: AdminOrigin): Promise<{ readonly sessionsEnded: number }> {
    const userId = await this.resolveUserId(user);
    return this.#factors().manager.removeTotp({
      userId,
      allowLast: true,
      endSessions: true,
      via: `admin-${origin.via}`,
      ...originFields(origin),
      ...actorOf(origin),
    });
  }

  /**
   * Recovery: removes every passkey and the TOTP device and ends every web session; the user then
   * signs in with the password alone into an enrolment-only session and enrols again. Audited.
   */
  async resetFactors(user: string, origin: AdminOrigin): Promise<{ readonly userId: string; readonly passkeys: number; readonly totp: boolean; readonly sessions: number }> {
    const userId = await this.resolveUserId(user);
    const result = await this.#factors().manager.reset({ userId, via: `admin-${origin.via}`, ...originFields(origin), ...actorOf(origin) });
    return { userId, ...result };
  }

  #factors(): NonNullable<AdminServiceDeps['factors']> {
    const f = this.#d.factors;
    if (f === undefined) throw new ServerError('ERR_SERVER_UNAVAILABLE', 'second factors are not available in this build');
    return f;
  }

  async #change(
    userId: string,
    origin: AdminOrigin,
    type: string,
    details: Readonly<Record<string, string>>,
    apply: (trx: Db) => Promise<boolean>,
  ): Promise<void> {
    await this.#d.store.transaction(async (trx) => {
      if (!(await apply(trx))) throw new ServerError('ERR_SERVER_NOT_FOUND', 'no such user');
      await appendAudit(
        trx,
        { type, outcome: 'success', subject: `user:${userId}`, ...actorOf(origin), ...originFields(origin), details: { ...adminDetails(origin), ...details } },
        this.#d.audit,
      );
    });
  }

  /** A user id from an id or a username; ERR_SERVER_NOT_FOUND when neither matches. */
  async resolveUserId(user: string): Promise<string> {
    const db = this.#d.store.db;
    const row = (await findUserByUsername(db, user)) ?? (await findUserById(db, user));
    if (row === undefined) throw new ServerError('ERR_SERVER_NOT_FOUND', `no user '${user}'`);
    return row.id;
  }

  #credentials(): CredentialOperations {
    const ops = this.#d.credentials;
    if (ops === undefined) {
      throw new ServerError('ERR_SERVER_UNAVAILABLE', 'the credential lifecycle is not available in this build');
    }
    return ops;
  }

  async #audit(
    type: string,
    subject: string,
    origin: AdminOrigin,
    details: Readonly<Record<string, string | readonly string[]>>,
  ): Promise<void> {
    await this.#d.store.transaction((trx) =>
      appendAudit(
        trx,
        {
          type,
          outcome: 'success',
          subject,
          ...originFields(origin),
          details: { ...adminDetails(origin), ...details },
        },
        this.#d.audit,
      ),
    );
  }
}
