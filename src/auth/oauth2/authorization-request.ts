/**
 * Validation of an authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3, RFC 9396, CSC API v2
 * §8.4.2). Errors found before the client and its redirect URI are verified are shown to the
 * user and never redirected (RFC 6749 §4.1.2.1, RFC 9700 §4.11); later ones go back to the client.
 */
import { digestByOid } from '../../cms/index.js';
import { findOAuthClient, type OAuthClient } from '../../store/index.js';
import { maxSadSignatures } from '../sad.js';
import { generateOpaqueToken } from '../opaque-token.js';
import { resolveDocumentRefs } from './consent-documents.js';
import { OAuth2Error } from './errors.js';
import { refuseRepeated, single } from './params.js';
import { isS256Challenge } from './pkce.js';
import { isRegisteredRedirectUri } from './redirect-uri.js';
import type {
  AuthorizationRequest,
  CredentialAuthorization,
  OAuth2Deps,
  RawParams,
} from './types.js';

/** The outcome: a valid request, an error page, or an error to redirect to the verified client. */
export type AuthorizationRequestValidation =
  | { readonly kind: 'valid'; readonly request: AuthorizationRequest; readonly client: OAuthClient }
  | { readonly kind: 'show'; readonly error: OAuth2Error }
  | {
      readonly kind: 'redirect';
      readonly error: OAuth2Error;
      readonly redirectUri: string;
      readonly state?: string;
      readonly clientId: string;
    };

/** CSC v2 §8.4.2 RAR type, and the URI form CSC API v2.2.0.0 added. */
export const credentialRarTypes: readonly string[] = [
  'credential',
  'https://cloudsignatureconsortium.org/2025/credential',
];

const MAX_STATE = 1024;
const MAX_CREDENTIAL_ID = 256;
const MAX_DESCRIPTION = 500;
const MAX_LABEL = 200;
const CREDENTIAL_PARAMS = [
  'credentialID',
  'numSignatures',
  'hashes',
  'hashAlgorithmOID',
  'signatureQualifier',
];

function invalid(message: string): OAuth2Error {
  return new OAuth2Error('ERR_OAUTH2_INVALID_REQUEST', message);
}

function invalidDetails(message: string): OAuth2Error {
  return new OAuth2Error('ERR_OAUTH2_INVALID_AUTHORIZATION_DETAILS', message);
}

/** Validates the query of GET /oauth2/authorize. */
export async function validateAuthorizationRequest(
  deps: Pick<OAuth2Deps, 'store' | 'clock' | 'documents' | 'pkceRequiredForConfidentialClients'>,
  params: RawParams,
): Promise<AuthorizationRequestValidation> {
  // Step 1 (shown, never redirected): the client and its exact redirect URI.
  let clientId: string | undefined;
  let redirectUri: string | undefined;
  try {
    clientId = single(params, 'client_id');
    redirectUri = single(params, 'redirect_uri');
  } catch (err) {
    if (err instanceof OAuth2Error) return { kind: 'show', error: err };
    throw err;
  }
  if (clientId === undefined || clientId.length > 200) {
    return {
      kind: 'show',
      error: new OAuth2Error(
        'ERR_OAUTH2_UNKNOWN_CLIENT',
        'the client_id parameter is missing or invalid',
      ),
    };
  }
  const client = await findOAuthClient(deps.store.db, clientId);
  if (client === undefined) {
    return {
      kind: 'show',
      error: new OAuth2Error('ERR_OAUTH2_UNKNOWN_CLIENT', 'the client is not registered'),
    };
  }
  // CSC v2 §8.4.2 lets redirect_uri default to a registered one; Signet requires it (docs/security.md OA-02).
  if (redirectUri === undefined) {
    return {
      kind: 'show',
      error: new OAuth2Error('ERR_OAUTH2_REDIRECT_URI', 'the redirect_uri parameter is missing'),
    };
  }
  if (!isRegisteredRedirectUri(redirectUri, client.redirectUris)) {
    return {
      kind: 'show',
      error: new OAuth2Error(
        'ERR_OAUTH2_REDIRECT_URI',
        'the redirect_uri is not registered for this client',
      ),
    };
  }
  // Step 2: everything else is reported to the client's redirect URI, with its state.
  let state: string | undefined;
  try {
    state = single(params, 'state');
  } catch (err) {
    if (err instanceof OAuth2Error) return { kind: 'redirect', error: err, redirectUri, clientId };
    throw err;
  }
  try {
    if (state !== undefined && state.length > MAX_STATE) {
      state = undefined;
      throw invalid(`the state parameter is longer than ${MAX_STATE} characters`);
    }
    const rest = validateRest(deps, params, client, redirectUri, state);
    // Contract 3: document_refs name the documents shown at consent, one per hash, in order.
    const rawRefs = single(params, 'document_refs');
    if (rawRefs !== undefined && deps.documents === undefined) {
      throw invalid('this server does not take documents at consent');
    }
    const documents = await resolveDocumentRefs(deps, rawRefs, client.id, rest.credential);
    const request: AuthorizationRequest = {
      ...rest,
      requestId: generateOpaqueToken().token,
      ...(documents === undefined ? {} : { documents }),
    };
    return { kind: 'valid', request, client };
  } catch (err) {
    if (err instanceof OAuth2Error) {
      return {
        kind: 'redirect',
        error: err,
        redirectUri,
        clientId,
        ...(state === undefined ? {} : { state }),
      };
    }
    throw err;
  }
}

function validateRest(
  deps: Pick<OAuth2Deps, 'pkceRequiredForConfidentialClients'>,
  params: RawParams,
  client: OAuthClient,
  redirectUri: string,
  state: string | undefined,
): AuthorizationRequest {
  refuseRepeated(params);
  const p = (name: string): string | undefined => single(params, name);
  // RFC 9126 §2.1: a pushed request cannot itself carry request_uri; JAR is not supported.
  if (p('request_uri') !== undefined || p('request') !== undefined) {
    throw invalid('request and request_uri are not accepted here');
  }
  // RFC 6749 §4.1.1; CSC v2 §8.4.2: the implicit grant SHALL NOT be used.
  const responseType = p('response_type');
  if (responseType === undefined) throw invalid('the response_type parameter is missing');
  if (responseType !== 'code') {
    throw new OAuth2Error(
      'ERR_OAUTH2_UNSUPPORTED_RESPONSE_TYPE',
      'only response_type=code is supported',
    );
  }
  // RFC 7636 §4.3 with RFC 9700 §2.1.1: S256 only, required for public clients.
  const method = p('code_challenge_method');
  const challenge = p('code_challenge');
  if (method !== undefined && method !== 'S256') {
    throw invalid('code_challenge_method must be S256');
  }
  if (challenge === undefined) {
    if (method !== undefined)
      throw invalid('code_challenge_method was sent without code_challenge');
    if (client.clientType === 'public' || deps.pkceRequiredForConfidentialClients !== false) {
      throw invalid('code_challenge is required (PKCE, RFC 7636)');
    }
  } else {
    // RFC 7636 §4.3: the method defaults to plain, which Signet refuses.
    if (method === undefined) throw invalid('code_challenge_method must be S256');
    if (!isS256Challenge(challenge)) throw invalid('code_challenge is not an S256 challenge');
  }

  const details = p('authorization_details');
  const rawScope = p('scope');
  let scope: 'service' | 'credential';
  let credential: CredentialAuthorization | undefined;
  if (details !== undefined) {
    // CSC v2 §8.4.2: with authorization_details, every credential parameter goes inside it.
    if (rawScope !== undefined || CREDENTIAL_PARAMS.some((n) => p(n) !== undefined)) {
      throw invalid('authorization_details cannot be combined with scope or credential parameters');
    }
    scope = 'credential';
    credential = parseAuthorizationDetails(details);
  } else {
    scope = parseScope(rawScope ?? 'service');
    if (scope === 'credential') {
      credential = parseCredentialParams(p);
    } else if (CREDENTIAL_PARAMS.some((n) => p(n) !== undefined)) {
      throw invalid('credential parameters need scope=credential');
    }
  }
  if (!client.allowedScopes.includes(scope)) {
    throw new OAuth2Error(
      'ERR_OAUTH2_INVALID_SCOPE',
      `the client may not request the ${scope} scope`,
    );
  }
  const description = p('description');
  if (description !== undefined && description.length > MAX_DESCRIPTION) {
    throw invalid(`description is longer than ${MAX_DESCRIPTION} characters`);
  }
  const lang = p('lang');
  return {
    clientId: client.id,
    clientName: client.name,
    redirectUri,
    ...(state === undefined ? {} : { state }),
    ...(challenge === undefined ? {} : { codeChallenge: challenge }),
    scope,
    ...(credential === undefined ? {} : { credential }),
    ...(description === undefined ? {} : { description }),
    ...(lang !== undefined && /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3}$/.test(lang) ? { lang } : {}),
  };
}

/** CSC v2 §8.4.2: `service` or `credential`, never both in one request (docs/security.md OA-21). */
function parseScope(raw: string): 'service' | 'credential' {
  const scopes = raw.split(' ');
  if (scopes.length !== 1) {
    throw new OAuth2Error(
      'ERR_OAUTH2_INVALID_SCOPE',
      'request exactly one scope: service or credential',
    );
  }
  if (raw === 'service' || raw === 'credential') return raw;
  throw new OAuth2Error('ERR_OAUTH2_INVALID_SCOPE', 'the scope must be service or credential');
}

function parseCredentialParams(p: (name: string) => string | undefined): CredentialAuthorization {
  const credentialId = p('credentialID');
  if (credentialId === undefined) {
    throw invalid(
      p('signatureQualifier') === undefined
        ? 'scope=credential needs credentialID'
        : 'signatureQualifier is not supported; send credentialID',
    );
  }
  const hashAlgorithmOid = p('hashAlgorithmOID');
  const hashes = p('hashes');
  // SCAL2 (CSC v2 §8.4.2): the hashes are bound at authorization time, so they are required.
  if (hashes === undefined) throw invalid('scope=credential needs hashes (SCAL2)');
  if (hashAlgorithmOid === undefined) throw invalid('hashes need hashAlgorithmOID');
  const rawN = p('numSignatures');
  if (rawN === undefined) throw invalid('scope=credential needs numSignatures');
  if (!/^[1-9][0-9]{0,5}$/.test(rawN)) throw invalid('numSignatures must be a positive integer');
  // CSC v2 §8.4.2: hashes in the query are base64url, comma-separated.
  const digests = hashes.split(',').map((h) => {
    if (!/^[A-Za-z0-9_-]+$/.test(h))
      throw invalid('hashes must be base64url values separated by commas');
    return { hash: Buffer.from(h, 'base64url').toString('base64') };
  });
  return checkCredential(
    {
      credentialId,
      numSignatures: Number(rawN),
      hashAlgorithmOid,
      documentDigests: digests,
    },
    invalid,
  );
}

function parseAuthorizationDetails(raw: string): CredentialAuthorization {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw invalidDetails('authorization_details is not JSON');
  }
  // RFC 9396 §2: a JSON array of objects; Signet authorises one credential per request.
  if (!Array.isArray(parsed) || parsed.length !== 1 || !isObject(parsed[0])) {
    throw invalidDetails('authorization_details must be an array with one credential object');
  }
  const d = parsed[0];
  if (typeof d['type'] !== 'string' || !credentialRarTypes.includes(d['type'])) {
    throw invalidDetails('the authorization_details type must be credential');
  }
  const credentialId = d['credentialID'];
  if (typeof credentialId !== 'string' || credentialId === '') {
    throw invalidDetails(
      d['signatureQualifier'] === undefined
        ? 'authorization_details needs credentialID'
        : 'signatureQualifier is not supported; send credentialID',
    );
  }
  const oid = d['hashAlgorithmOID'];
  if (typeof oid !== 'string') throw invalidDetails('authorization_details needs hashAlgorithmOID');
  const list = d['documentDigests'];
  if (!Array.isArray(list) || list.length === 0 || list.length > maxSadSignatures) {
    throw invalidDetails('authorization_details needs documentDigests');
  }
  const documentDigests = list.map((entry: unknown) => {
    if (!isObject(entry) || typeof entry['hash'] !== 'string') {
      throw invalidDetails('each documentDigests entry needs a hash');
    }
    const hash = entry['hash'];
    // CSC v2 §8.4.2: documentDigests[].hash is standard base64; only the canonical form is accepted.
    if (
      !/^[A-Za-z0-9+/]+={0,2}$/.test(hash) ||
      Buffer.from(hash, 'base64').toString('base64') !== hash
    ) {
      throw invalidDetails('documentDigests hashes must be base64');
    }
    const label = entry['label'];
    if (label !== undefined && (typeof label !== 'string' || label.length > MAX_LABEL)) {
      throw invalidDetails(
        `a documentDigests label must be a string of at most ${MAX_LABEL} characters`,
      );
    }
    // Only DTBS/R digests can be signed with signHash (CSC API v2.2.0.0 `hashType` in authorization_details).
    if (entry['hashType'] !== undefined && entry['hashType'] !== 'DTBSR') {
      throw invalidDetails('only hashType DTBSR is supported');
    }
    return { hash, ...(typeof label === 'string' ? { label } : {}) };
  });
  const n = d['numSignatures'] ?? documentDigests.length;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) {
    throw invalidDetails('numSignatures must be an integer');
  }
  return checkCredential(
    { credentialId, numSignatures: n, hashAlgorithmOid: oid, documentDigests, rarType: d['type'] },
    invalidDetails,
  );
}

/** docs/security.md SAD-18: inconsistent authorizations are refused before anything is stored. */
function checkCredential(
  c: CredentialAuthorization,
  fail: (message: string) => OAuth2Error,
): CredentialAuthorization {
  if (c.credentialId.length > MAX_CREDENTIAL_ID) throw fail('credentialID is too long');
  const digest = digestByOid(c.hashAlgorithmOid);
  if (digest === undefined) throw fail('the hash algorithm is not supported');
  const seen = new Set<string>();
  for (const { hash } of c.documentDigests) {
    if (Buffer.from(hash, 'base64').length !== digest.length) {
      throw fail(`a hash does not have the ${digest.length} bytes of ${digest.name}`);
    }
    if (seen.has(hash)) throw fail('a hash is listed twice');
    seen.add(hash);
  }
  if (c.documentDigests.length > maxSadSignatures) throw fail(`at most ${maxSadSignatures} hashes`);
  if (c.numSignatures < c.documentDigests.length || c.numSignatures > maxSadSignatures) {
    throw fail(`numSignatures must be between the number of hashes and ${maxSadSignatures}`);
  }
  return c;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
