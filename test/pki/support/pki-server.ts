/** Test helper: serves a PkiFixture's CA, OCSP responder and TSA on 127.0.0.1:0. */
import { execFile } from 'node:child_process';
import { systemClock } from '../../../src/core/clock.js';
import { CertificateAuthority } from '../../../src/pki/ca/certificate-authority.js';
import { startPkiHttpHost, pkiRoutes, type PkiHttpHost } from '../../../src/pki/http-host.js';
import { createOcspResponder, type OcspResponder } from '../../../src/pki/ocsp/ocsp-responder.js';
import { createTimestampAuthority } from '../../../src/pki/tsa/timestamp-authority.js';
import type { PkiFixture } from './pki-fixture.js';

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
