/** Mutual-TLS test material made with openssl at test time: a CA, a server and client certificates. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runTool } from '../../support/tools.js';

/** PEM certificate, key and the CA to trust for the peer. */
export interface TlsMaterial {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
}

function openssl(args: readonly string[], cwd: string): void {
  const r = runTool('openssl', args, { cwd });
  if (r.status !== 0) throw new Error(`openssl ${args[0] ?? ''} failed: ${r.stderr}`);
}

/** openssl req options for a new unencrypted EC P-256 key written to `keyFile`. */
const newP256Key = (keyFile: string): string[] => [
  '-newkey',
  'ec',
  '-pkeyopt',
  'ec_paramgen_curve:P-256',
  '-nodes',
  '-keyout',
  keyFile,
];

function issue(dir: string, ca: string, name: string, cn: string, ext: string): void {
  openssl(['req', ...newP256Key(`${name}.key`), '-out', `${name}.csr`, '-subj', `/CN=${cn}`], dir);
  writeFileSync(join(dir, `${name}.ext`), ext);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${ca}.pem`,
      '-CAkey',
      `${ca}.key`,
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
    ],
    dir,
  );
}

function makeCa(dir: string, name: string): void {
  openssl(
    [
      'req',
      '-x509',
      ...newP256Key(`${name}.key`),
      '-out',
      `${name}.pem`,
      '-subj',
      `/CN=${name}`,
      '-days',
      '2',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign',
    ],
    dir,
  );
}

/**
 * Server material (SAN 127.0.0.1 and localhost), a client certificate from the same CA, and a
 * client certificate from an unrelated CA (must be refused).
 */
export function makeMutualTls(dir: string): {
  server: TlsMaterial;
  client: TlsMaterial;
  stranger: TlsMaterial;
} {
  makeCa(dir, 'ca');
  makeCa(dir, 'other-ca');
  issue(
    dir,
    'ca',
    'server',
    'token-server',
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
  );
  issue(dir, 'ca', 'client', 'signing-node', 'extendedKeyUsage=clientAuth\n');
  issue(dir, 'other-ca', 'stranger', 'stranger', 'extendedKeyUsage=clientAuth\n');
  const read = (f: string): string => readFileSync(join(dir, f), 'utf8');
  const ca = read('ca.pem');
  return {
    server: { cert: read('server.pem'), key: read('server.key'), ca },
    client: { cert: read('client.pem'), key: read('client.key'), ca },
    stranger: { cert: read('stranger.pem'), key: read('stranger.key'), ca },
  };
}
