/**
 * Signing a pre-computed digest with a node:crypto private key: RSASSA-PKCS1-v1_5 (RFC 8017
 * §8.2.1 over EMSA-PKCS1-v1_5), RSASSA-PSS (§8.1.1 over EMSA-PSS) and ECDSA (FIPS 186-5 §6.4.1).
 */
import { constants, privateEncrypt, randomBytes, type KeyObject } from 'node:crypto';
import { digestAlgorithms } from '../../cms/algorithms.js';
import { asBytes } from '../../core/bytes.js';
import type { SignRequest } from '../key-backend.js';
import { assertDigestLength, encodeDigestInfo } from '../digest-info.js';
import { emsaPssEncode } from '../emsa-pss.js';
import { KeyBackendError } from '../errors.js';
import { signEcdsaPrehash } from './ecdsa-prehash.js';

/**
 * A signature request inside the software keystore: with `expectedPoint` (the uncompressed
 * public point the result must verify under) an ECDSA signature is checked by its signer before it
 * is returned (ecdsa-prehash.ts, docs/security.md SAD-24); the other schemes ignore it. It travels
 * to a signing thread with the request.
 */
export interface SoftwareSignRequest extends SignRequest {
  readonly expectedPoint?: Uint8Array;
}

/**
 * Signs `request.digest` with `privateKey`. RSA results are `k` bytes; ECDSA results are DER.
 * Low level: for use inside `src/keys` only; nothing above it holds a private key.
 */
export function signDigest(privateKey: KeyObject, request: SoftwareSignRequest): Uint8Array {
  assertDigestLength(request.digestAlgorithm, request.digest);
  const type = privateKey.asymmetricKeyType;
  switch (request.scheme) {
    case 'RSASSA-PKCS1-v1_5': {
      if (type !== 'rsa') throw mismatch(request.scheme, type);
      // RSA_PKCS1_PADDING on privateEncrypt is EMSA-PKCS1-v1_5 block type 01 (RFC 8017 §9.2 step 5).
      const t = encodeDigestInfo(request.digestAlgorithm, request.digest);
      return asBytes(privateEncrypt({ key: privateKey, padding: constants.RSA_PKCS1_PADDING }, t));
    }
    case 'RSASSA-PSS': {
      if (type !== 'rsa') throw mismatch(request.scheme, type);
      const modBits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
      const k = Math.ceil(modBits / 8);
      // RFC 8017 §8.1.1 step 1: emBits = modBits - 1; EM is left-padded to k octets for RSASP1.
      const em = emsaPssEncode(
        request.digestAlgorithm,
        request.digest,
        modBits - 1,
        randomBytes(request.saltLength ?? digestAlgorithms[request.digestAlgorithm].length),
      );
      const block = new Uint8Array(k);
      block.set(em, k - em.length);
      return asBytes(privateEncrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, block));
    }
    case 'ECDSA': {
      if (type !== 'ec') throw mismatch(request.scheme, type);
      return signEcdsaPrehash(privateKey, request.digest, request.expectedPoint);
    }
    default: {
      const never: never = request.scheme;
      throw new KeyBackendError(
        'ERR_KEY_MECHANISM_UNSUPPORTED',
        `unsupported scheme ${String(never)}`,
      );
    }
  }
}

function mismatch(scheme: string, type: string | undefined): KeyBackendError {
  return new KeyBackendError(
    'ERR_KEY_MECHANISM_UNSUPPORTED',
    `${scheme} cannot be used with a ${type ?? 'unknown'} key`,
  );
}
