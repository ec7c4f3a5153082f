/**
 * Key operations on one PKCS#11 token (PKCS#11 v2.40 §5.13, §5.14; current mechanisms §2.1, §2.3):
 * key pairs generated on the token as sensitive, never-extractable, sign-only token objects
 * found again by CKA_LABEL after a restart; signatures over pre-computed digests.
 */
import { randomBytes } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import type { DigestAlgorithm } from '../../cms/algorithms.js';
import { asBytes } from '../../core/bytes.js';
import type { KeySpec, SignRequest } from '../key-backend.js';
import { assertDigestLength, encodeDigestInfo } from '../digest-info.js';
import { ecdsaRawToDer } from '../ecdsa-signature.js';
import { KeyBackendError } from '../errors.js';
import { ecParams, findObjects, mechanismList, readPublicKey, ulong } from './pkcs11-objects.js';
import type { SessionPool } from './session-pool.js';

const pssParams: Readonly<
  Record<
    DigestAlgorithm,
    { readonly hashAlg: number; readonly mgf: number; readonly saltLen: number }
  >
> = {
  'SHA-256': { hashAlg: pkcs11js.CKM_SHA256, mgf: pkcs11js.CKG_MGF1_SHA256, saltLen: 32 },
  'SHA-384': { hashAlg: pkcs11js.CKM_SHA384, mgf: pkcs11js.CKG_MGF1_SHA384, saltLen: 48 },
  'SHA-512': { hashAlg: pkcs11js.CKM_SHA512, mgf: pkcs11js.CKG_MGF1_SHA512, saltLen: 64 },
};

interface KeyHandles {
  readonly epoch: string;
  readonly privateKey: pkcs11js.Handle;
  readonly publicKey: pkcs11js.Handle;
  readonly isEc: boolean;
}

/** A key found on a token: label and public key (SPKI DER). */
export interface TokenKey {
  readonly label: string;
  readonly publicKey: Uint8Array;
}

/** The key operations of one token, over its session pool. */
export class Pkcs11Token {
  readonly label: string;
  readonly pool: SessionPool;
  readonly #handles = new Map<string, KeyHandles>();
  readonly #generating = new Set<string>();

  constructor(pool: SessionPool) {
    this.pool = pool;
    this.label = pool.tokenLabel;
  }

  /**
   * Generates a key pair on the token. The private key is CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE,
   * not CKA_EXTRACTABLE, and may only sign (no decrypt, unwrap or derive) — EN 419 221-5 key use.
   */
  async generateKey(spec: KeySpec, label: string): Promise<Uint8Array> {
    if (this.#generating.has(label))
      throw new KeyBackendError('ERR_KEY_EXISTS', `a key labelled ${label} is being generated`);
    this.#generating.add(label);
    try {
      return await this.pool.use(async (session, api) => {
        if (findObjects(api, session, pkcs11js.CKO_PRIVATE_KEY, label).length > 0) {
          throw new KeyBackendError(
            'ERR_KEY_EXISTS',
            `a key labelled ${label} already exists on token ${this.label}`,
          );
        }
        const id = randomBytes(16);
        const common = [
          { type: pkcs11js.CKA_TOKEN, value: true },
          { type: pkcs11js.CKA_LABEL, value: label },
          { type: pkcs11js.CKA_ID, value: id },
        ];
        const publicTemplate = [
          ...common,
          { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY },
          { type: pkcs11js.CKA_PRIVATE, value: false },
          { type: pkcs11js.CKA_VERIFY, value: true },
          { type: pkcs11js.CKA_ENCRYPT, value: false },
          { type: pkcs11js.CKA_WRAP, value: false },
        ];
        const privateTemplate = [
          ...common,
          { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
          { type: pkcs11js.CKA_PRIVATE, value: true },
          { type: pkcs11js.CKA_SENSITIVE, value: true },
          { type: pkcs11js.CKA_EXTRACTABLE, value: false },
          { type: pkcs11js.CKA_SIGN, value: true },
          { type: pkcs11js.CKA_DECRYPT, value: false },
          { type: pkcs11js.CKA_UNWRAP, value: false },
          { type: pkcs11js.CKA_DERIVE, value: false },
        ];
        let mechanism: number;
        if (spec.type === 'RSA' && [2048, 3072, 4096].includes(spec.bits)) {
          mechanism = pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN;
          publicTemplate.push(
            { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_RSA },
            { type: pkcs11js.CKA_MODULUS_BITS, value: spec.bits },
            { type: pkcs11js.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) },
          );
          // KEY-08: the token itself refuses raw RSA (CKM_RSA_X_509), decryption and the rest.
          privateTemplate.push(
            { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_RSA },
            {
              type: pkcs11js.CKA_ALLOWED_MECHANISMS,
              value: mechanismList([pkcs11js.CKM_RSA_PKCS, pkcs11js.CKM_RSA_PKCS_PSS]),
            },
          );
        } else if (spec.type === 'EC' && Object.hasOwn(ecParams, spec.curve)) {
          mechanism = pkcs11js.CKM_EC_KEY_PAIR_GEN;
          publicTemplate.push(
            { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_EC },
            { type: pkcs11js.CKA_EC_PARAMS, value: Buffer.from(ecParams[spec.curve], 'hex') },
          );
          privateTemplate.push(
            { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_EC },
            { type: pkcs11js.CKA_ALLOWED_MECHANISMS, value: mechanismList([pkcs11js.CKM_ECDSA]) },
          );
        } else {
          throw new KeyBackendError('ERR_KEY_SPEC_UNSUPPORTED', 'unsupported key specification');
        }
        const pair = await api.C_GenerateKeyPairAsync(
          session,
          { mechanism },
          publicTemplate,
          privateTemplate,
        );
        this.#handles.set(label, {
          epoch: this.pool.epoch,
          privateKey: pair.privateKey,
          publicKey: pair.publicKey,
          isEc: spec.type === 'EC',
        });
        return readPublicKey(api, session, pair.publicKey);
      });
    } finally {
      this.#generating.delete(label);
    }
  }

  /** The SPKI DER of key `label`. */
  async getPublicKey(label: string): Promise<Uint8Array> {
    return this.pool.use((session, api) =>
      readPublicKey(api, session, this.#find(api, session, label).publicKey),
    );
  }

  /**
   * Signs a pre-computed digest: CKM_RSA_PKCS over the DigestInfo (§2.1.6), CKM_RSA_PKCS_PSS
   * with CK_RSA_PKCS_PSS_PARAMS (§2.1.14, salt = hLen unless the request names one), CKM_ECDSA (§2.3.6, raw r||s → DER).
   */
  async sign(label: string, request: SignRequest): Promise<Uint8Array> {
    assertDigestLength(request.digestAlgorithm, request.digest);
    let mechanism: pkcs11js.Mechanism;
    let input: Uint8Array;
    switch (request.scheme) {
      case 'RSASSA-PKCS1-v1_5':
        mechanism = { mechanism: pkcs11js.CKM_RSA_PKCS };
        input = encodeDigestInfo(request.digestAlgorithm, request.digest);
        break;
      case 'RSASSA-PSS':
        mechanism = {
          mechanism: pkcs11js.CKM_RSA_PKCS_PSS,
          parameter: {
            type: pkcs11js.CK_PARAMS_RSA_PSS,
            ...pssParams[request.digestAlgorithm],
            ...(request.saltLength !== undefined ? { saltLen: request.saltLength } : {}),
          },
        };
        input = request.digest;
        break;
      case 'ECDSA':
        mechanism = { mechanism: pkcs11js.CKM_ECDSA };
        input = request.digest;
        break;
      default: {
        const never: never = request.scheme;
        throw new KeyBackendError(
          'ERR_KEY_MECHANISM_UNSUPPORTED',
          `unsupported scheme ${String(never)}`,
        );
      }
    }
    return this.pool.use(async (session, api) => {
      const key = this.#find(api, session, label);
      if (key.isEc !== (request.scheme === 'ECDSA')) {
        throw new KeyBackendError(
          'ERR_KEY_MECHANISM_UNSUPPORTED',
          `${request.scheme} does not fit the key ${label}`,
        );
      }
      api.C_SignInit(session, mechanism, key.privateKey);
      // PKCS#11 §5.2 C_Sign: the signature is the first *pulSignatureLen octets of the buffer;
      // pkcs11js answers with a view of those over the whole 1,024-octet buffer, so copy them out
      // (a caller reading `.buffer` would otherwise see the zeros after them).
      const out = await api.C_SignAsync(session, Buffer.from(input), Buffer.alloc(1024));
      return request.scheme === 'ECDSA' ? ecdsaRawToDer(asBytes(out)) : Uint8Array.from(out);
    });
  }

  /** Destroys both objects of key `label`. */
  async destroyKey(label: string): Promise<void> {
    await this.pool.use((session, api) => {
      const key = this.#find(api, session, label);
      api.C_DestroyObject(session, key.privateKey);
      api.C_DestroyObject(session, key.publicKey);
      this.#handles.delete(label);
    });
  }

  /** Labels of the private keys on the token. */
  async listLabels(): Promise<readonly string[]> {
    return this.pool.use((session, api) =>
      findObjects(api, session, pkcs11js.CKO_PRIVATE_KEY).map((h) => {
        const v = api.C_GetAttributeValue(session, h, [{ type: pkcs11js.CKA_LABEL }])[0]?.value;
        return Buffer.isBuffer(v) ? v.toString('utf8') : '';
      }),
    );
  }

  /** Finds the key pair by label (cached per pool epoch: generation and login). */
  #find(api: pkcs11js.PKCS11, session: pkcs11js.Handle, label: string): KeyHandles {
    const cached = this.#handles.get(label);
    if (cached !== undefined && cached.epoch === this.pool.epoch) return cached;
    const privateKeys = findObjects(api, session, pkcs11js.CKO_PRIVATE_KEY, label);
    const publicKeys = findObjects(api, session, pkcs11js.CKO_PUBLIC_KEY, label);
    if (privateKeys.length === 0 || publicKeys.length === 0) {
      throw new KeyBackendError('ERR_KEY_NOT_FOUND', `no key ${label} on token ${this.label}`);
    }
    if (privateKeys.length > 1 || publicKeys.length > 1) {
      // Default-deny: an ambiguous label must not pick a key at random.
      throw new KeyBackendError(
        'ERR_KEY_DISABLED',
        `several keys are labelled ${label} on token ${this.label}`,
      );
    }
    const privateKey = privateKeys[0] as pkcs11js.Handle;
    const keyType = api.C_GetAttributeValue(session, privateKey, [
      { type: pkcs11js.CKA_KEY_TYPE },
    ])[0]?.value;
    const handles = {
      epoch: this.pool.epoch,
      privateKey,
      publicKey: publicKeys[0] as pkcs11js.Handle,
      isEc: ulong(keyType) === pkcs11js.CKK_EC,
    };
    this.#handles.set(label, handles);
    return handles;
  }
}
