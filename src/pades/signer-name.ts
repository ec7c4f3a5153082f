/** Reads the signer's display name from an X.509 certificate (RFC 5280 §4.1.2.6 subject). */
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
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

function readDisplayName(certificateDer: Uint8Array): string {
  let cert: Certificate;
  try {
    cert = AsnConvert.parse(certificateDer, Certificate);
  } catch (cause) {
    throw new PadesError('ERR_PADES_CERTIFICATE', 'the signer certificate is not valid DER X.509', { cause });
  }
  const attrs = cert.tbsCertificate.subject.flatMap((rdn) => [...rdn]);
  const pick = (oid: string): string | undefined =>
    attrs.find((a) => a.type === oid)?.value.toString();
  return pick(id_at_commonName) ?? pick(id_at_organizationName) ?? 'Unknown signer';
}
