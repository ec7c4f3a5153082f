/**
 * The client's OCSPRequest (RFC 6960 §4.1.1), encoded directly since issue 19, is byte for byte
 * what the ASN.1 schema serialiser produced: SHA-256 and SHA-1 CertIDs, serials with and without
 * a leading zero octet, with and without the RFC 8954 nonce.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { Extension } from '@peculiar/asn1-x509';
import { OCSPRequest, Request, TBSRequest, id_pkix_ocsp_nonce } from '@peculiar/asn1-ocsp';
import { buildCertId, encodeCertId } from '../../../src/pki/ocsp/cert-id.js';
import { encodeOcspRequest } from '../../../src/pki/ocsp/ocsp-client.js';
import { buildTestPki } from '../../support/pki.js';

function schemaEncoded(
  issuer: Uint8Array,
  serialHex: string,
  hash: 'SHA-1' | 'SHA-256',
  nonce?: Uint8Array,
): Uint8Array {
  const tbs = new TBSRequest({
    requestList: [new Request({ reqCert: buildCertId(issuer, serialHex, hash) })],
  });
  if (nonce) {
    tbs.requestExtensions = [
      new Extension({
        extnID: id_pkix_ocsp_nonce,
        critical: false,
        extnValue: new OctetString(AsnConvert.serialize(new OctetString(nonce))),
      }),
    ];
  }
  return new Uint8Array(AsnConvert.serialize(new OCSPRequest({ tbsRequest: tbs })));
}

describe('encodeOcspRequest', () => {
  it('equals the schema encoding', async () => {
    const pki = await buildTestPki({ leaves: ['rsa'] });
    const issuer = pki.chain('rsa')[1] as Uint8Array;
    for (const hash of ['SHA-256', 'SHA-1'] as const) {
      for (const serialHex of ['01', '7f', '8f3a', '00c0ffee', randomBytes(20).toString('hex')]) {
        for (const nonce of [undefined, new Uint8Array(randomBytes(16))]) {
          const direct = encodeOcspRequest(encodeCertId(issuer, serialHex, hash), nonce);
          assert.deepEqual(
            direct,
            schemaEncoded(issuer, serialHex, hash, nonce),
            `${hash} ${serialHex} nonce=${nonce !== undefined}`,
          );
        }
      }
    }
  });
});
