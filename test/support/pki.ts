/**
 * A declared test PKI (after Certomancer and dss-pki-factory): root → intermediate → signer
 * leaves (RSA-2048, RSA-PSS, EC P-256/P-384/P-521), an EC P-256 TSA (critical EKU timeStamping, RFC 3161
 * §2.3) and an OCSP responder (id-kp-OCSPSigning, RFC 6960 §4.2.2.2). Profiles per RFC 5280
 * §4.2.1. Built at test time with @peculiar/asn1-x509 and node:crypto, memoised per process;
 * nothing is committed or downloaded.
 */
import { createHash, createPublicKey, generateKeyPair, randomBytes, sign, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AsnParser, AsnSerializer, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  ExtendedKeyUsage,
  Extension,
  Extensions,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_ce_subjectAltName,
  id_ce_subjectKeyIdentifier,
  GeneralName,
  SubjectAlternativeName,
  id_kp_OCSPSigning,
  id_kp_timeStamping,
  KeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
  Name,
  RelativeDistinguishedName,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
} from '@peculiar/asn1-x509';

const generateKeyPairAsync = promisify(generateKeyPair);

/** Kinds of signer leaf the PKI can issue. */
export type LeafKind = 'rsa' | 'rsa-pss' | 'ec-p256' | 'ec-p384' | 'ec-p521';

/** Every leaf kind (for tests that loop over all of them). */
export const leafKinds: readonly LeafKind[] = ['rsa', 'rsa-pss', 'ec-p256', 'ec-p384', 'ec-p521'];

/** One issued certificate with its key. */
export interface TestCertificate {
  readonly der: Uint8Array;
  readonly pem: string;
  readonly privateKey: KeyObject;
  readonly privateKeyPem: string;
  /** e.g. `CN=Signet Test Signer rsa, O=Signet Test, C=EU` (informational). */
  readonly subject: string;
}

/** What to build. */
export interface TestPkiDeclaration<K extends LeafKind> {
  readonly leaves: readonly K[];
}

/** The built PKI. */
export interface TestPki<K extends LeafKind> {
  readonly root: TestCertificate;
  readonly intermediate: TestCertificate;
  readonly leaves: Readonly<Record<K, TestCertificate>>;
  readonly tsa: TestCertificate;
  readonly ocsp: TestCertificate;
  /** leaf, intermediate, root (DER): a Signer's certificateChain. */
  chain(kind: K): readonly Uint8Array[];
}

const notBefore = new Date('2020-01-01T00:00:00Z');
const notAfter = new Date('2049-12-31T23:59:59Z');
// sha256WithRSAEncryption with NULL parameters (RFC 4055 §5).
const sha256WithRsa = new AlgorithmIdentifier({
  algorithm: '1.2.840.113549.1.1.11',
  parameters: Uint8Array.of(0x05, 0x00).buffer,
});

interface Issued extends TestCertificate {
  readonly name: Name;
  readonly keyId: Uint8Array;
}

function serial(): ArrayBuffer {
  const b = randomBytes(16);
  b[0] = ((b[0] as number) & 0x7f) | 0x01;
  return new Uint8Array(b).buffer;
}

function dn(cn: string): Name {
  const rdn = (type: string, value: AttributeValue): RelativeDistinguishedName =>
    new RelativeDistinguishedName([new AttributeTypeAndValue({ type, value })]);
  return new Name([
    rdn('2.5.4.6', new AttributeValue({ printableString: 'EU' })),
    rdn('2.5.4.10', new AttributeValue({ utf8String: 'Signet Test' })),
    rdn('2.5.4.3', new AttributeValue({ utf8String: cn })),
  ]);
}

async function generateKeys(kind: LeafKind | 'ca'): Promise<KeyObject> {
  if (kind.startsWith('ec-')) {
    const namedCurve = { 'ec-p256': 'P-256', 'ec-p384': 'P-384', 'ec-p521': 'P-521' }[kind as 'ec-p256'];
    return (await generateKeyPairAsync('ec', { namedCurve })).privateKey;
  }
  return (await generateKeyPairAsync('rsa', { modulusLength: 2048, publicExponent: 0x10001 })).privateKey;
}

function extension(extnID: string, critical: boolean, value: unknown): Extension {
  return new Extension({ extnID, critical, extnValue: new OctetString(AsnSerializer.serialize(value)) });
}

function toPem(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').trimEnd();
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

interface IssueParams {
  readonly subject: string;
  readonly key: KeyObject;
  readonly issuer: Issued | 'self';
  readonly isCa: boolean;
  readonly keyUsage: number;
  readonly extKeyUsage?: { readonly oids: readonly string[]; readonly critical: boolean };
  /** RFC 5280 §4.2.1.6 subjectAltName: DNS names and IP addresses (a TLS server's identity, RFC 6125). */
  readonly subjectAltName?: { readonly dns?: readonly string[]; readonly ip?: readonly string[] };
}

/** Issues an X.509 v3 certificate (RFC 5280 §4.1) signed with sha256WithRSAEncryption. */
function issue(p: IssueParams): Issued {
  const spki = AsnParser.parse(createPublicKey(p.key).export({ format: 'der', type: 'spki' }), SubjectPublicKeyInfo);
  // RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING value.
  const keyId = new Uint8Array(createHash('sha1').update(new Uint8Array(spki.subjectPublicKey)).digest());
  const name = dn(p.subject);
  const issuerName = p.issuer === 'self' ? name : p.issuer.name;
  const issuerKeyId = p.issuer === 'self' ? keyId : p.issuer.keyId;
  const signingKey = p.issuer === 'self' ? p.key : p.issuer.privateKey;
  const extensions = [
    // RFC 5280 §4.2.1.9: basicConstraints, critical.
    extension(id_ce_basicConstraints, true, new BasicConstraints(p.isCa ? { cA: true, ...(p.issuer === 'self' ? {} : { pathLenConstraint: 0 }) } : {})),
    extension(id_ce_keyUsage, true, new KeyUsage(p.keyUsage)),
    extension(id_ce_subjectKeyIdentifier, false, new SubjectKeyIdentifier(keyId)),
  ];
  if (p.issuer !== 'self') {
    extensions.push(
      extension(id_ce_authorityKeyIdentifier, false, new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(issuerKeyId) })),
    );
  }
  if (p.extKeyUsage !== undefined) {
    extensions.push(extension(id_ce_extKeyUsage, p.extKeyUsage.critical, new ExtendedKeyUsage([...p.extKeyUsage.oids])));
  }
  if (p.subjectAltName !== undefined) {
    const names = [
      ...(p.subjectAltName.dns ?? []).map((dNSName) => new GeneralName({ dNSName })),
      ...(p.subjectAltName.ip ?? []).map((iPAddress) => new GeneralName({ iPAddress })),
    ];
    extensions.push(extension(id_ce_subjectAltName, false, new SubjectAlternativeName(names)));
  }
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: serial(),
    signature: sha256WithRsa,
    issuer: issuerName,
    validity: new Validity({ notBefore, notAfter }),
    subject: name,
    subjectPublicKeyInfo: spki,
    extensions: new Extensions(extensions),
  });
  const tbsDer = new Uint8Array(AsnSerializer.serialize(tbs));
  const signature = sign('sha256', tbsDer, signingKey);
  const der = new Uint8Array(
    AsnSerializer.serialize(
      new Certificate({ tbsCertificate: tbs, signatureAlgorithm: sha256WithRsa, signatureValue: new Uint8Array(signature).buffer }),
    ),
  );
  return {
    der,
    pem: toPem(der),
    privateKey: p.key,
    privateKeyPem: p.key.export({ format: 'pem', type: 'pkcs8' }).toString(),
    subject: `CN=${p.subject}, O=Signet Test, C=EU`,
    name,
    keyId,
  };
}

const signerUsage = KeyUsageFlags.digitalSignature | KeyUsageFlags.nonRepudiation;
const caUsage = KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign;

interface CaLayer {
  readonly root: Issued;
  readonly intermediate: Issued;
  readonly tsa: Issued;
  readonly ocsp: Issued;
}

let caLayer: Promise<CaLayer> | undefined;
const leafCache = new Map<LeafKind, Promise<Issued>>();

async function buildCaLayer(): Promise<CaLayer> {
  const [rootKey, intermediateKey, tsaKey, ocspKey] = await Promise.all([
    generateKeys('ca'),
    generateKeys('ca'),
    // EC P-256 for the TSA and OCSP responder: cheap to generate, valid for RFC 3161 / RFC 6960.
    generateKeys('ec-p256'),
    generateKeys('ec-p256'),
  ]);
  const root = issue({ subject: 'Signet Test Root CA', key: rootKey, issuer: 'self', isCa: true, keyUsage: caUsage });
  const intermediate = issue({ subject: 'Signet Test Intermediate CA', key: intermediateKey, issuer: root, isCa: true, keyUsage: caUsage });
  const tsa = issue({
    subject: 'Signet Test TSA',
    key: tsaKey,
    issuer: intermediate,
    isCa: false,
    keyUsage: signerUsage,
    // RFC 3161 §2.3: the TSA certificate MUST have exactly this EKU, marked critical.
    extKeyUsage: { oids: [id_kp_timeStamping], critical: true },
  });
  const ocsp = issue({
    subject: 'Signet Test OCSP Responder',
    key: ocspKey,
    issuer: intermediate,
    isCa: false,
    keyUsage: KeyUsageFlags.digitalSignature,
    // RFC 6960 §4.2.2.2: a delegated responder carries id-kp-OCSPSigning.
    extKeyUsage: { oids: [id_kp_OCSPSigning], critical: false },
  });
  return { root, intermediate, tsa, ocsp };
}

async function buildLeaf(kind: LeafKind): Promise<Issued> {
  caLayer ??= buildCaLayer();
  const [ca, key] = await Promise.all([caLayer, generateKeys(kind)]);
  // ETSI EN 319 412-2 §4.3.2: nonRepudiation (contentCommitment) for signing certificates.
  return issue({ subject: `Signet Test Signer ${kind}`, key, issuer: ca.intermediate, isCa: false, keyUsage: signerUsage });
}

/**
 * Builds (or returns the memoised) test PKI with the declared signer leaves (default: RSA).
 *
 * @example
 * ```ts
 * const pki = await buildTestPki({ leaves: ['rsa', 'ec-p256'] });
 * const chain = pki.chain('ec-p256');
 * ```
 */
export async function buildTestPki<K extends LeafKind = 'rsa'>(
  decl: TestPkiDeclaration<K> = { leaves: ['rsa' as K] },
): Promise<TestPki<K>> {
  caLayer ??= buildCaLayer();
  const ca = await caLayer;
  const leaves = {} as Record<K, TestCertificate>;
  for (const kind of decl.leaves) {
    let leaf = leafCache.get(kind);
    if (leaf === undefined) {
      leaf = buildLeaf(kind);
      leafCache.set(kind, leaf);
    }
    leaves[kind] = await leaf;
  }
  return {
    root: ca.root,
    intermediate: ca.intermediate,
    tsa: ca.tsa,
    ocsp: ca.ocsp,
    leaves,
    chain: (kind) => [leaves[kind].der, ca.intermediate.der, ca.root.der],
  };
}

/**
 * Issues one more end-entity certificate from the intermediate for a key of the caller's choice
 * (e.g. an RSA-1024 or secp256k1 key for negative tests). Not memoised.
 *
 * @example
 * ```ts
 * const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
 * const cert = await issueTestCertificate({ key: weak, subject: 'Weak Signer' });
 * ```
 */
export async function issueTestCertificate(options: {
  readonly key: KeyObject;
  readonly subject: string;
  readonly extKeyUsage?: { readonly oids: readonly string[]; readonly critical: boolean };
  /** A TLS server or client certificate: digitalSignature (and keyEncipherment for RSA) instead of the signer's key usage. */
  readonly tls?: boolean;
  readonly subjectAltName?: { readonly dns?: readonly string[]; readonly ip?: readonly string[] };
}): Promise<TestCertificate> {
  caLayer ??= buildCaLayer();
  const ca = await caLayer;
  return issue({
    subject: options.subject,
    key: options.key,
    issuer: ca.intermediate,
    isCa: false,
    // RFC 5246 §7.4.2 / RFC 8446 §4.4.2.2: a TLS end-entity key signs the handshake.
    keyUsage: options.tls === true ? KeyUsageFlags.digitalSignature | KeyUsageFlags.keyEncipherment : signerUsage,
    ...(options.extKeyUsage === undefined ? {} : { extKeyUsage: options.extKeyUsage }),
    ...(options.subjectAltName === undefined ? {} : { subjectAltName: options.subjectAltName }),
  });
}

/** Paths written by {@link writePkiFiles}. */
export interface PkiFiles {
  /** The leaf's private key, PKCS#8 PEM. */
  readonly key: string;
  /** The leaf certificate, PEM. */
  readonly cert: string;
  /** The intermediate certificate, PEM (pass as --chain). */
  readonly chain: string;
  /** The root certificate, PEM (trust anchor for openssl -CAfile / pdfsig). */
  readonly root: string;
}

/**
 * Writes key.pem, cert.pem, chain.pem and root.pem for one leaf into `dir` (for CLI tests and
 * external judges).
 *
 * @example
 * ```ts
 * const files = await writePkiFiles(tempDir(t));
 * runTool('openssl', ['verify', '-CAfile', files.root, '-untrusted', files.chain, files.cert]);
 * ```
 */
export async function writePkiFiles(dir: string, leaf: LeafKind = 'rsa'): Promise<PkiFiles> {
  const pki = await buildTestPki({ leaves: [leaf] });
  const files: PkiFiles = {
    key: join(dir, 'key.pem'),
    cert: join(dir, 'cert.pem'),
    chain: join(dir, 'chain.pem'),
    root: join(dir, 'root.pem'),
  };
  writeFileSync(files.key, pki.leaves[leaf].privateKeyPem, { mode: 0o600 });
  writeFileSync(files.cert, pki.leaves[leaf].pem);
  writeFileSync(files.chain, pki.intermediate.pem);
  writeFileSync(files.root, pki.root.pem);
  return files;
}
