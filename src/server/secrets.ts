/**
 * The server's own secrets (the audit MAC key, docs/security.md AUD-04, and the secret-box key that
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

/** Fresh secrets (32 random bytes each). */
export function generateSecrets(): ServerSecrets {
  return { auditKey: randomBytes(32), secretBoxKey: randomBytes(32) };
}

/**
 * The secrets sealed under `kek`, as the JSON text of `secrets.json` (also what the database
 * keeps as the node state `secrets`).
 */
export function sealSecrets(secrets: ServerSecrets, kek: Kek): string {
  const seal = (name: SecretName): SealedJson => {
    const box = kek.wrap(secrets[name], aad(name));
    return { iv: Buffer.from(box.iv).toString('base64'), ciphertext: Buffer.from(box.ciphertext).toString('base64') };
  };
  const file: SecretsFile = { version: 1, kekId: kek.id, auditKey: seal('auditKey'), secretBoxKey: seal('secretBoxKey') };
  return `${JSON.stringify(file, null, 2)}\n`;
}

/** The id of the KEK that sealed `text` (ERR_SERVER_SECRETS when it is not sealed secrets). */
export function sealedSecretsKekId(text: string): string {
  let file: SecretsFile;
  try {
    file = JSON.parse(text) as SecretsFile;
  } catch (cause) {
    throw new ServerError('ERR_SERVER_SECRETS', 'the sealed server secrets are not JSON', { cause });
  }
  if (file.version !== 1 || typeof file.kekId !== 'string') throw new ServerError('ERR_SERVER_SECRETS', 'the sealed server secrets have an unknown format');
  return file.kekId;
}

/** Generates fresh secrets and writes them sealed to `path` (created 0600; refuses to overwrite). */
export function createSecretsFile(path: string, kek: Kek): ServerSecrets {
  const secrets = generateSecrets();
  // Written under a temporary name and renamed: a crash never leaves a half-written secrets file.
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, sealSecrets(secrets, kek));
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  return secrets;
}

/** Reads and unseals `secrets.json`; ERR_SERVER_SECRETS when the KEK does not open it. */
export function readSecretsFile(path: string, kek: Kek): ServerSecrets {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ServerError('ERR_SERVER_SECRETS', `cannot read ${path}`, { cause });
  }
  return unsealSecrets(text, [kek]);
}

/**
 * Unseals secrets sealed by sealSecrets with whichever of `keks` sealed them; ERR_SERVER_SECRETS
 * naming the KEK ids when none did.
 */
export function unsealSecrets(text: string, keks: readonly Kek[]): ServerSecrets {
  let file: SecretsFile;
  try {
    file = JSON.parse(text) as SecretsFile;
  } catch (cause) {
    throw new ServerError('ERR_SERVER_SECRETS', 'the sealed server secrets are not JSON', { cause });
  }
  if (file.version !== 1) throw new ServerError('ERR_SERVER_SECRETS', 'secrets.json has an unknown format');
  const kek = keks.find((k) => k.id === file.kekId);
  if (kek === undefined) {
    throw new ServerError(
      'ERR_SERVER_SECRETS',
      `the server secrets were sealed under KEK ${file.kekId}, this node has ${keks.map((k) => k.id).join(', ')}: give every node the same KEK (SIGNET_KEK_FILE)`,
      { detail: { expected: file.kekId, actual: keks.map((k) => k.id) } },
    );
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
