/**
 * The adapter from a key backend to the CMS/PAdES `Signer` (src/cms/signer.ts): hashes the data,
 * asks the backend to sign the digest, and checks the result against the certificate's public
 * key before releasing it (guards against faulty signatures, e.g. RSA-CRT faults).
 */
import { createHash, X509Certificate, type KeyObject } from 'node:crypto';
import type { SignatureAlgorithm } from '../cms/algorithms.js';
import { digestAlgorithms, resolveSignatureAlgorithm } from '../cms/algorithms.js';
import type { Signer } from '../cms/signer.js';
import { verifySignatureValue } from '../cms/verify-signature.js';
import type { KeyBackend, KeyRef, PreparedKey, SignRequest } from './key-backend.js';
import { KeyBackendError } from './errors.js';
import { describePublicKey } from './public-key-info.js';

/** Options of `keySigner`. */
export interface KeySignerOptions {
  /**
   * Verify every signature with the leaf certificate's public key before returning it
   * (default true). A mismatch throws `ERR_KEY_SIGN_FAILED` and releases nothing.
   */
  readonly verifyOutput?: boolean;
}

function leafPublicKey(certificateChain: readonly Uint8Array[]): KeyObject {
  const leaf = certificateChain[0];
  if (leaf === undefined) {
    throw new KeyBackendError(
      'ERR_KEY_SPEC_UNSUPPORTED',
      'a signer needs at least the leaf certificate',
    );
  }
  try {
    return new X509Certificate(leaf).publicKey;
  } catch (err) {
    throw new KeyBackendError(
      'ERR_KEY_SPEC_UNSUPPORTED',
      'the leaf certificate is not valid X.509',
      {
        cause: err,
      },
    );
  }
}

/**
 * A `Signer` that signs with key `ref` of `backend` (or with a key prepared before, see
 * `prepareKey`; `ref` then only names it in errors). `certificateChain` is DER, leaf first; the
 * leaf's public key must be the key's. The key type must fit the algorithm (RSA for PKCS#1 and
 * PSS, EC for ECDSA), else `ERR_KEY_MECHANISM_UNSUPPORTED` is thrown at once.
 *
 * @example
 * ```ts
 * const signer = keySigner(keystore, 'keystore:alice-1', [leafDer, caDer], {
 *   scheme: 'ECDSA',
 *   digest: 'SHA-256',
 * });
 * const signature = await signer.sign(signedAttributesDer);
 * ```
 */
export function keySigner(
  backend: KeyBackend | PreparedKey,
  ref: KeyRef,
  certificateChain: readonly Uint8Array[],
  signatureAlgorithm: SignatureAlgorithm,
  options: KeySignerOptions = {},
): Signer {
  const entry = resolveSignatureAlgorithm(signatureAlgorithm);
  const publicKey = leafPublicKey(certificateChain);
  const info = describePublicKey(new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })));
  if (info.keyType !== entry.keyType) {
    throw new KeyBackendError(
      'ERR_KEY_MECHANISM_UNSUPPORTED',
      `${entry.id} needs an ${entry.keyType} key, the certificate holds an ${info.keyType} key`,
    );
  }
  const digest = digestAlgorithms[entry.digest];
  const verifyOutput = options.verifyOutput ?? true;
  const chain = Object.freeze([...certificateChain]);
  const isBackend = 'generateKey' in backend;
  const signWith = (request: SignRequest): Promise<Uint8Array> =>
    isBackend ? backend.sign(ref, request) : backend.sign(request);
  const backendKind = isBackend ? backend.kind : 'prepared';
  const algorithm = Object.freeze({ scheme: entry.scheme, digest: entry.digest });
  return Object.freeze({
    certificateChain: chain,
    signatureAlgorithm: algorithm,
    maxSignatureSize: () => info.maxSignatureSize,
    async sign(data: Uint8Array): Promise<Uint8Array> {
      const hash = createHash(digest.nodeName).update(data).digest();
      const signature = await signWith({
        scheme: entry.scheme,
        digestAlgorithm: entry.digest,
        digest: new Uint8Array(hash),
      });
      // The one output self-check (cms/verify-signature): RFC 4055 §3.1 PSS with MGF1 over the
      // same hash and a salt of hLen octets, ECDSA as DER.
      if (verifyOutput && !verifySignatureValue(publicKey, algorithm, data, signature)) {
        throw new KeyBackendError(
          'ERR_KEY_SIGN_FAILED',
          'the key produced a signature that does not verify with the certificate',
          { detail: { ref, backend: backendKind } },
        );
      }
      return signature;
    },
  });
}
