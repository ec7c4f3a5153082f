/**
 * Signing a whole message with a node:crypto private key: OpenSSL hashes and signs in one call
 * (RSASSA-PKCS1-v1_5 and RSASSA-PSS, RFC 8017 §8.2.1/§8.1.1; ECDSA, FIPS 186-5 §6.4.1). The same
 * signature as `signDigest` over the message's digest, at the cost of OpenSSL's own sign — ECDSA
 * over a bare digest has to run its arithmetic in BigInt (ecdsa-prehash.ts), since node:crypto
 * cannot sign a pre-computed digest with an EC key.
 */
import { constants, sign, type KeyObject } from 'node:crypto';
import { digestAlgorithms } from '../../cms/algorithms.js';
import { asBytes } from '../../core/bytes.js';
import type { MessageSignRequest } from '../key-backend.js';
import { KeyBackendError } from '../errors.js';

/**
 * Signs `request.message` with `privateKey`. RSA results are `k` bytes; ECDSA results are DER.
 * Low level: for use inside `src/keys` only; nothing above it holds a private key.
 */
export function signMessage(privateKey: KeyObject, request: MessageSignRequest): Uint8Array {
  const type = privateKey.asymmetricKeyType;
  const hash = digestAlgorithms[request.digestAlgorithm].nodeName;
  switch (request.scheme) {
    case 'RSASSA-PKCS1-v1_5':
      if (type !== 'rsa') throw mismatch(request.scheme, type);
      return asBytes(sign(hash, request.message, { key: privateKey, padding: constants.RSA_PKCS1_PADDING }));
    case 'RSASSA-PSS':
      if (type !== 'rsa') throw mismatch(request.scheme, type);
      // RFC 4055 §3.1: the salt is as long as the hash unless said otherwise (as signDigest).
      return asBytes(
        sign(hash, request.message, {
          key: privateKey,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: request.saltLength ?? digestAlgorithms[request.digestAlgorithm].length,
        }),
      );
    case 'ECDSA':
      if (type !== 'ec') throw mismatch(request.scheme, type);
      // RFC 3279 §2.2.3 Ecdsa-Sig-Value, as every ECDSA signature of the keys domain: node:crypto's
      // default dsaEncoding ('der'), so the KeyObject goes alone (no options object to parse).
      return asBytes(sign(hash, request.message, privateKey));
    default: {
      const never: never = request.scheme;
      throw new KeyBackendError('ERR_KEY_MECHANISM_UNSUPPORTED', `unsupported scheme ${String(never)}`);
    }
  }
}

function mismatch(scheme: string, type: string | undefined): KeyBackendError {
  return new KeyBackendError('ERR_KEY_MECHANISM_UNSUPPORTED', `${scheme} cannot be used with a ${type ?? 'unknown'} key`);
}
