/**
 * Password-based decryption for PKCS#12 contents: PBES2 with PBKDF2 (RFC 8018 §6.2, the
 * OpenSSL 3 default: HMAC-SHA256, AES-256-CBC) and the PKCS#12 PBE schemes (RFC 7292 App. C:
 * 3-key 3DES, 40/128-bit RC2 as written by `openssl pkcs12 -legacy`). Iterations are bounded.
 */
import { createDecipheriv, pbkdf2Sync } from 'node:crypto';
import { AsnParser, OctetString } from '@peculiar/asn1-schema';
import type { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { Pbes2Params, Pbkdf2Params, Pkcs12PbeParams } from '../../cms/index.js';
import { asBytes } from '../../core/bytes.js';
import { LocalKeyError } from './errors.js';
import { bmpPassword, pkcs12Kdf } from './pkcs12-kdf.js';
import { rc2CbcDecrypt } from './rc2.js';

/** Upper bound on PBKDF2 / PKCS#12 KDF iterations: refuses CPU-exhaustion files. */
export const MAX_ITERATIONS = 10_000_000;

/** PBES2 / PBKDF2 and cipher OIDs (RFC 8018 App. C, NIST CSOR). */
const pbeOids = {
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  pbeWithSHAAnd3_KeyTripleDES_CBC: '1.2.840.113549.1.12.1.3',
  pbeWithSHAAnd128BitRC2_CBC: '1.2.840.113549.1.12.1.5',
  pbeWithSHAAnd40BitRC2_CBC: '1.2.840.113549.1.12.1.6',
} as const;

const prfs: Readonly<Record<string, 'sha1' | 'sha256' | 'sha384' | 'sha512'>> = {
  '1.2.840.113549.2.7': 'sha1',
  '1.2.840.113549.2.9': 'sha256',
  '1.2.840.113549.2.10': 'sha384',
  '1.2.840.113549.2.11': 'sha512',
};

const pbes2Ciphers: Readonly<Record<string, { name: string; keyLength: number }>> = {
  '2.16.840.1.101.3.4.1.2': { name: 'aes-128-cbc', keyLength: 16 },
  '2.16.840.1.101.3.4.1.22': { name: 'aes-192-cbc', keyLength: 24 },
  '2.16.840.1.101.3.4.1.42': { name: 'aes-256-cbc', keyLength: 32 },
  '1.2.840.113549.3.7': { name: 'des-ede3-cbc', keyLength: 24 },
};

/** Refuses iteration counts outside 1..MAX_ITERATIONS. */
export function checkIterations(n: number): number {
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_ITERATIONS) {
    throw new LocalKeyError('ERR_KEY_FILE_LIMIT', `iteration count outside 1..${MAX_ITERATIONS}`);
  }
  return n;
}

function parseParams<T>(params: ArrayBuffer | null | undefined, type: new () => T): T {
  if (params === undefined || params === null)
    throw new LocalKeyError('ERR_KEY_FILE_FORMAT', 'missing encryption parameters');
  try {
    return AsnParser.parse(params, type);
  } catch (err) {
    throw new LocalKeyError('ERR_KEY_FILE_FORMAT', 'malformed encryption parameters', {
      cause: err,
    });
  }
}

/** Removes PKCS#7 padding (RFC 5652 §6.3); a bad pad means a wrong key. */
function unpad(data: Uint8Array, block: number): Uint8Array {
  const n = data[data.length - 1] ?? 0;
  if (data.length === 0 || data.length % block !== 0 || n < 1 || n > block) {
    throw new LocalKeyError('ERR_KEY_FILE_PASSPHRASE', 'decryption failed (wrong passphrase?)');
  }
  for (let i = data.length - n; i < data.length; i++) {
    if (data[i] !== n)
      throw new LocalKeyError('ERR_KEY_FILE_PASSPHRASE', 'decryption failed (wrong passphrase?)');
  }
  return data.subarray(0, data.length - n);
}

function decipher(name: string, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  try {
    const d = createDecipheriv(name, key, iv);
    d.setAutoPadding(false);
    return asBytes(Buffer.concat([d.update(data), d.final()]));
  } catch (err) {
    throw new LocalKeyError('ERR_KEY_FILE_FORMAT', 'encrypted content is malformed', {
      cause: err,
    });
  }
}

/**
 * Decrypts `data` encrypted under `algorithm` with `passphrase`. Unknown schemes raise
 * ERR_KEY_FILE_UNSUPPORTED; a wrong passphrase usually shows as ERR_KEY_FILE_PASSPHRASE.
 */
export function decryptWithPassword(
  algorithm: AlgorithmIdentifier,
  data: Uint8Array,
  passphrase: string,
): Uint8Array {
  switch (algorithm.algorithm) {
    case pbeOids.pbes2: {
      const p = parseParams(algorithm.parameters, Pbes2Params);
      if (p.keyDerivationFunc.algorithm !== pbeOids.pbkdf2) {
        throw new LocalKeyError(
          'ERR_KEY_FILE_UNSUPPORTED',
          'PBES2 key derivation other than PBKDF2',
        );
      }
      const kdf = parseParams(p.keyDerivationFunc.parameters, Pbkdf2Params);
      // RFC 8018 App. A.2: prf DEFAULT hmacWithSHA1.
      const prf = kdf.prf === undefined ? 'sha1' : prfs[kdf.prf.algorithm];
      const cipher = pbes2Ciphers[p.encryptionScheme.algorithm];
      if (prf === undefined || cipher === undefined) {
        throw new LocalKeyError(
          'ERR_KEY_FILE_UNSUPPORTED',
          'unsupported PBES2 pseudo-random function or cipher',
        );
      }
      if (kdf.keyLength !== undefined && kdf.keyLength !== cipher.keyLength) {
        throw new LocalKeyError('ERR_KEY_FILE_FORMAT', 'PBKDF2 key length does not fit the cipher');
      }
      // The IV parameter: `OCTET STRING (SIZE(8|16))` (RFC 8018 App. B.2).
      const iv = asBytes(parseParams(p.encryptionScheme.parameters, OctetString).buffer);
      // RFC 8018 §6.2 with PKCS#12 (RFC 7292 App. B.1 note): the password is UTF-8 here.
      const key = asBytes(
        pbkdf2Sync(
          Buffer.from(passphrase, 'utf8'),
          asBytes(kdf.salt),
          checkIterations(kdf.iterationCount),
          cipher.keyLength,
          prf,
        ),
      );
      try {
        return unpad(decipher(cipher.name, key, iv, data), cipher.name.startsWith('aes') ? 16 : 8);
      } finally {
        key.fill(0);
      }
    }
    case pbeOids.pbeWithSHAAnd3_KeyTripleDES_CBC:
    case pbeOids.pbeWithSHAAnd128BitRC2_CBC:
    case pbeOids.pbeWithSHAAnd40BitRC2_CBC: {
      const p = parseParams(algorithm.parameters, Pkcs12PbeParams);
      const iterations = checkIterations(p.iterations);
      const password = bmpPassword(passphrase);
      const salt = asBytes(p.salt);
      const keyLength =
        algorithm.algorithm === pbeOids.pbeWithSHAAnd3_KeyTripleDES_CBC
          ? 24
          : algorithm.algorithm === pbeOids.pbeWithSHAAnd128BitRC2_CBC
            ? 16
            : 5;
      const key = pkcs12Kdf('sha1', password, salt, 1, iterations, keyLength);
      const iv = pkcs12Kdf('sha1', password, salt, 2, iterations, 8);
      password.fill(0);
      try {
        if (algorithm.algorithm === pbeOids.pbeWithSHAAnd3_KeyTripleDES_CBC) {
          return unpad(decipher('des-ede3-cbc', key, iv, data), 8);
        }
        const plain = rc2CbcDecrypt(key, keyLength * 8, iv, data);
        if (plain === undefined)
          throw new LocalKeyError('ERR_KEY_FILE_FORMAT', 'encrypted content is malformed');
        return unpad(plain, 8);
      } finally {
        key.fill(0);
      }
    }
    default:
      throw new LocalKeyError(
        'ERR_KEY_FILE_UNSUPPORTED',
        'unsupported password-based encryption scheme',
        {
          detail: { oid: algorithm.algorithm },
        },
      );
  }
}
