/**
 * The local-key Signer: a private key from a PEM file (PKCS#8 RFC 5958, PKCS#1 RFC 8017 App. A.1.2,
 * SEC1 RFC 5915, encrypted PKCS#8 RFC 8018) or a PKCS#12 container (RFC 7292), with its
 * certificate chain. The key stays in a node:crypto KeyObject and is never exported.
 */
import { constants, createPrivateKey, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import {
  digestAlgorithms,
  digestForCurve,
  namedCurveOf,
  type DigestAlgorithm,
  type SignatureScheme,
  type SignatureAlgorithm,
} from '../../cms/algorithms.js';
import type { Signer } from '../../cms/signer.js';
import { isPem, orderChain, parseCertificate, readCertificates } from './certificates.js';
import { LocalKeyError } from './errors.js';

/** Where the key and certificates come from. */
export type LocalKeyInput =
  | {
      readonly kind: 'pem';
      /** The private key: PEM (PKCS#8, PKCS#1, SEC1, ENCRYPTED PRIVATE KEY) or DER PKCS#8. */
      readonly key: Uint8Array | string;
      /** The signer certificate (PEM or DER); further PEM certificates count as chain. */
      readonly certificate: Uint8Array | string;
      /** Issuer certificates (PEM bundles or DER). */
      readonly chain?: readonly (Uint8Array | string)[];
      /** For encrypted keys. */
      readonly passphrase?: string;
    }
  | {
      readonly kind: 'pkcs12';
      /** The .p12 / .pfx file content. */
      readonly data: Uint8Array;
      readonly passphrase: string;
    };

/** Algorithm choice; defaults are RSA → PKCS#1 v1.5 SHA-256, EC → ECDSA with the curve's digest. */
export interface LocalSignerOptions {
  /** Must fit the key: RSA keys take PKCS#1 v1.5 or PSS, EC keys only ECDSA. */
  readonly scheme?: SignatureScheme;
  readonly digest?: DigestAlgorithm;
}

/**
 * Loads a local key and its certificates as a {@link Signer}. Checks that key and certificate
 * belong together (ERR_KEY_CERT_MISMATCH) and that the key is an accepted type and size.
 *
 * @example
 * ```ts
 * const signer = await loadLocalSigner({ kind: 'pem', key: keyPem, certificate: certPem, chain: [caPem] });
 * const sig = await signer.sign(signedAttributes);
 * ```
 */
export async function loadLocalSigner(
  input: LocalKeyInput,
  options: LocalSignerOptions = {},
): Promise<Signer> {
  let key: KeyObject;
  let certificates: Uint8Array[];
  let leaf: Uint8Array | undefined;
  if (input.kind === 'pem') {
    key = readPrivateKey(input.key, input.passphrase);
    certificates = readCertificates(input.certificate);
    leaf = certificates[0];
    for (const c of input.chain ?? []) certificates.push(...readCertificates(c));
  } else {
    // Imported on demand: PKCS#12 needs the ASN.1 schema packages, a PEM key does not (issue 18 §4).
    const { readPkcs12 } = await import('./pkcs12.js');
    const p12 = await readPkcs12(input.data, input.passphrase);
    key = p12.privateKey;
    certificates = [...p12.certificates];
    leaf = certificates.find((c) => parseCertificate(c).checkPrivateKey(key));
  }
  // Key type and size first: a weak key is refused whatever certificate comes with it.
  const algorithm = chooseAlgorithm(key, options);
  if (leaf === undefined || !parseCertificate(leaf).checkPrivateKey(key)) {
    throw new LocalKeyError(
      'ERR_KEY_CERT_MISMATCH',
      'the certificate does not match the private key',
    );
  }
  return new LocalSigner(key, parseCertificate(leaf).publicKey, algorithm, orderChain(leaf, certificates));
}

/**
 * Parses a private key; wrong or missing passphrases map to ERR_KEY_FILE_PASSPHRASE. Byte input
 * is handed to node:crypto as a Buffer view: key material never becomes a JS string (docs/security.md
 * KEY-04, strings cannot be wiped).
 */
function readPrivateKey(data: Uint8Array | string, passphrase: string | undefined): KeyObject {
  const bytes = typeof data === 'string' ? undefined : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const has = (marker: string): boolean => (bytes === undefined ? (data as string).includes(marker) : bytes.includes(marker, 0, 'latin1'));
  const pem = isPem(data);
  const encrypted = pem && (has('ENCRYPTED PRIVATE KEY') || has('Proc-Type: 4,ENCRYPTED'));
  if (encrypted && passphrase === undefined) {
    throw new LocalKeyError('ERR_KEY_FILE_PASSPHRASE', 'the key file is encrypted and needs a passphrase');
  }
  const secret = passphrase === undefined ? {} : { passphrase };
  if (pem) {
    try {
      return createPrivateKey({ key: bytes ?? (data as string), format: 'pem', ...secret });
    } catch {
      // node:crypto's message is not forwarded: it is not needed and must never carry key bytes.
      if (encrypted) throw new LocalKeyError('ERR_KEY_FILE_PASSPHRASE', 'wrong passphrase for the key file');
      throw new LocalKeyError('ERR_KEY_FILE_FORMAT', 'the key file cannot be read');
    }
  }
  if (bytes === undefined) throw new LocalKeyError('ERR_KEY_FILE_FORMAT', 'unrecognised key file');
  // DER: PKCS#8 (RFC 5958), then PKCS#1 (RFC 8017 App. A.1.2), then SEC1 (RFC 5915).
  for (const type of ['pkcs8', 'pkcs1', 'sec1'] as const) {
    try {
      return createPrivateKey({ key: bytes, format: 'der', type, ...secret });
    } catch {
      // try the next encoding
    }
  }
  throw new LocalKeyError('ERR_KEY_FILE_FORMAT', 'the key file cannot be read');
}

function chooseAlgorithm(key: KeyObject, options: LocalSignerOptions): SignatureAlgorithm {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  if (type === 'rsa' || type === 'rsa-pss') {
    if ((details.modulusLength ?? 0) < 2048) {
      throw new LocalKeyError(
        'ERR_KEY_FILE_UNSUPPORTED',
        'RSA keys shorter than 2048 bits are refused',
      );
    }
    const scheme = options.scheme ?? (type === 'rsa-pss' ? 'RSASSA-PSS' : 'RSASSA-PKCS1-v1_5');
    if (scheme === 'ECDSA') {
      throw new LocalKeyError('ERR_KEY_SCHEME_MISMATCH', 'an RSA key cannot sign with ECDSA');
    }
    if (type === 'rsa-pss' && scheme !== 'RSASSA-PSS') {
      throw new LocalKeyError(
        'ERR_KEY_SCHEME_MISMATCH',
        'an RSASSA-PSS key can only sign with RSASSA-PSS',
      );
    }
    return { scheme, digest: options.digest ?? 'SHA-256' };
  }
  if (type === 'ec') {
    const curve = namedCurveOf(details.namedCurve);
    if (curve === undefined)
      throw new LocalKeyError('ERR_KEY_FILE_UNSUPPORTED', 'unsupported elliptic curve');
    if (options.scheme !== undefined && options.scheme !== 'ECDSA') {
      throw new LocalKeyError(
        'ERR_KEY_SCHEME_MISMATCH',
        `an EC key cannot sign with ${options.scheme}`,
      );
    }
    return { scheme: 'ECDSA', digest: options.digest ?? digestForCurve(curve) };
  }
  throw new LocalKeyError('ERR_KEY_FILE_UNSUPPORTED', 'unsupported key type');
}

/** DER ECDSA-Sig-Value upper bound: SEQUENCE of two INTEGERs of up to n+1 octets each. */
function maxEcdsaSize(curveBits: number): number {
  const intLen = Math.ceil(curveBits / 8) + 1;
  const content = 2 * (2 + intLen);
  return content + (content < 128 ? 2 : 3);
}

/** A Signer over a node:crypto private key. */
class LocalSigner implements Signer {
  readonly #key: KeyObject;
  /** The certificate's public key: every signature is checked with it before it is released. */
  readonly #publicKey: KeyObject;
  readonly certificateChain: readonly Uint8Array[];
  readonly signatureAlgorithm: SignatureAlgorithm;

  constructor(
    key: KeyObject,
    publicKey: KeyObject,
    signatureAlgorithm: SignatureAlgorithm,
    chain: readonly Uint8Array[],
  ) {
    this.#key = key;
    this.#publicKey = publicKey;
    this.signatureAlgorithm = signatureAlgorithm;
    this.certificateChain = chain;
  }

  sign(data: Uint8Array): Promise<Uint8Array> {
    const hash = digestAlgorithms[this.signatureAlgorithm.digest];
    const key =
      this.signatureAlgorithm.scheme === 'ECDSA'
        ? { key: this.#key, dsaEncoding: 'der' as const }
        : this.signatureAlgorithm.scheme === 'RSASSA-PSS'
          ? // RFC 4055 §3.1 / RFC 8017 §9.1: salt length = hash length.
            { key: this.#key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: hash.length }
          : { key: this.#key, padding: constants.RSA_PKCS1_PADDING };
    const failed = (why: string, cause?: unknown): LocalKeyError =>
      new LocalKeyError('ERR_KEY_FILE_SIGN_FAILED', why, cause === undefined ? {} : { cause });
    // The callback forms run on the libuv thread pool and keep the event loop free. The signature
    // is verified with the certificate's key before it is released (docs/security.md SAD-24: a
    // faulty signature, RSA-CRT's above all, can give the private key away; it never reaches a file).
    return new Promise((resolve, reject) => {
      nodeSign(hash.nodeName, data, key, (err, signature) => {
        if (err) {
          reject(failed('signing with the local key failed', err));
          return;
        }
        const publicKey = { ...key, key: this.#publicKey };
        nodeVerify(hash.nodeName, data, publicKey, signature, (verr, ok) => {
          if (verr || !ok) reject(failed('the signature made with the local key does not verify with its certificate; it was not used', verr ?? undefined));
          else resolve(new Uint8Array(signature.buffer, signature.byteOffset, signature.byteLength));
        });
      });
    });
  }

  maxSignatureSize(): number {
    const details = this.#key.asymmetricKeyDetails ?? {};
    if (this.signatureAlgorithm.scheme === 'ECDSA') {
      const bits = { 'P-256': 256, 'P-384': 384, 'P-521': 521 }[
        namedCurveOf(details.namedCurve) ?? 'P-521'
      ];
      return maxEcdsaSize(bits);
    }
    return Math.ceil((details.modulusLength ?? 0) / 8);
  }
}
