/** Test helper: serves a PkiFixture's CA, OCSP responder and TSA on 127.0.0.1:0. */
import { execFile } from 'node:child_process';
import { systemClock } from '../../../src/core/clock.js';
import { CertificateAuthority } from '../../../src/pki/ca/certificate-authority.js';
import { startPkiHttpHost, pkiRoutes, type PkiHttpHost } from '../../../src/pki/http-host.js';
import { createOcspResponder, type OcspResponder } from '../../../src/pki/ocsp/ocsp-responder.js';
import { createTimestampAuthority } from '../../../src/pki/tsa/timestamp-authority.js';
import type { CaStoreKind } from './ca-stores.js';
import { makePki, suiteCleanup, type PkiFixture } from './pki-fixture.js';

/** A running PKI server plus a CA whose certificates point at it. */
export interface PkiServer {
  readonly host: PkiHttpHost;
  /** Issues certificates with AIA/CDP pointing at `host`. */
  readonly ca: CertificateAuthority;
  /** The OCSP responder behind `host` (its counts of signed and pre-signed answers). */
  readonly ocsp: OcspResponder;
}

/** Starts the endpoints for `pki`; call `host.close()` when done. */
export async function servePki(pki: PkiFixture, policyOid = '2.25.1'): Promise<PkiServer> {
  const { hierarchy, keystore, store } = pki;
  const alg = hierarchy.algorithm;
  const ocsp = createOcspResponder({
    issuers: [
      {
        caId: 'issuing',
        certificate: hierarchy.issuing.certificate,
        signer: { key: { backend: keystore, ref: hierarchy.ocsp.keyRef, algorithm: alg }, certificate: hierarchy.ocsp.certificate },
      },
    ],
    store,
    clock: systemClock,
  });
  const tsa = createTimestampAuthority({
    key: { backend: keystore, ref: hierarchy.tsa.keyRef, algorithm: alg },
    certificate: hierarchy.tsa.certificate,
    chain: [hierarchy.issuing.certificate],
    policyOid,
    store,
    clock: systemClock,
  });
  const host = await startPkiHttpHost({
    routes: pkiRoutes({ ca: pki.ca, ocsp: ocsp.handler, tsa: tsa.handler, rootCertificate: hierarchy.root.certificate, clock: systemClock }),
    port: 0,
  });
  const ca = new CertificateAuthority({
    id: 'issuing',
    key: { backend: keystore, ref: hierarchy.issuing.keyRef, algorithm: alg },
    certificate: hierarchy.issuing.certificate,
    store,
    clock: systemClock,
    urls: { ocsp: `${host.url}/ocsp`, caIssuers: `${host.url}/ca/issuing.cer`, crl: `${host.url}/crl` },
  });
  return { host, ca, ocsp };
}

/**
 * For a describe block: a PKI (makePki) and its server (servePki), made before the block's tests
 * and closed after them; `ready` receives them.
 */
export function servedPki(
  hooks: { readonly before: (fn: () => Promise<void>) => void; readonly after: (fn: () => void | Promise<void>) => void },
  ready: (pki: PkiFixture, server: PkiServer) => void,
  options: { readonly store?: CaStoreKind; readonly policyOid?: string } = {},
): void {
  const cleanup = suiteCleanup(hooks.after);
  hooks.before(async () => {
    const pki = await makePki(cleanup, options.store === undefined ? {} : { store: options.store });
    const server = await servePki(pki, options.policyOid);
    cleanup.after(() => server.host.close());
    ready(pki, server);
  });
}

/** A signing-profile certificate for `commonName` from `server.ca`, over a new EC P-256 key of `pki`'s keystore. */
export async function issueSigningCertificate(
  pki: PkiFixture,
  server: PkiServer,
  commonName: string,
): Promise<Awaited<ReturnType<CertificateAuthority['issue']>>> {
  const key = await pki.keystore.generateKey({ type: 'EC', curve: 'P-256' });
  return server.ca.issue({ subject: { commonName }, subjectPublicKey: key.publicKey, profile: 'signing' });
}

/**
 * Runs a tool without blocking the event loop (needed when the tool talks to a server in this
 * process: spawnSync would deadlock).
 */
export function runToolAsync(tool: string, args: readonly string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(tool, args, { encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) => {
      const status = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ status, stdout, stderr });
    });
  });
}
