/** What the OAuth2 audit entries record about a request: never secrets, only references and what was authorised. */
import type { AuthorizationRequest } from './types.js';

/** What is being authorised, for the audit log (hashes are not secrets; no PINs or tokens). */
export function requestDetails(r: AuthorizationRequest): {
  readonly [key: string]: string | number | readonly string[];
} {
  const c = r.credential;
  return {
    scope: r.scope,
    redirectUri: r.redirectUri,
    ...(c === undefined
      ? {}
      : {
          credentialID: c.credentialId,
          numSignatures: c.numSignatures,
          hashAlgorithmOID: c.hashAlgorithmOid,
          hashes: c.documentDigests.map((d) => d.hash),
        }),
  };
}

/** A non-secret reference for the audit log: a prefix of the stored hash. */
export function ref(hash: Uint8Array): string {
  return Buffer.from(hash.subarray(0, 8)).toString('hex');
}
