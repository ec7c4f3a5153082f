/**
 * Test PKI for the PAdES levels: Signet's own CA, OCSP responder and TSA served in process on
 * 127.0.0.1:0, with every certificate's AIA/CDP pointing at that host, and signers whose keys
 * live in a software keystore. Nothing is mocked: the pades sources go through pki's HTTP clients.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Signer } from '../../../src/cms/index.js';
import { systemClock } from '../../../src/core/clock.js';
import { Kek, SoftwareKeystore, keySigner, type KeySpec } from '../../../src/keys/index.js';
import {
  CertificateAuthority,
  CrlClient,
  FileCaStore,
  OcspClient,
  TimestampClient,
  buildCrl,
  createCaHierarchy,
  createOcspResponder,
  createTimestampAuthority,
  derToPem,
  parseCertificate,
  serialToHex,
  pkiRoutes,
  revocationSourceFromClients,
  startPkiHttpHost,
  timestamperFromClient,
  type CaHierarchy,
  type CrlEntry,
  type PkiHttpHandler,
  type PkiHttpHost,
} from '../../../src/pki/index.js';
import type { RevocationSource, Timestamper } from '../../../src/pades/index.js';
import { tempDir } from '../../support/tmp.js';

/** Everything a level test needs. */
export interface LtvPki {
  readonly dir: string;
  readonly host: PkiHttpHost;
  readonly hierarchy: CaHierarchy;
  readonly ca: CertificateAuthority;
  readonly keystore: SoftwareKeystore;
  readonly timestamper: Timestamper;
  readonly revocation: RevocationSource;
  /** PEM paths: root, chain (issuing + root), tsa. */
  readonly files: {
    readonly root: string;
    readonly chain: string;
    readonly tsa: string;
    readonly issuing: string;
  };
  /** The TSA itself (DER request → DER reply), without HTTP. */
  readonly tsa: {
    respond(request: Uint8Array): Promise<Uint8Array>;
    readonly handler: PkiHttpHandler;
  };
  /** Moves the PKI's clock (CA, OCSP, TSA, clients) forward: real time plus an offset. */
  advanceClock(ms: number): void;
  /** Counts of requests served, by path. */
  readonly hits: Map<string, number>;
  /**
   * With `rootCrl`: re-signs the root's CRL (served at /ca/root.crl, the issuing CA certificate's
   * CDP) listing the issuing CA as revoked at `time` (keyCompromise).
   */
  revokeIssuing(time: Date): Promise<void>;
  /** A new signer certified by the issuing CA (key in the keystore). */
  newSigner(
    name: string,
    spec?: KeySpec,
  ): Promise<{ signer: Signer; serialHex: string; certificate: Uint8Array }>;
  close(): Promise<void>;
}

/** Starts the PKI (call `close()` in `after`). */
export async function startLtvPki(
  t: { after(fn: () => void): unknown },
  options: {
    readonly tsaSerialBlockSize?: number;
    /** The issuing CA certificate names the root's CRL (CDP) and the host serves it (path revocation, issue 14). */
    readonly rootCrl?: boolean;
    /** The revocation source's OCSP requests carry a nonce (default true; false: RFC 5019, pre-signed answers). */
    readonly ocspNonce?: boolean;
  } = {},
): Promise<LtvPki> {
  const dir = tempDir(t, 'signet-ltv-');
  let offsetMs = 0;
  const clock = { now: () => new Date(systemClock.now().getTime() + offsetMs) };
  const hits = new Map<string, number>();
  const handlers = new Map<string, PkiHttpHandler>();
  // Routes are bound once the CA exists; the host must run first so its URL can go into the certificates.
  const lazy =
    (path: string): PkiHttpHandler =>
    async (req) => {
      hits.set(path, (hits.get(path) ?? 0) + 1);
      const h = handlers.get(path);
      if (!h) throw new Error(`route ${path} not bound`);
      return h(req);
    };
  const host = await startPkiHttpHost({
    routes: [
      { method: 'POST', path: '/tsa', handler: lazy('POST /tsa') },
      { method: 'POST', path: '/ocsp', handler: lazy('POST /ocsp') },
      { method: 'GET', path: '/ocsp', prefix: true, handler: lazy('GET /ocsp') },
      { method: 'GET', path: '/crl', handler: lazy('GET /crl') },
      { method: 'GET', path: '/ca/issuing.cer', handler: lazy('GET /ca/issuing.cer') },
      { method: 'GET', path: '/ca/root.cer', handler: lazy('GET /ca/root.cer') },
      { method: 'GET', path: '/ca/root.crl', handler: lazy('GET /ca/root.crl') },
    ],
    port: 0,
  });
  const urls = {
    ocsp: `${host.url}/ocsp`,
    caIssuers: `${host.url}/ca/issuing.cer`,
    crl: `${host.url}/crl`,
  };
  const keystore = await SoftwareKeystore.open({ dir: join(dir, 'keys'), kek: Kek.generate() });
  const store = new FileCaStore(dir);
  const rootUrls = options.rootCrl
    ? { caIssuers: `${host.url}/ca/root.cer`, crl: `${host.url}/ca/root.crl` }
    : undefined;
  const hierarchy = await createCaHierarchy({
    backend: keystore,
    store,
    clock,
    urls,
    ...(rootUrls ? { rootUrls } : {}),
    organization: 'Signet LTV Test',
    country: 'BE',
    policyOids: ['2.25.1'],
  });
  const alg = hierarchy.algorithm;
  const ca = new CertificateAuthority({
    id: 'issuing',
    key: { backend: keystore, ref: hierarchy.issuing.keyRef, algorithm: alg },
    certificate: hierarchy.issuing.certificate,
    store,
    clock,
    urls,
    policyOids: ['2.25.1'],
  });
  const ocsp = createOcspResponder({
    issuers: [
      {
        caId: 'issuing',
        certificate: hierarchy.issuing.certificate,
        signer: {
          key: { backend: keystore, ref: hierarchy.ocsp.keyRef, algorithm: alg },
          certificate: hierarchy.ocsp.certificate,
        },
      },
    ],
    store,
    clock,
  });
  const tsa = createTimestampAuthority({
    key: { backend: keystore, ref: hierarchy.tsa.keyRef, algorithm: alg },
    certificate: hierarchy.tsa.certificate,
    chain: [hierarchy.issuing.certificate],
    policyOid: '2.25.2',
    ...(options.tsaSerialBlockSize === undefined
      ? {}
      : { serialBlockSize: options.tsaSerialBlockSize }),
    store,
    clock,
  });
  const rootKey = { backend: keystore, ref: hierarchy.root.keyRef, algorithm: alg };
  let rootCrlNumber = 0n;
  const signRootCrl = (entries: readonly CrlEntry[]): Promise<Uint8Array> => {
    const now = clock.now();
    rootCrlNumber += 1n;
    return buildCrl({
      issuerKey: rootKey,
      issuerCertificate: hierarchy.root.certificate,
      entries,
      crlNumber: rootCrlNumber,
      thisUpdate: now,
      nextUpdate: new Date(now.getTime() + 30 * 86_400_000),
    });
  };
  let rootCrl = options.rootCrl ? await signRootCrl([]) : undefined;
  const pkiOptions = {
    ca,
    ocsp: ocsp.handler,
    tsa: tsa.handler,
    rootCertificate: hierarchy.root.certificate,
    rootCrl: () => rootCrl,
    clock,
    crlCacheMinutes: 0,
  };
  for (const r of pkiRoutes(pkiOptions)) {
    handlers.set(`${r.method} ${r.path}`, r.handler);
  }

  const files = {
    root: join(dir, 'root.pem'),
    chain: join(dir, 'chain.pem'),
    tsa: join(dir, 'tsa.pem'),
    issuing: join(dir, 'issuing.pem'),
  };
  writeFileSync(files.root, derToPem(hierarchy.root.certificate, 'CERTIFICATE'));
  writeFileSync(files.issuing, derToPem(hierarchy.issuing.certificate, 'CERTIFICATE'));
  writeFileSync(
    files.chain,
    derToPem(hierarchy.issuing.certificate, 'CERTIFICATE') +
      derToPem(hierarchy.root.certificate, 'CERTIFICATE'),
  );
  writeFileSync(files.tsa, derToPem(hierarchy.tsa.certificate, 'CERTIFICATE'));

  const timestamper = timestamperFromClient(new TimestampClient({ url: `${host.url}/tsa` }));
  const revocation = revocationSourceFromClients({
    ocsp: new OcspClient({ clock, nonce: options.ocspNonce ?? true }),
    crl: new CrlClient({ clock }),
  });

  return {
    dir,
    host,
    hierarchy,
    ca,
    keystore,
    timestamper,
    revocation,
    files,
    hits,
    tsa,
    async revokeIssuing(time) {
      const serialHex = serialToHex(
        parseCertificate(hierarchy.issuing.certificate).tbsCertificate.serialNumber,
      );
      rootCrl = await signRootCrl([{ serialHex, revocation: { time, reason: 'keyCompromise' } }]);
    },
    advanceClock(ms) {
      offsetMs += ms;
    },
    async newSigner(name, spec = { type: 'EC', curve: 'P-256' }) {
      const record = await ca.issueWithNewKey(keystore, spec, {
        subject: { commonName: name, organization: 'Signet LTV Test', country: 'BE' },
        profile: 'signing',
      });
      const keyRef = record.keyRef;
      if (keyRef === undefined) throw new Error('issued without a key reference');
      const chain = [record.der, hierarchy.issuing.certificate, hierarchy.root.certificate];
      const algorithm =
        spec.type === 'EC'
          ? ({ scheme: 'ECDSA', digest: 'SHA-256' } as const)
          : ({ scheme: 'RSASSA-PKCS1-v1_5', digest: 'SHA-256' } as const);
      return {
        signer: keySigner(keystore, keyRef, chain, algorithm),
        serialHex: record.serialHex,
        certificate: record.der,
      };
    },
    async close() {
      await host.close();
      await keystore.close();
    },
  };
}
