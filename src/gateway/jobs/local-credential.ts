/**
 * The credential a job signs with, resolved from this Signet's own credential records (the
 * gateway needs the certificate chain for phase one before any authorization exists, CSC v2
 * §11.5 `cert.certificates`). Signing itself still goes over the CSC API; a job signing at
 * another provider would resolve it through that provider's credentials/info instead.
 */
import { X509Certificate } from 'node:crypto';
import { oids } from '../../cms/index.js';
import { chooseSignAlgorithm, type RemoteCredential } from '../../csc/client/index.js';
import { describePublicKey } from '../../keys/index.js';
import { credentialCertificates, type CredentialRow } from '../../store/index.js';
import { GatewayError } from '../errors.js';

/** The signAlgo values this Signet offers for a key type (as its credentials/info lists them). */
function keyAlgos(keyType: string): string[] {
  return keyType === 'RSA'
    ? [oids.sha256WithRSAEncryption, oids.sha384WithRSAEncryption, oids.sha512WithRSAEncryption, oids.id_RSASSA_PSS]
    : [oids.ecdsa_with_SHA256, oids.ecdsa_with_SHA384, oids.ecdsa_with_SHA512];
}

/** The credential of `row` as a CSC signer sees it; ERR_GATEWAY_CREDENTIAL when it cannot sign. */
export function localCredential(row: CredentialRow): RemoteCredential {
  if (row.status !== 'active') {
    throw new GatewayError('ERR_GATEWAY_CREDENTIAL', `the credential is ${row.status === 'revoked' ? 'revoked' : row.status === 'disabled' ? 'disabled' : 'not active'}`);
  }
  const certificateChain = credentialCertificates(row);
  const leaf = certificateChain[0];
  if (leaf === undefined) throw new GatewayError('ERR_GATEWAY_CREDENTIAL', 'the credential has no certificate');
  const publicKey = new X509Certificate(Buffer.from(leaf)).publicKey;
  const key = describePublicKey(new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })));
  const algo = keyAlgos(key.keyType);
  const algorithm = chooseSignAlgorithm(algo, key);
  return {
    credentialID: row.id,
    certificateChain,
    key,
    algorithm,
    multisign: row.multisign,
    scal: row.scal === 'SCAL2' || row.scal === '2' ? '2' : '1',
    authMode: 'oauth2code',
    authObjects: [],
    info: { key: { status: 'enabled', algo, len: key.keyType === 'RSA' ? key.bits : key.maxSignatureSize * 4 }, multisign: row.multisign },
    publicKey,
  };
}
