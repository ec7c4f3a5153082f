/**
 * Mutual-TLS client authentication (RFC 8705 §2): matches the certificate a client presented on
 * the TLS connection against the binding it was registered with — a subject DN or dNSName of a
 * certificate that chains to the client CA (tls_client_auth, §2.1), or the one self-signed
 * certificate it registered (self_signed_tls_client_auth, §2.2) — and computes the `x5t#S256`
 * thumbprint that binds its access tokens (§3.1).
 */
import { createHash, X509Certificate } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, type Name } from '@peculiar/asn1-x509';
import { parseDistinguishedName } from '../../keys/index.js';
import type { TlsClientAuth } from '../../store/index.js';

/** The client certificate of the TLS connection a request came on. */
export interface PresentedCertificate {
  /** DER of the leaf certificate. */
  readonly der: Uint8Array;
  /** True when the TLS layer verified its chain to the configured client CA (and its dates). */
  readonly chainsToClientCa: boolean;
}

/**
 * RFC 8705 §3.1: `x5t#S256` is the base64url (no padding) SHA-256 of the DER certificate.
 *
 * @example
 * ```ts
 * const cnf = { 'x5t#S256': certificateThumbprint(presented.der) };
 * ```
 */
export function certificateThumbprint(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('base64url');
}

interface NameAttribute {
  readonly type: string;
  readonly value: string;
}

/**
 * The attributes of a Name in encoding order, one per RDN; undefined for a multi-valued RDN,
 * which no registered DN here can name.
 */
function attributes(name: Name): readonly NameAttribute[] | undefined {
  const out: NameAttribute[] = [];
  for (const rdn of name) {
    const [atv, ...more] = rdn;
    if (atv === undefined || more.length > 0) return undefined;
    out.push({ type: atv.type, value: atv.value.toString() });
  }
  return out;
}

// RFC 4517 §4.2.15 distinguishedNameMatch compares each value with its type's equality rule,
// caseIgnoreMatch for the attribute types accepted here, after RFC 4518 §2 string preparation
// (compatibility normalisation, insignificant space). This is that rule's practical subset.
function prepared(value: string): string {
  return value.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
}

/**
 * Parses a registered `tls_client_auth_subject_dn` (RFC 8705 §2.1.2: the RFC 4514 string, which
 * writes the last RDN first, as `openssl x509 -subject -nameopt RFC2253` prints it) into its
 * attributes in encoding order. Throws the keys domain's ERR_KEY_SPEC_UNSUPPORTED on a type or
 * value it does not accept.
 */
export function registeredSubjectDn(text: string): readonly NameAttribute[] {
  const parsed = attributes(parseDistinguishedName(text)) ?? [];
  // RFC 4514 §2.1: the string starts with the last element of the RDNSequence.
  return [...parsed].reverse();
}

function subjectMatches(registered: string, der: Uint8Array): boolean {
  let expected: readonly NameAttribute[];
  let actual: readonly NameAttribute[] | undefined;
  try {
    expected = registeredSubjectDn(registered);
    actual = attributes(AsnConvert.parse(der, Certificate).tbsCertificate.subject);
  } catch {
    return false;
  }
  if (actual === undefined || actual.length !== expected.length) return false;
  return expected.every(
    (e, i) =>
      e.type === actual[i]?.type && prepared(e.value) === prepared(actual[i]?.value ?? ''),
  );
}

/**
 * Whether `presented` authenticates a client registered with `binding` (RFC 8705 §2.1.2, §2.2).
 * tls_client_auth needs the chain to the client CA and the registered subject DN, or the
 * registered dNSName among the subjectAltName entries (no wildcard match, RFC 6125 §6.4.3 is for
 * servers); self_signed_tls_client_auth needs the very certificate registered.
 */
export function certificateMatchesBinding(
  binding: TlsClientAuth,
  presented: PresentedCertificate,
): boolean {
  if (binding.method === 'self_signed_tls_client_auth') {
    return binding.x5tS256 !== '' && certificateThumbprint(presented.der) === binding.x5tS256;
  }
  if (!presented.chainsToClientCa) return false;
  if ('subjectDn' in binding) return subjectMatches(binding.subjectDn, presented.der);
  try {
    const cert = new X509Certificate(presented.der);
    return (
      cert.checkHost(binding.sanDns, { subject: 'never', wildcards: false }) !== undefined
    );
  } catch {
    return false;
  }
}
