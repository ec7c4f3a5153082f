/**
 * The client's TimeStampReq (RFC 3161 §2.4.1), encoded directly since issue 19, is byte for byte
 * what the ASN.1 schema serialiser produced, for every digest, with and without a policy and
 * certReq (DER leaves out certReq FALSE, X.690 §11.5).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { MessageImprint, TimeStampReq } from '@peculiar/asn1-tsp';
import { digestAlgorithms, type DigestAlgorithm } from '../../../src/cms/algorithms.js';
import { toArrayBuffer } from '../../../src/core/bytes.js';
import { digestAlgorithmIdentifier } from '../../../src/pki/algorithm-identifier.js';
import { encodeTimeStampReq } from '../../../src/pki/tsa/timestamp-client.js';

function schemaEncoded(
  digest: Uint8Array,
  digestAlgorithm: DigestAlgorithm,
  nonce: Uint8Array,
  certReq: boolean,
  policyOid?: string,
): Uint8Array {
  const req = new TimeStampReq({
    version: 1,
    messageImprint: new MessageImprint({
      hashAlgorithm: digestAlgorithmIdentifier(digestAlgorithm),
      hashedMessage: new OctetString(digest),
    }),
    nonce: toArrayBuffer(nonce),
    certReq,
  });
  if (policyOid !== undefined) req.reqPolicy = policyOid;
  return new Uint8Array(AsnConvert.serialize(req));
}

describe('encodeTimeStampReq', () => {
  it('equals the schema encoding for every digest, policy and certReq', () => {
    for (const digestAlgorithm of Object.keys(digestAlgorithms) as DigestAlgorithm[]) {
      for (const certReq of [true, false]) {
        for (const policyOid of [undefined, '1.3.6.1.4.1.99999.2.1']) {
          const digest = new Uint8Array(randomBytes(digestAlgorithms[digestAlgorithm].length));
          const nonce = new Uint8Array(randomBytes(16));
          nonce[0] = ((nonce[0] ?? 0) & 0x7f) | 0x01;
          const direct = encodeTimeStampReq({
            digest,
            digestAlgorithm,
            nonce,
            certReq,
            ...(policyOid === undefined ? {} : { policyOid }),
          });
          assert.deepEqual(
            direct,
            schemaEncoded(digest, digestAlgorithm, nonce, certReq, policyOid),
            `${digestAlgorithm} certReq=${certReq} policy=${policyOid}`,
          );
          const parsed = AsnConvert.parse(direct, TimeStampReq);
          assert.equal(parsed.certReq, certReq);
          assert.equal(parsed.reqPolicy, policyOid);
        }
      }
    }
  });
});
