/** Test PKI factory: a software keystore + file CA store in a temp dir, and a bootstrapped hierarchy. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { systemClock, type Clock } from '../../../src/core/clock.js';
import { Kek, SoftwareKeystore } from '../../../src/keys/index.js';
import { CertificateAuthority } from '../../../src/pki/ca/certificate-authority.js';
import { createCaHierarchy, type CaHierarchy } from '../../../src/pki/ca/create-ca-hierarchy.js';
import { derToPem } from '../../../src/pki/certificate.js';
import { FileCaStore } from '../../../src/pki/store/file-ca-store.js';
import type { PkiUrls } from '../../../src/pki/ca/profiles.js';
import { tempDir } from '../../support/tmp.js';

/** Everything a PKI test needs. */
export interface PkiFixture {
  readonly dir: string;
  readonly keystore: SoftwareKeystore;
  readonly store: FileCaStore;
  readonly hierarchy: CaHierarchy;
  readonly ca: CertificateAuthority;
  /** PEM files written into `dir`. */
  readonly files: { readonly root: string; readonly issuing: string; readonly chain: string; readonly tsa: string; readonly ocsp: string };
}

/** Builds a fresh PKI in a temp dir removed after `t`. */
export async function makePki(
  t: Pick<TestContext, 'after'>,
  options: { clock?: Clock; urls?: PkiUrls } = {},
): Promise<PkiFixture> {
  const dir = tempDir(t, 'signet-pki-');
  const clock = options.clock ?? systemClock;
  const keystore = await SoftwareKeystore.open({ dir: join(dir, 'keys'), kek: Kek.generate() });
  const store = new FileCaStore(dir);
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
  return { dir, keystore, store, hierarchy, ca, files };
}

/** A cleanup collector for suite-level fixtures (hook contexts have no `after` on Node 20). */
export function suiteCleanup(after: (fn: () => void | Promise<void>) => void): Pick<TestContext, 'after'> {
  const fns: (() => unknown)[] = [];
  after(async () => {
    for (const fn of fns.reverse()) await fn();
  });
  return { after: ((fn: () => unknown) => void fns.push(fn)) as unknown as TestContext['after'] };
}
