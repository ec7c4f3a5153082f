/** The PKCS#12 key derivation function (RFC 7292 App. B.2) for MAC keys and the PKCS#12 PBE schemes. */
import { createHash } from 'node:crypto';

/** Hash functions the PKCS#12 KDF is used with, with their block size v in bytes. */
export type Pkcs12KdfHash = 'sha1' | 'sha256' | 'sha384' | 'sha512';

const blockSize: Readonly<Record<Pkcs12KdfHash, number>> = {
  sha1: 64,
  sha256: 64,
  sha384: 128,
  sha512: 128,
};

/** RFC 7292 App. B.3: ID 1 = key material, 2 = IV, 3 = MAC key. */
export type Pkcs12KdfPurpose = 1 | 2 | 3;

/** RFC 7292 App. B.1: the password as a BMPString (UTF-16BE) with a two-octet NUL terminator. */
export function bmpPassword(passphrase: string): Uint8Array {
  const out = new Uint8Array(passphrase.length * 2 + 2);
  for (let i = 0; i < passphrase.length; i++) {
    const c = passphrase.charCodeAt(i);
    out[2 * i] = c >> 8;
    out[2 * i + 1] = c & 0xff;
  }
  return out;
}

function repeatTo(data: Uint8Array, v: number): Uint8Array {
  if (data.length === 0) return new Uint8Array(0);
  const out = new Uint8Array(v * Math.ceil(data.length / v));
  for (let i = 0; i < out.length; i++) out[i] = data[i % data.length] as number;
  return out;
}

/**
 * Derives `length` bytes (RFC 7292 App. B.2). `password` is the BMPString from
 * {@link bmpPassword}; `iterations` must already be bounded by the caller.
 */
export function pkcs12Kdf(
  hash: Pkcs12KdfHash,
  password: Uint8Array,
  salt: Uint8Array,
  purpose: Pkcs12KdfPurpose,
  iterations: number,
  length: number,
): Uint8Array {
  const v = blockSize[hash];
  const d = new Uint8Array(v).fill(purpose);
  const s = repeatTo(salt, v);
  const p = repeatTo(password, v);
  const i = new Uint8Array(s.length + p.length);
  i.set(s, 0);
  i.set(p, s.length);
  const out = new Uint8Array(length);
  let filled = 0;
  for (;;) {
    let a: Uint8Array = createHash(hash).update(d).update(i).digest();
    for (let r = 1; r < iterations; r++) a = createHash(hash).update(a).digest();
    const take = Math.min(a.length, length - filled);
    out.set(a.subarray(0, take), filled);
    filled += take;
    if (filled >= length) break;
    // Step 6.B–C: I_j = (I_j + B + 1) mod 2^(8v) for every v-octet block of I.
    const b = repeatTo(a, v).subarray(0, v);
    for (let j = 0; j < i.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = (i[j + k] as number) + (b[k] as number) + carry;
        i[j + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  i.fill(0);
  p.fill(0);
  return out;
}
