/**
 * The on-disk CA used by `signet ca …` and `signet pki serve`: `ca.json` (key references,
 * algorithm, URLs, policies), an encrypted software keystore under `keys/` (keys never in
 * plaintext), the file CaStore, and the public certificates as PEM (root, issuing, chain =
 * issuing then root, tsa, ocsp). The KEK lives in a separate file or the environment. The
 * signing service keeps the records in its database instead (`store: 'database'` in ca.json).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import { isAbsolute, join } from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificateList, id_ce_cRLDistributionPoints } from '@peculiar/asn1-x509';
import type { Clock } from '../../core/clock.js';
import { namedCurveOf, type SignatureAlgorithm } from '../../cms/algorithms.js';
import { loadKek, SoftwareKeystore, type Kek, type KeySpec } from '../../keys/index.js';
import type { CaKey } from '../ca-key.js';
import { derToPem, parseCertificate, pemCertificates, spkiDer, subjectKeyIdentifierOf } from '../certificate.js';
import { PkiError } from '../errors.js';
import { createOcspResponder, type OcspResponder } from '../ocsp/ocsp-responder.js';
import type { CaStore } from '../store/ca-store.js';
import { FileCaStore } from '../store/file-ca-store.js';
import { createTimestampAuthority, type TimestampAuthority } from '../tsa/timestamp-authority.js';
import { CertificateAuthority } from './certificate-authority.js';
import { createCaHierarchy, signatureAlgorithmForKey, type CaHierarchy } from './create-ca-hierarchy.js';
import { issueCertificate } from './issue-certificate.js';
import { profiles, signetDevelopmentPolicyOid, type PkiUrls } from './profiles.js';
import { readRootCrl, rootCrlFile, writeRootCrl } from './root-crl.js';
import { generateSerialNumber } from './serial-number.js';

/** `ca.json`. */
export interface CaDirectoryConfig {
  readonly version: 1;
  readonly algorithm: SignatureAlgorithm;
  /** Key references; `root` is absent when the issuing CA was imported (its root key stays outside). */
  readonly keys: { readonly root?: string; readonly issuing: string; readonly tsa: string; readonly ocsp: string };
  /** Base URL of `signet pki serve`; AIA/CDP URLs are derived from it. */
  readonly baseUrl: string;
  readonly policyOids: readonly string[];
  readonly tsaPolicyOid: string;
  /** KEK file (relative to the directory) when the KEK was created by `ca init`. */
  readonly kekFile?: string;
  /**
   * Where the certificate records live: `file` (ca-store.json, the default) or `database` (the
   * signing service's database; the directory then holds keys and certificates only).
   */
  readonly store?: 'file' | 'database';
}

/** The default base URL when none is configured. */
export const defaultBaseUrl = 'http://127.0.0.1:8080';

/** The URLs derived from a base URL, for certificates the issuing CA issues. */
export function pkiUrlsFor(baseUrl: string): PkiUrls {
  const base = baseUrl.replace(/\/+$/, '');
  return { ocsp: `${base}/ocsp`, caIssuers: `${base}/ca/issuing.cer`, crl: `${base}/crl` };
}

/** The URLs derived from a base URL for the issuing CA certificate: the root's certificate and CRL. */
export function rootPkiUrlsFor(baseUrl: string): PkiUrls {
  const base = baseUrl.replace(/\/+$/, '');
  return { caIssuers: `${base}/ca/root.cer`, crl: `${base}/ca/${rootCrlFile}` };
}

/** Where the KEK comes from: an explicit file, the environment, or the directory's own file. */
export interface KekChoice {
  /** `--kek-file`. */
  readonly kekFile?: string;
  /** Environment for SIGNET_KEK_FILE / SIGNET_KEK. */
  readonly env?: NodeJS.ProcessEnv;
}

function resolveKek(dir: string, choice: KekChoice, config?: CaDirectoryConfig): Kek {
  if (choice.kekFile !== undefined) return loadKek({ file: choice.kekFile });
  const env = choice.env ?? process.env;
  if (env['SIGNET_KEK_FILE'] !== undefined || env['SIGNET_KEK'] !== undefined) return loadKek({ env: 'SIGNET_KEK', environment: env });
  if (config?.kekFile !== undefined) {
    return loadKek({ file: isAbsolute(config.kekFile) ? config.kekFile : join(dir, config.kekFile) });
  }
  throw new PkiError('ERR_PKI_CA_DIR_INVALID', 'no KEK: pass --kek-file or set SIGNET_KEK_FILE / SIGNET_KEK');
}

function writeSecretFile(path: string, text: string): void {
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

/** Options of initCaDirectory. */
export interface InitCaDirectoryOptions extends KekChoice {
  readonly dir: string;
  readonly clock: Clock;
  readonly baseUrl?: string;
  readonly keySpec?: KeySpec;
  readonly organization?: string;
  readonly country?: string;
  readonly policyOids?: readonly string[];
  readonly tsaPolicyOid?: string;
  /**
   * Import an existing issuing CA instead of creating a hierarchy: its certificate, its chain up
   * to and including the self-signed root, and its private key (moved into the encrypted
   * keystore). The TSA and OCSP-signer certificates are then issued by it.
   */
  readonly importIssuing?: ImportedIssuingCa;
  /** The CaStore to record issued certificates in (default: the directory's FileCaStore). */
  readonly store?: CaStore;
}

/** An external issuing CA to import (see InitCaDirectoryOptions.importIssuing). */
export interface ImportedIssuingCa {
  readonly certificate: Uint8Array;
  /** Issuer certificates, issuing CA's issuer first, ending with the self-signed root. */
  readonly chain: readonly Uint8Array[];
  readonly privateKey: KeyObject;
}

/**
 * RFC 5280 §4.2.1.9/§4.2.1.3 and §6: the imported certificate is a CA allowed to sign
 * certificates, holds the public half of the key, and chains by signature to a self-signed root.
 */
function checkImportedCa(imported: ImportedIssuingCa, now: Date): void {
  const bad = (why: string): PkiError => new PkiError('ERR_PKI_CA_IMPORT', why);
  let cert: X509Certificate;
  let chain: X509Certificate[];
  try {
    cert = new X509Certificate(imported.certificate);
    chain = imported.chain.map((c) => new X509Certificate(c));
  } catch (cause) {
    throw new PkiError('ERR_PKI_CA_IMPORT', 'a certificate to import is not valid DER X.509', { cause });
  }
  if (!cert.ca) throw bad('the certificate to import is not a CA certificate (basicConstraints cA)');
  if (cert.keyUsage !== undefined && !cert.keyUsage.includes('keyCertSign')) throw bad('the CA certificate lacks keyUsage keyCertSign');
  if (!cert.checkPrivateKey(imported.privateKey)) throw bad('the private key does not belong to the CA certificate');
  if (now < new Date(cert.validFrom) || now > new Date(cert.validTo)) throw bad('the CA certificate is not valid now');
  let child = cert;
  for (const parent of chain) {
    if (!parent.ca || !child.checkIssued(parent) || !child.verify(parent.publicKey)) {
      throw bad(`${child.subject.replace(/\n/g, ', ')} is not issued by the next certificate of the chain`);
    }
    child = parent;
  }
  if (!child.checkIssued(child) || !child.verify(child.publicKey)) throw bad('the chain does not end with a self-signed root');
}

/** Imports an issuing CA into the keystore and issues the TSA and OCSP certificates with it. */
async function importHierarchy(
  imported: ImportedIssuingCa,
  keystore: SoftwareKeystore,
  store: CaStore,
  options: InitCaDirectoryOptions,
  urls: PkiUrls,
  policyOids: readonly string[],
  prefix: string,
): Promise<CaHierarchy> {
  checkImportedCa(imported, options.clock.now());
  const issuingKey = await keystore.importKey(imported.privateKey, `${prefix}-issuing`);
  const d = imported.privateKey.asymmetricKeyDetails ?? {};
  const spec: KeySpec =
    imported.privateKey.asymmetricKeyType === 'ec'
      ? { type: 'EC', curve: namedCurveOf(d.namedCurve) ?? 'P-256' } // importKey took only P-256/384/521
      : { type: 'RSA', bits: d.modulusLength === 4096 ? 4096 : d.modulusLength === 3072 ? 3072 : 2048 };
  const algorithm = signatureAlgorithmForKey(spec);
  const ca = new CertificateAuthority({
    id: 'issuing',
    key: { backend: keystore, ref: issuingKey.ref, algorithm },
    certificate: imported.certificate,
    store,
    clock: options.clock,
    urls,
    policyOids,
  });
  const org = options.organization ?? 'Signet';
  const subject = (commonName: string) => ({
    commonName,
    organization: org,
    ...(options.country !== undefined ? { country: options.country } : {}),
  });
  const member = async (profile: 'tsa' | 'ocsp-signer', name: string, label: string) => {
    const key = await keystore.generateKey(spec, `${prefix}-${label}`);
    const issued = await ca.issue({ subject: subject(name), subjectPublicKey: key.publicKey, profile, keyRef: key.ref });
    return { keyRef: key.ref, certificate: issued.der };
  };
  const root = imported.chain[imported.chain.length - 1] ?? imported.certificate;
  return {
    algorithm,
    root: { keyRef: '', certificate: root },
    issuing: { keyRef: issuingKey.ref, certificate: imported.certificate },
    tsa: await member('tsa', `${org} Timestamp Authority`, 'tsa'),
    ocsp: await member('ocsp-signer', `${org} OCSP Responder`, 'ocsp'),
  };
}

/** What initCaDirectory did. */
export interface InitCaDirectoryResult {
  readonly config: CaDirectoryConfig;
  /** The KEK file created inside the directory (development default), if any. */
  readonly createdKekFile?: string;
}

/**
 * Creates a CA directory: KEK (unless given), keystore, root/issuing/TSA/OCSP keys and
 * certificates, PEM files. Refuses a directory that already holds a CA.
 *
 * @example
 * ```ts
 * await initCaDirectory({ dir: '/var/lib/signet/ca', clock: systemClock });
 * ```
 */
export async function initCaDirectory(options: InitCaDirectoryOptions): Promise<InitCaDirectoryResult> {
  const { dir } = options;
  if (existsSync(join(dir, 'ca.json'))) {
    throw new PkiError('ERR_PKI_CA_DIR_EXISTS', `${dir} already holds a CA (ca.json exists)`);
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  let createdKekFile: string | undefined;
  const env = options.env ?? process.env;
  const hasEnvKek = env['SIGNET_KEK_FILE'] !== undefined || env['SIGNET_KEK'] !== undefined;
  if (options.kekFile !== undefined && !existsSync(options.kekFile)) {
    writeSecretFile(options.kekFile, `${randomBytes(32).toString('hex')}\n`);
  } else if (options.kekFile === undefined && !hasEnvKek) {
    createdKekFile = join(dir, 'kek');
    if (!existsSync(createdKekFile)) writeSecretFile(createdKekFile, `${randomBytes(32).toString('hex')}\n`);
  }
  const kek = resolveKek(dir, options, createdKekFile ? ({ kekFile: 'kek' } as CaDirectoryConfig) : undefined);
  const keystore = await SoftwareKeystore.open({ dir: join(dir, 'keys'), kek, clock: options.clock });
  try {
    const baseUrl = options.baseUrl ?? defaultBaseUrl;
    const policyOids = options.policyOids ?? [signetDevelopmentPolicyOid];
    const store = options.store ?? new FileCaStore(dir);
    const labelPrefix = `ca-${randomBytes(4).toString('hex')}`;
    const h = options.importIssuing
      ? await importHierarchy(options.importIssuing, keystore, store, options, pkiUrlsFor(baseUrl), policyOids, labelPrefix)
      : await createCaHierarchy({
      backend: keystore,
      store,
      clock: options.clock,
      urls: pkiUrlsFor(baseUrl),
      rootUrls: rootPkiUrlsFor(baseUrl),
      policyOids,
      organization: options.organization ?? 'Signet',
      ...(options.country !== undefined ? { country: options.country } : {}),
      ...(options.keySpec ? { keySpec: options.keySpec } : {}),
      labelPrefix,
    });
    const config: CaDirectoryConfig = {
      version: 1,
      algorithm: h.algorithm,
      keys: {
        ...(h.root.keyRef !== '' ? { root: h.root.keyRef } : {}),
        issuing: h.issuing.keyRef,
        tsa: h.tsa.keyRef,
        ocsp: h.ocsp.keyRef,
      },
      baseUrl,
      policyOids,
      tsaPolicyOid: options.tsaPolicyOid ?? `${signetDevelopmentPolicyOid}.1`,
      ...(createdKekFile ? { kekFile: 'kek' } : {}),
      ...(options.store !== undefined ? { store: 'database' as const } : {}),
    };
    const pem = (der: Uint8Array) => derToPem(der, 'CERTIFICATE');
    writeFileSync(join(dir, 'root.pem'), pem(h.root.certificate));
    writeFileSync(join(dir, 'issuing.pem'), pem(h.issuing.certificate));
    const chain = options.importIssuing ? [h.issuing.certificate, ...options.importIssuing.chain] : [h.issuing.certificate, h.root.certificate];
    writeFileSync(join(dir, 'chain.pem'), chain.map(pem).join(''));
    writeFileSync(join(dir, 'tsa.pem'), pem(h.tsa.certificate));
    writeFileSync(join(dir, 'ocsp.pem'), pem(h.ocsp.certificate));
    if (h.root.keyRef !== '') {
      await writeRootCrl({
        dir,
        rootKey: { backend: keystore, ref: h.root.keyRef, algorithm: h.algorithm },
        rootCertificate: h.root.certificate,
        clock: options.clock,
      });
    }
    // ca.json last: its presence marks a complete CA directory.
    writeFileSync(join(dir, 'ca.json'), `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
    return { config, ...(createdKekFile ? { createdKekFile } : {}) };
  } finally {
    await keystore.close();
  }
}

/** An opened CA directory. */
export interface OpenedCaDirectory {
  readonly dir: string;
  readonly config: CaDirectoryConfig;
  readonly keystore: SoftwareKeystore;
  readonly store: CaStore;
  readonly ca: CertificateAuthority;
  readonly rootCertificate: Uint8Array;
  readonly tsaCertificate: Uint8Array;
  readonly ocspCertificate: Uint8Array;
  /** The root key, when this directory holds it (not for an imported issuing CA). */
  readonly rootKey: CaKey | undefined;
  /** The root CRL as stored in `root.crl` (read on each call: `signet ca crl --root` replaces it). */
  readRootCrl(): Uint8Array | undefined;
  /** The OCSP responder; `tuning` sets its pre-signed responses' recheck bound and HTTP max-age. */
  createOcspResponder(tuning?: { readonly statusRecheckMs: number; readonly httpMaxAgeSeconds: number }): OcspResponder;
  /** The TSA; `serials` reserves serial numbers in blocks (see TimestampAuthorityOptions). */
  createTimestampAuthority(serials?: { readonly blockSize: number; readonly reservedBy: string }): TimestampAuthority;
  close(): Promise<void>;
}

function readCert(dir: string, name: string): Uint8Array {
  try {
    const [der] = pemCertificates(readFileSync(join(dir, name), 'utf8'));
    if (!der) throw new PkiError('ERR_PKI_CA_DIR_INVALID', `${name} holds no certificate`);
    return der;
  } catch (err) {
    if (err instanceof PkiError) throw err;
    throw new PkiError('ERR_PKI_CA_DIR_INVALID', `cannot read ${name} in the CA directory`, { cause: err });
  }
}

/**
 * Opens a CA directory made by initCaDirectory; `baseUrl` overrides the configured one. `store`
 * replaces the directory's FileCaStore; a directory whose records live in a database
 * (`store: 'database'`) cannot be opened without one (ERR_PKI_CA_DIR_INVALID), so the CLI never
 * works on a stale file store.
 */
export async function openCaDirectory(
  dir: string,
  options: KekChoice & { readonly clock: Clock; readonly baseUrl?: string; readonly store?: CaStore; readonly keystore?: SoftwareKeystore },
): Promise<OpenedCaDirectory> {
  let config: CaDirectoryConfig;
  try {
    config = JSON.parse(readFileSync(join(dir, 'ca.json'), 'utf8')) as CaDirectoryConfig;
  } catch (cause) {
    throw new PkiError('ERR_PKI_CA_DIR_INVALID', `${dir} is not a CA directory (run signet ca init)`, { cause });
  }
  if (config.version !== 1 || typeof config.keys?.issuing !== 'string') {
    throw new PkiError('ERR_PKI_CA_DIR_INVALID', 'ca.json has an unknown format');
  }
  if (config.store === 'database' && options.store === undefined) {
    throw new PkiError(
      'ERR_PKI_CA_DIR_INVALID',
      `the CA in ${dir} keeps its records in the signing service database; manage it through signet serve / signet admin`,
    );
  }
  // The signing service keeps the CA's keys in its database and hands that keystore in (it
  // stays the caller's to close); the CLI opens the directory's own keys/.
  const keystore =
    options.keystore ?? (await SoftwareKeystore.open({ dir: join(dir, 'keys'), kek: resolveKek(dir, options, config), clock: options.clock }));
  const ownsKeystore = options.keystore === undefined;
  const store = options.store ?? new FileCaStore(dir);
  const key = (ref: string): CaKey => ({ backend: keystore, ref, algorithm: config.algorithm });
  const issuing = readCert(dir, 'issuing.pem');
  const tsaCertificate = readCert(dir, 'tsa.pem');
  const ocspCertificate = readCert(dir, 'ocsp.pem');
  const ca = new CertificateAuthority({
    id: 'issuing',
    key: key(config.keys.issuing),
    certificate: issuing,
    store,
    clock: options.clock,
    urls: pkiUrlsFor(options.baseUrl ?? config.baseUrl),
    policyOids: config.policyOids,
  });
  return {
    dir,
    config,
    keystore,
    store,
    ca,
    rootCertificate: readCert(dir, 'root.pem'),
    tsaCertificate,
    ocspCertificate,
    rootKey: config.keys.root !== undefined ? key(config.keys.root) : undefined,
    readRootCrl: () => readRootCrl(dir),
    createOcspResponder: (tuning) =>
      createOcspResponder({
        ...tuning,
        issuers: [{ caId: ca.id, certificate: issuing, signer: { key: key(config.keys.ocsp), certificate: ocspCertificate } }],
        store,
        clock: options.clock,
      }),
    createTimestampAuthority: (serials) =>
      createTimestampAuthority({
        key: key(config.keys.tsa),
        certificate: tsaCertificate,
        chain: [issuing],
        policyOid: config.tsaPolicyOid,
        store,
        clock: options.clock,
        ...(serials === undefined ? {} : { serialBlockSize: serials.blockSize, reservedBy: serials.reservedBy }),
      }),
    close: async () => {
      if (ownsKeystore) await keystore.close();
      await store.close();
    },
  };
}

/** Reads `ca.json` (ERR_PKI_CA_DIR_INVALID when missing or unreadable). */
export function readCaDirectoryConfig(dir: string): CaDirectoryConfig {
  try {
    return JSON.parse(readFileSync(join(dir, 'ca.json'), 'utf8')) as CaDirectoryConfig;
  } catch (cause) {
    throw new PkiError('ERR_PKI_CA_DIR_INVALID', `${dir} is not a CA directory (run signet ca init)`, { cause });
  }
}

function replaceConfig(dir: string, next: CaDirectoryConfig): CaDirectoryConfig {
  // Atomic replace: a concurrent `signet ca` never reads a half-written ca.json.
  const tmp = join(dir, `ca.json.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  writeFileSync(tmp, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, join(dir, 'ca.json'));
  return next;
}

/** Persists a new base URL into ca.json (used by `signet pki serve --base-url`). */
export function updateBaseUrl(dir: string, config: CaDirectoryConfig, baseUrl: string): CaDirectoryConfig {
  return replaceConfig(dir, { ...config, baseUrl });
}

/**
 * Marks a CA directory's records as moved into a database (after an import), so file-store tools
 * refuse it from now on. Returns the configuration as read and written.
 */
export function markCaDirectoryInDatabase(dir: string): CaDirectoryConfig {
  let config: CaDirectoryConfig;
  try {
    config = JSON.parse(readFileSync(join(dir, 'ca.json'), 'utf8')) as CaDirectoryConfig;
  } catch (cause) {
    throw new PkiError('ERR_PKI_CA_DIR_INVALID', `${dir} is not a CA directory (run signet ca init)`, { cause });
  }
  return config.store === 'database' ? config : replaceConfig(dir, { ...config, store: 'database' });
}

/**
 * Re-signs the root CRL of a CA directory with its root key (`signet ca crl --root`): needs only
 * ca.json, the keystore and root.pem. ERR_PKI_CA_DIR_INVALID when the directory holds no root key,
 * or belongs to signet serve (its keys are in the database; it re-signs at start).
 *
 * @example
 * ```ts
 * await resignRootCrl(dir, { clock: systemClock, days: 365 });
 * ```
 */
export async function resignRootCrl(dir: string, options: KekChoice & { readonly clock: Clock; readonly days?: number }): Promise<Uint8Array> {
  const config = readCaDirectoryConfig(dir);
  const rootRef = config.keys?.root;
  if (rootRef === undefined) {
    throw new PkiError('ERR_PKI_CA_DIR_INVALID', `the CA in ${dir} does not hold its root key (imported issuing CA): the root's owner publishes its CRL`);
  }
  if (config.store === 'database') {
    throw new PkiError(
      'ERR_PKI_CA_DIR_INVALID',
      `the CA in ${dir} belongs to signet serve, whose keys live in its database: it re-signs its root CRL itself at start when less than 30 days remain`,
    );
  }
  const rootCertificate = readCert(dir, 'root.pem');
  const keystore = await SoftwareKeystore.open({ dir: join(dir, 'keys'), kek: resolveKek(dir, options, config), clock: options.clock });
  try {
    return await writeRootCrl({
      dir,
      rootKey: { backend: keystore, ref: rootRef, algorithm: config.algorithm },
      rootCertificate,
      clock: options.clock,
      ...(options.days !== undefined ? { days: options.days } : {}),
    });
  } finally {
    await keystore.close();
  }
}

/** What upgradeCaDirectory changed. */
export interface CaDirectoryUpgrade {
  /** The issuing CA certificate was re-issued with the root's CRL distribution point and AIA. */
  readonly reissuedIssuing: boolean;
  /** A root CRL was written (none yet, or its nextUpdate was less than 30 days away). */
  readonly wroteRootCrl: boolean;
}

function writeAtomically(dir: string, name: string, text: string): void {
  const tmp = join(dir, `${name}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, join(dir, name));
}

/**
 * Brings a CA directory made by an older Signet up to date, once, when it holds the root key
 * (`signet serve` calls it at start while holding the data-directory lock):
 * - an issuing CA certificate without a CRL distribution point is re-issued by the root for the
 *   same key, subject and subjectKeyIdentifier (every certificate it issued still chains, RFC
 *   5280 §4.2.1.1) with the root's CDP and caIssuers URLs from ca.json's base URL; issuing.pem
 *   and chain.pem are replaced;
 * - the root CRL is written when missing or when its nextUpdate is less than 30 days away.
 * A directory without the root key (imported issuing CA) is left as it is.
 *
 * @example
 * ```ts
 * await upgradeCaDirectory(dir, { clock: systemClock });
 * ```
 */
export async function upgradeCaDirectory(
  dir: string,
  options: KekChoice & { readonly clock: Clock; readonly keystore?: SoftwareKeystore },
): Promise<CaDirectoryUpgrade> {
  const config = readCaDirectoryConfig(dir);
  const rootRef = config.keys?.root;
  if (rootRef === undefined) return { reissuedIssuing: false, wroteRootCrl: false };
  const rootCertificate = readCert(dir, 'root.pem');
  const issuing = readCert(dir, 'issuing.pem');
  const hasCdp = parseCertificate(issuing).tbsCertificate.extensions?.some((e) => e.extnID === id_ce_cRLDistributionPoints) === true;
  const stored = readRootCrl(dir);
  const now = options.clock.now().getTime();
  let crlFresh = false;
  if (stored !== undefined) {
    try {
      const next = AsnConvert.parse(stored, CertificateList).tbsCertList.nextUpdate?.getTime().getTime();
      crlFresh = next !== undefined && next - now > 30 * 86_400_000;
    } catch {
      crlFresh = false;
    }
  }
  if (hasCdp && crlFresh) return { reissuedIssuing: false, wroteRootCrl: false };
  const keystore =
    options.keystore ?? (await SoftwareKeystore.open({ dir: join(dir, 'keys'), kek: resolveKek(dir, options, config), clock: options.clock }));
  try {
    const rootKey: CaKey = { backend: keystore, ref: rootRef, algorithm: config.algorithm };
    if (!hasCdp) {
      const old = parseCertificate(issuing);
      const ski = subjectKeyIdentifierOf(old);
      const reissued = await issueCertificate({
        issuer: { kind: 'ca', key: rootKey, certificate: rootCertificate },
        subject: old.tbsCertificate.subject,
        subjectPublicKey: spkiDer(old),
        profile: profiles['issuing-ca'],
        serialNumber: generateSerialNumber(),
        clock: options.clock,
        urls: rootPkiUrlsFor(config.baseUrl),
        ...(ski ? { subjectKeyIdentifier: ski } : {}),
      });
      const pem = (der: Uint8Array) => derToPem(der, 'CERTIFICATE');
      writeAtomically(dir, 'chain.pem', pem(reissued.der) + pem(rootCertificate));
      writeAtomically(dir, 'issuing.pem', pem(reissued.der));
    }
    if (!crlFresh) await writeRootCrl({ dir, rootKey, rootCertificate, clock: options.clock });
    return { reissuedIssuing: !hasCdp, wroteRootCrl: !crlFresh };
  } finally {
    if (options.keystore === undefined) await keystore.close();
  }
}
