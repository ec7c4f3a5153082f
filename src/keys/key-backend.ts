/** The KeyBackend interface (after step-ca's KeyManager): where keys live is hidden behind it. */
import type { KeyObject } from 'node:crypto';
import type { DigestAlgorithm, KeyType, NamedCurve, SignatureScheme } from '../cms/algorithms.js';

/** What to generate. */
export type KeySpec =
  | { readonly type: 'RSA'; readonly bits: 2048 | 3072 | 4096 }
  | { readonly type: 'EC'; readonly curve: NamedCurve };

/**
 * A key reference: a URI naming the key inside its backend, e.g.
 * `pkcs11:token=signet;object=alice-1` (RFC 7512) or `keystore:alice-1`.
 */
export type KeyRef = string;

/** A generated key: its reference and its public key (SPKI DER). */
export interface GeneratedKey {
  readonly ref: KeyRef;
  readonly publicKey: Uint8Array;
  readonly keyType: KeyType;
}

/** Sign a pre-computed digest with the given scheme. ECDSA results are DER ECDSA-Sig-Value. */
export interface SignRequest {
  readonly scheme: SignatureScheme;
  readonly digestAlgorithm: DigestAlgorithm;
  /** The digest of the data to be signed (length must match digestAlgorithm). */
  readonly digest: Uint8Array;
  /**
   * RSASSA-PSS salt length in octets (RFC 8017 §9.1.1 sLen); default the hash length (RFC 4055
   * §3.1). Ignored by the other schemes.
   */
  readonly saltLength?: number;
}

/** Health of a backend (tokens reachable, sessions available). */
export interface BackendHealth {
  readonly ok: boolean;
  readonly detail: Readonly<Record<string, unknown>>;
}

/**
 * Where private keys live. Nothing above `src/keys` ever holds a private key object.
 * Errors are `KeyBackendError` with codes such as ERR_KEY_NOT_FOUND, ERR_KEY_DISABLED,
 * ERR_KEY_BACKEND_UNAVAILABLE, ERR_KEY_BACKEND_BUSY, ERR_KEY_MECHANISM_UNSUPPORTED.
 */
export interface KeyBackend {
  /** A short name for logs and URIs: `software`, `pkcs11`, `remote`. */
  readonly kind: string;
  generateKey(spec: KeySpec, label?: string): Promise<GeneratedKey>;
  getPublicKey(ref: KeyRef): Promise<Uint8Array>;
  sign(ref: KeyRef, request: SignRequest): Promise<Uint8Array>;
  destroyKey(ref: KeyRef): Promise<void>;
  health(): Promise<BackendHealth>;
  close(): Promise<void>;
  /**
   * Finds the key and makes it ready to sign, failing now (ERR_KEY_NOT_FOUND, ERR_KEYSTORE_KEK,
   * ERR_KEY_BACKEND_UNAVAILABLE…) rather than at `sign`: called before anything irreversible,
   * such as consuming a SAD. Optional; `prepareKey` falls back to reading the public key.
   */
  prepareKey?(ref: KeyRef): Promise<PreparedKey>;
  /**
   * Optional: signs a message the backend hashes itself (see `PreparedKey.signMessage`), the key
   * found and checked as `sign` finds it. Callers without it hash and call `sign`.
   */
  signMessage?(ref: KeyRef, request: MessageSignRequest): Promise<Uint8Array>;
}

/** Sign a whole message: the backend hashes it with `digestAlgorithm` itself. */
export interface MessageSignRequest {
  readonly scheme: SignatureScheme;
  readonly digestAlgorithm: DigestAlgorithm;
  readonly message: Uint8Array;
  /** RSASSA-PSS salt length in octets; default the hash length (as `SignRequest`). */
  readonly saltLength?: number;
}

/** A key found (and for a software key, decrypted) ahead of its signatures. */
export interface PreparedKey {
  sign(request: SignRequest): Promise<Uint8Array>;
  /**
   * Optional: signs a message the backend hashes itself, the same signature as `sign` over its
   * digest. A software EC key signs it with one node:crypto call on the caller's thread instead of
   * ECDSA over a bare digest computed in BigInt on a signing thread (issue 19: a batch receipt's
   * signature); callers without it hash and call `sign`.
   */
  signMessage?(request: MessageSignRequest): Promise<Uint8Array>;
  /**
   * Optional: the signature `sign` makes, checked against `publicKey` (the credential
   * certificate's) before it is returned — docs/security.md SAD-24's output self-check, made by
   * the signer. A signature that does not verify is discarded: ERR_KEY_SIGN_FAILED. The software
   * keystore checks ECDSA with the nonce and scalar it has just used (ecdsa-prehash.ts: two
   * fixed-base multiplications instead of the variable-base one a check from outside needs over a
   * bare digest, issue 19) and the other schemes with cms/verify-signature; callers without it
   * sign and then check with cms/verify-signature themselves.
   */
  signChecked?(request: SignRequest, publicKey: KeyObject): Promise<Uint8Array>;
}

/**
 * The key `ref` of `backend`, made ready to sign: the backend's own `prepareKey`, else a look-up
 * of its public key (a PKCS#11 token or token server must answer and hold the object).
 *
 * @example
 * ```ts
 * const key = await prepareKey(backend, row.key_ref); // throws before the SAD is consumed
 * await consume();
 * const signature = await key.sign({ scheme: 'ECDSA', digestAlgorithm: 'SHA-256', digest });
 * ```
 */
export async function prepareKey(backend: KeyBackend, ref: KeyRef): Promise<PreparedKey> {
  if (backend.prepareKey !== undefined) return backend.prepareKey(ref);
  await backend.getPublicKey(ref);
  return { sign: (request) => backend.sign(ref, request) };
}
