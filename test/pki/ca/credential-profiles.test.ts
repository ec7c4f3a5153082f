/**
 * Credential certificate profiles (issue 16 §3): a certificate issued through each profile, judged
 * by `openssl x509 -text` (subject, policies, key usage, qcStatements) and by Signet's validator,
 * which reports the QC type esign and QcSSCD in the signer section (ETSI EN 319 412-5 §4).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireTools, runTool } from '../../support/tools.js';
import { makeBasePdf } from '../../support/pdf-fixtures.js';
import { makePki, suiteCleanup, type PkiFixture } from '../support/pki-fixture.js';
import { derToPem } from '../../../src/pki/certificate.js';
import { isSignetError } from '../../../src/core/errors.js';
import { parseCredentialProfiles } from '../../../src/pki/ca/credential-profiles.js';
import { keySigner } from '../../../src/keys/index.js';
import { signPdf } from '../../../src/pades/index.js';
import { verifyPdfSignatures } from '../../../src/validation/index.js';
import type { CertificateRecord } from '../../../src/pki/store/ca-store.js';
import { repoPath } from '../../support/repo-path.js';

/** The profiles document of docs/certificate-profiles.md (its first json block), so the doc's example is the one tested. */
export const qualifiedProfilesDocument: unknown = JSON.parse(
  /```json\n([\s\S]*?)\n```/.exec(
    readFileSync(repoPath('docs', 'certificate-profiles.md'), 'utf8'),
  )?.[1] ?? 'null',
);

function opensslText(pki: PkiFixture, record: CertificateRecord, name: string): string {
  const file = join(pki.dir, `${name}.pem`);
  writeFileSync(file, derToPem(record.der, 'CERTIFICATE'));
  const verify = runTool('openssl', [
    'verify',
    '-CAfile',
    pki.files.root,
    '-untrusted',
    pki.files.issuing,
    file,
  ]);
  assert.equal(verify.status, 0, verify.stdout + verify.stderr);
  const r = runTool('openssl', [
    'x509',
    '-in',
    file,
    '-noout',
    '-text',
    '-nameopt',
    'RFC2253,sep_comma_plus_space,-esc_msb,utf8',
  ]);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

const days = (r: CertificateRecord): number =>
  Math.round((r.notAfter.getTime() - r.notBefore.getTime()) / 86_400_000);

describe('certificate profiles (ETSI EN 319 412-2, EN 319 411-2 §5.3, EN 319 412-5 §4)', () => {
  let pki: PkiFixture;
  const cleanup = suiteCleanup(after);
  before(async () => {
    pki = await makePki(cleanup, {
      credentialProfiles: parseCredentialProfiles(qualifiedProfilesDocument),
    });
  });

  it("the built-in signing profile: CN, the CA's own policy, digitalSignature + nonRepudiation, two years, no qcStatements", async (t) => {
    if (!requireTools(t, 'openssl')) return;
    const key = await pki.keystore.generateKey({ type: 'EC', curve: 'P-256' });
    const record = await pki.ca.issue({
      subject: { commonName: 'Alice Example' },
      subjectPublicKey: key.publicKey,
      profile: 'signing',
    });
    const text = opensslText(pki, record, 'signing');
    assert.match(text, /Subject: CN=Alice Example\n/);
    assert.match(text, /X509v3 Certificate Policies:\s+Policy: 2\.25\.1\n/);
    assert.match(text, /X509v3 Key Usage: critical\s+Digital Signature, Non Repudiation\n/);
    assert.doesNotMatch(text, /qcStatements|1\.3\.6\.1\.5\.5\.7\.1\.3/);
    assert.equal(days(record), 730);
    assert.equal(record.profile, 'signing');
  });

  it('qualified-esign: subject with the semantics identifier, QCP-n-qscd and the CA policy, QcCompliance/QcSSCD/QcType esign/QcPDS', async (t) => {
    if (!requireTools(t, 'openssl')) return;
    const key = await pki.keystore.generateKey({ type: 'EC', curve: 'P-256' });
    const record = await pki.ca.issue({
      subject: {
        commonName: 'Jan Novák',
        givenName: 'Jan',
        surname: 'Novák',
        serialNumber: 'PNOCZ-8001011234',
      },
      subjectPublicKey: key.publicKey,
      profile: 'qualified-esign',
    });
    const text = opensslText(pki, record, 'qualified');
    // The country comes from the profile (EN 319 412-2 §4.2.4: natural persons carry countryName).
    assert.match(
      text,
      /Subject: CN=Jan Novák, serialNumber=PNOCZ-8001011234, GN=Jan, SN=Novák, C=CZ\n/,
    );
    assert.match(
      text,
      /X509v3 Certificate Policies:\s+Policy: 0\.4\.0\.194112\.1\.2\s+Policy: 2\.25\.1\n/,
    );
    assert.match(text, /X509v3 Key Usage: critical\s+Non Repudiation\n/);
    assert.match(text, /qcStatements:\s*\n\s+0/);
    // openssl prints the extension's bytes only: asn1parse names the statements inside.
    const inner = qcInner(pki, record);
    for (const oid of [
      '0.4.0.1862.1.1',
      '0.4.0.1862.1.4',
      '0.4.0.1862.1.6',
      '0.4.0.1862.1.6.1',
      '0.4.0.1862.1.5',
    ]) {
      assert.match(
        inner,
        new RegExp(`OBJECT\\s+:${oid.replace(/\./g, '\\.')}\\n`),
        `${oid} in\n${inner}`,
      );
    }
    assert.match(inner, /IA5STRING\s+:https:\/\/ca\.example\.org\/pds-en\.pdf/);
    assert.match(inner, /PRINTABLESTRING\s+:en/);
    assert.equal(days(record), 365);
    assert.equal(record.profile, 'qualified-esign');
  });

  it('advanced-esign: fixed organization, named and dotted policies, contentCommitment, 90 days', async (t) => {
    if (!requireTools(t, 'openssl')) return;
    const key = await pki.keystore.generateKey({ type: 'RSA', bits: 2048 });
    const record = await pki.ca.issue({
      subject: { commonName: 'Eva Dvořák', givenName: 'Eva', surname: 'Dvořák' },
      subjectPublicKey: key.publicKey,
      profile: 'advanced-esign',
    });
    const text = opensslText(pki, record, 'advanced');
    assert.match(text, /Subject: CN=Eva Dvořák, GN=Eva, SN=Dvořák, O=Example s\.r\.o\.\n/);
    assert.match(text, /Policy: 0\.4\.0\.2042\.1\.2\s+Policy: 1\.3\.6\.1\.4\.1\.99999\.1\.2\n/);
    assert.doesNotMatch(text, /2\.25\.1/);
    assert.match(text, /X509v3 Key Usage: critical\s+Digital Signature, Non Repudiation\n/);
    assert.equal(days(record), 90);
  });

  it('refuses a subject the profile does not allow, with coded errors', async () => {
    const key = await pki.keystore.generateKey({ type: 'EC', curve: 'P-256' });
    const attempt = (subject: Parameters<typeof pki.ca.issue>[0]['subject']) =>
      pki.ca.issue({ subject, subjectPublicKey: key.publicKey, profile: 'qualified-esign' });
    await assert.rejects(
      attempt({ commonName: 'Jan Novák', givenName: 'Jan', surname: 'Novák' }),
      (e) => isSignetError(e, 'ERR_PKI_SUBJECT_INVALID') && /serialNumber/.test(e.message),
    );
    await assert.rejects(
      attempt({
        commonName: 'Jan Novák',
        givenName: 'Jan',
        surname: 'Novák',
        serialNumber: '8001011234',
      }),
      (e) => isSignetError(e, 'ERR_PKI_SUBJECT_INVALID') && /semantics identifier/.test(e.message),
    );
    await assert.rejects(
      attempt({
        commonName: 'Jan Novák',
        givenName: 'Jan',
        surname: 'Novák',
        serialNumber: 'PNOCZ-1',
        country: 'SK',
      }),
      (e) => isSignetError(e, 'ERR_PKI_SUBJECT_INVALID') && /country 'CZ' only/.test(e.message),
    );
    await assert.rejects(
      pki.ca.issue({
        subject: { commonName: 'X' },
        subjectPublicKey: key.publicKey,
        profile: 'nope',
      }),
      (e) => isSignetError(e, 'ERR_PKI_PROFILE_UNKNOWN'),
    );
  });

  it("Signet's validator reports QcCompliance, QcSSCD and QcType esign in the signer section", async () => {
    const key = await pki.keystore.generateKey({ type: 'EC', curve: 'P-256' });
    const record = await pki.ca.issue({
      subject: {
        commonName: 'Jan Novák',
        givenName: 'Jan',
        surname: 'Novák',
        serialNumber: 'IDCCZ-123456789',
      },
      subjectPublicKey: key.publicKey,
      profile: 'qualified-esign',
    });
    const signer = keySigner(
      pki.keystore,
      key.ref,
      [record.der, pki.hierarchy.issuing.certificate],
      { scheme: 'ECDSA', digest: 'SHA-256' },
    );
    const signed = await signPdf(makeBasePdf(), signer, { signingTime: new Date() });
    const report = verifyPdfSignatures(signed, { trustAnchors: [pki.hierarchy.root.certificate] });
    const signature = report.signatures[0];
    assert.equal(signature?.indication, 'TOTAL-PASSED', JSON.stringify(signature?.problems));
    assert.deepEqual(signature.qcStatements, {
      qcCompliance: true,
      qcSSCD: true,
      qcTypes: ['esign'],
      pds: [
        { url: 'https://ca.example.org/pds-en.pdf', language: 'en' },
        { url: 'https://ca.example.org/pds-cs.pdf', language: 'cs' },
      ],
    });
    // A signing-profile certificate claims nothing.
    const plainKey = await pki.keystore.generateKey({ type: 'EC', curve: 'P-256' });
    const plain = await pki.ca.issue({
      subject: { commonName: 'Plain' },
      subjectPublicKey: plainKey.publicKey,
      profile: 'signing',
    });
    const plainSigner = keySigner(
      pki.keystore,
      plainKey.ref,
      [plain.der, pki.hierarchy.issuing.certificate],
      { scheme: 'ECDSA', digest: 'SHA-256' },
    );
    const plainReport = verifyPdfSignatures(
      await signPdf(makeBasePdf(), plainSigner, { signingTime: new Date() }),
      { trustAnchors: [pki.hierarchy.root.certificate] },
    );
    assert.equal(plainReport.signatures[0]?.qcStatements, undefined);
  });
});

/** The qcStatements extension's value, parsed by openssl asn1parse. */
function qcInner(pki: PkiFixture, record: CertificateRecord): string {
  const der = join(pki.dir, 'qualified.der');
  writeFileSync(der, record.der);
  const file = join(pki.dir, 'qc-ext.der');
  const text = runTool('openssl', ['asn1parse', '-inform', 'DER', '-in', der]).stdout;
  // The OCTET STRING right after the qcStatements OID holds the extension value.
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.includes('qcStatements'));
  const octet = lines.slice(at + 1).find((l) => l.includes('OCTET STRING'));
  assert.ok(octet, text);
  const offset = /^\s*(\d+):/.exec(octet)?.[1];
  const r = runTool('openssl', [
    'asn1parse',
    '-inform',
    'DER',
    '-in',
    der,
    '-strparse',
    String(offset),
    '-out',
    file,
  ]);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

describe('certificate profiles file: strict parsing (ERR_PKI_PROFILE_CONFIG)', () => {
  const refused: readonly [string, unknown, RegExp][] = [
    ['an unknown field', { profiles: { p: { validity: 3 } } }, /unknown field 'validity'/],
    ['an unknown policy name', { profiles: { p: { policies: ['QCP-x'] } } }, /QCP-x/],
    [
      'QCP-n-qscd without QcSSCD',
      { profiles: { p: { policies: ['QCP-n-qscd'], qcStatements: { qcCompliance: true } } } },
      /QcSSCD|qcSSCD/,
    ],
    [
      'QcType esign without nonRepudiation',
      { profiles: { p: { qcStatements: { qcType: 'esign' }, keyUsage: ['digitalSignature'] } } },
      /nonRepudiation/,
    ],
    [
      'a PDS over http',
      {
        profiles: {
          p: { qcStatements: { pds: [{ url: 'http://x.example/pds', language: 'en' }] } },
        },
      },
      /https/,
    ],
    [
      'a PDS without English',
      {
        profiles: {
          p: { qcStatements: { pds: [{ url: 'https://x.example/pds', language: 'cs' }] } },
        },
      },
      /English/,
    ],
    ['an unknown key usage', { profiles: { p: { keyUsage: ['keyCertSign'] } } }, /keyCertSign/],
    ['a validity of 0 days', { profiles: { p: { validityDays: 0 } } }, /validityDays/],
    [
      'an unknown subject attribute',
      { profiles: { p: { subject: { require: ['email'] } } } },
      /email/,
    ],
  ];
  for (const [what, document, message] of refused) {
    it(`refuses ${what}`, () => {
      assert.throws(
        () => parseCredentialProfiles(document),
        (e) => isSignetError(e, 'ERR_PKI_PROFILE_CONFIG') && message.test(e.message),
      );
    });
  }

  it('keeps the built-in signing profile and lets a file redefine it', () => {
    assert.deepEqual([...parseCredentialProfiles({}).keys()], ['signing']);
    const redefined = parseCredentialProfiles({
      profiles: { signing: { policies: ['1.2.3.4'], validityDays: 400 } },
    }).get('signing');
    assert.deepEqual(redefined?.policyOids, ['1.2.3.4']);
    assert.equal(redefined?.includeCaPolicies, false);
    assert.equal(redefined?.validityDays, 400);
  });
});
