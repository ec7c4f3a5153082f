/** Reads the signer's display name from an X.509 certificate (RFC 5280 §4.1.2.6 subject). */
import { readCertificateId } from '../cms/certificate-id.js';
import { childrenOf, contentOf, readElement, readOid } from '../cms/der.js';
import { PadesError } from './errors.js';

const id_at_commonName = '2.5.4.3';
const id_at_organizationName = '2.5.4.10';

// A Signer hands the same certificate array to every signature of a batch; parsing it each time
// was a quarter of the cost of a 100 KB B-B signature (bench/pades.bench.ts).
const names = new WeakMap<Uint8Array, string>();

/** The subject's common name (or organisation) of a DER certificate, for /Name and appearances. */
export function signerDisplayName(certificateDer: Uint8Array): string {
  let name = names.get(certificateDer);
  if (name === undefined) {
    name = readDisplayName(certificateDer);
    names.set(certificateDer, name);
  }
  return name;
}

// Read with the DER reader, not an ASN.1 schema package: signing loads none (issue 18 §4).
function readDisplayName(certificateDer: Uint8Array): string {
  const attrs = new Map<string, string>();
  try {
    const { subject } = readCertificateId(certificateDer);
    // Name ::= RDNSequence ::= SEQUENCE OF RelativeDistinguishedName (SET OF AttributeTypeAndValue).
    for (const rdn of childrenOf(subject, readElement(subject, 0))) {
      for (const atv of childrenOf(subject, rdn)) {
        const [type, value] = childrenOf(subject, atv);
        if (type === undefined || value === undefined) continue;
        const oid = readOid(subject, type);
        if (!attrs.has(oid)) attrs.set(oid, directoryString(value.tag, contentOf(subject, value)));
      }
    }
  } catch (cause) {
    throw new PadesError('ERR_PADES_CERTIFICATE', 'the signer certificate is not valid DER X.509', { cause });
  }
  return attrs.get(id_at_commonName) ?? attrs.get(id_at_organizationName) ?? 'Unknown signer';
}

/** RFC 5280 §4.1.2.4 DirectoryString (and IA5String), decoded by its universal tag (X.680). */
function directoryString(tag: number, content: Uint8Array): string {
  switch (tag) {
    case 0x0c: // UTF8String
      return new TextDecoder().decode(content);
    case 0x1e: // BMPString: UCS-2, big-endian
      return new TextDecoder('utf-16be').decode(content);
    case 0x1c: {
      // UniversalString: UCS-4, big-endian
      let out = '';
      for (let i = 0; i + 3 < content.length; i += 4) {
        out += String.fromCodePoint(((content[i] as number) << 24) | ((content[i + 1] as number) << 16) | ((content[i + 2] as number) << 8) | (content[i + 3] as number));
      }
      return out;
    }
    default: // PrintableString, TeletexString, IA5String: read as Latin-1
      return String.fromCharCode(...content);
  }
}
