/** RFC 2986 enrollment input: proof of possession, key policy, DER strictness, limits. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasTool, requireTools, runTool } from '../../support/tools.js';
import { suiteCleanup } from '../support/pki-fixture.js';
import { tempDir } from '../../support/tmp.js';
import { verifyCsr } from '../../../src/pki/enrollment/verify-csr.js';
import { pemToDer } from '../../../src/pki/certificate.js';
import { PkiError } from '../../../src/pki/errors.js';

function code(c: string) {
  return (e: unknown) => e instanceof PkiError && e.code === c;
}

describe('verifyCsr (RFC 2986 §4, ETSI TS 119 312 key sizes)', () => {
  let dir: string;
  const csrs = new Map<string, Uint8Array>();
  const cleanup = suiteCleanup(after);
  before(() => {
    if (!hasTool('openssl')) return;
    dir = tempDir(cleanup);
    const make = (name: string, keyArgs: string[]) => {
      const key = join(dir, `${name}.key`);
      const csr = join(dir, `${name}.csr`);
      assert.equal(runTool('openssl', ['genpkey', ...keyArgs, '-out', key]).status, 0);
      assert.equal(runTool('openssl', ['req', '-new', '-key', key, '-subj', '/CN=Test', '-out', csr]).status, 0);
      csrs.set(name, new Uint8Array(readFileSync(csr)));
    };
    make('rsa2048', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']);
    make('rsa1024', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024']);
    make('p384', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384']);
    make('k256', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:secp256k1']);
    make('ed25519', ['-algorithm', 'ED25519']);
    // An RSASSA-PSS self-signature (salt = hLen, RFC 4055 §3.1) and an extensionRequest attribute.
    const rk = join(dir, 'pss.key');
    assert.equal(runTool('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', rk]).status, 0);
    const pss = join(dir, 'pss.csr');
    assert.equal(runTool('openssl', ['req', '-new', '-key', rk, '-subj', '/CN=Pss', '-sha256', '-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:32', '-addext', 'subjectAltName=email:a@example.org', '-out', pss]).status, 0);
    csrs.set('pss', new Uint8Array(readFileSync(pss)));
    const pssBadSalt = join(dir, 'pss20.csr');
    assert.equal(runTool('openssl', ['req', '-new', '-key', rk, '-subj', '/CN=Pss', '-sha256', '-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:20', '-out', pssBadSalt]).status, 0);
    csrs.set('pss20', new Uint8Array(readFileSync(pssBadSalt)));
  });

  it('accepts an RSASSA-PSS proof of possession with salt = hLen and refuses other PSS parameters', (t) => {
    if (!requireTools(t, 'openssl')) return;
    assert.equal(verifyCsr(csrs.get('pss') as Uint8Array).key.keyType, 'RSA');
    assert.throws(() => verifyCsr(csrs.get('pss20') as Uint8Array), code('ERR_PKI_ALGORITHM_UNSUPPORTED'));
  });

  it('accepts RSA-2048 and P-384 requests that openssl req -verify accepts', (t) => {
    if (!requireTools(t, 'openssl')) return;
    for (const name of ['rsa2048', 'p384']) {
      const r = runTool('openssl', ['req', '-verify', '-noout', '-in', join(dir, `${name}.csr`)]);
      assert.match(r.stdout + r.stderr, /verify OK/);
      const v = verifyCsr(csrs.get(name) as Uint8Array);
      assert.equal(v.key.keyType, name === 'p384' ? 'EC' : 'RSA');
    }
  });

  it('rejects RSA-1024 as ERR_PKI_WEAK_KEY', (t) => {
    if (!requireTools(t, 'openssl')) return;
    assert.throws(() => verifyCsr(csrs.get('rsa1024') as Uint8Array), code('ERR_PKI_WEAK_KEY'));
  });

  it('rejects unknown curves and key types as ERR_PKI_UNSUPPORTED_KEY', (t) => {
    if (!requireTools(t, 'openssl')) return;
    assert.throws(() => verifyCsr(csrs.get('k256') as Uint8Array), code('ERR_PKI_UNSUPPORTED_KEY'));
    assert.throws(() => verifyCsr(csrs.get('ed25519') as Uint8Array), code('ERR_PKI_UNSUPPORTED_KEY'));
  });

  it('rejects a bad signature (proof of possession) with ERR_PKI_CSR_BAD_POP, and openssl agrees', (t) => {
    if (!requireTools(t, 'openssl')) return;
    const der = new Uint8Array(pemToDer(csrs.get('rsa2048') as Uint8Array, 'CERTIFICATE REQUEST'));
    der[der.length - 5] = (der[der.length - 5] ?? 0) ^ 0x01;
    assert.throws(() => verifyCsr(der), code('ERR_PKI_CSR_BAD_POP'));
    const r = runTool('openssl', ['req', '-verify', '-noout', '-inform', 'DER'], { input: der });
    assert.match(r.stdout + r.stderr, /verify failure|bad signature/i);
  });

  it('rejects garbage, empty, truncated, oversized and deeply nested input with typed errors', () => {
    assert.throws(() => verifyCsr(new Uint8Array(0)), code('ERR_PKI_CSR_MALFORMED'));
    assert.throws(() => verifyCsr(new Uint8Array([1, 2, 3, 4])), code('ERR_PKI_CSR_MALFORMED'));
    assert.throws(() => verifyCsr(new Uint8Array(1 << 20)), code('ERR_PKI_CSR_TOO_LARGE'));
    const deep = new Uint8Array(20_000);
    for (let i = 0; i < 10_000; i++) {
      deep[i * 2] = 0x30;
      deep[i * 2 + 1] = 0x80;
    }
    assert.throws(() => verifyCsr(deep), (e: unknown) => e instanceof PkiError);
    assert.throws(() => verifyCsr('-----BEGIN CERTIFICATE REQUEST-----\n!!\n-----END CERTIFICATE REQUEST-----'), code('ERR_PKI_CSR_MALFORMED'));
  });
});
