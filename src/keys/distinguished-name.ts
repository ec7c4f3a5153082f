/**
 * Parses the `CN=…,O=…,C=…` form of a distinguished name given on the command line (RFC 4514
 * §3 string syntax, a restricted subset) into an X.501 Name (RFC 5280 §4.1.2.4). Default-deny:
 * unknown attribute types, empty values and control or bidi characters are refused.
 */
import {
  AttributeTypeAndValue,
  AttributeValue,
  Name,
  RelativeDistinguishedName,
} from '@peculiar/asn1-x509';
import { KeyBackendError } from './errors.js';

// X.520 §6 attribute types with RFC 5280 App. A upper bounds; C and serialNumber are PrintableString.
const types: Readonly<
  Record<string, { readonly oid: string; readonly max: number; readonly printable: boolean }>
> = {
  CN: { oid: '2.5.4.3', max: 64, printable: false },
  O: { oid: '2.5.4.10', max: 64, printable: false },
  OU: { oid: '2.5.4.11', max: 64, printable: false },
  C: { oid: '2.5.4.6', max: 2, printable: true },
  L: { oid: '2.5.4.7', max: 128, printable: false },
  ST: { oid: '2.5.4.8', max: 128, printable: false },
  SERIALNUMBER: { oid: '2.5.4.5', max: 64, printable: true },
  GN: { oid: '2.5.4.42', max: 64, printable: false },
  GIVENNAME: { oid: '2.5.4.42', max: 64, printable: false },
  SN: { oid: '2.5.4.4', max: 64, printable: false },
  SURNAME: { oid: '2.5.4.4', max: 64, printable: false },
  ORGANIZATIONIDENTIFIER: { oid: '2.5.4.97', max: 64, printable: false },
};

const printable = /^[A-Za-z0-9 '()+,\-./:=?]*$/;
// eslint-disable-next-line no-control-regex
const forbidden = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/;

function invalid(message: string): KeyBackendError {
  return new KeyBackendError('ERR_KEY_SPEC_UNSUPPORTED', `invalid subject: ${message}`);
}

/** Splits on unescaped commas (RFC 4514 §2.4 backslash escapes). */
function splitRdns(text: string): string[] {
  const out: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '\\' && i + 1 < text.length) {
      current += text[i + 1];
      i++;
    } else if (c === ',') {
      out.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  out.push(current);
  return out;
}

/**
 * Parses `CN=Alice,O=Example,C=DE` (most significant last or first: the order given is kept as
 * the encoding order, left to right). Throws `ERR_KEY_SPEC_UNSUPPORTED` on bad input.
 *
 * @example
 * ```ts
 * const name = parseDistinguishedName('C=DE,O=Example,CN=Alice');
 * ```
 */
export function parseDistinguishedName(text: string): Name {
  if (text.length > 1024) throw invalid('too long');
  const rdns = splitRdns(text).map((part) => {
    const eq = part.indexOf('=');
    if (eq <= 0) throw invalid(`expected TYPE=value, got "${part.slice(0, 32)}"`);
    const key = part.slice(0, eq).trim().toUpperCase();
    const value = part
      .slice(eq + 1)
      .trim()
      .normalize('NFC');
    const type = Object.hasOwn(types, key) ? types[key] : undefined;
    if (type === undefined) throw invalid(`unsupported attribute type ${key.slice(0, 32)}`);
    if (value === '' || [...value].length > type.max)
      throw invalid(`${key} must have 1-${type.max} characters`);
    if (forbidden.test(value)) throw invalid(`${key} contains control or bidi characters`);
    if (type.printable && !printable.test(value)) throw invalid(`${key} must be a PrintableString`);
    const attrValue = type.printable
      ? new AttributeValue({ printableString: value })
      : new AttributeValue({ utf8String: value });
    return new RelativeDistinguishedName([
      new AttributeTypeAndValue({ type: type.oid, value: attrValue }),
    ]);
  });
  return new Name(rdns);
}
