/**
 * Reading secrets (KEKs, token PINs) from files or environment variables, with the `*_FILE`
 * convention of container secrets: `NAME_FILE=/run/secrets/x` wins over `NAME=value`.
 */
import { readFileSync, statSync } from 'node:fs';
import { KeyBackendError } from './errors.js';

/** Upper bound for a secret file: secrets are short; a large file is a configuration mistake. */
const maxSecretBytes = 4096;

/**
 * Reads a secret file (at most 4 KiB). The message names the path, never the content.
 *
 * @example
 * ```ts
 * const pin = new TextDecoder().decode(readSecretFile('/run/secrets/token-pin')).trim();
 * ```
 */
export function readSecretFile(path: string): Uint8Array {
  try {
    const size = statSync(path).size;
    if (size > maxSecretBytes) {
      throw new KeyBackendError(
        'ERR_KEY_SECRET',
        `secret file ${path} is larger than ${maxSecretBytes} bytes`,
      );
    }
    return new Uint8Array(readFileSync(path));
  } catch (err) {
    if (err instanceof KeyBackendError) throw err;
    throw new KeyBackendError('ERR_KEY_SECRET', `cannot read secret file ${path}`, {
      detail: { code: (err as NodeJS.ErrnoException).code },
    });
  }
}

/**
 * Reads the secret named `name` from `env`: the file named by `${name}_FILE` when set, else the
 * value of `name`. Throws `ERR_KEY_SECRET` when neither is set.
 */
export function readSecretFromEnv(name: string, env: NodeJS.ProcessEnv = process.env): Uint8Array {
  const file = env[`${name}_FILE`];
  if (file !== undefined && file !== '') return readSecretFile(file);
  const value = env[name];
  if (value === undefined || value === '') {
    throw new KeyBackendError('ERR_KEY_SECRET', `neither ${name}_FILE nor ${name} is set`);
  }
  return new TextEncoder().encode(value);
}

/** Reads a text secret (a PIN) from a file, without the trailing newline. */
export function readSecretText(path: string): string {
  return new TextDecoder().decode(readSecretFile(path)).replace(/\r?\n$/, '');
}
