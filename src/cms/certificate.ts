/**
 * Reading X.509 certificates (RFC 5280 §4.1) from untrusted DER or PEM with a size pre-check,
 * and the few derived values the PKI needs (serial hex, SPKI, key identifiers).
 */
import { createHash } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import type { Name} from '@peculiar/asn1-x509';
import { Certificate, id_ce_subjectKeyIdentifier, SubjectKeyIdentifier, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { asBytes, concatBytes, fromHex, toHex } from '../core/bytes.js';
import { PkiError } from './pki-errors.js';

/** Largest certificate accepted (a size pre-check before any ASN.1 parsing). */
export const maxCertificateBytes = 64 * 1024;

/** Decodes one PEM block with the given label (or returns the input when it is DER). */
export function pemToDer(input: Uint8Array | string, label: string): Uint8Array {
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
  const match = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]+)-----END ${label}-----`).exec(
    text,
  );
  if (match?.[1] !== undefined) return new Uint8Array(Buffer.from(match[1].replace(/\s+/g, ''), 'base64'));
  return typeof input === 'string' ? new Uint8Array(Buffer.from(input, 'latin1')) : input;
}

/** Encodes DER as one PEM block (RFC 7468 §2, 64-character lines). */
export function derToPem(der: Uint8Array, label: string): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** Splits every `CERTIFICATE` PEM block of a file into DER certificates. */
export function pemCertificates(text: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const m of text.matchAll(/-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/g)) {
    out.push(new Uint8Array(Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64')));
  }
  return out;
}

/**
 * Parses of the certificates seen lately, by SHA-256 of their DER (issue 19: the OCSP client,
 * the CertID and the revocation source each parsed the same signer, CA and TSA certificates
 * again for every B-LT/B-LTA signature — 14 ms of a 55 ms signature). A parse is pure; each is
 * made from a private copy of the DER (asn1js keeps views into its input). Every caller gets the
 * same object, so it is frozen (deepFreeze): a caller that assigns to a field of a shared parse
 * gets a TypeError instead of changing it for everyone else. Bounded; the oldest entries go
 * first. Failures are not remembered.
 */
const PARSE_MEMO_SIZE = 256;
const parsedCertificates = new Map<string, Certificate>();

/** Parses a DER certificate; malformed or oversized input → ERR_PKI_CERT_MALFORMED. */
export function parseCertificate(der: Uint8Array): Certificate {
  if (der.length === 0 || der.length > maxCertificateBytes) {
    throw new PkiError('ERR_PKI_CERT_MALFORMED', 'certificate is empty or too large');
  }
  const key = createHash('sha256').update(der).digest('base64');
  const known = parsedCertificates.get(key);
  if (known !== undefined) return known;
  let cert: Certificate;
  try {
    cert = AsnConvert.parse(der.slice(), Certificate);
  } catch (cause) {
    throw new PkiError('ERR_PKI_CERT_MALFORMED', 'certificate is not valid DER', { cause });
  }
  deepFreeze(cert);
  if (parsedCertificates.size >= PARSE_MEMO_SIZE) parsedCertificates.delete(parsedCertificates.keys().next().value as string);
  parsedCertificates.set(key, cert);
  return cert;
}

/**
 * Freezes an asn1-schema object graph: its objects and arrays (a typed array or ArrayBuffer can't
 * be frozen; the fields that hold them can't be reassigned). About 0.1 ms for a certificate, once
 * per parse.
 */
function deepFreeze(value: unknown, seen = new Set<object>()): void {
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return;
  seen.add(value);
  for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<PropertyKey, unknown>)[key], seen);
  Object.freeze(value);
}

/**
 * Canonical serial text: lower-case hex of the INTEGER's magnitude, leading zero octets removed
 * (so `00 8f …` and `8f …` name the same serial).
 */
export function serialToHex(serial: ArrayBuffer | Uint8Array): string {
  const bytes = asBytes(serial);
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  return toHex(bytes.subarray(i));
}

/** Normalises user-supplied serial hex (`0x`, colons, case, leading zeros). */
export function normaliseSerialHex(hex: string): string | undefined {
  const clean = hex.trim().replace(/^0x/i, '').replace(/:/g, '').toLowerCase();
  if (!/^[0-9a-f]+$/.test(clean)) return undefined;
  const stripped = clean.replace(/^(00)+/, '');
  const even = stripped.length % 2 === 1 ? `0${stripped}` : stripped;
  return even === '' ? '00' : even;
}

/**
 * Encodings derived from a parsed certificate, per certificate object (parses are shared:
 * {@link parseCertificate}); each call returns its own copy.
 */
const subjects = new WeakMap<Certificate, Uint8Array>();
const spkis = new WeakMap<Certificate, Uint8Array>();

function derived(memo: WeakMap<Certificate, Uint8Array>, cert: Certificate, encode: () => ArrayBuffer): Uint8Array {
  let der = memo.get(cert);
  if (der === undefined) {
    der = new Uint8Array(encode());
    memo.set(cert, der);
  }
  return der.slice();
}

/** The DER of the certificate's subject Name. */
export function subjectDer(cert: Certificate): Uint8Array {
  return derived(subjects, cert, () => AsnConvert.serialize(cert.tbsCertificate.subject));
}

/** The DER of a Name. */
export function nameDer(name: Name): Uint8Array {
  return new Uint8Array(AsnConvert.serialize(name));
}

/** The DER SubjectPublicKeyInfo of a certificate. */
export function spkiDer(cert: Certificate): Uint8Array {
  return derived(spkis, cert, () => AsnConvert.serialize(cert.tbsCertificate.subjectPublicKeyInfo));
}

/** The subjectPublicKey BIT STRING contents (no unused-bits octet) of an SPKI. */
export function publicKeyBits(spki: Uint8Array): Uint8Array {
  return asBytes(AsnConvert.parse(spki, SubjectPublicKeyInfo).subjectPublicKey);
}

/**
 * Key identifier for new certificates: RFC 5280 §4.2.1.2 method (1), the 160-bit SHA-1 of the
 * subjectPublicKey BIT STRING value. An identifier, not a signature: SHA-1's collision weakness
 * does not apply, and validators that look up an OCSP responder or an issuer by this value
 * (pyhanko-certvalidator before 0.30.2 among them) expect method (1). Certificates issued earlier
 * carry RFC 7093 §2 method 1 (truncated SHA-256) identifiers; Signet always reads the value from
 * the certificate's own subjectKeyIdentifier (see {@link subjectKeyIdentifierOf}), never
 * recomputes it, so both keep working.
 */
export function keyIdentifier(spki: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha1').update(publicKeyBits(spki)).digest());
}

/** The subjectKeyIdentifier extension's value (RFC 5280 §4.2.1.2), or undefined when absent or unreadable. */
export function subjectKeyIdentifierOf(cert: Certificate): Uint8Array | undefined {
  const ext = cert.tbsCertificate.extensions?.find((e) => e.extnID === id_ce_subjectKeyIdentifier);
  if (!ext) return undefined;
  try {
    return new Uint8Array(AsnConvert.parse(ext.extnValue, SubjectKeyIdentifier).buffer);
  } catch {
    return undefined;
  }
}

/** SHA-256 hex of the SPKI (used for the unique-key rule). */
export function spkiFingerprint(spki: Uint8Array): string {
  return createHash('sha256').update(spki).digest('hex');
}

/** Display form of a Name (RFC 4514-like, most significant RDN first). */
export function nameToString(name: Name): string {
  return name
    .map((rdn) => rdn.map((atv) => `${shortName(atv.type)}=${atv.value.toString()}`).join('+'))
    .join(', ');
}

const attributeShortNames: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.5': 'serialNumber',
  '2.5.4.4': 'SN',
  '2.5.4.42': 'GN',
  '2.5.4.97': 'organizationIdentifier',
  '1.2.840.113549.1.9.1': 'E',
};

function shortName(oid: string): string {
  return attributeShortNames[oid] ?? oid;
}

/** INTEGER content octets of a canonical serial hex (a 00 octet keeps it positive, X.690 §8.3). */
export function serialHexToInteger(serialHex: string): Uint8Array {
  const bytes = fromHex(serialHex) ?? new Uint8Array(1);
  return (bytes[0] ?? 0) >= 0x80 ? concatBytes([new Uint8Array(1), bytes]) : bytes;
}
