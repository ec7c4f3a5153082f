/**
 * The standard security handler (ISO 32000-1 §7.6.3, ISO 32000-2 §7.6.4): reads the encryption
 * dictionary, authenticates a user (or owner) password — the empty one by default — and derives
 * the file encryption key for revisions 2–6 (RC4 40/128, AES-128, AES-256).
 */
import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';
import { PdfDict, PdfName, PdfString, type PdfObject } from '../objects.js';
import { PdfError } from '../errors.js';
import { rc4 } from './rc4.js';
import { saslprep } from './saslprep.js';

/** How a crypt filter encrypts (ISO 32000-2 Table 25 /CFM): none, RC4, AES-128-CBC or AES-256-CBC. */
export type CryptMethod = 'None' | 'RC4' | 'AESV2' | 'AESV3';

/** What the handler learnt from the encryption dictionary and the password. */
export interface StandardSecurity {
  readonly revision: number;
  readonly version: number;
  /** The file encryption key (Algorithm 2 / 2.A). */
  readonly fileKey: Uint8Array;
  /** Method for strings (/StrF) and for streams (/StmF), and by crypt filter name. */
  readonly stringMethod: CryptMethod;
  readonly streamMethod: CryptMethod;
  readonly methodOf: (filterName: string) => CryptMethod | undefined;
  /** /EncryptMetadata (default true). */
  readonly encryptMetadata: boolean;
  /** The user access permissions /P as an unsigned 32-bit value (Table 22 bit positions). */
  readonly permissions: number;
  /** True when the password given was the owner password (the permissions do not bind its holder). */
  readonly isOwner: boolean;
}

/** ISO 32000-1 §7.6.3.3 Algorithm 2 step a: the padding string. */
const PAD = Uint8Array.from([
  0x28, 0xbf, 0x4e, 0x5e, 0x4e, 0x75, 0x8a, 0x41, 0x64, 0x00, 0x4e, 0x56, 0xff, 0xfa, 0x01, 0x08,
  0x2e, 0x2e, 0x00, 0xb6, 0xd0, 0x68, 0x3e, 0x80, 0x2f, 0x0c, 0xa9, 0xfe, 0x64, 0x53, 0x69, 0x7a,
]);

function md5(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('md5');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

function padPassword(pw: Uint8Array): Uint8Array {
  const out = new Uint8Array(32);
  const n = Math.min(32, pw.length);
  out.set(pw.subarray(0, n));
  out.set(PAD.subarray(0, 32 - n), n);
  return out;
}

function bytesOf(dict: PdfDict, key: string): Uint8Array | undefined {
  const v = dict.get(key);
  return v instanceof PdfString ? v.bytes : undefined;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

function xorKey(key: Uint8Array, i: number): Uint8Array {
  return key.map((b) => b ^ i);
}

/** Algorithm 2 (R2–R4): the file key from a (padded) password. */
function legacyFileKey(
  padded: Uint8Array,
  o: Uint8Array,
  p: number,
  id0: Uint8Array,
  r: number,
  n: number,
  encryptMetadata: boolean,
): Uint8Array {
  const pBytes = new Uint8Array(4);
  new DataView(pBytes.buffer).setUint32(0, p >>> 0, true);
  const parts = [padded, o.subarray(0, 32), pBytes, id0];
  // Algorithm 2 step f: revision 4 without metadata encryption adds four 0xFF bytes.
  if (r >= 4 && !encryptMetadata) parts.push(Uint8Array.from([0xff, 0xff, 0xff, 0xff]));
  let h = md5(...parts);
  if (r >= 3) for (let i = 0; i < 50; i++) h = md5(h.subarray(0, n));
  return h.subarray(0, n);
}

/** Algorithms 4/5 (R2 / R3–R4): the /U value a file key implies, compared on 32 or 16 bytes. */
function legacyUserCheck(key: Uint8Array, u: Uint8Array, id0: Uint8Array, r: number): boolean {
  if (r === 2) return equalBytes(rc4(key, PAD), u.subarray(0, 32));
  let x = rc4(key, md5(PAD, id0));
  for (let i = 1; i <= 19; i++) x = rc4(xorKey(key, i), x);
  return equalBytes(x, u.subarray(0, 16));
}

/** Algorithm 7 (R2–R4): the user password the owner password unlocks. */
function legacyOwnerToUser(padded: Uint8Array, o: Uint8Array, r: number, n: number): Uint8Array {
  let h = md5(padded);
  if (r >= 3) for (let i = 0; i < 50; i++) h = md5(h);
  const key = h.subarray(0, n);
  if (r === 2) return rc4(key, o.subarray(0, 32));
  let x = o.subarray(0, 32);
  for (let i = 19; i >= 0; i--) x = rc4(xorKey(key, i), x);
  return x;
}

/** ISO 32000-2 Algorithm 2.B (R6; R5 is its first SHA-256 only): the password hash. */
function hash2B(pw: Uint8Array, salt: Uint8Array, udata: Uint8Array, r: number): Uint8Array {
  let k = new Uint8Array(createHash('sha256').update(pw).update(salt).update(udata).digest());
  if (r === 5) return k;
  let e = new Uint8Array(0);
  for (let i = 0; i < 64 || e[e.length - 1]! > i - 32; i++) {
    const block = new Uint8Array(pw.length + k.length + udata.length);
    block.set(pw);
    block.set(k, pw.length);
    block.set(udata, pw.length + k.length);
    const k1 = new Uint8Array(block.length * 64);
    for (let j = 0; j < 64; j++) k1.set(block, j * block.length);
    const c = createCipheriv('aes-128-cbc', k.subarray(0, 16), k.subarray(16, 32)).setAutoPadding(
      false,
    );
    e = new Uint8Array(Buffer.concat([c.update(k1), c.final()]));
    // The first 16 bytes of E as a big-endian number mod 3 (256 ≡ 1 mod 3: the byte sum mod 3).
    let sum = 0;
    for (let j = 0; j < 16; j++) sum += e[j]!;
    const alg = ['sha256', 'sha384', 'sha512'][sum % 3]!;
    k = new Uint8Array(createHash(alg).update(e).digest());
  }
  return k.subarray(0, 32);
}

function aes256Unwrap(key: Uint8Array, wrapped: Uint8Array): Uint8Array {
  const d = createDecipheriv('aes-256-cbc', key, new Uint8Array(16)).setAutoPadding(false);
  return new Uint8Array(Buffer.concat([d.update(wrapped.subarray(0, 32)), d.final()]));
}

/** A crypt filter method by the filter's /CFM (ISO 32000-2 Table 25). */
function cryptFilterMethod(cf: PdfDict | undefined, filterName: string): CryptMethod | undefined {
  if (filterName === 'Identity') return 'None';
  const f = cf?.get(filterName);
  if (!(f instanceof PdfDict)) return undefined;
  const cfm = f.getName('CFM') ?? 'None';
  switch (cfm) {
    case 'None':
      return 'None';
    case 'V2':
      return 'RC4';
    case 'AESV2':
    case 'AESV3':
      return cfm;
    default:
      return undefined;
  }
}

/**
 * Opens the standard security handler of `encrypt` for the document whose first /ID element is
 * `id0`. Tries `password` (UTF-8; the empty user password when undefined) as the user password,
 * then as the owner password. `ERR_PDF_PASSWORD` when neither opens the file;
 * `ERR_PDF_ENCRYPTED` for handlers and revisions Signet does not implement.
 */
export function openStandardSecurity(
  encrypt: PdfDict,
  id0: Uint8Array,
  password: Uint8Array | string | undefined,
): StandardSecurity {
  const filter = encrypt.getName('Filter');
  if (filter === 'Adobe.PubSec') {
    // ISO 32000-1 §7.6.4 (public-key security handlers): the file key is sealed to each
    // recipient's certificate in /Recipients (CMS EnvelopedData); only a recipient's private key opens it.
    throw new PdfError(
      'ERR_PDF_ENCRYPTED',
      'the document is encrypted for the certificates of its recipients (public-key security handler /Adobe.PubSec): only a recipient\'s private key opens it, and Signet does not take one — ask its sender for a copy encrypted with a password or none',
    );
  }
  if (filter !== 'Standard') unsupportedThrow(`the security handler /${filter ?? '?'}`);
  const v = encrypt.getNumber('V') ?? 0;
  const r = encrypt.getNumber('R') ?? 0;
  const o = bytesOf(encrypt, 'O');
  const u = bytesOf(encrypt, 'U');
  const p = encrypt.getNumber('P');
  if (
    ![1, 2, 4, 5].includes(v) ||
    r < 2 ||
    r > 6 ||
    o === undefined ||
    u === undefined ||
    p === undefined
  ) {
    unsupportedThrow(`standard security handler V ${v} R ${r}`);
  }
  const encryptMetadata = encrypt.get('EncryptMetadata') !== false;
  const cf = encrypt.get('CF');
  const cfDict = cf instanceof PdfDict ? cf : undefined;
  let stringMethod: CryptMethod;
  let streamMethod: CryptMethod;
  let methodOf: (n: string) => CryptMethod | undefined;
  if (v >= 4) {
    methodOf = (n) => cryptFilterMethod(cfDict, n);
    const strF = encrypt.getName('StrF') ?? 'Identity';
    const stmF = encrypt.getName('StmF') ?? 'Identity';
    const sm = methodOf(strF);
    const tm = methodOf(stmF);
    if (sm === undefined || tm === undefined)
      unsupportedThrow(`the crypt filter /${sm === undefined ? strF : stmF}`);
    stringMethod = sm!;
    streamMethod = tm!;
  } else {
    stringMethod = 'RC4';
    streamMethod = 'RC4';
    methodOf = (n) => (n === 'Identity' ? 'None' : undefined);
  }
  const pw = passwordBytes(password, r);
  const base = {
    revision: r,
    version: v,
    stringMethod,
    streamMethod,
    methodOf,
    encryptMetadata,
    permissions: p! >>> 0,
  };

  if (r >= 5) {
    // ISO 32000-2 §7.6.4.3.3 Algorithm 2.A: the password is at most 127 bytes of UTF-8 (after SASLprep).
    const pw127 = pw.subarray(0, 127);
    const oe = bytesOf(encrypt, 'OE');
    const ue = bytesOf(encrypt, 'UE');
    if (
      o!.length < 48 ||
      u!.length < 48 ||
      oe === undefined ||
      ue === undefined ||
      oe.length < 32 ||
      ue.length < 32
    ) {
      throw new PdfError(
        'ERR_PDF_ENCRYPTED',
        'the encryption dictionary is malformed (/O, /U, /OE or /UE too short)',
      );
    }
    let fileKey: Uint8Array | undefined;
    let isOwner = false;
    if (equalBytes(hash2B(pw127, o!.subarray(32, 40), u!.subarray(0, 48), r), o!.subarray(0, 32))) {
      fileKey = aes256Unwrap(hash2B(pw127, o!.subarray(40, 48), u!.subarray(0, 48), r), oe);
      isOwner = true;
    } else if (
      equalBytes(hash2B(pw127, u!.subarray(32, 40), new Uint8Array(0), r), u!.subarray(0, 32))
    ) {
      fileKey = aes256Unwrap(hash2B(pw127, u!.subarray(40, 48), new Uint8Array(0), r), ue);
    }
    if (fileKey === undefined) throw passwordError(password);
    checkPerms(encrypt, fileKey, p!);
    return { ...base, fileKey, isOwner };
  }

  // R2 uses 40-bit keys; R3/R4 take /Length (bits, 40–128, default 40; V4 defaults to 128).
  if (o!.length < 32 || u!.length < 32)
    throw new PdfError(
      'ERR_PDF_ENCRYPTED',
      'the encryption dictionary is malformed (/O or /U shorter than 32 bytes)',
    );
  const bits = r === 2 ? 40 : (encrypt.getNumber('Length') ?? (v === 4 ? 128 : 40));
  if (bits % 8 !== 0 || bits < 40 || bits > 128) unsupportedThrow(`a key length of ${bits} bits`);
  const n = bits / 8;
  // ISO 32000-2 §7.6.4.3.2 Algorithm 2 a: a typed password is converted to PDFDocEncoding (what
  // Acrobat and qpdf store); its UTF-8 bytes are tried next (what some writers store).
  const candidates = typeof password === 'string' ? legacyPasswordCandidates(password) : [pw];
  for (const candidate of candidates) {
    const userKey = legacyFileKey(padPassword(candidate), o!, p!, id0, r, n, encryptMetadata);
    if (legacyUserCheck(userKey, u!, id0, r)) return { ...base, fileKey: userKey, isOwner: false };
    const asUser = legacyOwnerToUser(padPassword(candidate), o!, r, n);
    const ownerKey = legacyFileKey(asUser, o!, p!, id0, r, n, encryptMetadata);
    if (legacyUserCheck(ownerKey, u!, id0, r)) return { ...base, fileKey: ownerKey, isOwner: true };
  }
  throw passwordError(password);
}

/** ISO 32000-1 Annex D.2: PDFDocEncoding's codes 0x18–0x1F and 0x80–0xA0, which differ from Latin-1. */
const pdfDocSpecials = new Map<number, number>(
  [
    0x02d8, 0x02c7, 0x02c6, 0x02d9, 0x02dd, 0x02db, 0x02da, 0x02dc,
  ].map((cp, i): [number, number] => [cp, 0x18 + i]).concat(
    [
      0x2022, 0x2020, 0x2021, 0x2026, 0x2014, 0x2013, 0x0192, 0x2044, 0x2039, 0x203a, 0x2212,
      0x2030, 0x201e, 0x201c, 0x201d, 0x2018, 0x2019, 0x201a, 0x2122, 0xfb01, 0xfb02, 0x0141,
      0x0152, 0x0160, 0x0178, 0x017d, 0x0131, 0x0142, 0x0153, 0x0161, 0x017e,
    ].map((cp, i): [number, number] => [cp, 0x80 + i]),
    [[0x20ac, 0xa0]],
  ),
);

/** The R2–R4 password bytes to try for a typed password: PDFDocEncoding (when it can encode it), then UTF-8. */
function legacyPasswordCandidates(password: string): Uint8Array[] {
  const text = password.normalize('NFC');
  const doc: number[] = [];
  for (const ch of text) {
    const cp = ch.codePointAt(0) as number;
    const code = pdfDocSpecials.get(cp) ?? ((cp < 0x18 || (cp >= 0x20 && cp < 0x7f) || (cp > 0xa0 && cp <= 0xff && cp !== 0xad)) ? cp : undefined);
    if (code === undefined) return [new TextEncoder().encode(text)];
    doc.push(code);
  }
  const utf8 = new TextEncoder().encode(text);
  return doc.length === utf8.length ? [utf8] : [Uint8Array.from(doc), utf8];
}

/**
 * The password's bytes for revision `r`: bytes are used as given; a string is, for R5/R6, UTF-8
 * after SASLprep (ISO 32000-2 §7.6.4.3.3 Algorithm 2.A a, RFC 4013); R2–R4 try the candidates of
 * legacyPasswordCandidates.
 */
function passwordBytes(password: Uint8Array | string | undefined, r: number): Uint8Array {
  if (password === undefined) return new Uint8Array(0);
  if (typeof password !== 'string') return password;
  if (r < 5) return legacyPasswordCandidates(password)[0] as Uint8Array;
  const result = saslprep(password);
  if ('failure' in result) {
    throw new PdfError(
      'ERR_PDF_PASSWORD',
      result.failure === 'BIDI'
        ? 'the password mixes right-to-left and left-to-right letters as SASLprep forbids (RFC 3454 §6)'
        : 'the password contains a character SASLprep prohibits (RFC 4013 §2.3: controls, private use, non-characters …)',
    );
  }
  return new TextEncoder().encode(result.prepared);
}

function unsupportedThrow(what: string): never {
  throw new PdfError(
    'ERR_PDF_ENCRYPTED',
    `the document is encrypted with ${what}, which Signet cannot read`,
  );
}

function passwordError(password: Uint8Array | string | undefined): PdfError {
  return password === undefined
    ? new PdfError(
        'ERR_PDF_PASSWORD',
        'the document is protected by a password (the empty user password does not open it)',
      )
    : new PdfError('ERR_PDF_PASSWORD', 'the password does not open the document');
}

/** ISO 32000-2 Algorithm 13: /Perms, decrypted with the file key, must repeat /P and read "adb". */
function checkPerms(encrypt: PdfDict, fileKey: Uint8Array, p: number): void {
  const perms = bytesOf(encrypt, 'Perms');
  if (perms === undefined || perms.length < 16)
    throw new PdfError('ERR_PDF_ENCRYPTED', 'the encryption dictionary has no valid /Perms');
  const d = createDecipheriv('aes-256-ecb', fileKey, null).setAutoPadding(false);
  const plain = new Uint8Array(Buffer.concat([d.update(perms.subarray(0, 16)), d.final()]));
  const declared = new DataView(plain.buffer, plain.byteOffset).getUint32(0, true);
  if (plain[9] !== 0x61 || plain[10] !== 0x64 || plain[11] !== 0x62 || declared !== p >>> 0) {
    throw new PdfError(
      'ERR_PDF_ENCRYPTED',
      'the encryption dictionary was altered (/Perms does not match /P)',
    );
  }
}

/** Names of the objects the standard handler never encrypts (ISO 32000-2 §7.6.2). */
export function isUnencryptedStreamType(dict: PdfDict, encryptMetadata: boolean): boolean {
  const type = dict.get('Type');
  if (type === PdfName.of('XRef')) return true;
  return !encryptMetadata && type === PdfName.of('Metadata');
}

/** True for a signature or document time-stamp dictionary, whose /Contents is never encrypted (ISO 32000-1 §7.6.1, §12.8.1). */
export function isSignatureDictionary(dict: PdfDict): boolean {
  const type: PdfObject | undefined = dict.get('Type');
  if (type === PdfName.of('Sig') || type === PdfName.of('DocTimeStamp')) return true;
  return type === undefined && dict.has('ByteRange') && dict.has('Contents') && dict.has('Filter');
}
