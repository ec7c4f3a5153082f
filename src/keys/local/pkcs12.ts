/**
 * Reads a PKCS#12 container (RFC 7292): verifies the password-integrity MAC (§5.1, App. B) in
 * constant time, decrypts the AuthenticatedSafe parts (PBES2 or the PKCS#12 PBE schemes) and
 * returns the private key as a node:crypto KeyObject plus every X.509 certificate.
 */
import { createHmac, createPrivateKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { ContentInfo } from '@peculiar/asn1-cms';
import { AuthenticatedSafe, CertBag, PFX, SafeContents } from '@peculiar/asn1-pfx';
import { EncryptedPrivateKeyInfo } from '@peculiar/asn1-pkcs8';
import { AsnParser, OctetString } from '@peculiar/asn1-schema';
import { EncryptedData } from '../../cms/index.js';
import { asBytes, toArrayBuffer } from '../../core/bytes.js';
import { LocalKeyError } from './errors.js';
import { checkIterations, decryptWithPassword } from './password-based-encryption.js';
import { bmpPassword, pkcs12Kdf, type Pkcs12KdfHash } from './pkcs12-kdf.js';

/** What a PKCS#12 file yields. */
export interface Pkcs12Contents {
  readonly privateKey: KeyObject;
  /** DER certificates in file order. */
  readonly certificates: readonly Uint8Array[];
}

/** Limits on PKCS#12 input. */
export interface Pkcs12Limits {
  readonly maxBytes: number;
  readonly maxBags: number;
}

const defaultPkcs12Limits: Pkcs12Limits = { maxBytes: 4 * 1024 * 1024, maxBags: 256 };

/** RFC 7292 / RFC 5652 OIDs used here. */
const p12Oids = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  pkcs8ShroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
} as const;

const macHashes: Readonly<Record<string, Pkcs12KdfHash>> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

// asn1js limits (docs/security.md ASN-01): bounded depth, node count and content length.
const berOptions = { maxDepth: 32, maxNodes: 100_000, maxContentLength: 16 * 1024 * 1024 };

function parse<T>(data: ArrayBuffer | Uint8Array, type: new () => T, what: string): T {
  try {
    return AsnParser.parse(data instanceof Uint8Array ? toArrayBuffer(data) : data, type, {
      berOptions,
    });
  } catch (err) {
    throw new LocalKeyError('ERR_KEY_FILE_FORMAT', `malformed PKCS#12 ${what}`, { cause: err });
  }
}

/** The octets inside a ContentInfo of type id-data. */
function dataContent(ci: ContentInfo): Uint8Array {
  if (ci.contentType !== p12Oids.data)
    throw new LocalKeyError('ERR_KEY_FILE_FORMAT', 'expected id-data content');
  return asBytes(parse(ci.content, OctetString, 'data content').buffer);
}

/**
 * Reads a PKCS#12 file. Wrong passphrase → ERR_KEY_FILE_PASSPHRASE (MAC check, constant time);
 * malformed → ERR_KEY_FILE_FORMAT; unknown algorithms → ERR_KEY_FILE_UNSUPPORTED; more than
 * 10,000,000 iterations or oversized files → ERR_KEY_FILE_LIMIT.
 *
 * @example
 * ```ts
 * const { privateKey, certificates } = await readPkcs12(p12Bytes, passphrase);
 * ```
 */
export async function readPkcs12(
  data: Uint8Array,
  passphrase: string,
  limits: Pkcs12Limits = defaultPkcs12Limits,
): Promise<Pkcs12Contents> {
  if (data.length > limits.maxBytes)
    throw new LocalKeyError('ERR_KEY_FILE_LIMIT', 'PKCS#12 file too large');
  const pfx = parse(data, PFX, 'PFX');
  if (pfx.version !== 3)
    throw new LocalKeyError('ERR_KEY_FILE_FORMAT', 'PKCS#12 version must be 3');
  const authSafeOctets = dataContent(pfx.authSafe);
  verifyMac(pfx, authSafeOctets, passphrase);

  const safe = parse(authSafeOctets, AuthenticatedSafe, 'AuthenticatedSafe');
  const keys: KeyObject[] = [];
  const certificates: Uint8Array[] = [];
  let bags = 0;
  for (const part of safe) {
    let contents: Uint8Array;
    if (part.contentType === p12Oids.data) contents = dataContent(part);
    else if (part.contentType === p12Oids.encryptedData) {
      const ed = parse(part.content, EncryptedData, 'EncryptedData');
      const eci = ed.encryptedContentInfo;
      const encrypted =
        eci.encryptedContent?.value?.buffer ??
        joinConstructed(eci.encryptedContent?.constructedValue);
      if (encrypted === undefined)
        throw new LocalKeyError('ERR_KEY_FILE_FORMAT', 'EncryptedData without content');
      contents = decryptWithPassword(
        eci.contentEncryptionAlgorithm,
        asBytes(encrypted),
        passphrase,
      );
    } else {
      throw new LocalKeyError(
        'ERR_KEY_FILE_UNSUPPORTED',
        'unsupported AuthenticatedSafe content type',
      );
    }
    for (const bag of parse(contents, SafeContents, 'SafeContents')) {
      if (++bags > limits.maxBags)
        throw new LocalKeyError('ERR_KEY_FILE_LIMIT', 'too many PKCS#12 bags');
      if (bag.bagId === p12Oids.certBag) {
        const cert = parse(bag.bagValue, CertBag, 'CertBag');
        if (cert.certId !== p12Oids.x509Certificate) continue;
        certificates.push(asBytes(parse(cert.certValue, OctetString, 'certificate').buffer));
      } else if (bag.bagId === p12Oids.pkcs8ShroudedKeyBag) {
        const epki = parse(bag.bagValue, EncryptedPrivateKeyInfo, 'shrouded key');
        const plain = decryptWithPassword(
          epki.encryptionAlgorithm,
          asBytes(epki.encryptedData.buffer),
          passphrase,
        );
        keys.push(privateKeyFrom(plain));
      } else if (bag.bagId === p12Oids.keyBag) {
        keys.push(privateKeyFrom(Uint8Array.from(asBytes(bag.bagValue))));
      }
    }
  }
  const [privateKey, ...others] = keys;
  if (privateKey === undefined)
    throw new LocalKeyError('ERR_KEY_FILE_FORMAT', 'the PKCS#12 file holds no private key');
  if (others.length > 0)
    throw new LocalKeyError(
      'ERR_KEY_FILE_UNSUPPORTED',
      'the PKCS#12 file holds several private keys',
    );
  return { privateKey, certificates };
}

/** Imports a plaintext PKCS#8 PrivateKeyInfo and wipes the buffer (docs/security.md KEY-04). */
function privateKeyFrom(pkcs8: Uint8Array): KeyObject {
  const buffer = Buffer.from(pkcs8.buffer, pkcs8.byteOffset, pkcs8.byteLength);
  try {
    return createPrivateKey({ key: buffer, format: 'der', type: 'pkcs8' });
  } catch {
    throw new LocalKeyError('ERR_KEY_FILE_FORMAT', 'the PKCS#12 private key cannot be read');
  } finally {
    pkcs8.fill(0);
  }
}

function joinConstructed(parts: readonly OctetString[] | undefined): ArrayBuffer | undefined {
  if (parts === undefined) return undefined;
  return toArrayBuffer(asBytes(Buffer.concat(parts.map((p) => Buffer.from(p.buffer)))));
}

/** RFC 7292 §5.1 and App. B.4: HMAC over the AuthenticatedSafe octets, key from the PKCS#12 KDF (ID 3). */
function verifyMac(pfx: PFX, authSafe: Uint8Array, passphrase: string): void {
  const macData = pfx.macData as PFX['macData'] | undefined;
  if (macData === undefined) {
    throw new LocalKeyError(
      'ERR_KEY_FILE_UNSUPPORTED',
      'PKCS#12 files without password integrity are refused',
    );
  }
  const hash = macHashes[macData.mac.digestAlgorithm.algorithm];
  if (hash === undefined) {
    // e.g. PBMAC1 (RFC 9579) from OpenSSL ≥ 3.4.
    throw new LocalKeyError('ERR_KEY_FILE_UNSUPPORTED', 'unsupported PKCS#12 MAC algorithm');
  }
  // RFC 7292 App. A: iterations DEFAULT 1.
  const iterations = checkIterations(macData.iterations === undefined ? 1 : macData.iterations);
  const password = bmpPassword(passphrase);
  const macLength = { sha1: 20, sha256: 32, sha384: 48, sha512: 64 }[hash];
  const key = pkcs12Kdf(hash, password, asBytes(macData.macSalt.buffer), 3, iterations, macLength);
  password.fill(0);
  const computed = createHmac(hash, key).update(authSafe).digest();
  key.fill(0);
  const expected = Buffer.from(macData.mac.digest.buffer);
  if (expected.length !== computed.length || !timingSafeEqual(expected, computed)) {
    throw new LocalKeyError(
      'ERR_KEY_FILE_PASSPHRASE',
      'wrong passphrase for the PKCS#12 file (MAC check failed)',
    );
  }
}
