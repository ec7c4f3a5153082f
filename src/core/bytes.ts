/** Small byte helpers shared by every domain (no Buffer in library signatures). */

/** Concatenates byte arrays into one new Uint8Array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Lower-case hexadecimal encoding. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

const HEX_DIGITS = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0));

/** Lower-case hexadecimal encoding as ASCII bytes, two a byte (no intermediate string). */
export function toHexDigits(bytes: Uint8Array): Uint8Array {
  const digits = new Uint8Array(bytes.length * 2);
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    digits[2 * i] = HEX_DIGITS[b >> 4] as number;
    digits[2 * i + 1] = HEX_DIGITS[b & 0x0f] as number;
  }
  return digits;
}

/** Decodes hexadecimal (whitespace ignored); returns undefined when malformed. */
export function fromHex(hex: string): Uint8Array | undefined {
  const clean = hex.replace(/\s+/g, '');
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) return undefined;
  return new Uint8Array(Buffer.from(clean, 'hex'));
}

/** Views any ArrayBufferView or ArrayBuffer as a Uint8Array without copying. */
export function asBytes(data: ArrayBuffer | ArrayBufferView): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

/** Copies into a fresh, exactly sized ArrayBuffer (for APIs that need one). */
export function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const out = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(out).set(bytes);
  return out;
}

/** Byte-wise equality (not constant time; use crypto.timingSafeEqual for secrets). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Latin-1 encoding of an ASCII string (PDF syntax is byte-oriented). */
export function latin1(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'latin1'));
}

const B64 = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') B64[c.charCodeAt(0)] = 1;

/**
 * True for strict standard Base64 (RFC 4648 §4: the standard alphabet, length a multiple of 4,
 * `=` padding only at the end, at most two). One linear pass with no regular expression, so a
 * 40 MB document cannot overflow the stack of a backtracking matcher (issue 15).
 *
 * @example
 * ```ts
 * if (!isStrictBase64(value)) throw new Error('not base64');
 * ```
 */
export function isStrictBase64(value: string): boolean {
  const n = value.length;
  if (n % 4 !== 0) return false;
  let end = n;
  if (end > 0 && value.charCodeAt(end - 1) === 0x3d) end--;
  if (end > 0 && value.charCodeAt(end - 1) === 0x3d) end--;
  for (let i = 0; i < end; i++) {
    const c = value.charCodeAt(i);
    if (c >= 128 || B64[c] !== 1) return false;
  }
  return true;
}

/**
 * Big-endian bytes to bigint, eight octets at a time and without a string (a hex string of a
 * private scalar would outlive the signature in the heap; docs/security.md KEY-04).
 */
export function bytesToBigint(bytes: Uint8Array): bigint {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const head = bytes.length % 8;
  let v = 0n;
  for (let i = 0; i < head; i++) v = (v << 8n) | BigInt(bytes[i] as number);
  for (let i = head; i < bytes.length; i += 8) v = (v << 64n) | view.getBigUint64(i);
  return v;
}

/** Big-endian fixed-size encoding of a non-negative bigint below 2^(8·size). */
export function bigintToBytes(value: bigint, size: number): Uint8Array {
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let v = value;
  let i = size;
  for (; i >= 8; i -= 8) {
    view.setBigUint64(i - 8, v & 0xffffffffffffffffn);
    v >>= 64n;
  }
  for (; i > 0; i--) {
    out[i - 1] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}
