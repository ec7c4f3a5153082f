/**
 * A credential of a CSC provider as a signer needs it: certificate chain, key facts, the chosen
 * signature algorithm and the authorization it asks for (CSC v2 §11.5, §8.3).
 */
import { X509Certificate, type KeyObject } from 'node:crypto';
import { verifySignatureValue } from '../../cms/verify-signature.js';
import { describePublicKey, type PublicKeyInfo } from '../../keys/index.js';
import type { CscClient } from './csc-client.js';
import { CscClientError } from './errors.js';
import { chooseSignAlgorithm, normalizeSignatureValue, type CscSignAlgorithm, type SignAlgorithmPreference } from './sign-algorithm.js';
import type { CscAuthObject, CscCredentialInfo } from './types.js';

/** A resolved credential. */
export interface RemoteCredential {
  readonly credentialID: string;
  /** DER certificates, leaf first (as `cert.certificates`, CSC v2 §11.5). */
  readonly certificateChain: readonly Uint8Array[];
  readonly key: PublicKeyInfo;
  readonly algorithm: CscSignAlgorithm;
  /** Maximum signatures per authorization (≥ 1). */
  readonly multisign: number;
  /** `"1"` or `"2"` (SCAL 2: the hashes must be given at authorization). */
  readonly scal: '1' | '2';
  /** `explicit` or `oauth2code`. */
  readonly authMode: string;
  readonly authObjects: readonly CscAuthObject[];
  readonly info: CscCredentialInfo;
  readonly publicKey: KeyObject;
}

/**
 * Fetches `credentials/info` (with the chain and the auth objects) and resolves the signature
 * algorithm. Refuses a disabled key or a credential without a certificate.
 *
 * @example
 * ```ts
 * const credential = await loadRemoteCredential(client, 'cred-1', { digest: 'SHA-256' });
 * ```
 */
export async function loadRemoteCredential(
  client: CscClient,
  credentialID: string,
  preference: SignAlgorithmPreference = {},
): Promise<RemoteCredential> {
  const info = await client.credentialInfo({ credentialID, certificates: 'chain', authInfo: true });
  return remoteCredentialFromInfo(credentialID, info, preference);
}

/**
 * The credential described by a `credentials/info` answer `info` (read earlier, e.g. kept with a
 * job): the same checks as loadRemoteCredential.
 */
export function remoteCredentialFromInfo(
  credentialID: string,
  info: CscCredentialInfo,
  preference: SignAlgorithmPreference = {},
): RemoteCredential {
  if (info.key.status !== undefined && info.key.status !== 'enabled') {
    throw new CscClientError('ERR_CSC_CLIENT_CREDENTIAL', `credential ${credentialID} is ${info.key.status}`);
  }
  const encoded = info.cert?.certificates ?? [];
  if (encoded.length === 0) {
    throw new CscClientError('ERR_CSC_CLIENT_CREDENTIAL', `credential ${credentialID} has no certificate`);
  }
  const certificateChain = encoded.map((c) => new Uint8Array(Buffer.from(c, 'base64')));
  let publicKey: KeyObject;
  let key: PublicKeyInfo;
  try {
    publicKey = new X509Certificate(Buffer.from(certificateChain[0] as Uint8Array)).publicKey;
    key = describePublicKey(new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })));
  } catch (cause) {
    throw new CscClientError('ERR_CSC_CLIENT_CREDENTIAL', `credential ${credentialID}: the certificate cannot be used`, { cause });
  }
  const algorithm = chooseSignAlgorithm(info.key.algo, key, preference);
  return {
    credentialID,
    certificateChain,
    key,
    algorithm,
    multisign: info.multisign ?? 1,
    scal: info.SCAL === '2' ? '2' : '1',
    authMode: info.auth?.mode ?? 'explicit',
    authObjects: info.auth?.objects ?? [],
    info,
    publicKey,
  };
}

/**
 * Normalises a signature value returned for `data` (the DTBS, e.g. the DER signed attributes)
 * and checks it with the certificate's public key; throws `ERR_CSC_CLIENT_SIGNATURE_INVALID`
 * when it does not verify, so a wrong or substituted signature is never embedded.
 */
export function checkRemoteSignature(credential: RemoteCredential, data: Uint8Array, signature: Uint8Array): Uint8Array {
  const value = normalizeSignatureValue(signature, credential.key);
  // The one output self-check (cms/verify-signature): RFC 4055 §3.1 PSS with MGF1 over the same
  // hash and a salt of hLen octets, ECDSA as DER.
  const ok = verifySignatureValue(credential.publicKey, credential.algorithm.signatureAlgorithm, data, value);
  if (!ok) {
    throw new CscClientError('ERR_CSC_CLIENT_SIGNATURE_INVALID', `the provider returned a signature that does not verify with credential ${credential.credentialID}'s certificate`);
  }
  return value;
}

/** The secrets a person gives for explicit authorization. */
export interface ExplicitSecrets {
  readonly pin?: string;
  readonly otp?: string;
}

/**
 * Builds `authData` for `credentials/authorize` from the credential's auth objects (CSC v2
 * §8.3): an object whose id is `OTP` or whose generator is `totp`/`hotp` gets the OTP, another
 * `Password` object the PIN, and out-of-band objects an id alone. Without auth objects (a
 * provider that omits `auth`), sends `PIN` and `OTP` by their conventional ids.
 */
export function explicitAuthData(objects: readonly CscAuthObject[], secrets: ExplicitSecrets): { id: string; value?: string }[] {
  if (objects.length === 0) {
    return [
      ...(secrets.pin === undefined ? [] : [{ id: 'PIN', value: secrets.pin }]),
      ...(secrets.otp === undefined ? [] : [{ id: 'OTP', value: secrets.otp }]),
    ];
  }
  return objects.map((o) => {
    if (o.type.endsWith('OOB')) return { id: o.id };
    const isOtp = /otp/i.test(o.id) || o.generator === 'totp' || o.generator === 'hotp';
    const value = isOtp ? secrets.otp : secrets.pin;
    if (value === undefined) {
      throw new CscClientError('ERR_CSC_CLIENT_CONFIG', `the credential asks for ${o.id} (${isOtp ? 'an OTP' : 'a PIN'}), none was given`);
    }
    return { id: o.id, value };
  });
}
