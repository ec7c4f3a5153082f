/**
 * RFC 5280 §6.1.4's path constraints beyond signatures and validity (issue 14, X.509 validation:
 * CHAIN_CONSTRAINTS_FAILURE): an issuer without keyCertSign, a pathLenConstraint exceeded, a
 * critical extension nobody processes, a signer key that may not sign. The certificates are made
 * with `openssl x509 -extfile`, and `openssl verify` judges the same paths.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildCertificatePath } from '../../src/validation/index.js';
import { tempDir } from '../support/tmp.js';
import { opensslKeyAndCsr, requireTools, runTool } from '../support/tools.js';

function openssl(args: readonly string[]): void {
  const r = runTool('openssl', args);
  assert.equal(r.status, 0, `openssl ${args.join(' ')}: ${r.stderr}`);
}

/** A small PKI made by openssl: `make(name, issuer, extensions)` writes NAME.pem and NAME.key. */
function pkiIn(dir: string) {
  const make = (name: string, issuer: string | undefined, extensions: string): X509Certificate => {
    const cert = join(dir, `${name}.pem`);
    const ext = join(dir, `${name}.ext`);
    writeFileSync(ext, `[x]\n${extensions}\n`);
    const { key, csr } = opensslKeyAndCsr(dir, name, `/C=EU/O=Signet Test/CN=${name}`);
    openssl([
      'x509',
      '-req',
      '-in',
      csr,
      '-days',
      '30',
      '-sha256',
      '-extfile',
      ext,
      '-extensions',
      'x',
      '-out',
      cert,
      ...(issuer === undefined
        ? ['-key', key]
        : [
            '-CA',
            join(dir, `${issuer}.pem`),
            '-CAkey',
            join(dir, `${issuer}.key`),
            '-CAcreateserial',
          ]),
    ]);
    return new X509Certificate(readFileSync(cert));
  };
  const verify = (leaf: string, intermediates: readonly string[], root: string): string => {
    const untrusted = join(dir, 'untrusted.pem');
    writeFileSync(
      untrusted,
      intermediates.map((n) => readFileSync(join(dir, `${n}.pem`), 'utf8')).join(''),
    );
    const r = runTool('openssl', [
      'verify',
      '-CAfile',
      join(dir, `${root}.pem`),
      ...(intermediates.length > 0 ? ['-untrusted', untrusted] : []),
      join(dir, `${leaf}.pem`),
    ]);
    return r.stdout + r.stderr;
  };
  return { make, verify };
}

const der = (c: X509Certificate): Uint8Array => new Uint8Array(c.raw);
const ca =
  'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash';
const signer =
  'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation';

describe('certification path constraints (RFC 5280 §6.1.4)', () => {
  it('keyCertSign, pathLenConstraint, unknown critical extensions and the signer key usage; openssl verify agrees', (t) => {
    if (!requireTools(t, 'openssl')) return;
    const { make, verify } = pkiIn(tempDir(t));
    const now = new Date(Date.now() + 60_000); // after every notBefore below (whole seconds)
    const root = make('root', undefined, ca);
    const inter = make('inter', 'root', `${ca}\nbasicConstraints=critical,CA:TRUE,pathlen:0`);
    const path = (leaf: X509Certificate, pool: readonly X509Certificate[] = [inter]) =>
      buildCertificatePath(der(leaf), pool.map(der), [der(root)], now);

    const good = make('good', 'inter', signer);
    assert.deepEqual([path(good).status, path(good).problems], ['trusted', []]);
    assert.match(verify('good', ['inter'], 'root'), /good\.pem: OK/);

    // An intermediate whose key usage does not include certificate signing.
    const noSign = make(
      'nosign',
      'root',
      'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,digitalSignature,cRLSign',
    );
    const underNoSign = make('under-nosign', 'nosign', signer);
    const r1 = path(underNoSign, [noSign]);
    assert.equal(r1.status, 'invalid');
    assert.match(r1.problems.join('\n'), /CN=nosign.*does not allow keyCertSign/);
    assert.match(
      verify('under-nosign', ['nosign'], 'root'),
      /key usage does not include certificate signing/,
    );

    // pathlen:0 on the intermediate, and one more CA below it.
    const sub = make('sub', 'inter', ca);
    const underSub = make('under-sub', 'sub', signer);
    const r2 = path(underSub, [inter, sub]);
    assert.equal(r2.status, 'invalid');
    assert.match(r2.problems.join('\n'), /CN=inter.*allows 0 CA certificate\(s\) below it.*has 1/);
    assert.match(verify('under-sub', ['inter', 'sub'], 'root'), /path length constraint exceeded/);

    // A critical extension this validator does not process (RFC 5280 §4.2: MUST reject).
    const critical = make('critical', 'inter', `${signer}\n1.3.6.1.4.1.99999.1=critical,DER:05:00`);
    const r3 = path(critical);
    assert.equal(r3.status, 'invalid');
    assert.match(
      r3.problems.join('\n'),
      /critical extension this validator does not process \(1\.3\.6\.1\.4\.1\.99999\.1/,
    );
    assert.match(verify('critical', ['inter'], 'root'), /unhandled critical extension/);

    // A signer whose key may only encipher keys (RFC 5280 §4.2.1.3); openssl verify's default
    // purpose does not look at it, so Signet alone judges this one.
    const encipherOnly = make(
      'encipher',
      'inter',
      'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,keyEncipherment',
    );
    const r4 = path(encipherOnly);
    assert.equal(r4.status, 'invalid');
    assert.match(r4.problems.join('\n'), /allows neither digitalSignature nor nonRepudiation/);
  });
});
