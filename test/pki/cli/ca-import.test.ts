/**
 * `signet ca init --import-*`: an existing issuing CA made with openssl (not by Signet) is imported;
 * its key goes into the encrypted keystore and certificates it issues verify with `openssl verify`.
 * Needs `npm run build` first (the CLI runs from dist/).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireTools, runTool } from '../../support/tools.js';
import { tempDir } from '../../support/tmp.js';

const signet = (...args: string[]) => runTool(process.execPath, [join(process.cwd(), 'bin', 'signet.js'), ...args]);
const ossl = (dir: string, ...args: string[]): void => {
  const r = runTool('openssl', args, { cwd: dir });
  assert.equal(r.status, 0, `openssl ${args.join(' ')}: ${r.stderr}`);
};

/** An external two-level CA: root (self-signed) and an issuing CA, EC P-256, made by openssl. */
function externalCa(dir: string): void {
  writeFileSync(join(dir, 'ca.ext'), 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n');
  writeFileSync(join(dir, 'leaf.ext'), 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n');
  ossl(dir, 'ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'root.key');
  ossl(dir, 'req', '-new', '-x509', '-key', 'root.key', '-subj', '/CN=External Root/O=Elsewhere', '-days', '3650', '-sha256', '-out', 'root.pem',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  ossl(dir, 'genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'issuing.key');
  ossl(dir, 'req', '-new', '-key', 'issuing.key', '-subj', '/CN=External Issuing CA/O=Elsewhere', '-out', 'issuing.csr');
  ossl(dir, 'x509', '-req', '-in', 'issuing.csr', '-CA', 'root.pem', '-CAkey', 'root.key', '-CAcreateserial', '-days', '1825', '-sha256', '-extfile', 'ca.ext', '-out', 'issuing.pem');
  ossl(dir, 'x509', '-req', '-in', 'issuing.csr', '-CA', 'root.pem', '-CAkey', 'root.key', '-CAcreateserial', '-days', '1825', '-sha256', '-extfile', 'leaf.ext', '-out', 'not-a-ca.pem');
}

describe('signet ca init --import-cert/--import-key/--import-chain', () => {
  it('imports an openssl-made issuing CA; its key is stored encrypted; issued certificates verify to the external root', (t) => {
    if (!requireTools(t, 'openssl')) return;
    const dir = tempDir(t);
    externalCa(dir);
    const ca = join(dir, 'signet-ca');
    const init = signet('ca', 'init', '--dir', ca, '--import-cert', join(dir, 'issuing.pem'), '--import-key', join(dir, 'issuing.key'), '--import-chain', join(dir, 'root.pem'));
    assert.equal(init.status, 0, init.stderr);
    // The keystore holds no plaintext copy of the imported key.
    const pkcs8 = Buffer.from(runTool('openssl', ['pkcs8', '-topk8', '-nocrypt', '-in', join(dir, 'issuing.key')]).stdout);
    for (const f of readdirSync(join(ca, 'keys'))) {
      const text = readFileSync(join(ca, 'keys', f), 'latin1');
      assert.ok(!text.includes('PRIVATE KEY') && !text.includes(pkcs8.toString('latin1').split('\n')[1] ?? '§'), `${f} holds no plaintext key`);
    }
    assert.equal(readFileSync(join(ca, 'root.pem'), 'utf8').replace(/\r/g, ''), readFileSync(join(dir, 'root.pem'), 'utf8').replace(/\r/g, ''));
    ossl(dir, 'verify', '-CAfile', join(dir, 'root.pem'), '-untrusted', join(dir, 'issuing.pem'), join(ca, 'tsa.pem'));
    ossl(dir, 'genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'alice.key');
    ossl(dir, 'req', '-new', '-key', 'alice.key', '-subj', '/CN=Alice Example/C=BE', '-out', 'alice.csr');
    const issued = signet('ca', 'issue', '--dir', ca, '--csr', join(dir, 'alice.csr'), '-o', join(dir, 'alice.pem'));
    assert.equal(issued.status, 0, issued.stderr);
    ossl(dir, 'verify', '-CAfile', join(dir, 'root.pem'), '-untrusted', join(ca, 'chain.pem'), join(dir, 'alice.pem'));
  });

  it('refuses a certificate that is not a CA, a key of another certificate, and a broken chain', (t) => {
    if (!requireTools(t, 'openssl')) return;
    const dir = tempDir(t);
    externalCa(dir);
    const cases: [string, string, string, string][] = [
      ['not a CA', 'not-a-ca.pem', 'issuing.key', 'root.pem'],
      ['key mismatch', 'issuing.pem', 'root.key', 'root.pem'],
      ['chain without the issuer', 'issuing.pem', 'issuing.key', 'issuing.pem'],
    ];
    for (const [what, cert, key, chain] of cases) {
      const r = signet('ca', 'init', '--dir', join(dir, what.replace(/ /g, '-')), '--import-cert', join(dir, cert), '--import-key', join(dir, key), '--import-chain', join(dir, chain));
      assert.notEqual(r.status, 0, what);
      assert.match(r.stderr, /^error: ERR_PKI_CA_IMPORT: /m, `${what}: ${r.stderr}`);
    }
  });
});
