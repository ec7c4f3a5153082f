/**
 * cms/certificate parseCertificate remembers its parses and hands every caller the same object,
 * so the object is frozen: a caller that assigns to a shared parse fails instead of changing
 * what every other caller in the process reads.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { parseCertificate } from '../../src/cms/certificate.js';
import { opensslP256, requireTools, runTool } from '../support/tools.js';

describe('parseCertificate memo', () => {
  it('returns one frozen parse per DER, which still serialises to the same bytes', (t) => {
    if (!requireTools(t, 'openssl')) return;
    const dir = mkdtempSync(join(tmpdir(), 'signet-cert-memo-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const key = join(dir, 'k.pem');
    const cert = join(dir, 'c.der');
    assert.equal(runTool('openssl', ['genpkey', ...opensslP256, '-out', key]).status, 0);
    const made = runTool('openssl', ['req', '-x509', '-key', key, '-subj', '/CN=Memo', '-days', '1', '-outform', 'DER', '-out', cert]);
    assert.equal(made.status, 0, made.stderr);
    const der = new Uint8Array(readFileSync(cert));

    const first = parseCertificate(der);
    const second = parseCertificate(der.slice());
    assert.equal(second, first, 'the same DER gives the remembered parse');
    assert.ok(Object.isFrozen(first));
    assert.ok(Object.isFrozen(first.tbsCertificate.subject));
    assert.ok(Object.isFrozen(first.tbsCertificate.extensions));
    assert.throws(() => {
      (first.tbsCertificate as { serialNumber: ArrayBuffer }).serialNumber = new ArrayBuffer(1);
    }, TypeError);
    assert.throws(() => {
      first.tbsCertificate.extensions?.push(first.tbsCertificate.extensions[0]!);
    }, TypeError);
    assert.deepEqual(new Uint8Array(AsnConvert.serialize(first)), der);
  });
});
