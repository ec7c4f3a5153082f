/**
 * RFC 3161 §2.4.2 TSTInfo reading (cms/tsa/timestamp-token.ts): the strict DER reader gives what
 * the @peculiar/asn1-tsp schema parse gives for every field the readers use, with and without the
 * optional fields, and anything it does not take (local time, BER lengths) still reads as the
 * schema reads it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AsnConvert } from '@peculiar/asn1-schema';
import { TSTInfo } from '@peculiar/asn1-tsp';
import { CmsError } from '../../../src/cms/errors.js';
import { encodeOid, encodeSmallInteger, encodeTlv, tags } from '../../../src/cms/der.js';
import { checkTimestampingEku, checkTimestampingEkuOf, readTstInfo, type TstInfoView } from '../../../src/cms/tsa/timestamp-token.js';
import { parseCertificate } from '../../../src/cms/certificate.js';
import { PkiError } from '../../../src/cms/pki-errors.js';
import { generateKeyPairSync } from 'node:crypto';
import { id_kp_OCSPSigning, id_kp_timeStamping } from '@peculiar/asn1-x509';
import { buildTestPki, issueTestCertificate } from '../../support/pki.js';
import { serialToHex } from '../../../src/cms/certificate.js';
import { digestByOid } from '../../../src/cms/algorithms.js';

const sha256 = '2.16.840.1.101.3.4.2.1';
const policy = encodeOid('1.3.6.1.4.1.99999.1.1');
const hashed = new Uint8Array(32).map((_, i) => i + 1);
const imprint = (oid = sha256, withNull = true): Uint8Array =>
  encodeTlv(
    tags.sequence,
    encodeTlv(tags.sequence, encodeOid(oid), ...(withNull ? [Uint8Array.of(tags.null, 0)] : [])),
    encodeTlv(tags.octetString, hashed),
  );
const integer = (...octets: number[]): Uint8Array => encodeTlv(tags.integer, Uint8Array.from(octets));
const time = (text: string): Uint8Array => encodeTlv(0x18, new TextEncoder().encode(text));
const accuracy = encodeTlv(tags.sequence, encodeTlv(tags.integer, encodeSmallInteger(1)));
const ordering = encodeTlv(0x01, Uint8Array.of(0xff));
const tsaName = encodeTlv(0xa0, encodeTlv(0xa4, encodeTlv(tags.sequence)));
const extensions = encodeTlv(
  0xa1,
  encodeTlv(tags.sequence, encodeOid('1.3.6.1.4.1.99999.2'), encodeTlv(tags.octetString, Uint8Array.of(5, 0))),
);
const tstInfo = (genTime: Uint8Array, ...optional: Uint8Array[]): Uint8Array =>
  encodeTlv(tags.sequence, integer(1), policy, imprint(), integer(0x00, 0x8f, 0x01), genTime, ...optional);

/** What the schema parse gives (the reader before the DER path), mapped as readTstInfo maps it. */
function schemaView(der: Uint8Array): TstInfoView {
  const tst = AsnConvert.parse(der, TSTInfo);
  const hashAlgorithm = tst.messageImprint.hashAlgorithm.algorithm;
  return {
    policy: tst.policy,
    messageImprint: {
      hashAlgorithm,
      digestAlgorithm: digestByOid(hashAlgorithm)?.name,
      hashedMessage: new Uint8Array(tst.messageImprint.hashedMessage.buffer),
    },
    serialHex: serialToHex(tst.serialNumber),
    genTime: tst.genTime,
    nonce: tst.nonce === undefined ? undefined : new Uint8Array(tst.nonce),
  };
}

const plain = (v: TstInfoView) => ({
  ...v,
  messageImprint: { ...v.messageImprint, hashedMessage: [...v.messageImprint.hashedMessage] },
  nonce: v.nonce === undefined ? undefined : [...v.nonce],
  genTime: v.genTime.toISOString(),
});

describe('RFC 3161 §2.4.2 TSTInfo read with the strict DER reader', () => {
  const cases: Record<string, Uint8Array> = {
    'only the mandatory fields': tstInfo(time('20261207110203Z')),
    'a fraction of a second (truncated to ms, as the schema)': tstInfo(time('20261207110203.1239Z'), integer(0x00, 0x80, 0x02)),
    'accuracy, ordering, nonce, tsa and extensions': tstInfo(time('20261207110203.5Z'), accuracy, ordering, integer(0x7f, 0x01), tsaName, extensions),
    'a nonce only': tstInfo(time('19991231235959Z'), integer(0x01)),
    'an imprint without NULL parameters, another digest': encodeTlv(
      tags.sequence,
      integer(1),
      policy,
      imprint('2.16.840.1.101.3.4.2.3', false),
      integer(0x05),
      time('20261207110203Z'),
    ),
  };
  for (const [name, der] of Object.entries(cases)) {
    it(`reads what the schema reads: ${name}`, () => {
      assert.deepEqual(plain(readTstInfo(der)), plain(schemaView(der)));
    });
  }

  it('a local-time GeneralizedTime or a BER length is not taken by the DER path and still reads as the schema reads it', () => {
    const local = tstInfo(time('20261207110203'));
    assert.deepEqual(plain(readTstInfo(local)), plain(schemaView(local)));
    // The same TSTInfo with its outer length in a non-minimal long form (BER, not DER).
    const der = tstInfo(time('20261207110203Z'));
    const ber = Uint8Array.from([0x30, 0x81, der[1] as number, ...der.subarray(2)]);
    assert.deepEqual(plain(readTstInfo(ber)), plain(schemaView(ber)));
  });

  it('fields out of order are not taken by the DER path; the schema refuses them: ERR_CMS_STRUCTURE', () => {
    const swapped = tstInfo(time('20261207110203Z'), integer(0x01), ordering);
    assert.throws(() => AsnConvert.parse(swapped, TSTInfo));
    assert.throws(() => readTstInfo(swapped), (e) => e instanceof CmsError && e.code === 'ERR_CMS_STRUCTURE');
    assert.throws(() => readTstInfo(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01)), (e) => e instanceof CmsError && e.code === 'ERR_CMS_STRUCTURE');
  });
});

describe('RFC 3161 §2.3 the TSA certificate: a critical extendedKeyUsage of only id-kp-timeStamping, read from its DER', () => {
  it('accepts the TSA certificate and refuses the others as the schema reading does: ERR_PKI_TSA_RESPONSE_INVALID', async () => {
    const pki = await buildTestPki({ leaves: ['ec-p256'] });
    const key = (): ReturnType<typeof generateKeyPairSync>['privateKey'] => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const [notCritical, twoPurposes, otherPurpose] = await Promise.all([
      issueTestCertificate({ key: key(), subject: 'TSA not critical', extKeyUsage: { oids: [id_kp_timeStamping], critical: false } }),
      issueTestCertificate({ key: key(), subject: 'TSA two purposes', extKeyUsage: { oids: [id_kp_timeStamping, id_kp_OCSPSigning], critical: true } }),
      issueTestCertificate({ key: key(), subject: 'OCSP only', extKeyUsage: { oids: [id_kp_OCSPSigning], critical: true } }),
    ]);
    checkTimestampingEkuOf(pki.tsa.der);
    checkTimestampingEku(parseCertificate(pki.tsa.der));
    const refused = (e: unknown): boolean => e instanceof PkiError && e.code === 'ERR_PKI_TSA_RESPONSE_INVALID';
    for (const der of [notCritical.der, twoPurposes.der, otherPurpose.der, pki.leaves['ec-p256'].der]) {
      assert.throws(() => checkTimestampingEku(parseCertificate(der)), refused);
      assert.throws(() => checkTimestampingEkuOf(der), refused);
    }
    assert.throws(() => checkTimestampingEkuOf(Uint8Array.of(0x30, 0x00)), (e) => e instanceof PkiError && e.code === 'ERR_PKI_CERT_MALFORMED');
  });
});
