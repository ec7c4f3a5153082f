/**
 * Password and PIN hashing with node:crypto scrypt (RFC 7914): per-secret random salt, a versioned
 * parameter string, constant-time comparison (crypto.timingSafeEqual), and a dummy verification so
 * unknown users cost the same KDF work as known ones (docs/security.md SCA-04, SAD-26).
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { AuthError } from './errors.js';

/** scrypt cost parameters (RFC 7914 §2). */
export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/** OWASP-recommended minimum for interactive logins: N = 2^15, r = 8, p = 1 (32 MiB). */
export const defaultScryptParams: ScryptParams = { N: 2 ** 15, r: 8, p: 1 };

const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
const MAX_SECRET_BYTES = 1024;
const FORMAT = /^\$scrypt\$v=1\$N=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9_-]{22})\$([A-Za-z0-9_-]{43})$/;

/** Hashes and verifies secrets; injectable so tests can count KDF invocations around the real one. */
export interface SecretHasher {
  /** Returns `$scrypt$v=1$N=…,r=…,p=…$<salt>$<hash>` (base64url). */
  hash(secret: string): Promise<string>;
  /** Constant-time verification against a stored string. */
  verify(secret: string, stored: string): Promise<boolean>;
  /** Runs one KDF with the current parameters and returns false (for unknown users or credentials). */
  verifyDummy(secret: string): Promise<false>;
  /** True when `stored` uses other parameters than the current ones (rehash after a successful login). */
  needsRehash(stored: string): boolean;
}

function checkParams(params: ScryptParams, minimumN: number): void {
  const { N, r, p } = params;
  const isPowerOfTwo = Number.isSafeInteger(N) && N > 1 && (N & (N - 1)) === 0;
  if (
    !isPowerOfTwo ||
    N < minimumN ||
    N > 2 ** 20 ||
    !Number.isSafeInteger(r) ||
    r < 1 ||
    r > 32 ||
    !Number.isSafeInteger(p) ||
    p < 1 ||
    p > 16
  ) {
    throw new AuthError('ERR_AUTH_POLICY', 'scrypt parameters are out of the accepted range');
  }
}

function derive(secret: string, salt: Uint8Array, params: ScryptParams): Promise<Buffer> {
  // Over-long secrets are truncated here only to bound the work; isAcceptable() makes them never match.
  const bytes = Buffer.from(secret.normalize('NFC'), 'utf8');
  const options: ScryptOptions = {
    N: params.N,
    r: params.r,
    p: params.p,
    maxmem: 256 * params.N * params.r + 1024 * 1024,
  };
  return new Promise((resolve, reject) => {
    scrypt(bytes.subarray(0, MAX_SECRET_BYTES), salt, KEY_LENGTH, options, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

function isAcceptable(secret: string): boolean {
  return (
    secret.length > 0 && Buffer.byteLength(secret.normalize('NFC'), 'utf8') <= MAX_SECRET_BYTES
  );
}

/**
 * The scrypt hasher. `minimumN` (default 2^14) refuses weaker parameters both for new hashes and
 * for stored ones (a tampered row cannot downgrade the cost below it, nor raise it past 2^20).
 *
 * @example
 * ```ts
 * const hasher = createScryptHasher();
 * const stored = await hasher.hash('correct horse');
 * await hasher.verify('correct horse', stored); // true
 * ```
 */
export function createScryptHasher(
  params: ScryptParams = defaultScryptParams,
  options: { readonly minimumN?: number } = {},
): SecretHasher {
  const minimumN = options.minimumN ?? 2 ** 14;
  checkParams(params, minimumN);
  const dummySalt = randomBytes(SALT_LENGTH);
  const dummyHash = randomBytes(KEY_LENGTH);
  return {
    async hash(secret: string): Promise<string> {
      if (!isAcceptable(secret))
        throw new AuthError('ERR_AUTH_POLICY', `a secret must have 1 to ${MAX_SECRET_BYTES} bytes`);
      const salt = randomBytes(SALT_LENGTH);
      const key = await derive(secret, salt, params);
      return `$scrypt$v=1$N=${params.N},r=${params.r},p=${params.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
    },
    async verify(secret: string, stored: string): Promise<boolean> {
      const m = FORMAT.exec(stored);
      if (m === null)
        throw new AuthError(
          'ERR_AUTH_SECRET_FORMAT',
          'the stored secret hash is not in a recognised format',
        );
      const storedParams = { N: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
      try {
        checkParams(storedParams, minimumN);
      } catch (cause) {
        throw new AuthError(
          'ERR_AUTH_SECRET_FORMAT',
          'the stored secret hash has unacceptable parameters',
          { cause },
        );
      }
      const expected = Buffer.from(m[5] ?? '', 'base64url');
      const actual = await derive(secret, Buffer.from(m[4] ?? '', 'base64url'), storedParams);
      return (
        actual.length === expected.length &&
        timingSafeEqual(actual, expected) &&
        isAcceptable(secret)
      );
    },
    needsRehash(stored: string): boolean {
      const m = FORMAT.exec(stored);
      return (
        m === null ||
        Number(m[1]) !== params.N ||
        Number(m[2]) !== params.r ||
        Number(m[3]) !== params.p
      );
    },
    async verifyDummy(secret: string): Promise<false> {
      const actual = await derive(secret, dummySalt, params);
      timingSafeEqual(actual, dummyHash);
      return false;
    },
  };
}
