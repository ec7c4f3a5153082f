/**
 * Subject names built from user data with validation (RFC 5280 §4.1.2.6, App. A upper bounds;
 * X.520 string types): no empty CN, countryName and serialNumber as PrintableString, other
 * attributes as UTF8String, no control or bidi-override characters. Default-deny on types.
 */
import { AttributeTypeAndValue, AttributeValue, Name, RelativeDistinguishedName } from '@peculiar/asn1-x509';
import { PkiError } from '../errors.js';

/** User data for a subject DN. Only these attributes are accepted. */
export interface SubjectInput {
  readonly commonName: string;
  readonly givenName?: string;
  readonly surname?: string;
  /** X.520 serialNumber (e.g. an ETSI EN 319 412-1 §5.1.3 semantics identifier `PNOBE-…`). */
  readonly serialNumber?: string;
  readonly organization?: string;
  readonly organizationalUnit?: string;
  /** ETSI EN 319 412-1 §5.1.4 organizationIdentifier, e.g. `VATBE-0123456789`. */
  readonly organizationIdentifier?: string;
  readonly locality?: string;
  readonly state?: string;
  /** ISO 3166-1 alpha-2 code. */
  readonly country?: string;
}

type StringKind = 'printable' | 'utf8';

/** Attribute order (most significant first), OIDs (X.520 §6) and upper bounds (RFC 5280 App. A). */
const attributes: readonly {
  readonly key: keyof SubjectInput;
  readonly oid: string;
  readonly kind: StringKind;
  readonly max: number;
}[] = [
  { key: 'country', oid: '2.5.4.6', kind: 'printable', max: 2 },
  { key: 'state', oid: '2.5.4.8', kind: 'utf8', max: 128 },
  { key: 'locality', oid: '2.5.4.7', kind: 'utf8', max: 128 },
  { key: 'organization', oid: '2.5.4.10', kind: 'utf8', max: 64 },
  { key: 'organizationIdentifier', oid: '2.5.4.97', kind: 'utf8', max: 64 },
  { key: 'organizationalUnit', oid: '2.5.4.11', kind: 'utf8', max: 64 },
  { key: 'surname', oid: '2.5.4.4', kind: 'utf8', max: 64 },
  { key: 'givenName', oid: '2.5.4.42', kind: 'utf8', max: 64 },
  { key: 'serialNumber', oid: '2.5.4.5', kind: 'printable', max: 64 },
  { key: 'commonName', oid: '2.5.4.3', kind: 'utf8', max: 64 },
];

/** X.680 §41.4 PrintableString alphabet. */
const printable = /^[A-Za-z0-9 '()+,\-./:=?]*$/;
/** C0/C1 controls, bidi embeddings/overrides/isolates, BOM and noncharacters. */
// eslint-disable-next-line no-control-regex
const forbidden = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\ufffe\uffff]/;

function checkValue(key: string, value: string, kind: StringKind, max: number): string {
  const v = value.normalize('NFC');
  if (v.trim() === '' || v !== v.trim()) {
    throw new PkiError('ERR_PKI_SUBJECT_INVALID', `subject ${key} is empty or has surrounding spaces`);
  }
  if ([...v].length > max) {
    throw new PkiError('ERR_PKI_SUBJECT_INVALID', `subject ${key} is longer than ${max} characters`);
  }
  if (forbidden.test(v)) {
    throw new PkiError('ERR_PKI_SUBJECT_INVALID', `subject ${key} contains control or bidi characters`);
  }
  if (kind === 'printable' && !printable.test(v)) {
    throw new PkiError('ERR_PKI_SUBJECT_INVALID', `subject ${key} must be a PrintableString`);
  }
  if (key === 'country' && !/^[A-Z]{2}$/.test(v)) {
    throw new PkiError('ERR_PKI_SUBJECT_INVALID', 'subject country must be two upper-case letters (ISO 3166-1)');
  }
  return v;
}

/**
 * Builds a validated Name from user data; throws ERR_PKI_SUBJECT_INVALID.
 *
 * @example
 * ```ts
 * const name = buildSubject({ commonName: 'Alice Example', country: 'BE' });
 * ```
 */
export function buildSubject(input: SubjectInput): Name {
  if (typeof input.commonName !== 'string') {
    throw new PkiError('ERR_PKI_SUBJECT_INVALID', 'subject commonName is required');
  }
  const rdns: RelativeDistinguishedName[] = [];
  for (const a of attributes) {
    const raw = input[a.key];
    if (raw === undefined) continue;
    const v = checkValue(a.key, raw, a.kind, a.max);
    const value =
      a.kind === 'printable' ? new AttributeValue({ printableString: v }) : new AttributeValue({ utf8String: v });
    rdns.push(new RelativeDistinguishedName([new AttributeTypeAndValue({ type: a.oid, value })]));
  }
  return new Name(rdns);
}

/**
 * Reads a Name from a CSR back into validated user data (unknown attribute types, multi-valued
 * RDNs and repeated attributes are refused), so that the issued subject is rebuilt canonically.
 */
export function subjectFromName(name: Name): SubjectInput {
  const out: Record<string, string> = {};
  for (const rdn of name) {
    if (rdn.length !== 1) {
      throw new PkiError('ERR_PKI_SUBJECT_INVALID', 'multi-valued RDNs are not accepted');
    }
    const atv = rdn[0] as AttributeTypeAndValue;
    const spec = attributes.find((a) => a.oid === atv.type);
    if (!spec) {
      throw new PkiError('ERR_PKI_SUBJECT_INVALID', `subject attribute ${atv.type} is not accepted`);
    }
    if (out[spec.key] !== undefined) {
      throw new PkiError('ERR_PKI_SUBJECT_INVALID', `subject attribute ${spec.key} is repeated`);
    }
    const v = atv.value;
    const text = v.utf8String ?? v.printableString ?? v.ia5String;
    if (text === undefined) {
      throw new PkiError('ERR_PKI_SUBJECT_INVALID', `subject ${spec.key} has an unsupported string type`);
    }
    out[spec.key] = text;
  }
  if (out['commonName'] === undefined) {
    throw new PkiError('ERR_PKI_SUBJECT_INVALID', 'subject commonName is required');
  }
  return out as unknown as SubjectInput;
}
