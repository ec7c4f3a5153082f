/** TLS material for `signet serve` tests, issued by the test PKI (test/support/pki.ts). */
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildTestPki, issueTestCertificate, type TestCertificate } from '../../support/pki.js';

/** id-kp-serverAuth and id-kp-clientAuth (RFC 5280 §4.2.1.12). */
export const id_kp_serverAuth = '1.3.6.1.5.5.7.3.1';
export const id_kp_clientAuth = '1.3.6.1.5.5.7.3.2';

/** Paths of one certificate (leaf then intermediate) and its key, and the root to trust. */
export interface TlsFiles {
  readonly cert: string;
  readonly key: string;
  readonly root: string;
  readonly leaf: TestCertificate;
}

/**
 * Issues an EC P-256 TLS certificate under the test intermediate and writes `<name>.pem` (leaf
 * and intermediate), `<name>.key` and `root.pem` into `dir`. A server certificate names
 * localhost and 127.0.0.1 (RFC 6125).
 */
export async function writeTlsFiles(
  dir: string,
  name: string,
  role: 'server' | 'client',
): Promise<TlsFiles> {
  const pki = await buildTestPki();
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const leaf = await issueTestCertificate({
    key,
    subject: `Signet TLS ${name}`,
    tls: true,
    extKeyUsage: {
      oids: [role === 'server' ? id_kp_serverAuth : id_kp_clientAuth],
      critical: false,
    },
    ...(role === 'server' ? { subjectAltName: { dns: ['localhost'], ip: ['127.0.0.1'] } } : {}),
  });
  const files = {
    cert: join(dir, `${name}.pem`),
    key: join(dir, `${name}.key`),
    root: join(dir, 'root.pem'),
    leaf,
  };
  writeFileSync(files.cert, leaf.pem + pki.intermediate.pem);
  writeFileSync(files.key, leaf.privateKeyPem, { mode: 0o600 });
  writeFileSync(files.root, pki.root.pem);
  return files;
}
