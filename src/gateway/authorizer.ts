/**
 * Credential authorization for a set of hashes (CSC v2 §8.2): explicit mode through
 * `credentials/authorize` with PIN/OTP (§11.6), or a scope-`credential` bearer token that is
 * itself the SAD (§8.4, obtained by the OAuth 2.0 code flow beforehand).
 */
import { explicitAuthData, type CscClient, type ExplicitSecrets, type RemoteCredential } from '../csc/client/index.js';
import { GatewayError } from './errors.js';

/** What one authorization covers. */
export interface HashAuthorizationRequest {
  readonly credentialID: string;
  /** Standard Base64 DTBS/R digests (SCAL 2 binds the SAD to exactly these). */
  readonly hashes: readonly string[];
  readonly hashAlgorithmOID: string;
  readonly numSignatures: number;
}

/**
 * What authorizes the hashes: a SAD string (explicit mode), `{ accessToken }` — a scope-`credential`
 * OAuth token that becomes the bearer of these signHash calls, with no SAD (CSC v2 §8.4) — or
 * undefined when the client's bearer already authorizes them.
 */
export type HashAuthorization = string | { readonly accessToken: string } | undefined;

/** Obtains the authorization for `request` (once per group of ≤ multisign hashes). */
export type HashAuthorizer = (request: HashAuthorizationRequest) => Promise<HashAuthorization>;

/**
 * Explicit authorization with the person's PIN and OTP. `secrets` is called once per
 * authorization (an OTP is single-use, so each call may need a fresh one).
 *
 * @example
 * ```ts
 * const authorize = explicitAuthorizer(client, credential, async () => ({ pin, otp: await askOtp() }));
 * ```
 */
export function explicitAuthorizer(
  client: CscClient,
  credential: RemoteCredential,
  secrets: () => ExplicitSecrets | Promise<ExplicitSecrets>,
  description?: string,
): (request: HashAuthorizationRequest) => Promise<string> {
  return async (request) => {
    const authData = explicitAuthData(credential.authObjects, await secrets());
    const reply = await client.authorize({
      credentialID: request.credentialID,
      numSignatures: request.numSignatures,
      hashes: request.hashes,
      hashAlgorithmOID: request.hashAlgorithmOID,
      authData,
      ...(description === undefined ? {} : { description }),
    });
    if (reply.SAD === undefined) {
      // CSC v2 §11.6: a 202 {handle} means the authorization continues out of band.
      throw new GatewayError('ERR_GATEWAY_AUTHORIZATION', 'the provider answered with an asynchronous authorization handle, which this client does not poll');
    }
    return reply.SAD;
  };
}

/**
 * The bearer is a scope-`credential` access token (CSC v2 §8.4 "can substitute for the SAD"),
 * already bound to the hashes: no further call, signHash goes without `SAD`.
 */
export function bearerAuthorizer(): HashAuthorizer {
  return () => Promise.resolve(undefined);
}
