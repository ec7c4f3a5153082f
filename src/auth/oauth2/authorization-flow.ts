/**
 * The authorization endpoint's pages (RFC 6749 §4.1.1–§4.1.2): validate the request, sign the
 * user in (password + TOTP or password + passkey through the Authenticator and the PasskeyService:
 * lockout, throttling, audit) or take the browser's Signet web session (SSO), show what will be
 * authorised — the documents themselves when the client pushed them (contract 3) — and approve
 * with a fresh factor bound to the approval commitment (a passkey assertion whose challenge is
 * the commitment, or a one-time code) plus the credential PIN (SCAL2), then redirect with a
 * single-use code. Interaction state lives in the database under a session handle that changes at
 * each step (docs/security.md OA-32); every form post spends a one-time anti-CSRF token (OA-31).
 */
import { X509Certificate } from 'node:crypto';
import { isSignetError } from '../../core/errors.js';
import { appendAudit, appendAuditNow, appendFailureAudit, type AuditEvent } from '../../audit/index.js';
import {
  claimOAuthInteraction,
  credentialCertificates,
  deleteExpiredAuthorizationCodes,
  deleteExpiredConsentDocuments,
  deleteConsentDocumentsOfRequest,
  deleteExpiredOAuthInteractions,
  deleteOAuthInteraction,
  findCredential,
  findUserById,
  insertAuthorizationCode,
  insertOAuthInteraction,
  setOAuthInteractionCsrf,
  type Db,
  type OAuthInteractionRow,
} from '../../store/index.js';
import { AuthError } from '../errors.js';
import {
  approvalCommitment,
  commitmentNonce,
  isSameCommitment,
} from './approval-commitment.js';
import { generateOpaqueToken, hashOpaqueToken } from '../opaque-token.js';
import { requestDetails, ref } from './audit-details.js';
import type { AuthorizeResponse, SessionChange } from './authorize-response.js';
import { validateAuthorizationRequest } from './authorization-request.js';
import { takePushedRequest } from './pushed-authorization.js';
import {
  bindRequestDocuments,
  documentFindings,
  documentPlacement,
  openConsentDocument,
  requestDocumentRows,
} from './consent-documents.js';
import { origin } from './client-authentication.js';
import { OAuth2Error } from './errors.js';
import {
  renderConsentPage,
  renderErrorPage,
  renderLoginPage,
  type ConsentDocumentView,
} from './pages.js';
import { single } from './params.js';
import {
  currentIssuer,
  type AuthorizationRequest,
  type OAuth2Deps,
  type Origin,
  type RawParams,
} from './types.js';

const LOGIN = 'login';
const CONSENT = 'consent';
/** Password checked, passkey ceremony running (the sign-in page's script finishes it). */
const PASSKEY = 'passkey';

/** JSON answer of POST /oauth2/login/passkey (the sign-in page's script reads it). */
export type PasskeyLoginStart =
  | {
      readonly kind: 'ceremony';
      readonly ticket: string;
      readonly options: unknown;
      readonly csrf: string;
      readonly session: string;
      readonly maxAgeSeconds: number;
    }
  | { readonly kind: 'refused'; readonly status: number; readonly message: string; readonly csrf?: string };

/** Runs the authorize GET and the login/consent POSTs. */
export class AuthorizationFlow {
  readonly #d: OAuth2Deps;
  readonly #interactionTtl: number;
  readonly #codeTtl: number;

  constructor(deps: OAuth2Deps) {
    this.#d = deps;
    this.#interactionTtl = deps.interactionTtlSeconds ?? 600;
    this.#codeTtl = deps.codeTtlSeconds ?? 60;
  }

  /**
   * GET /oauth2/authorize: the login page (or, with a live Signet web session in this browser,
   * straight to consent), an error page, or an error redirect.
   */
  async start(params: RawParams, o: Origin, webSession?: string): Promise<AuthorizeResponse> {
    // RFC 9126 §4: a pushed request is referenced by request_uri (with client_id only).
    if (params['request_uri'] !== undefined) {
      let pushed: AuthorizationRequest;
      try {
        pushed = await takePushedRequest(
          this.#d,
          single(params, 'request_uri') ?? '',
          single(params, 'client_id'),
        );
      } catch (err) {
        if (!(err instanceof OAuth2Error)) throw err;
        await this.#auditNow(o, 'oauth2.authorize', 'failure', { details: { error: err.code } });
        return errorPage(400, 'Cannot continue', err.message);
      }
      return this.#begin(pushed, o, false, webSession);
    }
    const v = await validateAuthorizationRequest(this.#d, params);
    if (v.kind === 'show') {
      await this.#auditNow(o, 'oauth2.authorize', 'failure', { details: { error: v.error.code } });
      return errorPage(400, 'Cannot continue', v.error.message);
    }
    if (v.kind === 'redirect') {
      await this.#auditNow(o, 'oauth2.authorize', 'failure', {
        actorClientId: v.clientId,
        details: { error: v.error.code },
      });
      return this.#errorRedirect(302, v.redirectUri, v.state, v.error);
    }
    try {
      return await this.#begin(v.request, o, true, webSession);
    } catch (err) {
      if (!(err instanceof OAuth2Error) || err.code !== 'ERR_OAUTH2_DOCUMENT_REF') throw err;
      await this.#auditNow(o, 'oauth2.authorize', 'failure', { actorClientId: v.request.clientId, details: { error: err.code } });
      return this.#errorRedirect(302, v.request.redirectUri, v.request.state, err);
    }
  }

  /**
   * Records the validated request (binding its documents when they came in the query) and shows
   * the login page — or consent directly when the browser holds a live web session (SSO; the
   * approval then needs its own fresh factor).
   */
  async #begin(
    r: AuthorizationRequest,
    o: Origin,
    bindDocuments: boolean,
    webSession: string | undefined,
  ): Promise<AuthorizeResponse> {
    const now = this.#now();
    const sso = webSession === undefined ? undefined : await this.#d.webSessions?.resolve(webSession);
    await this.#d.store.transaction(async (trx) => {
      // Housekeeping on the way: abandoned interactions, and codes an hour past expiry (kept
      // that long so a late replay is still recognised and revokes its tokens).
      await deleteExpiredOAuthInteractions(trx, now);
      await deleteExpiredAuthorizationCodes(trx, now - 3600 * 1000);
      await deleteExpiredConsentDocuments(trx, now);
      // A pushed request bound its documents at push time; a query request binds them here.
      if (bindDocuments) await bindRequestDocuments(trx, r, now);
      await appendAudit(
        trx,
        this.#event(o, 'oauth2.authorize', 'success', {
          actorClientId: r.clientId,
          details: requestDetails(r),
        }),
        this.#d.audit,
      );
    });
    if (sso !== undefined) {
      return this.#enterConsent(undefined, r, sso.userId, sso.username, 'session', o);
    }
    return this.#newLoginPage(r, 200);
  }

  /** A fresh login-stage interaction (new handle and token) and its page. */
  async #newLoginPage(r: AuthorizationRequest, status: number, message?: string, replaces?: Uint8Array): Promise<AuthorizeResponse> {
    const session = generateOpaqueToken();
    const csrf = generateOpaqueToken();
    const now = this.#now();
    await this.#d.store.transaction(async (trx) => {
      if (replaces !== undefined) await deleteOAuthInteraction(trx, replaces);
      await insertOAuthInteraction(trx, {
        id_hash: session.hash,
        csrf_hash: csrf.hash,
        stage: LOGIN,
        client_id: r.clientId,
        user_id: null,
        request: JSON.stringify(r),
        expires_at: now + this.#interactionTtl * 1000,
        created_at: now,
      });
    });
    return {
      kind: 'page',
      status,
      html: renderLoginPage({
        request: r,
        csrf: csrf.token,
        hasPasskeys: this.#d.passkeys !== undefined,
        ...(message === undefined ? {} : { message }),
      }),
      session: { set: session.token, maxAgeSeconds: this.#interactionTtl },
    };
  }

  /** POST /oauth2/authorize: the login, passkey-login or consent form. */
  async submit(
    form: RawParams,
    sessionToken: string | undefined,
    o: Origin,
  ): Promise<AuthorizeResponse> {
    let step: string | undefined;
    let csrf: string | undefined;
    try {
      step = single(form, 'step');
      csrf = single(form, 'csrf_token');
    } catch {
      step = undefined;
    }
    if (
      sessionToken === undefined ||
      csrf === undefined ||
      (step !== LOGIN && step !== CONSENT && step !== PASSKEY)
    ) {
      return this.#refuseInteraction(
        o,
        sessionToken === undefined ? 'no-session' : 'no-csrf-token',
      );
    }
    const sessionHash = hashOpaqueToken(sessionToken);
    const row = await this.#d.store.transaction((trx) =>
      claimOAuthInteraction(trx, sessionHash, hashOpaqueToken(csrf), step, this.#now()),
    );
    if (row === undefined) return this.#refuseInteraction(o, 'csrf-token-or-session-invalid');
    const request = JSON.parse(row.request) as AuthorizationRequest;
    if (step === LOGIN) return this.#login(row, request, form, o);
    if (step === PASSKEY) return this.#passkeyLogin(row, request, form, o);
    return this.#consent(row, request, form, o);
  }

  async #loginFailure(row: OAuthInteractionRow, r: AuthorizationRequest, o: Origin, reason: string, userId?: string): Promise<string> {
    const csrf = generateOpaqueToken();
    await this.#d.store.transaction(async (trx) => {
      await setOAuthInteractionCsrf(trx, row.id_hash, csrf.hash);
      await appendAudit(
        trx,
        this.#event(o, 'oauth2.login', 'failure', {
          ...(userId === undefined ? {} : { actorUserId: userId }),
          actorClientId: r.clientId,
          details: { reason },
        }),
        this.#d.audit,
      );
    });
    return csrf.token;
  }

  async #login(
    row: OAuthInteractionRow,
    r: AuthorizationRequest,
    form: RawParams,
    o: Origin,
  ): Promise<AuthorizeResponse> {
    const username = field(form, 'username');
    const password = field(form, 'password');
    const otp = field(form, 'otp');
    const retry = async (message: string, reason: string): Promise<AuthorizeResponse> => {
      const csrf = await this.#loginFailure(row, r, o, reason);
      return {
        kind: 'page',
        status: 401,
        html: renderLoginPage({ request: r, csrf, message, hasPasskeys: this.#d.passkeys !== undefined }),
      };
    };
    if (username === undefined || password === undefined || otp === undefined) {
      return retry('Enter your username, password and one-time code.', 'incomplete');
    }
    let userId: string;
    try {
      userId = await this.#d.authenticator.verifyPassword({ username, password, keepFailures: true, clientId: r.clientId, ...origin(o) });
    } catch (err) {
      if (!(err instanceof AuthError)) throw err;
      return retry(loginMessage(err), err.code);
    }
    // The per-user policy (an administrator's choice): a one-time code is no factor for this user.
    if (await this.#requiresPasskey(userId)) {
      return retry('Your account must sign in with a passkey: choose "Use passkey".', 'passkey-required');
    }
    try {
      await this.#d.authenticator.verifyTotp({ userId, code: otp, clientId: r.clientId, ...origin(o) });
    } catch (err) {
      if (!(err instanceof AuthError)) throw err;
      return retry(loginMessage(err), err.code);
    }
    return this.#enterConsent(row, r, userId, username, 'totp', o);
  }

  /**
   * POST /oauth2/login/passkey (the sign-in page's script): spends the login form's token, checks
   * the password first (counted like any attempt), then starts a passkey ceremony for that user,
   * bound to this request; the interaction moves to the passkey stage under a new handle.
   */
  async startPasskeyLogin(form: RawParams, sessionToken: string | undefined, o: Origin): Promise<PasskeyLoginStart> {
    const passkeys = this.#d.passkeys;
    let csrf: string | undefined;
    try {
      csrf = single(form, 'csrf_token');
    } catch {
      csrf = undefined;
    }
    if (passkeys === undefined || sessionToken === undefined || csrf === undefined) {
      await this.#auditNow(o, 'oauth2.interaction', 'failure', { details: { reason: 'passkey-login-unavailable' } });
      return { kind: 'refused', status: 400, message: 'This sign-in form has expired; reload the page.' };
    }
    const row = await this.#d.store.transaction((trx) =>
      claimOAuthInteraction(trx, hashOpaqueToken(sessionToken), hashOpaqueToken(csrf), LOGIN, this.#now()),
    );
    if (row === undefined) {
      await this.#auditNow(o, 'oauth2.interaction', 'failure', { details: { reason: 'csrf-token-or-session-invalid' } });
      return { kind: 'refused', status: 400, message: 'This sign-in form has expired; reload the page.' };
    }
    const r = JSON.parse(row.request) as AuthorizationRequest;
    const username = field(form, 'username');
    const password = field(form, 'password');
    if (username === undefined || password === undefined) {
      return { kind: 'refused', status: 401, message: 'Enter your username and password.', csrf: await this.#loginFailure(row, r, o, 'incomplete') };
    }
    let userId: string;
    let started: { ticket: string; options: unknown };
    try {
      userId = await this.#d.authenticator.verifyPassword({ username, password, keepFailures: true, clientId: r.clientId, ...origin(o) });
    } catch (err) {
      if (!(err instanceof AuthError)) throw err;
      return { kind: 'refused', status: 401, message: loginMessage(err), csrf: await this.#loginFailure(row, r, o, err.code) };
    }
    try {
      started = await passkeys.startAuthentication({ purpose: 'login', userId, binding: bindingOf(r), ...origin(o) });
    } catch (err) {
      if (!isSignetError(err)) throw err;
      return {
        kind: 'refused',
        status: 401,
        message: err.code === 'ERR_WEBAUTHN_NO_PASSKEY' ? 'You have no passkey yet: use a one-time code.' : 'The passkey sign-in could not start.',
        csrf: await this.#loginFailure(row, r, o, err.code, userId),
      };
    }
    const session = generateOpaqueToken();
    const next = generateOpaqueToken();
    const now = this.#now();
    await this.#d.store.transaction(async (trx) => {
      await deleteOAuthInteraction(trx, row.id_hash);
      await insertOAuthInteraction(trx, {
        id_hash: session.hash,
        csrf_hash: next.hash,
        stage: PASSKEY,
        client_id: r.clientId,
        user_id: userId,
        request: row.request,
        expires_at: Math.min(row.expires_at, now + this.#interactionTtl * 1000),
        created_at: now,
      });
    });
    return {
      kind: 'ceremony',
      ticket: started.ticket,
      options: started.options,
      csrf: next.token,
      session: session.token,
      maxAgeSeconds: this.#interactionTtl,
    };
  }

  /** The passkey stage: the assertion for the login ceremony (after the password) → consent. */
  async #passkeyLogin(
    row: OAuthInteractionRow,
    r: AuthorizationRequest,
    form: RawParams,
    o: Origin,
  ): Promise<AuthorizeResponse> {
    const userId = row.user_id ?? '';
    const passkeys = this.#d.passkeys;
    const ticket = field(form, 'passkey_ticket');
    const response = jsonField(form, 'passkey_response');
    if (passkeys !== undefined && ticket !== undefined && response !== undefined) {
      try {
        await passkeys.finishAuthentication({ ticket, response, purpose: 'login', userId, binding: bindingOf(r), ...origin(o) });
        const user = await findUserById(this.#d.store.db, userId);
        return await this.#enterConsent(row, r, userId, user?.username ?? '', 'passkey', o);
      } catch (err) {
        if (!isSignetError(err)) throw err;
        await this.#auditNow(o, 'oauth2.login', 'failure', { actorUserId: userId, actorClientId: r.clientId, details: { reason: err.code } });
        return this.#newLoginPage(r, 401, 'The passkey did not confirm your sign-in. Try again.', row.id_hash);
      }
    }
    await this.#auditNow(o, 'oauth2.login', 'failure', { actorUserId: userId, actorClientId: r.clientId, details: { reason: 'no-assertion' } });
    return this.#newLoginPage(r, 401, 'The passkey sign-in was not completed. Try again.', row.id_hash);
  }

  /**
   * The user is known (just signed in, or by the web session): check the credential is theirs and
   * usable, move to the consent stage under a new handle with a fresh commitment nonce, and show
   * the consent page.
   */
  async #enterConsent(
    row: OAuthInteractionRow | undefined,
    r: AuthorizationRequest,
    userId: string,
    username: string,
    loginFactor: 'totp' | 'passkey' | 'session',
    o: Origin,
  ): Promise<AuthorizeResponse> {
    // For scope credential, the credential must be the user's own and usable (docs/security.md AC-02).
    const c = r.credential;
    if (c !== undefined) {
      const credential = await findCredential(this.#d.store.db, c.credentialId);
      const problem =
        credential === undefined || credential.user_id !== userId
          ? new OAuth2Error(
              'ERR_OAUTH2_ACCESS_DENIED',
              'the credential is not available to this user',
            )
          : credential.status !== 'active' || credential.locked !== 0
            ? new OAuth2Error('ERR_OAUTH2_ACCESS_DENIED', 'the credential cannot sign at present')
            : c.numSignatures > credential.multisign && c.numSignatures > 1
              ? new OAuth2Error(
                  'ERR_OAUTH2_INVALID_REQUEST',
                  `numSignatures exceeds the credential's multisign value (${credential.multisign})`,
                )
              : undefined;
      if (problem !== undefined) {
        await this.#d.store.transaction(async (trx) => {
          if (row !== undefined) await deleteOAuthInteraction(trx, row.id_hash);
          await endRequestDocuments(trx, r);
          await appendAudit(
            trx,
            this.#event(o, 'oauth2.login', 'failure', {
              actorUserId: userId,
              actorClientId: r.clientId,
              subject: `credential:${c.credentialId}`,
              details: { reason: problem.code },
            }),
            this.#d.audit,
          );
        });
        return this.#errorRedirect(303, r.redirectUri, r.state, problem, { clear: true });
      }
    }
    // OA-32: a new session handle once the user is authenticated (no session fixation).
    const session = generateOpaqueToken();
    const csrf = generateOpaqueToken();
    const now = this.#now();
    const consentRequest: AuthorizationRequest = { ...r, nonce: commitmentNonce(), loginFactor };
    await this.#d.store.transaction(async (trx) => {
      if (row !== undefined) await deleteOAuthInteraction(trx, row.id_hash);
      await insertOAuthInteraction(trx, {
        id_hash: session.hash,
        csrf_hash: csrf.hash,
        stage: CONSENT,
        client_id: r.clientId,
        user_id: userId,
        request: JSON.stringify(consentRequest),
        expires_at: Math.min(row?.expires_at ?? Number.MAX_SAFE_INTEGER, now + this.#interactionTtl * 1000),
        created_at: now,
      });
      await appendAudit(
        trx,
        this.#event(o, 'oauth2.login', 'success', {
          actorUserId: userId,
          actorClientId: r.clientId,
          details: { factor: loginFactor },
        }),
        this.#d.audit,
      );
    });
    return {
      kind: 'page',
      status: 200,
      html: await this.#consentPage(consentRequest, userId, username, csrf.token, o),
      session: { set: session.token, maxAgeSeconds: this.#interactionTtl },
    };
  }

  /** The commitment of a consent-stage request (undefined for scope service). */
  #commitment(r: AuthorizationRequest): Uint8Array | undefined {
    if (r.credential === undefined) return undefined;
    return approvalCommitment({ credential: r.credential, requestId: r.requestId ?? '', nonce: r.nonce ?? '' });
  }

  /** Renders the consent page, starting a passkey approval ceremony bound to the commitment. */
  async #consentPage(
    r: AuthorizationRequest,
    userId: string,
    username: string,
    csrf: string,
    o: Origin,
    message?: string,
  ): Promise<string> {
    const commitment = this.#commitment(r);
    let approval: { ticket: string; options: unknown } | undefined;
    const passkeys = this.#d.passkeys;
    if (commitment !== undefined && passkeys !== undefined && (await passkeys.listPasskeys(userId)).length > 0) {
      approval = await passkeys.startAuthentication({
        purpose: 'approval',
        userId,
        challenge: commitment,
        binding: bindingOf(r),
        ...origin(o),
      });
    }
    const credential = r.credential === undefined ? undefined : await findCredential(this.#d.store.db, r.credential.credentialId);
    return renderConsentPage({
      request: r,
      csrf,
      username,
      ...(message === undefined ? {} : { message }),
      ...(await this.#certificateSubject(r)),
      ...(await this.#documentViews(r)),
      pinRequired: credential?.pin_hash !== null,
      ...(commitment === undefined ? {} : { commitment: Buffer.from(commitment).toString('base64url') }),
      ...(approval === undefined ? {} : { approval }),
      needsFreshFactor: r.loginFactor !== 'totp',
    });
  }

  async #consent(
    row: OAuthInteractionRow,
    r: AuthorizationRequest,
    form: RawParams,
    o: Origin,
  ): Promise<AuthorizeResponse> {
    const userId = row.user_id ?? '';
    const c = r.credential;
    const subject = c === undefined ? {} : { subject: `credential:${c.credentialId}` };
    const who = { actorUserId: userId, actorClientId: r.clientId, ...subject };
    const decision = field(form, 'decision');
    const finish = async (error: OAuth2Error, reason: string): Promise<AuthorizeResponse> => {
      await this.#d.store.transaction(async (trx) => {
        await deleteOAuthInteraction(trx, row.id_hash);
        await endRequestDocuments(trx, r);
        await appendAudit(
          trx,
          this.#event(o, 'oauth2.consent', 'failure', { ...who, details: { reason } }),
          this.#d.audit,
        );
      });
      return this.#errorRedirect(303, r.redirectUri, r.state, error, { clear: true });
    };
    if (decision === 'deny') {
      return finish(
        new OAuth2Error('ERR_OAUTH2_ACCESS_DENIED', 'the user denied the request'),
        'denied',
      );
    }
    const retry = async (message: string, reason: string): Promise<AuthorizeResponse> => {
      const csrf = generateOpaqueToken();
      await this.#d.store.transaction(async (trx) => {
        await setOAuthInteractionCsrf(trx, row.id_hash, csrf.hash);
        await appendAudit(
          trx,
          this.#event(o, 'oauth2.consent', 'failure', { ...who, details: { reason } }),
          this.#d.audit,
        );
      });
      const user = await findUserById(this.#d.store.db, userId);
      return {
        kind: 'page',
        status: 400,
        html: await this.#consentPage(r, userId, user?.username ?? '', csrf.token, o, message),
      };
    };
    if (decision !== 'approve') return retry('Choose Approve or Deny.', 'no-decision');
    // Contract 3: every document is still there, and none is blocked by the pre-signing checks.
    if (r.documents !== undefined) {
      const views = (await this.#documentViews(r)).documents ?? [];
      if (views.length !== r.documents.length) {
        return finish(new OAuth2Error('ERR_OAUTH2_DOCUMENT_REF', 'the documents of this request are gone'), 'documents-missing');
      }
      // The sealed bytes still open under their reference, client and hash: nothing was swapped.
      const config = this.#d.documents;
      const rows = await requestDocumentRows(this.#d, r);
      if (config === undefined || rows.some((d) => openConsentDocument(config, d) === undefined)) {
        return finish(new OAuth2Error('ERR_OAUTH2_DOCUMENT_REF', 'a document changed after it was uploaded'), 'document-seal-broken');
      }
      const blocking = views.flatMap((d) => d.findings.filter((f) => f.blocksSigning).map((f) => f.code));
      if (blocking.length > 0) {
        return finish(
          new OAuth2Error('ERR_OAUTH2_DOCUMENT_BLOCKED', 'a document cannot be signed safely'),
          `document-blocked:${blocking.join(',')}`,
        );
      }
    }
    const commitment = this.#commitment(r);
    let factor: 'passkey' | 'totp' | 'login-totp' | 'none' = 'none';
    if (c !== undefined && commitment !== undefined) {
      // The approval's own factor, bound to the commitment (contract 3).
      const ticket = field(form, 'passkey_ticket');
      const response = jsonField(form, 'passkey_response');
      const otp = field(form, 'otp');
      if (ticket !== undefined && response !== undefined && this.#d.passkeys !== undefined) {
        try {
          const assertion = await this.#d.passkeys.finishAuthentication({
            ticket,
            response,
            purpose: 'approval',
            userId,
            binding: bindingOf(r),
            ...origin(o),
          });
          // The assertion signed clientDataJSON.challenge = the commitment recomputed here.
          if (!isSameCommitment(assertion.challenge, commitment)) {
            return await retry('The passkey confirmed something else. Try again.', 'commitment-mismatch');
          }
          factor = 'passkey';
        } catch (err) {
          if (!isSignetError(err)) throw err;
          return retry('The passkey did not confirm this approval. Try again.', err.code);
        }
      } else if (otp !== undefined) {
        if (await this.#requiresPasskey(userId)) {
          return retry('Your account must approve with a passkey.', 'passkey-required');
        }
        try {
          await this.#d.authenticator.verifyTotp({ userId, code: otp, clientId: r.clientId, ...origin(o) });
        } catch (err) {
          if (!(err instanceof AuthError)) throw err;
          if (err.code === 'ERR_AUTH_OTP_INVALID' || err.code === 'ERR_AUTH_OTP_REPLAYED') {
            return retry('The one-time code is wrong.', err.code);
          }
          return finish(new OAuth2Error('ERR_OAUTH2_ACCESS_DENIED', 'the second factor cannot be used'), err.code);
        }
        factor = 'totp';
      } else if (r.loginFactor === 'totp') {
        // Password + one-time code were entered in this very interaction, moments ago.
        factor = 'login-totp';
      } else {
        return retry('Confirm with your passkey or a one-time code.', 'no-second-factor');
      }
      // SCAL2: the credential PIN is the explicit second action over exactly these hashes.
      const credential = await findCredential(this.#d.store.db, c.credentialId);
      if (credential?.pin_hash !== null) {
        const pin = field(form, 'pin');
        if (pin === undefined) return retry('Enter the credential PIN.', 'no-pin');
        try {
          await this.#d.authenticator.verifyCredentialPin({
            userId,
            credentialId: c.credentialId,
            pin,
            clientId: r.clientId,
            ...origin(o),
          });
        } catch (err) {
          if (!(err instanceof AuthError)) throw err;
          if (err.code === 'ERR_AUTH_PIN_INVALID') return retry('The PIN is wrong.', err.code);
          return finish(
            new OAuth2Error('ERR_OAUTH2_ACCESS_DENIED', 'the credential cannot be used'),
            err.code,
          );
        }
      }
    }
    const code = generateOpaqueToken();
    const now = this.#now();
    await this.#d.store.transaction(async (trx: Db) => {
      await insertAuthorizationCode(trx, {
        code_hash: code.hash,
        client_id: r.clientId,
        redirect_uri: r.redirectUri,
        code_challenge: r.codeChallenge ?? null,
        code_challenge_method: r.codeChallenge === undefined ? null : 'S256',
        user_id: userId,
        scope: r.scope,
        credential_id: c?.credentialId ?? null,
        num_signatures: c?.numSignatures ?? null,
        hash_algorithm_oid: c?.hashAlgorithmOid ?? null,
        // The SAD is derived from exactly these hashes, the ones the commitment covers.
        hashes: c === undefined ? null : JSON.stringify(c.documentDigests.map((d) => d.hash)),
        expires_at: now + this.#codeTtl * 1000,
        used: 0,
        created_at: now,
      });
      await deleteOAuthInteraction(trx, row.id_hash);
      // Contract 3: the documents go when the request ends (the code carries only hashes).
      await endRequestDocuments(trx, r);
      await appendAudit(
        trx,
        this.#event(o, 'oauth2.consent', 'success', {
          ...who,
          details: {
            ...requestDetails(r),
            ...(commitment === undefined
              ? {}
              : {
                  // The consent record: what the approval's factor was bound to.
                  commitment: Buffer.from(commitment).toString('base64url'),
                  requestId: r.requestId ?? '',
                  nonce: r.nonce ?? '',
                  factor,
                }),
            ...(r.documents === undefined ? {} : { documents: r.documents.map((d) => d.name), documentsShown: true }),
          },
        }),
        this.#d.audit,
      );
      await appendAudit(
        trx,
        this.#event(o, 'oauth2.code.issue', 'success', {
          ...who,
          details: { codeRef: ref(code.hash) },
        }),
        this.#d.audit,
      );
    });
    return {
      kind: 'redirect',
      status: 303,
      location: this.#redirect(r.redirectUri, {
        code: code.token,
        ...(r.state === undefined ? {} : { state: r.state }),
      }),
      session: { clear: true },
    };
  }

  /** The request's documents as the consent page shows them (contract 3). */
  async #documentViews(r: AuthorizationRequest): Promise<{ documents?: ConsentDocumentView[] }> {
    if (r.documents === undefined) return {};
    const rows = await requestDocumentRows(this.#d, r);
    return {
      documents: rows.map((row) => {
        const p = documentPlacement(row);
        return {
          name: row.name,
          pages: row.pages,
          hash: row.hash,
          size: row.size,
          ...(p.fieldName === undefined ? {} : { fieldName: p.fieldName }),
          ...(p.placement === undefined ? {} : { placement: p.placement }),
          findings: documentFindings(row),
        };
      }),
    };
  }

  /** The credential certificate's subject, shown on the consent page (what the signature will name). */
  async #certificateSubject(r: AuthorizationRequest): Promise<{ certificateSubject?: string }> {
    if (r.credential === undefined) return {};
    const row = await findCredential(this.#d.store.db, r.credential.credentialId);
    const leaf = row === undefined ? undefined : credentialCertificates(row)[0];
    if (leaf === undefined) return {};
    try {
      return { certificateSubject: new X509Certificate(leaf).subject.replace(/\n/g, ', ') };
    } catch {
      return {};
    }
  }

  async #refuseInteraction(o: Origin, reason: string): Promise<AuthorizeResponse> {
    await this.#auditNow(o, 'oauth2.interaction', 'failure', { details: { reason } });
    return errorPage(
      400,
      'This form has expired',
      'The sign-in form was already used, has expired, or was not sent from the sign-in page.',
    );
  }

  #errorRedirect(
    status: 302 | 303,
    redirectUri: string,
    state: string | undefined,
    error: OAuth2Error,
    session?: SessionChange,
  ): AuthorizeResponse {
    return {
      kind: 'redirect',
      status,
      location: this.#redirect(redirectUri, {
        error: error.error,
        error_description: error.message,
        ...(state === undefined ? {} : { state }),
      }),
      ...(session === undefined ? {} : { session }),
    };
  }

  /** RFC 6749 §4.1.2: parameters added to the redirect URI's query; RFC 9207 `iss` against mix-up. */
  #redirect(redirectUri: string, params: Readonly<Record<string, string>>): string {
    const url = new URL(redirectUri);
    for (const [k, v] of Object.entries(params)) url.searchParams.append(k, v);
    url.searchParams.append('iss', currentIssuer(this.#d));
    return url.toString();
  }

  /** The administrator's per-user policy: a passkey is the only second factor (no one-time code). */
  async #requiresPasskey(userId: string): Promise<boolean> {
    return (await findUserById(this.#d.store.db, userId))?.require_passkey === 1;
  }

  #now(): number {
    return this.#d.clock.now().getTime();
  }

  #event(
    o: Origin,
    type: string,
    outcome: 'success' | 'failure',
    extra: Omit<AuditEvent, 'type' | 'outcome' | 'sourceAddress' | 'traceId'>,
  ): AuditEvent {
    return { type, outcome, ...extra, ...origin(o) };
  }

  async #auditNow(
    o: Origin,
    type: string,
    outcome: 'success' | 'failure',
    extra: Omit<AuditEvent, 'type' | 'outcome' | 'sourceAddress' | 'traceId'>,
  ): Promise<void> {
    const event = this.#event(o, type, outcome, extra);
    // docs/security.md DOS-20: failures are aggregated under a flood; successes always recorded.
    if (outcome === 'failure') await appendFailureAudit(this.#d.store, event, this.#d.audit);
    else await appendAuditNow(this.#d.store, event, this.#d.audit);
  }
}

/** Deletes the documents of a request that has ended (code issued, denied, failed). */
async function endRequestDocuments(trx: Db, r: AuthorizationRequest): Promise<void> {
  if (r.requestId !== undefined && r.documents !== undefined) await deleteConsentDocumentsOfRequest(trx, r.requestId);
}

/** What a passkey ceremony of this request is bound to (its ticket cannot serve another request). */
function bindingOf(r: AuthorizationRequest): string {
  return `oauth2:${r.requestId ?? r.clientId}`;
}

/** A JSON-encoded form field (the WebAuthn response), at most 64 KiB. */
function jsonField(form: RawParams, name: string): unknown {
  const v = form[name];
  if (typeof v !== 'string' || v === '' || v.length > 65536) return undefined;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return undefined;
  }
}

function field(form: RawParams, name: string): string | undefined {
  const v = form[name];
  return typeof v === 'string' && v !== '' && v.length <= 1024 ? v : undefined;
}

function errorPage(status: number, title: string, message: string): AuthorizeResponse {
  return { kind: 'page', status, html: renderErrorPage({ title, message }) };
}

function loginMessage(err: AuthError): string {
  if (err.code === 'ERR_AUTH_LOCKED')
    return 'Too many failed attempts: the account is locked for a while.';
  if (err.code === 'ERR_AUTH_THROTTLED')
    return 'Too many attempts from your network; try again later.';
  if (err.code === 'ERR_AUTH_TOTP_NOT_ENROLLED') {
    return 'Your account has no one-time code device; ask an administrator.';
  }
  return 'The username, password or one-time code is wrong.';
}
