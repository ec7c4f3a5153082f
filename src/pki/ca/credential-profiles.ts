/**
 * Credential certificate profiles as configuration (after step-ca's templates, but as data): per
 * credential type, the subject attributes required (ETSI EN 319 412-2 §4.2.4, with the
 * EN 319 412-1 §5.1.3 semantics identifier in serialNumber), the certificate policies (EN 319
 * 411-2 §5.3 QCP-n-qscd and friends, and the CA's own policy), the qcStatements (EN 319 412-5
 * §4), the validity and the key usage. Parsed strictly: an unknown field, policy name or
 * inconsistent claim is ERR_PKI_PROFILE_CONFIG, never a silently different certificate.
 */
import { KeyUsageFlags } from '@peculiar/asn1-x509';
import type { QcStatementsOptions } from '../../cms/qc-statements.js';
import { PkiError } from '../errors.js';
import {
  authorityInformationAccess,
  basicConstraints,
  certificatePolicies,
  crlDistributionPoints,
  keyIdentifiers,
  keyUsage,
  qcStatements,
  requireAcceptedKey,
  requireCommonName,
  requireDistinctKey,
  requireSelfSigned,
  type CertificateProfile,
  type ProfileValidator,
} from './profiles.js';
import type { SubjectInput } from './subject.js';

/** Subject attributes a profile may require. */
export type SubjectAttribute =
  'givenName' | 'surname' | 'serialNumber' | 'country' | 'organization' | 'organizationIdentifier';

/** Key usage bits a credential profile may set (RFC 5280 §4.2.1.3; contentCommitment is X.509's newer name of nonRepudiation). */
export type KeyUsageName =
  'digitalSignature' | 'nonRepudiation' | 'keyEncipherment' | 'keyAgreement';

/** One credential profile, as configured (validated). */
export interface CredentialProfileDefinition {
  readonly name: string;
  readonly description: string;
  /** Attributes the subject must carry besides commonName. */
  readonly requiredSubject: readonly SubjectAttribute[];
  /** `semantics-identifier`: serialNumber follows EN 319 412-1 §5.1.3 (e.g. `PNOCZ-…`). */
  readonly serialNumberFormat: 'any' | 'semantics-identifier';
  /** Values every subject of this profile gets (a request naming another value is refused). */
  readonly fixedSubject: {
    readonly country?: string;
    readonly organization?: string;
    readonly organizationIdentifier?: string;
  };
  /** Policy OIDs written as they are. */
  readonly policyOids: readonly string[];
  /** Whether the CA's own certificate-policy OIDs (its CP, set at `signet ca init`) are added. */
  readonly includeCaPolicies: boolean;
  readonly qcStatements: QcStatementsOptions | undefined;
  readonly validityDays: number;
  readonly keyUsage: readonly KeyUsageName[];
}

/** The configured profiles by name (always with `signing`). */
export type CredentialProfiles = ReadonlyMap<string, CredentialProfileDefinition>;

/**
 * Policy names of ETSI EN 319 411-1 §5.3 (NCP, NCP+, LCP) and EN 319 411-2 §5.3 (QCP-*), so a
 * configuration can say `QCP-n-qscd` instead of `0.4.0.194112.1.2`.
 */
export const etsiPolicyOids: Readonly<Record<string, string>> = {
  LCP: '0.4.0.2042.1.3',
  NCP: '0.4.0.2042.1.1',
  'NCP+': '0.4.0.2042.1.2',
  'QCP-n': '0.4.0.194112.1.0',
  'QCP-l': '0.4.0.194112.1.1',
  'QCP-n-qscd': '0.4.0.194112.1.2',
  'QCP-l-qscd': '0.4.0.194112.1.3',
  'QCP-w': '0.4.0.194112.1.4',
};

/** QCP policies that say the key is in a QSCD (EN 319 411-2 §5.3), which the QcSSCD statement must then claim. */
const qscdPolicies = new Set([etsiPolicyOids['QCP-n-qscd'], etsiPolicyOids['QCP-l-qscd']]);

const keyUsageFlags: Readonly<Record<KeyUsageName, number>> = {
  digitalSignature: KeyUsageFlags.digitalSignature,
  nonRepudiation: KeyUsageFlags.nonRepudiation,
  keyEncipherment: KeyUsageFlags.keyEncipherment,
  keyAgreement: KeyUsageFlags.keyAgreement,
};

const subjectOids: Readonly<Record<SubjectAttribute, string>> = {
  givenName: '2.5.4.42',
  surname: '2.5.4.4',
  serialNumber: '2.5.4.5',
  country: '2.5.4.6',
  organization: '2.5.4.10',
  organizationIdentifier: '2.5.4.97',
};

/**
 * The built-in `signing` profile: today's end-entity certificate (two years, digitalSignature and
 * nonRepudiation, the CA's own policy) without claiming anything legal (no qcStatements, which an
 * operator adds in a configured profile).
 */
export const defaultCredentialProfile: CredentialProfileDefinition = {
  name: 'signing',
  description: 'Signatures with a server-held key; no qualified-certificate claims',
  requiredSubject: [],
  serialNumberFormat: 'any',
  fixedSubject: {},
  policyOids: [],
  includeCaPolicies: true,
  qcStatements: undefined,
  validityDays: 2 * 365,
  keyUsage: ['digitalSignature', 'nonRepudiation'],
};

/** The built-in profiles alone. */
export function defaultCredentialProfiles(): CredentialProfiles {
  return new Map([[defaultCredentialProfile.name, defaultCredentialProfile]]);
}

const fail = (where: string, why: string): PkiError =>
  new PkiError('ERR_PKI_PROFILE_CONFIG', `certificate profile ${where}: ${why}`);

function asObject(
  value: unknown,
  where: string,
  allowed: readonly string[],
): Readonly<Record<string, unknown>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw fail(where, 'must be an object');
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw fail(where, `unknown field '${key}'`);
  }
  return value as Readonly<Record<string, unknown>>;
}

function optionalString(
  obj: Readonly<Record<string, unknown>>,
  key: string,
  where: string,
): string | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '') throw fail(where, `${key} must be a non-empty string`);
  return v;
}

function stringList(
  obj: Readonly<Record<string, unknown>>,
  key: string,
  where: string,
): readonly string[] | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
    throw fail(where, `${key} must be a list of strings`);
  return v as string[];
}

const oidPattern = /^[0-2](\.(0|[1-9]\d*))+$/;

function parseQcStatements(value: unknown, where: string): QcStatementsOptions | undefined {
  if (value === undefined) return undefined;
  const q = asObject(value, `${where}.qcStatements`, ['qcCompliance', 'qcSSCD', 'qcType', 'pds']);
  for (const flag of ['qcCompliance', 'qcSSCD'] as const) {
    if (q[flag] !== undefined && typeof q[flag] !== 'boolean')
      throw fail(where, `qcStatements.${flag} must be true or false`);
  }
  const qcType = optionalString(q, 'qcType', where);
  // EN 319 412-5 §4.2.3: this service certifies natural persons' signing keys, so only esign.
  if (qcType !== undefined && qcType !== 'esign')
    throw fail(where, "qcStatements.qcType must be 'esign'");
  const pds: { url: string; language: string }[] = [];
  if (q['pds'] !== undefined) {
    if (!Array.isArray(q['pds']) || q['pds'].length === 0)
      throw fail(where, 'qcStatements.pds must be a non-empty list');
    for (const entry of q['pds'] as unknown[]) {
      const p = asObject(entry, `${where}.qcStatements.pds[]`, ['url', 'language']);
      const url = optionalString(p, 'url', where);
      const language = optionalString(p, 'language', where);
      // EN 319 412-5 §4.3.4: the PDS is reached over https; the language is an ISO 639-1 code.
      if (url === undefined || !/^https:\/\/[\x21-\x7e]+$/.test(url))
        throw fail(where, 'a PDS url must be an https URL');
      if (language === undefined || !/^[a-z]{2}$/.test(language))
        throw fail(where, 'a PDS language is a two-letter ISO 639-1 code');
      pds.push({ url, language });
    }
    // EN 319 412-5 §4.3.4: at least one PDS shall be provided in English.
    if (!pds.some((p) => p.language === 'en'))
      throw fail(where, 'qcStatements.pds needs one English (en) location');
  }
  return {
    qcCompliance: q['qcCompliance'] === true,
    qcSSCD: q['qcSSCD'] === true,
    qcTypeESign: qcType === 'esign',
    ...(pds.length > 0 ? { qcPds: pds } : {}),
  };
}

const subjectAttributes = Object.keys(subjectOids) as SubjectAttribute[];

function parseProfile(name: string, value: unknown): CredentialProfileDefinition {
  const where = `'${name}'`;
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(name)) throw fail(where, 'a name has 1 to 63 of a-z 0-9 -');
  const p = asObject(value, where, [
    'description',
    'subject',
    'policies',
    'qcStatements',
    'validityDays',
    'keyUsage',
  ]);
  const s = asObject(p['subject'] ?? {}, `${where}.subject`, [
    'require',
    'serialNumber',
    'country',
    'organization',
    'organizationIdentifier',
  ]);
  const requiredSubject = (stringList(s, 'require', where) ?? []).map((a) => {
    if (!subjectAttributes.includes(a as SubjectAttribute))
      throw fail(where, `subject.require: unknown attribute '${a}'`);
    return a as SubjectAttribute;
  });
  const serialNumberFormat = optionalString(s, 'serialNumber', where) ?? 'any';
  if (serialNumberFormat !== 'any' && serialNumberFormat !== 'semantics-identifier') {
    throw fail(where, "subject.serialNumber is 'any' or 'semantics-identifier'");
  }
  const country = optionalString(s, 'country', where);
  if (country !== undefined && !/^[A-Z]{2}$/.test(country))
    throw fail(where, 'subject.country is an ISO 3166-1 alpha-2 code');
  const organization = optionalString(s, 'organization', where);
  const organizationIdentifier = optionalString(s, 'organizationIdentifier', where);
  let includeCaPolicies = false;
  const policyOids: string[] = [];
  for (const entry of stringList(p, 'policies', where) ?? ['ca']) {
    if (entry === 'ca') includeCaPolicies = true;
    else if (etsiPolicyOids[entry] !== undefined) policyOids.push(etsiPolicyOids[entry]);
    else if (oidPattern.test(entry)) policyOids.push(entry);
    else throw fail(where, `policies: '${entry}' is neither 'ca', an ETSI policy name nor an OID`);
  }
  if (!includeCaPolicies && policyOids.length === 0)
    throw fail(where, 'needs at least one policy (EN 319 412-2 §4.3.3)');
  const qc = parseQcStatements(p['qcStatements'], where);
  if (
    policyOids.some((oid) => qscdPolicies.has(oid)) &&
    !(qc?.qcCompliance === true && qc.qcSSCD)
  ) {
    throw fail(
      where,
      'a QCP-*-qscd policy needs qcStatements.qcCompliance and qcSSCD (EN 319 411-2 §5.3)',
    );
  }
  const validityDays = p['validityDays'] ?? defaultCredentialProfile.validityDays;
  if (
    typeof validityDays !== 'number' ||
    !Number.isInteger(validityDays) ||
    validityDays < 1 ||
    validityDays > 3650
  ) {
    throw fail(where, 'validityDays is a whole number from 1 to 3650');
  }
  const keyUsageList = (stringList(p, 'keyUsage', where) ?? defaultCredentialProfile.keyUsage).map(
    (k) => {
      const canonical = k === 'contentCommitment' ? 'nonRepudiation' : k;
      if (keyUsageFlags[canonical as KeyUsageName] === undefined)
        throw fail(where, `keyUsage: unknown bit '${k}'`);
      return canonical as KeyUsageName;
    },
  );
  if (keyUsageList.length === 0) throw fail(where, 'keyUsage needs at least one bit');
  // EN 319 412-2 §4.3.2: a certificate for electronic signatures (QcType esign) sets nonRepudiation.
  if (qc?.qcTypeESign === true && !keyUsageList.includes('nonRepudiation')) {
    throw fail(where, 'QcType esign needs the nonRepudiation (contentCommitment) key usage');
  }
  return {
    name,
    description: optionalString(p, 'description', where) ?? '',
    requiredSubject,
    serialNumberFormat,
    fixedSubject: {
      ...(country !== undefined ? { country } : {}),
      ...(organization !== undefined ? { organization } : {}),
      ...(organizationIdentifier !== undefined ? { organizationIdentifier } : {}),
    },
    policyOids,
    includeCaPolicies,
    qcStatements: qc,
    validityDays,
    keyUsage: [...new Set(keyUsageList)],
  };
}

/**
 * Parses a profiles document (`{"profiles": {NAME: {...}}}`, docs/certificate-profiles.md) on top
 * of the built-in `signing` profile, which a document may redefine.
 *
 * @example
 * ```ts
 * const profiles = parseCredentialProfiles(JSON.parse(readFileSync(file, 'utf8')));
 * profiles.get('qualified-esign')?.policyOids; // ['0.4.0.194112.1.2']
 * ```
 */
export function parseCredentialProfiles(document: unknown): CredentialProfiles {
  const top = asObject(document, 'file', ['profiles']);
  const listed = top['profiles'] ?? {};
  if (typeof listed !== 'object' || listed === null || Array.isArray(listed))
    throw fail('file.profiles', 'must be an object');
  const out = new Map(defaultCredentialProfiles());
  for (const [name, value] of Object.entries(listed)) out.set(name, parseProfile(name, value));
  return out;
}

/** EN 319 412-1 §5.1.3: `PAS|IDC|PNO|TAX|TIN` + ISO 3166 country + `-` + identifier, or a national scheme `XX:CC-…`. */
const semanticsIdentifier = /^(?:(?:PAS|IDC|PNO|TAX|TIN)[A-Z]{2}|[A-Z]{2}:[A-Z]{2})-[\x20-\x7e]+$/;

/** Checks the final subject against the profile (required attributes, the semantics identifier). */
function requireProfileSubject(def: CredentialProfileDefinition): ProfileValidator {
  return (ctx) => {
    const value = (oid: string): string | undefined => {
      for (const rdn of ctx.subject) {
        for (const atv of rdn) {
          if (atv.type === oid)
            return atv.value.printableString ?? atv.value.utf8String ?? atv.value.toString();
        }
      }
      return undefined;
    };
    for (const attribute of def.requiredSubject) {
      if (value(subjectOids[attribute]) === undefined) {
        throw new PkiError(
          'ERR_PKI_SUBJECT_INVALID',
          `profile '${def.name}' needs the subject's ${attribute}`,
        );
      }
    }
    const serial = value(subjectOids.serialNumber);
    if (
      def.serialNumberFormat === 'semantics-identifier' &&
      serial !== undefined &&
      !semanticsIdentifier.test(serial)
    ) {
      throw new PkiError(
        'ERR_PKI_SUBJECT_INVALID',
        `profile '${def.name}' needs serialNumber as an ETSI EN 319 412-1 semantics identifier (e.g. PNOCZ-1234567890)`,
      );
    }
  };
}

/** The subject a profile issues: the request's attributes with the profile's fixed ones (a different request value is refused). */
export function profileSubject(
  def: CredentialProfileDefinition,
  input: SubjectInput,
): SubjectInput {
  const merged: Record<string, string> = { ...(input as unknown as Record<string, string>) };
  for (const [key, fixed] of Object.entries(def.fixedSubject) as [string, string][]) {
    const given = merged[key];
    if (given !== undefined && given !== fixed) {
      throw new PkiError(
        'ERR_PKI_SUBJECT_INVALID',
        `profile '${def.name}' issues ${key} '${fixed}' only`,
      );
    }
    merged[key] = fixed;
  }
  return merged as unknown as SubjectInput;
}

/** The issuing profile (validators and modifiers) of a credential profile. */
export function certificateProfileOf(def: CredentialProfileDefinition): CertificateProfile {
  const flags = def.keyUsage.reduce((acc, k) => acc | keyUsageFlags[k], 0);
  return {
    name: def.name,
    validityDays: def.validityDays,
    validators: [
      requireAcceptedKey,
      requireCommonName,
      requireDistinctKey,
      requireSelfSigned(false),
      requireProfileSubject(def),
    ],
    modifiers: [
      basicConstraints(false),
      // EN 319 412-2 §4.3.2: the key usage is critical; nonRepudiation for signatures.
      keyUsage(flags),
      keyIdentifiers,
      certificatePolicies,
      authorityInformationAccess,
      crlDistributionPoints,
      qcStatements,
    ],
  };
}

/** The policy OIDs written by `def` under a CA whose own policies are `caPolicyOids`. */
export function profilePolicyOids(
  def: CredentialProfileDefinition,
  caPolicyOids: readonly string[],
): readonly string[] {
  return [...new Set([...def.policyOids, ...(def.includeCaPolicies ? caPolicyOids : [])])];
}
