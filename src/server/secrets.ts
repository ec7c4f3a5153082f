/**
 * The server's own secrets (the audit MAC key, SECURITY.md AUD-04, and the secret-box key that
 * seals TOTP secrets, SCA-09), kept in `secrets.json` in the data directory, each sealed under the
 * KEK with AES-256-GCM (NIST SP 800-38D) and bound by associated data to its name.
 */
import { closeSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { Kek } from '../keys/index.js';
import { ServerError } from './errors.js';

/** The unsealed secrets (held in memory only). */
export interface ServerSecrets {
  /** HMAC key of the audit log (≥ 32 bytes). */
  readonly auditKey: Uint8Array;
  /** AES-256 key of the secret box for TOTP secrets. */
  readonly secretBoxKey: Uint8Array;
}

interface SealedJson {
  readonly iv: string;
  readonly ciphertext: string;
}

interface SecretsFile {
  readonly version: 1;
  /** The KEK's public fingerprint, to name a wrong KEK clearly. */
  readonly kekId: string;
  readonly auditKey: SealedJson;
  readonly secretBoxKey: SealedJson;
}

/** The names of the sealed secrets. */
type SecretName = 'auditKey' | 'secretBoxKey';

function aad(name: string): Uint8Array {
  return new TextEncoder().encode(`signet-server-secret-v1:${name}`);
}

/** Generates fresh secrets and writes them sealed to `path` (created 0600; refuses to overwrite). */
export function createSecretsFile(path: string, kek: Kek): ServerSecrets {
  const secrets: ServerSecrets = { auditKey: randomBytes(32), secretBoxKey: randomBytes(32) };
  const seal = (name: SecretName): SealedJson => {
    const box = kek.wrap(secrets[name], aad(name));
    return { iv: Buffer.from(box.iv).toString('base64'), ciphertext: Buffer.from(box.ciphertext).toString('base64') };
  };
  const file: SecretsFile = { version: 1, kekId: kek.id, auditKey: seal('auditKey'), secretBoxKey: seal('secretBoxKey') };
  // Written under a temporary name and renamed: a crash never leaves a half-written secrets file.
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(file, null, 2)}\n`);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  return secrets;
}

/** Reads and unseals `secrets.json`; ERR_SERVER_SECRETS when the KEK does not open it. */
export function readSecretsFile(path: string, kek: Kek): ServerSecrets {
  let file: SecretsFile;
  try {
    file = JSON.parse(readFileSync(path, 'utf8')) as SecretsFile;
  } catch (cause) {
    throw new ServerError('ERR_SERVER_SECRETS', `cannot read ${path}`, { cause });
  }
  if (file.version !== 1) throw new ServerError('ERR_SERVER_SECRETS', 'secrets.json has an unknown format');
  if (file.kekId !== kek.id) {
    throw new ServerError('ERR_SERVER_SECRETS', 'secrets.json was sealed under another KEK (wrong SIGNET_KEK?)', {
      detail: { expected: file.kekId, actual: kek.id },
    });
  }
  const open = (name: SecretName): Uint8Array => {
    const sealed = file[name];
    const bytes =
      typeof sealed?.iv === 'string' && typeof sealed.ciphertext === 'string'
        ? kek.unwrap(
            { iv: Buffer.from(sealed.iv, 'base64'), ciphertext: Buffer.from(sealed.ciphertext, 'base64') },
            aad(name),
          )
        : undefined;
    if (bytes === undefined || bytes.length !== 32) {
      throw new ServerError('ERR_SERVER_SECRETS', `secrets.json: ${name} does not open under this KEK`);
    }
    return new Uint8Array(bytes);
  };
  return { auditKey: open('auditKey'), secretBoxKey: open('secretBoxKey') };
}
