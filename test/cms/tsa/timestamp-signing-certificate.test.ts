/**
 * RFC 3161 §2.4.2: the TSA's SignerInfo MUST carry its certificate's identifier in a
 * SigningCertificate attribute (ESSCertID, RFC 2634; ESSCertIDv2, RFC 5816 §2.2.1). The client
 * (verifyTimestampReply) refuses a token without one. The tokens are signed by `openssl cms` over a TSTInfo made here: without `-cades`
 * it adds no signing-certificate attribute, with `-cades` an ESSCertIDv2.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { MessageImprint, TSTInfo, TSTInfoVersion } from '@peculiar/asn1-tsp';
import { encodeTlv, tags } from '../../../src/cms/der.js';
import { PkiError } from '../../../src/cms/pki-errors.js';
import { verifyTimestampReply } from '../../../src/cms/tsa/timestamp-reply.js';
import { buildTestPki } from '../../support/pki.js';
import { tempDir } from '../../support/tmp.js';
import { requireTools, runTool } from '../../support/tools.js';

const sha256Oid = '2.16.840.1.101.3.4.2.1';
const idCtTstInfo = '1.2.840.113549.1.9.16.1.4';
// PKIStatusInfo { status granted(0) }
const granted = Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00);

describe('RFC 3161 §2.4.2: the TSA client requires the signing-certificate attribute', () => {
  it('refuses a token without ESSCertID/ESSCertIDv2; accepts the same token with one', async (t) => {
    if (!requireTools(t, 'openssl')) return;
    const pki = await buildTestPki({ leaves: ['ec-p256'] as const });
    const dir = tempDir(t);
    const digest = new Uint8Array(createHash('sha256').update('the signed document').digest());
    const nonce = Uint8Array.of(0x01, ...randomBytes(8));
    const tstInfo = new TSTInfo({
      version: TSTInfoVersion.v1,
      policy: '2.25.5',
      messageImprint: new MessageImprint({
        hashAlgorithm: new AlgorithmIdentifier({ algorithm: sha256Oid }),
        hashedMessage: new OctetString(digest),
      }),
      serialNumber: Uint8Array.of(0x2a).buffer,
      genTime: new Date(Math.floor(Date.now() / 1000) * 1000),
      nonce: nonce.buffer,
    });
    writeFileSync(join(dir, 'tst.der'), new Uint8Array(AsnConvert.serialize(tstInfo)));
    const sign = (name: string, signer: { pem: string; privateKeyPem: string }, extra: readonly string[]): Uint8Array => {
      writeFileSync(join(dir, `${name}.pem`), signer.pem);
      writeFileSync(join(dir, `${name}.key`), signer.privateKeyPem, { mode: 0o600 });
      const out = join(dir, `${name}.p7`);
      const r = runTool('openssl', [
        'cms', '-sign', '-binary', '-nodetach', '-nosmimecap', '-md', 'sha256',
        '-econtent_type', idCtTstInfo, '-in', join(dir, 'tst.der'),
        '-signer', join(dir, `${name}.pem`), '-inkey', join(dir, `${name}.key`),
        '-outform', 'DER', '-out', out, ...extra,
      ]);
      assert.equal(r.status, 0, r.stderr);
      return encodeTlv(tags.sequence, granted, new Uint8Array(readFileSync(out)));
    };
    const request = { digest, digestAlgorithm: 'SHA-256' as const, nonce };
    const refused = (message: RegExp) => (e: unknown) =>
      e instanceof PkiError && e.code === 'ERR_PKI_TSA_RESPONSE_INVALID' && message.test(e.message);

    assert.throws(() => verifyTimestampReply(sign('tsa', pki.tsa, []), request), refused(/signing-certificate attribute/));
    const withEss = verifyTimestampReply(sign('tsa-cades', pki.tsa, ['-cades']), request);
    assert.equal(withEss.serialHex, '2a');
  });
});
