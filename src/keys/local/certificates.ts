/** Reads certificates from PEM (RFC 7468 §5) or DER (RFC 5280 §4.1) and orders a chain leaf first. */
import { X509Certificate } from 'node:crypto';
import { LocalKeyError } from './errors.js';

const PEM_CERT = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+?)-----END CERTIFICATE-----/g;

/** At most this many certificates are read from one input. */
const MAX_CERTIFICATES = 64;

/** True when the input looks like PEM text (looks at bytes only; never decodes a key to a string). */
export function isPem(data: Uint8Array | string): boolean {
  if (typeof data === 'string') return data.slice(0, 1024).includes('-----BEGIN ');
  const head = Buffer.from(data.buffer, data.byteOffset, Math.min(data.byteLength, 1024));
  return head.includes('-----BEGIN ', 0, 'latin1');
}

/** Every certificate in `data` (a PEM bundle or one DER certificate), as DER, checked to parse. */
export function readCertificates(data: Uint8Array | string): Uint8Array[] {
  const out: Uint8Array[] = [];
  if (isPem(data)) {
    const text = typeof data === 'string' ? data : Buffer.from(data).toString('latin1');
    for (const m of text.matchAll(PEM_CERT)) {
      out.push(Uint8Array.from(Buffer.from((m[1] as string).replace(/\s+/g, ''), 'base64')));
      if (out.length > MAX_CERTIFICATES)
        throw new LocalKeyError('ERR_KEY_FILE_LIMIT', 'too many certificates');
    }
  } else if (typeof data !== 'string') {
    out.push(data);
  }
  if (out.length === 0) throw new LocalKeyError('ERR_KEY_CERT_FORMAT', 'no certificate found');
  for (const der of out) parseCertificate(der);
  return out;
}

/** Parses one DER certificate with node:crypto, mapping failures to a typed error. */
export function parseCertificate(der: Uint8Array): X509Certificate {
  try {
    return new X509Certificate(der);
  } catch (err) {
    throw new LocalKeyError('ERR_KEY_CERT_FORMAT', 'a certificate cannot be parsed', {
      cause: err,
    });
  }
}

/**
 * Orders `certs` as a chain starting at `leaf`: each next certificate is the issuer of the
 * previous (RFC 5280 §6.1 path order, reversed); certificates that do not link are appended.
 */
export function orderChain(leaf: Uint8Array, certs: readonly Uint8Array[]): Uint8Array[] {
  const rest = certs.filter((c) => !Buffer.from(c).equals(Buffer.from(leaf)));
  const chain = [leaf];
  let current = parseCertificate(leaf);
  for (;;) {
    if (current.subject === current.issuer) break;
    const i = rest.findIndex((c) => {
      const candidate = parseCertificate(c);
      return current.checkIssued(candidate);
    });
    if (i < 0) break;
    const [next] = rest.splice(i, 1) as [Uint8Array];
    chain.push(next);
    current = parseCertificate(next);
  }
  return [...chain, ...rest];
}
