/**
 * Test PKI factory: a software keystore in a temp dir, a CA store (the file store by default, or
 * the database store on SQLite/PostgreSQL), and a bootstrapped hierarchy.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { systemClock, type Clock } from '../../../src/core/clock.js';
import { Kek, SoftwareKeystore } from '../../../src/keys/index.js';
import { CertificateAuthority } from '../../../src/pki/ca/certificate-authority.js';
import { createCaHierarchy, type CaHierarchy } from '../../../src/pki/ca/create-ca-hierarchy.js';
import { derToPem } from '../../../src/pki/certificate.js';
import type { CaStore } from '../../../src/pki/store/ca-store.js';
import type { PkiUrls } from '../../../src/pki/ca/profiles.js';
import type { CredentialProfiles } from '../../../src/pki/ca/credential-profiles.js';
import { tempDir } from '../../support/tmp.js';
import { openTestCaStore, type CaStoreKind } from './ca-stores.js';

/** Everything a PKI test needs. */
export interface PkiFixture {
  readonly dir: string;
  readonly keystore: SoftwareKeystore;
  readonly storeKind: CaStoreKind;
  readonly store: CaStore;
  /** Another handle on the same CA records (another process or node). */
  openStoreAgain(): Promise<CaStore>;
  readonly hierarchy: CaHierarchy;
  readonly ca: CertificateAuthority;
  /** PEM files written into `dir`. */
  readonly files: { readonly root: string; readonly issuing: string; readonly chain: string; readonly tsa: string; readonly ocsp: string };
}

/** Builds a fresh PKI in a temp dir removed after `t`. */
export async function makePki(
  t: Pick<TestContext, 'after'>,
  options: { clock?: Clock; urls?: PkiUrls; store?: CaStoreKind; credentialProfiles?: CredentialProfiles } = {},
): Promise<PkiFixture> {
  const dir = tempDir(t, 'signet-pki-');
  const clock = options.clock ?? systemClock;
  const keystore = await SoftwareKeystore.open({ dir: join(dir, 'keys'), kek: Kek.generate() });
  const storeKind = options.store ?? 'file';
  const opened = await openTestCaStore(t, storeKind, { dir });
  const store = opened.store;
  const urls = options.urls ?? {
    ocsp: 'http://127.0.0.1:1/ocsp',
    caIssuers: 'http://127.0.0.1:1/ca/issuing.cer',
    crl: 'http://127.0.0.1:1/crl',
  };
  const hierarchy = await createCaHierarchy({ backend: keystore, store, clock, urls, organization: 'Signet Test', country: 'BE', policyOids: ['2.25.1'] });
  const ca = new CertificateAuthority({
    id: 'issuing',
    key: { backend: keystore, ref: hierarchy.issuing.keyRef, algorithm: hierarchy.algorithm },
    certificate: hierarchy.issuing.certificate,
    store,
    clock,
    urls,
    policyOids: ['2.25.1'],
    ...(options.credentialProfiles !== undefined ? { credentialProfiles: options.credentialProfiles } : {}),
  });
  const files = {
    root: join(dir, 'root.pem'),
    issuing: join(dir, 'issuing.pem'),
    chain: join(dir, 'chain.pem'),
    tsa: join(dir, 'tsa.pem'),
    ocsp: join(dir, 'ocsp.pem'),
  };
  writeFileSync(files.root, derToPem(hierarchy.root.certificate, 'CERTIFICATE'));
  writeFileSync(files.issuing, derToPem(hierarchy.issuing.certificate, 'CERTIFICATE'));
  writeFileSync(files.chain, derToPem(hierarchy.issuing.certificate, 'CERTIFICATE') + derToPem(hierarchy.root.certificate, 'CERTIFICATE'));
  writeFileSync(files.tsa, derToPem(hierarchy.tsa.certificate, 'CERTIFICATE'));
  writeFileSync(files.ocsp, derToPem(hierarchy.ocsp.certificate, 'CERTIFICATE'));
  return { dir, keystore, storeKind, store, openStoreAgain: opened.openAgain, hierarchy, ca, files };
}

/** A cleanup collector for suite-level fixtures (hook contexts have no `after` on Node 20). */
export function suiteCleanup(after: (fn: () => void | Promise<void>) => void): Pick<TestContext, 'after'> {
  const fns: (() => unknown)[] = [];
  after(async () => {
    for (const fn of fns.reverse()) await fn();
  });
  return { after: ((fn: () => unknown) => void fns.push(fn)) as unknown as TestContext['after'] };
}
