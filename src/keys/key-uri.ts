/**
 * Opens the backend named by a key URI: `pkcs11:token=LABEL;object=NAME` (RFC 7512) on a PKCS#11
 * module, or `keystore:NAME` in an encrypted software keystore. Used by `signet sign --key-uri`.
 */
import type { KeyBackend, KeyRef } from './key-backend.js';
import { KeyBackendError } from './errors.js';
import { Pkcs11Backend } from './pkcs11/pkcs11-backend.js';
import { parsePkcs11Uri } from './pkcs11/pkcs11-uri.js';
import { readSecretFromEnv, readSecretText } from './secret-source.js';
import { loadKek } from './software/kek.js';
import { keystoreRef, SoftwareKeystore } from './software/software-keystore.js';

/** Where to find what a key URI needs. Secrets come from files (or `*_FILE` variables). */
export interface KeyUriOptions {
  /** PKCS#11 library path (else `SIGNET_PKCS11_MODULE`). */
  readonly pkcs11Module?: string;
  /** File holding the token user PIN (else `SIGNET_PKCS11_PIN_FILE` / `SIGNET_PKCS11_PIN`). */
  readonly pinFile?: string;
  /** Software keystore directory (else `SIGNET_KEYSTORE`). */
  readonly keystoreDir?: string;
  /** File holding the KEK (else `SIGNET_KEK_FILE` / `SIGNET_KEK`). */
  readonly kekFile?: string;
  /** Environment for the fallbacks (default `process.env`). */
  readonly env?: NodeJS.ProcessEnv;
}

/** An opened key: its backend, its reference there, and how to release the backend. */
export interface OpenedKey {
  readonly backend: KeyBackend;
  readonly ref: KeyRef;
  close(): Promise<void>;
}

function missing(what: string): KeyBackendError {
  return new KeyBackendError('ERR_KEY_URI_INVALID', what);
}

/**
 * Opens the backend for `uri` and checks that the key exists (`ERR_KEY_NOT_FOUND` otherwise).
 * The caller must `close()` the result.
 *
 * @example
 * ```ts
 * const key = await openKeyFromUri('pkcs11:token=signet;object=alice-1', {
 *   pkcs11Module: '/usr/lib/softhsm/libsofthsm2.so',
 *   pinFile: '/run/secrets/pin',
 * });
 * try {
 *   const signer = keySigner(key.backend, key.ref, chain, { scheme: 'ECDSA', digest: 'SHA-256' });
 * } finally {
 *   await key.close();
 * }
 * ```
 */
export async function openKeyFromUri(uri: string, options: KeyUriOptions = {}): Promise<OpenedKey> {
  const env = options.env ?? process.env;
  let backend: KeyBackend;
  let ref: KeyRef;
  if (uri.startsWith('pkcs11:')) {
    const parsed = parsePkcs11Uri(uri);
    const module = options.pkcs11Module ?? env['SIGNET_PKCS11_MODULE'];
    if (module === undefined || module === '')
      throw missing('a pkcs11: key URI needs --pkcs11-module');
    const pin =
      options.pinFile !== undefined
        ? readSecretText(options.pinFile)
        : new TextDecoder()
            .decode(readSecretFromEnv('SIGNET_PKCS11_PIN', env))
            .replace(/\r?\n$/, '');
    backend = await Pkcs11Backend.open({ module, tokens: [{ label: parsed.token, pin }] });
    ref = uri;
  } else if (uri.startsWith('keystore:')) {
    const dir = options.keystoreDir ?? env['SIGNET_KEYSTORE'];
    if (dir === undefined || dir === '') throw missing('a keystore: key URI needs --keystore');
    const kek =
      options.kekFile !== undefined
        ? loadKek({ file: options.kekFile })
        : loadKek({ env: 'SIGNET_KEK', environment: env });
    try {
      ref = keystoreRef(uri.slice('keystore:'.length));
    } catch (err) {
      throw new KeyBackendError('ERR_KEY_URI_INVALID', 'invalid keystore: key URI', { cause: err });
    }
    backend = await SoftwareKeystore.open({ dir, kek });
  } else {
    throw missing('a key URI is pkcs11:token=…;object=… or keystore:NAME');
  }
  try {
    await backend.getPublicKey(ref);
  } catch (err) {
    await backend.close();
    throw err;
  }
  return { backend, ref, close: () => backend.close() };
}
