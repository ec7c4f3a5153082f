/**
 * credentials/list, info, authorize (explicit mode, PIN + OTP, CSC API v2 §11.4–§11.9),
 * authorizeCheck, getChallenge and extendTransaction. The SAD binds user, credential, client,
 * exact hashes, algorithm, count and expiry (SadService; docs/security.md SAD-18, SAD-25).
 */
import { hashSadToken, maxSadSignatures } from '../auth/index.js';
import { digestAlgorithms } from '../cms/index.js';
import { findSad, listUserCredentials } from '../store/index.js';
import { origin } from './auth-operations.js';
import {
  certificatesChoice,
  credentialFactors,
  credentialInfoObject,
  type InfoOptions,
} from './credential-info.js';
import type { CscDeps, CscRequestContext } from './csc-deps.js';
import { CscError, invalidParameter, missingParameter } from './errors.js';
import { refuseExternalCredential } from './external-signing.js';
import {
  asBody,
  optionalBoolean,
  optionalHashes,
  optionalString,
  requiredInteger,
  requiredString,
  type CscBody,
} from './request-params.js';
import {
  certificateStatus,
  requireBearer,
  requireOwnCredential,
  requireUsableCredential,
  type RequestTrail,
} from './request-scope.js';
import { credentialCertificate } from './credential-certificate.js';
import { digestFromOid } from './sign-algorithm.js';

function infoOptions(body: CscBody): InfoOptions {
  return {
    certificates: certificatesChoice(optionalString(body, 'certificates')),
    certInfo: optionalBoolean(body, 'certInfo') ?? false,
    authInfo: optionalBoolean(body, 'authInfo') ?? false,
  };
}

function maxHashes(deps: CscDeps): number {
  return Math.min(deps.limits?.maxHashes ?? maxSadSignatures, maxSadSignatures);
}

/** credentials/list: only the caller's own credentials (docs/security.md AC-01). */
export async function credentialsList(
  deps: CscDeps,
  rawBody: unknown,
  ctx: CscRequestContext,
  trail: RequestTrail,
): Promise<Record<string, unknown>> {
  const body = asBody(rawBody);
  const caller = await requireBearer(deps, ctx, trail);
  const userID = optionalString(body, 'userID');
  // CSC v2 §11.4: with a user-specific token, userID SHALL NOT give access to anyone else.
  if (userID !== undefined && userID !== caller.info.userId) {
    throw new CscError('ERR_CSC_INVALID_REQUEST', 'userID parameter MUST be null');
  }
  const withInfo = optionalBoolean(body, 'credentialInfo') ?? false;
  const onlyValid = optionalBoolean(body, 'onlyValid') ?? false;
  const options = infoOptions(body);
  let rows = await listUserCredentials(deps.store.db, caller.info.userId);
  if (caller.info.scope === 'credential') rows = rows.filter((r) => r.id === caller.info.credentialId);
  if (onlyValid) {
    const usable = await Promise.all(
      rows.map(async (r) =>
        r.status === 'active' && r.locked === 0
          ? (await certificateStatus(deps, r, credentialCertificate(r))) === 'valid'
          : false,
      ),
    );
    rows = rows.filter((_, i) => usable[i]);
  }
  const result: Record<string, unknown> = { credentialIDs: rows.map((r) => r.id) };
  if (withInfo) {
    result['credentialInfos'] = await Promise.all(
      rows.map(async (r) => ({ credentialID: r.id, ...(await credentialInfoObject(deps, r, options)) })),
    );
  }
  if (onlyValid) result['onlyValid'] = true;
  return result;
}

/** credentials/info. */
export async function credentialsInfo(
  deps: CscDeps,
  rawBody: unknown,
  ctx: CscRequestContext,
  trail: RequestTrail,
): Promise<Record<string, unknown>> {
  const body = asBody(rawBody);
  const caller = await requireBearer(deps, ctx, trail);
  const row = await requireOwnCredential(deps, caller, requiredString(body, 'credentialID', 255), trail);
  return credentialInfoObject(deps, row, infoOptions(body));
}

/** The authData value with `id`, if given (CSC v2 §11.6 `authData[{id, value}]`). */
function authValue(authData: readonly CscBody[], id: string): string | undefined {
  const entry = authData.find((a) => a['id'] === id);
  const value = entry?.['value'];
  return typeof value === 'string' && value.length > 0 && value.length <= 256 ? value : undefined;
}

/**
 * One factor's value from either request form: the v2.2 `authData[{id, value}]` array (CSC v2.2
 * §11.6) or the top-level `PIN` / `OTP` strings of CSC v2.0.0.2 §11.6 (what the EU reference
 * wallet libraries send). The same factor given both ways is refused as ambiguous.
 */
function factorValue(body: CscBody, authData: readonly CscBody[], id: 'PIN' | 'OTP'): string | undefined {
  const top = body[id];
  if (top === undefined) return authValue(authData, id);
  if (typeof top !== 'string' || top.length === 0 || top.length > 256) throw invalidParameter(id);
  if (authData.some((a) => a['id'] === id)) throw invalidParameter(id);
  return top;
}

/**
 * credentials/authorize (explicit mode): checks the request, the credential's state, then the PIN
 * and the OTP (each attempt counted before verification, lockout persisted), then issues the SAD.
 */
export async function credentialsAuthorize(
  deps: CscDeps,
  rawBody: unknown,
  ctx: CscRequestContext,
  trail: RequestTrail,
): Promise<{ SAD: string; expiresIn: number }> {
  const body = asBody(rawBody);
  const caller = await requireBearer(deps, ctx, trail);
  const row = await requireOwnCredential(deps, caller, requiredString(body, 'credentialID', 255), trail);
  const numSignatures = requiredInteger(body, 'numSignatures');
  const hashes = optionalHashes(body, 'hashes', maxHashes(deps));
  const hashAlgorithmOid = optionalString(body, 'hashAlgorithmOID');
  optionalString(body, 'description', 500);
  optionalString(body, 'clientData', 4096);
  if (numSignatures < 1) {
    throw new CscError('ERR_CSC_INVALID_REQUEST', 'Invalid value for parameter numSignatures');
  }
  if (numSignatures > row.multisign) {
    throw new CscError('ERR_CSC_INVALID_REQUEST', 'Numbers of signatures is too high');
  }
  // CSC v2 §11.6: hashes are REQUIRED for SCAL 2 (every Signet credential binds its hashes).
  if (hashes === undefined) throw missingParameter('array', 'hashes');
  if (hashAlgorithmOid === undefined) throw missingParameter('string', 'hashAlgorithmOID');
  const digestLength = digestAlgorithms[digestFromOid(hashAlgorithmOid, 'hashAlgorithmOID')].length;
  if (hashes.some((h) => h.length !== digestLength)) {
    throw new CscError('ERR_CSC_INVALID_REQUEST', 'Invalid digest value length');
  }
  // Refused before any factor is verified, so no PIN attempt or OTP step is spent on it.
  if (new Set(hashes.map((h) => Buffer.from(h).toString('hex'))).size !== hashes.length) {
    throw invalidParameter('hashes');
  }
  if (numSignatures < hashes.length) {
    throw new CscError('ERR_CSC_INVALID_REQUEST', 'Invalid value for parameter numSignatures');
  }
  await requireUsableCredential(deps, row);
  // An enrolled credential's key is held by its owner: no SAD could ever be used with it (and no
  // PIN attempt or OTP step is spent finding that out).
  refuseExternalCredential(row);
  const rawAuthData = body['authData'] ?? [];
  if (!Array.isArray(rawAuthData) || rawAuthData.length > 8) throw invalidParameter('authData');
  const authData = rawAuthData.map((a: unknown) => {
    if (typeof a !== 'object' || a === null || Array.isArray(a)) throw invalidParameter('authData');
    return a as CscBody;
  });
  const factors = await credentialFactors(deps, row);
  if (!factors.pin && !factors.otp) {
    // Sole control (INV-1): a credential without any factor can never be authorised.
    throw new CscError('ERR_CSC_INVALID_REQUEST', 'The credential has no authentication factor');
  }
  const pin = factorValue(body, authData, 'PIN');
  const otp = factorValue(body, authData, 'OTP');
  if (factors.pin && pin === undefined) throw missingParameter('string', 'PIN');
  if (factors.otp && otp === undefined) throw missingParameter('string', 'OTP');
  const who = { userId: caller.info.userId, credentialId: row.id, clientId: caller.info.clientId, ...origin(ctx) };
  // docs/security.md SAD-25: the first factor's success keeps earlier failures counted; only the
  // last factor's success (the whole authorization) clears them, so a known PIN cannot be used
  // to guess OTPs without ever locking.
  if (factors.pin) {
    await deps.authenticator.verifyCredentialPin({ ...who, pin: pin as string, keepFailures: factors.otp });
  }
  if (factors.otp) await deps.authenticator.verifyCredentialOtp({ ...who, code: otp as string });
  const lifetime = deps.limits?.sadLifetimeSeconds ?? 300;
  const issued = await deps.sads.issue({
    ...who,
    clientId: caller.info.clientId,
    hashAlgorithmOid,
    hashes,
    numSignatures,
    lifetimeSeconds: lifetime,
  });
  const expiresIn = Math.round((issued.expiresAt.getTime() - deps.clock.now().getTime()) / 1000);
  return { SAD: issued.sad, expiresIn };
}

/** credentials/authorizeCheck: Signet never answers authorize with 202, so no handle exists. */
export async function credentialsAuthorizeCheck(
  deps: CscDeps,
  rawBody: unknown,
  ctx: CscRequestContext,
  trail: RequestTrail,
): Promise<never> {
  const body = asBody(rawBody);
  await requireBearer(deps, ctx, trail);
  requiredString(body, 'handle', 512);
  throw invalidParameter('handle');
}

/**
 * credentials/getChallenge (CSC v2 §11.8): only for ChallengeResponse objects. Signet's PIN and
 * TOTP are `Password` objects (the TOTP is generated offline), so every authObjectID is invalid.
 */
export async function credentialsGetChallenge(
  deps: CscDeps,
  rawBody: unknown,
  ctx: CscRequestContext,
  trail: RequestTrail,
): Promise<never> {
  const body = asBody(rawBody);
  const caller = await requireBearer(deps, ctx, trail);
  await requireOwnCredential(deps, caller, requiredString(body, 'credentialID', 255), trail);
  requiredString(body, 'authObjectID', 255);
  throw invalidParameter('authObjectID');
}

/**
 * credentials/extendTransaction (CSC API v2 §11.9): exchanges a live SAD of this
 * caller for a NEW SAD for the next hashes of the same transaction (the nested-signature flow,
 * §8 flow 6). `hashes` (+ `hashAlgorithmOID`) are REQUIRED for SCAL2 credentials; the successor
 * authorises at most the remaining count, keeps the original authentication and its expiry
 * ceiling, and the old SAD is retired in the same transaction (SadService.extend; SAD-17).
 */
export async function credentialsExtendTransaction(
  deps: CscDeps,
  rawBody: unknown,
  ctx: CscRequestContext,
  trail: RequestTrail,
): Promise<{ SAD: string; expiresIn: number }> {
  const body = asBody(rawBody);
  const caller = await requireBearer(deps, ctx, trail);
  const row = await requireOwnCredential(deps, caller, requiredString(body, 'credentialID', 255), trail);
  const sad = requiredString(body, 'SAD', 512);
  const hashes = optionalHashes(body, 'hashes', maxHashes(deps));
  const given = optionalString(body, 'hashAlgorithmOID');
  optionalString(body, 'clientData', 4096);
  // CSC v2 §11.9: hashes are REQUIRED for SCAL 2; v2 §14.1: hashAlgorithmOID whenever hashes are given.
  if (hashes === undefined && row.scal !== 'SCAL1') throw missingParameter('array', 'hashes');
  if (hashes !== undefined && given === undefined) throw missingParameter('string', 'hashAlgorithmOID');
  let hashAlgorithmOid = given;
  if (given !== undefined) {
    const digestLength = digestAlgorithms[digestFromOid(given, 'hashAlgorithmOID')].length;
    if (hashes?.some((h) => h.length !== digestLength)) {
      throw new CscError('ERR_CSC_INVALID_REQUEST', 'Invalid digest value length');
    }
  }
  await requireUsableCredential(deps, row);
  if (hashAlgorithmOid === undefined) {
    // SCAL1 renewal without hashes: the SAD's own algorithm (the SadService re-checks the binding).
    const stored = await findSad(deps.store.db, hashSadToken(sad));
    if (stored === undefined || stored.user_id !== caller.info.userId) throw invalidParameter('SAD');
    hashAlgorithmOid = stored.hash_algorithm_oid;
  }
  const extended = await deps.sads.extend({
    sad,
    userId: caller.info.userId,
    credentialId: row.id,
    clientId: caller.info.clientId,
    hashAlgorithmOid,
    ...(hashes === undefined ? {} : { hashes }),
    lifetimeSeconds: deps.limits?.sadLifetimeSeconds ?? 300,
    ...origin(ctx),
  });
  const expiresIn = Math.round((extended.expiresAt.getTime() - deps.clock.now().getTime()) / 1000);
  return { SAD: extended.sad, expiresIn };
}
