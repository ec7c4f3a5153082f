/**
 * RC2-CBC decryption (RFC 2268), only for reading legacy PKCS#12 files whose certificates are
 * encrypted with pbeWithSHAAnd40BitRC2-CBC (RFC 7292 App. C): OpenSSL 3 ships RC2 only in its
 * legacy provider, which node:crypto does not load. Never used to protect anything.
 */

// RFC 2268 §2: PITABLE, a permutation of 0..255 derived from the digits of pi.
const PITABLE = Uint8Array.from(
  Buffer.from(
    'd978f9c419ddb5ed28e9fd794aa0d89dc67e37832b76538e624c6488448bfba2179a59f587b34f1361456d8d09817d32bd8f40eb86b77b0bf09521225c6b4e8254d66593ce60b21c7356c014a78cf1dc1275ca1f3bbee4d1423dd430a33cb6266fbf0eda46690757' +
      '27f21d9bbc944303f811c7f690ef3ee706c3d52fc8661ed708e8eade8052eef784aa72ac354d6a2a961ad2715a1549744b9fd05e0418a4ecc2e0416e0f51cbcc2491af50a1f47039997c3a8523b8b47afc02365b25559731' +
      '2d5dfa98e38a92ae05df2910676cbac9d300e6cfe19ea82c6316013f58e289a90d38341bab33ffb0bb480c5fb9b1cd2ec5f3db47e5a59c770aa62068fe7fc1ad',
    'hex',
  ),
);

/** RFC 2268 §2: expands `key` to 64 16-bit subkeys with `effectiveBits` effective key bits. */
export function rc2ExpandKey(key: Uint8Array, effectiveBits: number): Uint16Array {
  const l = new Uint8Array(128);
  l.set(key);
  const t = key.length;
  for (let i = t; i < 128; i++)
    l[i] = PITABLE[((l[i - 1] as number) + (l[i - t] as number)) & 0xff] as number;
  const t8 = Math.ceil(effectiveBits / 8);
  const tm = 0xff >> (8 * t8 - effectiveBits);
  l[128 - t8] = PITABLE[(l[128 - t8] as number) & tm] as number;
  for (let i = 127 - t8; i >= 0; i--)
    l[i] = PITABLE[(l[i + 1] as number) ^ (l[i + t8] as number)] as number;
  const k = new Uint16Array(64);
  for (let i = 0; i < 64; i++) k[i] = (l[2 * i] as number) | ((l[2 * i + 1] as number) << 8);
  l.fill(0);
  return k;
}

/** Decrypts one 8-octet block in place (RFC 2268 §4). */
function decryptBlock(k: Uint16Array, block: Uint8Array, offset: number): void {
  const r = new Uint16Array(4);
  for (let i = 0; i < 4; i++)
    r[i] = (block[offset + 2 * i] as number) | ((block[offset + 2 * i + 1] as number) << 8);
  const shifts = [1, 2, 3, 5] as const;
  let j = 63;
  const rmix = (): void => {
    for (let i = 3; i >= 0; i--) {
      const s = shifts[i] as number;
      const x = r[i] as number;
      r[i] = ((x >>> s) | (x << (16 - s))) & 0xffff;
      r[i] =
        (r[i] as number) -
        (k[j] as number) -
        ((r[(i + 3) % 4] as number) & (r[(i + 2) % 4] as number)) -
        (~(r[(i + 3) % 4] as number) & (r[(i + 1) % 4] as number));
      j--;
    }
  };
  const rmash = (): void => {
    for (let i = 3; i >= 0; i--)
      r[i] = (r[i] as number) - (k[(r[(i + 3) % 4] as number) & 63] as number);
  };
  for (let n = 0; n < 5; n++) rmix();
  rmash();
  for (let n = 0; n < 6; n++) rmix();
  rmash();
  for (let n = 0; n < 5; n++) rmix();
  for (let i = 0; i < 4; i++) {
    block[offset + 2 * i] = (r[i] as number) & 0xff;
    block[offset + 2 * i + 1] = (r[i] as number) >> 8;
  }
}

/**
 * RC2-CBC decryption without padding removal; returns undefined when `data` is not a whole
 * number of blocks.
 */
export function rc2CbcDecrypt(
  key: Uint8Array,
  effectiveBits: number,
  iv: Uint8Array,
  data: Uint8Array,
): Uint8Array | undefined {
  if (data.length % 8 !== 0 || iv.length !== 8) return undefined;
  const k = rc2ExpandKey(key, effectiveBits);
  const out = Uint8Array.from(data);
  for (let off = 0; off < out.length; off += 8) {
    decryptBlock(k, out, off);
    for (let i = 0; i < 8; i++) {
      out[off + i] =
        (out[off + i] as number) ^ (off === 0 ? (iv[i] as number) : (data[off - 8 + i] as number));
    }
  }
  k.fill(0);
  return out;
}
