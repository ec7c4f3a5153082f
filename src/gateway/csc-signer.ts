/**
 * A CMS/PAdES `Signer` backed by a CSC credential (pyHanko's CSCSigner): each `sign` authorizes
 * the one DTBS/R hash and calls `signatures/signHash` (CSC v2 §11.6, §11.10). For many
 * documents use `signBatch`, which authorizes once for all of them.
 */
import { createHash } from 'node:crypto';
import { digestAlgorithms, type Signer } from '../cms/index.js';
import { checkRemoteSignature, type CscClient, type RemoteCredential } from '../csc/client/index.js';
import type { HashAuthorizer } from './authorizer.js';

/**
 * Returns a `Signer` for `credential`. Every signature is checked with the certificate before it
 * is returned.
 *
 * @example
 * ```ts
 * const signer = cscSigner(client, credential, explicitAuthorizer(client, credential, () => ({ pin, otp })));
 * const signed = await signPdf(pdf, signer, { signingTime: clock.now() });
 * ```
 */
export function cscSigner(client: CscClient, credential: RemoteCredential, authorize: HashAuthorizer): Signer {
  const { signatureAlgorithm, signAlgo, signAlgoParams, hashAlgorithmOID } = credential.algorithm;
  const digest = digestAlgorithms[signatureAlgorithm.digest];
  return Object.freeze({
    certificateChain: credential.certificateChain,
    signatureAlgorithm,
    maxSignatureSize: () => credential.key.maxSignatureSize,
    async sign(data: Uint8Array): Promise<Uint8Array> {
      const hash = createHash(digest.nodeName).update(data).digest('base64');
      const authorization = await authorize({ credentialID: credential.credentialID, hashes: [hash], hashAlgorithmOID: digest.oid, numSignatures: 1 });
      const sad = typeof authorization === 'string' ? authorization : undefined;
      const via = typeof authorization === 'object' ? client.withAccessToken(authorization.accessToken) : client;
      const { signatures } = await via.signHash({
        credentialID: credential.credentialID,
        ...(sad === undefined ? {} : { SAD: sad }),
        hashes: [hash],
        signAlgo,
        ...(hashAlgorithmOID === undefined ? {} : { hashAlgorithmOID }),
        ...(signAlgoParams === undefined ? {} : { signAlgoParams }),
      });
      return checkRemoteSignature(credential, data, new Uint8Array(Buffer.from(signatures[0] as string, 'base64')));
    },
  });
}
