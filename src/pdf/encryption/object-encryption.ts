/**
 * Per-object encryption of strings and streams under the standard security handler (ISO 32000-1
 * §7.6.2 Algorithm 1, ISO 32000-2 §7.6.3): decrypts objects as the reader loads them and encrypts
 * the objects an incremental update writes, with the document's own handler and key.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { PdfDict, PdfName, PdfStream, PdfString, type PdfObject, type PdfRef } from '../objects.js';
import { PdfError } from '../errors.js';
import { rc4 } from './rc4.js';
import {
  isSignatureDictionary,
  isUnencryptedStreamType,
  type CryptMethod,
  type StandardSecurity,
} from './standard-security-handler.js';

const SALT = Uint8Array.from([0x73, 0x41, 0x6c, 0x54]); // "sAlT", Algorithm 1 step b for AESV2

/**
 * The encryption of an opened document: what the handler is, the permissions, and the
 * transformations of objects in both directions.
 *
 * @example
 * ```ts
 * const doc = PdfDocument.open(encryptedBytes); // the empty user password
 * doc.encryption?.permissions; // /P
 * ```
 */
export class DocumentEncryption {
  readonly #sec: StandardSecurity;
  /** Object number of the encryption dictionary (never encrypted itself). */
  readonly encryptObjectNumber: number | undefined;

  constructor(security: StandardSecurity, encryptObjectNumber: number | undefined) {
    this.#sec = security;
    this.encryptObjectNumber = encryptObjectNumber;
  }

  /** Standard security handler revision /R (2–6). */
  get revision(): number {
    return this.#sec.revision;
  }
  /** The crypt method of streams (/StmF). */
  get streamMethod(): CryptMethod {
    return this.#sec.streamMethod;
  }
  /** The user access permissions /P (ISO 32000-2 Table 22), as an unsigned 32-bit value. */
  get permissions(): number {
    return this.#sec.permissions;
  }
  /** True when the owner password opened the document: the permissions do not bind its holder. */
  get isOwner(): boolean {
    return this.#sec.isOwner;
  }

  /**
   * True when the permissions grant bit `bit` (1-based, ISO 32000-2 Table 22: 4 modify, 6
   * annotate and fill, 9 fill existing fields, 11 assemble), or the owner opened the document.
   */
  allows(bit: number): boolean {
    return this.#sec.isOwner || (this.#sec.permissions & (1 << (bit - 1))) !== 0;
  }

  /** Algorithm 1: the key for object `num gen` under `method`. */
  #objectKey(method: CryptMethod, num: number, gen: number): Uint8Array {
    const key = this.#sec.fileKey;
    if (method === 'AESV3') return key;
    const h = createHash('md5')
      .update(key)
      .update(
        Uint8Array.from([
          num & 0xff,
          (num >> 8) & 0xff,
          (num >> 16) & 0xff,
          gen & 0xff,
          (gen >> 8) & 0xff,
        ]),
      );
    if (method === 'AESV2') h.update(SALT);
    return new Uint8Array(h.digest()).subarray(0, Math.min(key.length + 5, 16));
  }

  #decrypt(method: CryptMethod, num: number, gen: number, data: Uint8Array): Uint8Array {
    if (method === 'None') return data;
    const key = this.#objectKey(method, num, gen);
    if (method === 'RC4') return rc4(key, data);
    // §7.6.3: AES data starts with a 16-byte IV; CBC with PKCS#5 padding. Shorter data is empty
    // (as other readers decide), a damaged padding keeps the bytes.
    if (data.length < 32 || data.length % 16 !== 0)
      return data.length < 16 ? new Uint8Array(0) : this.#cbc(method, key, data, false);
    return this.#cbc(method, key, data, true);
  }

  #cbc(method: 'AESV2' | 'AESV3', key: Uint8Array, data: Uint8Array, strip: boolean): Uint8Array {
    const body = data.subarray(16, 16 + Math.floor((data.length - 16) / 16) * 16);
    const d = createDecipheriv(
      method === 'AESV2' ? 'aes-128-cbc' : 'aes-256-cbc',
      key,
      data.subarray(0, 16),
    ).setAutoPadding(false);
    const plain = new Uint8Array(Buffer.concat([d.update(body), d.final()]));
    if (!strip || plain.length === 0) return plain;
    const pad = plain[plain.length - 1]!;
    if (pad < 1 || pad > 16 || pad > plain.length) return plain;
    for (let i = plain.length - pad; i < plain.length; i++) if (plain[i] !== pad) return plain;
    return plain.subarray(0, plain.length - pad);
  }

  #encrypt(method: CryptMethod, num: number, gen: number, data: Uint8Array): Uint8Array {
    if (method === 'None') return data;
    const key = this.#objectKey(method, num, gen);
    if (method === 'RC4') return rc4(key, data);
    const iv = randomBytes(16);
    const c = createCipheriv(method === 'AESV2' ? 'aes-128-cbc' : 'aes-256-cbc', key, iv);
    return new Uint8Array(Buffer.concat([iv, c.update(data), c.final()]));
  }

  /** The method of a stream: its own /Crypt filter when it names one (§7.4.10), else /StmF. */
  #streamMethod(dict: PdfDict): CryptMethod {
    if (isUnencryptedStreamType(dict, this.#sec.encryptMetadata)) return 'None';
    const filter = dict.get('Filter');
    const first = Array.isArray(filter) ? filter[0] : filter;
    if (first === PdfName.of('Crypt')) {
      const parms = dict.get('DecodeParms');
      const p = Array.isArray(parms) ? parms[0] : parms;
      const named = p instanceof PdfDict ? p.getName('Name') : undefined;
      // §7.6.5: /Identity (the default) means not encrypted; any other name must be in /CF.
      const method = this.#sec.methodOf(named ?? 'Identity');
      if (method === undefined) {
        throw new PdfError(
          'ERR_PDF_ENCRYPTED',
          `a stream names the crypt filter /${(named ?? '').slice(0, 40)}, which the encryption dictionary's /CF does not define with a method Signet reads`,
        );
      }
      return method;
    }
    return this.#sec.streamMethod;
  }

  /** The object `num gen` as read from the file, with its strings and stream data decrypted. */
  decryptObject(obj: PdfObject, num: number, gen: number): PdfObject {
    if (num === this.encryptObjectNumber) return obj;
    return this.#map(
      obj,
      (s) => new PdfString(this.#decrypt(this.#sec.stringMethod, num, gen, s.bytes), s.isHex),
      (st, dict) => {
        const method = this.#streamMethod(st.dict);
        if (method === 'None')
          return new PdfStream(dict, { length: st.rawLength, load: () => st.raw });
        return new PdfStream(dict, {
          length: st.rawLength,
          load: () => this.#decrypt(method, num, gen, st.raw),
        });
      },
    );
  }

  /**
   * The object to write as `ref` in an update: strings and stream data encrypted (strings
   * written in hexadecimal), except a signature dictionary's /Contents (ISO 32000-1 §7.6.1).
   */
  encryptObject(obj: PdfObject, ref: PdfRef): PdfObject {
    const { num, gen } = ref;
    return this.#map(
      obj,
      (s) => new PdfString(this.#encrypt(this.#sec.stringMethod, num, gen, s.bytes), true),
      (st, dict) =>
        new PdfStream(dict, this.#encrypt(this.#streamMethod(st.dict), num, gen, st.raw)),
    );
  }

  #map(
    obj: PdfObject,
    onString: (s: PdfString) => PdfString,
    onStream: (s: PdfStream, dict: PdfDict) => PdfStream,
  ): PdfObject {
    const walk = (o: PdfObject, depth: number): PdfObject => {
      if (o instanceof PdfString) return onString(o);
      if (Array.isArray(o)) return o.map((x) => walk(x, depth + 1));
      if (o instanceof PdfDict) return mapDict(o, depth);
      if (o instanceof PdfStream) return onStream(o, mapDict(o.dict, depth));
      return o;
    };
    const mapDict = (d: PdfDict, depth: number): PdfDict => {
      const out = new PdfDict();
      const keepContents = isSignatureDictionary(d);
      for (const [k, v] of d.entries())
        out.set(k, keepContents && k === 'Contents' ? v : walk(v, depth + 1));
      return out;
    };
    return walk(obj, 0);
  }
}
