/**
 * TOTP (RFC 6238) over HOTP (RFC 4226 §5.3 dynamic truncation), with node:crypto HMAC; base32
 * (RFC 4648 §6) for authenticator apps. Pure functions: replay protection is the caller's
 * atomic last-step update (RFC 6238 §5.2).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { AuthError } from './errors.js';

/** RFC 6238 §4/§5 parameters; defaults are what authenticator apps assume. */
export interface TotpParams {
  readonly algorithm: 'sha1' | 'sha256' | 'sha512';
  readonly digits: 6 | 8;
  /** Time step X in seconds (RFC 6238 §4.1, default 30). */
  readonly periodSeconds: number;
}

/** SHA-1, 6 digits, 30 s (RFC 6238 §4, Google Authenticator's defaults). */
export const defaultTotpParams: TotpParams = { algorithm: 'sha1', digits: 6, periodSeconds: 30 };

/** Accepted steps around the current one (RFC 6238 §5.2 recommends at most one step of delay). */
export interface TotpWindow {
  readonly past: number;
  readonly future: number;
}

/** ±1 step. */
export const defaultTotpWindow: TotpWindow = { past: 1, future: 1 };

/** RFC 4226 §5.3: HOTP value for `counter`. */
export function hotp(
  secret: Uint8Array,
  counter: number,
  params: Pick<TotpParams, 'algorithm' | 'digits'> = defaultTotpParams,
): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(params.algorithm, secret).update(message).digest();
  const offset = (mac[mac.length - 1] ?? 0) & 0x0f;
  const binary = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** params.digits;
  return binary.toString().padStart(params.digits, '0');
}

/** RFC 6238 §4.2: T = floor((now − T0) / X), with T0 = 0. */
export function totpStep(at: Date, params: TotpParams = defaultTotpParams): number {
  return Math.floor(at.getTime() / 1000 / params.periodSeconds);
}

/** The TOTP code at time `at`. */
export function generateTotp(
  secret: Uint8Array,
  at: Date,
  params: TotpParams = defaultTotpParams,
): string {
  return hotp(secret, totpStep(at, params), params);
}

/**
 * Returns the time step `code` matches within the window, or undefined. Every candidate step is
 * compared (constant time), so timing does not reveal which one matched.
 */
export function matchTotp(
  secret: Uint8Array,
  code: string,
  at: Date,
  options: { readonly params?: TotpParams; readonly window?: TotpWindow } = {},
): number | undefined {
  const params = options.params ?? defaultTotpParams;
  const window = options.window ?? defaultTotpWindow;
  if (!/^\d+$/.test(code) || code.length !== params.digits) return undefined;
  const current = totpStep(at, params);
  const given = Buffer.from(code, 'ascii');
  let matched: number | undefined;
  for (let step = current - window.past; step <= current + window.future; step++) {
    if (step < 0) continue;
    if (
      timingSafeEqual(Buffer.from(hotp(secret, step, params), 'ascii'), given) &&
      matched === undefined
    )
      matched = step;
  }
  return matched;
}

/** A new random 160-bit secret (RFC 4226 §4 R6 recommends 160 bits). */
export function generateTotpSecret(): Uint8Array {
  return new Uint8Array(randomBytes(20));
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 §6 base32, without padding (as otpauth URIs carry it). */
export function encodeBase32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const b of bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/** Decodes base32 (case-insensitive, padding and spaces ignored); ERR_AUTH_POLICY when malformed. */
export function decodeBase32(text: string): Uint8Array {
  const clean = text.replace(/[\s=]/g, '').toUpperCase();
  const out: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const ch of clean) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) throw new AuthError('ERR_AUTH_POLICY', 'the TOTP secret is not valid base32');
    buffer = ((buffer << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((buffer >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return new Uint8Array(out);
}

/** The `otpauth://totp/…` provisioning URI (Key Uri Format) for authenticator apps. */
export function totpUri(options: {
  readonly issuer: string;
  readonly account: string;
  readonly secret: Uint8Array;
  readonly params?: TotpParams;
}): string {
  const p = options.params ?? defaultTotpParams;
  const label = `${encodeURIComponent(options.issuer)}:${encodeURIComponent(options.account)}`;
  const query = new URLSearchParams({
    secret: encodeBase32(options.secret),
    issuer: options.issuer,
    algorithm: p.algorithm.toUpperCase(),
    digits: String(p.digits),
    period: String(p.periodSeconds),
  });
  return `otpauth://totp/${label}?${query.toString()}`;
}
