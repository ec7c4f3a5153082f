/**
 * RFC 3161 §2.4.2 TimeStampResp reading (cms/tsa/timestamp-reply.ts): a granted PKIStatusInfo of
 * only its status is read with the DER reader, anything else (statusString, failInfo, other
 * statuses) as the schema reads it; the token keeps the TSA's bytes.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AsnConvert } from '@peculiar/asn1-schema';
import { PKIFreeText, PKIStatus, PKIStatusInfo } from '@peculiar/asn1-tsp';
import { encodeOid, encodeTlv, tags } from '../../../src/cms/der.js';
import { cmsOids } from '../../../src/cms/cms-oids.js';
import { PkiError } from '../../../src/cms/pki-errors.js';
import { pkiFailureInfo } from '../../../src/cms/tsa/pki-failure-info.js';
import { readTimestampReply } from '../../../src/cms/tsa/timestamp-reply.js';

const statusInfo = (info: PKIStatusInfo): Uint8Array => new Uint8Array(AsnConvert.serialize(info));
// A ContentInfo over id-signedData: the reply is only split here, the token read elsewhere.
const token = encodeTlv(tags.sequence, encodeOid(cmsOids.id_signedData), encodeTlv(0xa0, encodeTlv(tags.sequence)));
const reply = (status: Uint8Array, withToken = true): Uint8Array =>
  encodeTlv(tags.sequence, status, ...(withToken ? [token] : []));

describe('RFC 3161 §2.4.2 TimeStampResp', () => {
  it('granted and grantedWithMods with only a status: read on element boundaries, the token as sent', () => {
    for (const status of [PKIStatus.granted, PKIStatus.grantedWithMods]) {
      const r = readTimestampReply(reply(statusInfo(new PKIStatusInfo({ status }))));
      assert.deepEqual({ ...r, token: [...(r.token ?? [])] }, { status, isGranted: true, statusText: '', failures: [], token: [...token] });
    }
    const none = readTimestampReply(reply(statusInfo(new PKIStatusInfo({ status: PKIStatus.granted })), false));
    assert.equal(none.isGranted, true);
    assert.equal(none.token, undefined);
  });

  it('a status with statusString or failInfo, or a refusal, is read with its text and failures', () => {
    const mods = readTimestampReply(
      reply(statusInfo(new PKIStatusInfo({ status: PKIStatus.grantedWithMods, statusString: new PKIFreeText(['accuracy widened']) }))),
    );
    assert.deepEqual([mods.status, mods.isGranted, mods.statusText], [1, true, 'accuracy widened']);
    const refused = readTimestampReply(
      reply(statusInfo(new PKIStatusInfo({ status: PKIStatus.rejection, failInfo: pkiFailureInfo('badAlg') })), false),
    );
    assert.deepEqual([refused.status, refused.isGranted, refused.failures], [2, false, ['badAlg']]);
    assert.deepEqual(readTimestampReply(reply(statusInfo(new PKIStatusInfo({ status: PKIStatus.waiting })), false)).isGranted, false);
  });

  it('a reply that is not a TimeStampResp: ERR_PKI_TSA_RESPONSE_INVALID', () => {
    for (const bad of [Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00), reply(encodeTlv(tags.sequence, Uint8Array.of(0x04, 0x00)), false)]) {
      assert.throws(() => readTimestampReply(bad), (e) => e instanceof PkiError && e.code === 'ERR_PKI_TSA_RESPONSE_INVALID');
    }
  });
});
