/**
 * Sealing secrets at rest (the TOTP secret, docs/security.md SCA-09) with AES-256-GCM (NIST SP 800-38D):
 * a random 96-bit IV per seal and associated data binding the ciphertext to its row.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { AuthError } from './errors.js';

/** Seals and opens small secrets; the key lives in the server's secrets, never in the database. */
export interface SecretBox {
  seal(plaintext: Uint8Array, associatedData: string): Uint8Array;
  /** Throws ERR_AUTH_SECRET_BOX when the key is wrong or the data or its binding was changed. */
  open(sealed: Uint8Array, associatedData: string): Uint8Array;
}

const VERSION = 1;

/** An AES-256-GCM SecretBox over a 32-byte key. Layout: version(1) ‖ IV(12) ‖ tag(16) ‖ ciphertext. */
export function createAesGcmSecretBox(key: Uint8Array): SecretBox {
  if (key.length !== 32)
    throw new AuthError('ERR_AUTH_POLICY', 'the secret-box key must be 32 bytes');
  const k = Buffer.from(key);
  return {
    seal(plaintext, associatedData) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', k, iv);
      cipher.setAAD(Buffer.from(associatedData, 'utf8'));
      const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return new Uint8Array(Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]));
    },
    open(sealed, associatedData) {
      if (sealed.length < 29 || sealed[0] !== VERSION) {
        throw new AuthError('ERR_AUTH_SECRET_BOX', 'the sealed secret is malformed');
      }
      const bytes = Buffer.from(sealed);
      try {
        const decipher = createDecipheriv('aes-256-gcm', k, bytes.subarray(1, 13));
        decipher.setAAD(Buffer.from(associatedData, 'utf8'));
        decipher.setAuthTag(bytes.subarray(13, 29));
        return new Uint8Array(
          Buffer.concat([decipher.update(bytes.subarray(29)), decipher.final()]),
        );
      } catch (cause) {
        throw new AuthError('ERR_AUTH_SECRET_BOX', 'the sealed secret cannot be opened', { cause });
      }
    },
  };
}
