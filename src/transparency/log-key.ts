/**
 * The transparency log's own signing key: an ECDSA P-256 key of its own in a key backend (the
 * server uses the CA's keystore, where the TSA and OCSP keys live), made on first use. Two nodes
 * starting at once both try to create it; the keystore refuses the second (ERR_KEY_EXISTS) and
 * that node reads the first one's key.
 */
import { createHash } from 'node:crypto';
import type { KeyBackend, KeyRef, PreparedKey } from '../keys/index.js';
import { logKeyId } from './tree-head.js';

/** The label of the log key in its keystore. */
export const logKeyLabel = 'transparency-log';

/** What signs tree heads. */
export interface LogSigner {
  /** The key's SubjectPublicKeyInfo, DER. */
  readonly publicKey: Uint8Array;
  /** Hex SHA-256 of `publicKey`. */
  readonly keyId: string;
  /** A DER ECDSA-Sig-Value over a SHA-256 digest. */
  signDigest(digest: Uint8Array): Promise<Uint8Array>;
  /**
   * The key found (and a software key decrypted) now, for signatures made inside a database
   * transaction: a keystore kept in the same SQLite database could not be read from there.
   */
  prepare(): Promise<(digest: Uint8Array) => Promise<Uint8Array>>;
  /**
   * As `prepare`, for signatures over whole messages (batch receipts): a DER ECDSA-Sig-Value over
   * SHA-256 of the message. A software key signs it with one node:crypto call (keys'
   * `PreparedKey.signMessage`) instead of ECDSA over a bare digest in BigInt.
   */
  prepareMessages(): Promise<(message: Uint8Array) => Promise<Uint8Array>>;
}

/**
 * The log key `ref` (labelled `label`) of `backend`, generated when missing. Only a type import of
 * the keys domain: the signing path that imports this domain does not load the key backends.
 *
 * @example
 * ```ts
 * const signer = await openLogSigner(caKeystore, keystoreRef(logKeyLabel), logKeyLabel);
 * ```
 */
export async function openLogSigner(backend: KeyBackend, ref: KeyRef, label = logKeyLabel): Promise<LogSigner> {
  const publicKey = await readOrCreate(backend, ref, label);
  const ecdsa = { scheme: 'ECDSA', digestAlgorithm: 'SHA-256' } as const;
  // keys' prepareKey(), inline: this domain imports the keys domain for its types only.
  const prepareKey = async (): Promise<PreparedKey> => {
    if (backend.prepareKey !== undefined) return backend.prepareKey(ref);
    await backend.getPublicKey(ref);
    return { sign: (request) => backend.sign(ref, request) };
  };
  return {
    publicKey,
    keyId: logKeyId(publicKey),
    signDigest: (digest) => backend.sign(ref, { ...ecdsa, digest }),
    async prepare() {
      const key = await prepareKey();
      return (digest) => key.sign({ ...ecdsa, digest });
    },
    async prepareMessages() {
      const key = await prepareKey();
      if (key.signMessage !== undefined) {
        const signMessage = key.signMessage.bind(key);
        return (message) => signMessage({ ...ecdsa, message });
      }
      return (message) => key.sign({ ...ecdsa, digest: new Uint8Array(createHash('sha256').update(message).digest()) });
    },
  };
}

async function readOrCreate(backend: KeyBackend, ref: string, label: string): Promise<Uint8Array> {
  try {
    return await backend.getPublicKey(ref);
  } catch (err) {
    if (codeOf(err) !== 'ERR_KEY_NOT_FOUND') throw err;
  }
  try {
    return (await backend.generateKey({ type: 'EC', curve: 'P-256' }, label)).publicKey;
  } catch (err) {
    if (codeOf(err) === 'ERR_KEY_EXISTS') return backend.getPublicKey(ref);
    throw err;
  }
}

/** The stable code of a KeyBackendError (read by shape: see the header). */
function codeOf(err: unknown): unknown {
  return typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
}
