/**
 * RFC 6960 §4.1.1 OCSPRequest read with the strict DER reader (issue 19): the fields openssl's
 * requests carry, as the @peculiar schema reads them, and the requests a responder must refuse.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { OCSPRequest, id_pkix_ocsp_nonce } from '@peculiar/asn1-ocsp';
import { childrenOf, contentOf, derTree, encodeDerTree, encodeOid, rawOf, readElement, tags } from '../../../src/cms/der.js';
import { certIdDer } from '../../../src/pki/ocsp/cert-id.js';
import { parseOcspRequest } from '../../../src/pki/ocsp/ocsp-request.js';
import { hasTool, requireTools, runTool } from '../../support/tools.js';
import { tempDir } from '../../support/tmp.js';

describe('RFC 6960 §4.1.1 OCSPRequest, strict DER reader', () => {
  let dir: string;
  let issuer: string;
  const request = (...args: string[]): Uint8Array => {
    const out = join(dir, `req-${Math.random().toString(36).slice(2)}.der`);
    const r = runTool('openssl', ['ocsp', '-issuer', issuer, ...args, '-reqout', out]);
    assert.equal(r.status, 0, r.stderr);
    return new Uint8Array(readFileSync(out));
  };

  const cleanups: (() => void)[] = [];
  after(() => cleanups.forEach((fn) => fn()));
  before(() => {
    if (!hasTool('openssl')) return;
    dir = tempDir({ after: (fn) => cleanups.push(fn) }, 'signet-ocsp-request-');
    issuer = join(dir, 'issuer.pem');
    const r = runTool('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=Issuer', '-days', '1', '-keyout', join(dir, 'issuer.key'), '-out', issuer]);
    assert.equal(r.status, 0, r.stderr);
  });

  it('reads what the schema reads: each CertID (its exact DER), the serial, the nonce', (t) => {
    if (!requireTools(t, 'openssl')) return;
    for (const args of [['-serial', '0x1234'], ['-sha256', '-serial', '0x80', '-serial', '0x7f'], ['-no_nonce', '-serial', '0x00ff00ff00ff00ff00ff']]) {
      const der = request(...args);
      const parsed = parseOcspRequest(der);
      assert.ok(parsed, args.join(' '));
      const schema = AsnConvert.parse(der, OCSPRequest);
      assert.equal(parsed.requests.length, schema.tbsRequest.requestList.length);
      parsed.requests.forEach((single, i) => {
        const reqCert = schema.tbsRequest.requestList[i]?.reqCert;
        assert.ok(reqCert);
        assert.deepEqual(single.certId, certIdDer(reqCert));
        assert.equal(single.hashAlgorithmOid, reqCert.hashAlgorithm.algorithm);
        assert.deepEqual(single.serialNumber, new Uint8Array(reqCert.serialNumber));
        assert.deepEqual(single.issuerKeyHash, new Uint8Array(reqCert.issuerKeyHash.buffer));
      });
      const nonce = schema.tbsRequest.requestExtensions?.find((e) => e.extnID === id_pkix_ocsp_nonce);
      const ours = parsed.extensions.find((e) => e.extnId === id_pkix_ocsp_nonce);
      assert.equal(ours === undefined, nonce === undefined);
      if (nonce && ours) assert.deepEqual(ours.extnValue, new Uint8Array(nonce.extnValue.buffer));
    }
  });

  it('refuses another version, a critical request extension it cannot honour, trailing bytes and wrong tags', (t) => {
    if (!requireTools(t, 'openssl')) return;
    const der = request('-no_nonce', '-serial', '0x1234');
    const root = readElement(der, 0);
    const [tbs] = childrenOf(der, root);
    assert.ok(tbs);
    const [list] = childrenOf(der, tbs);
    assert.ok(list);
    const [single] = childrenOf(der, list);
    assert.ok(single);
    const [certId] = childrenOf(der, single);
    assert.ok(certId);
    const listOf = (...requests: Uint8Array[]) => derTree(tags.sequence, ...requests);
    const wrap = (...tbsParts: Parameters<typeof derTree>[1][]) => encodeDerTree(derTree(tags.sequence, derTree(tags.sequence, ...tbsParts)));
    const extension = (critical: boolean) =>
      derTree(tags.sequence, encodeOid('1.3.6.1.5.5.7.48.1.7'), ...(critical ? [Uint8Array.of(0x01, 0x01, 0xff)] : []), derTree(tags.octetString, Uint8Array.of(0x05, 0x00)));
    const requestWith = (critical: boolean) => derTree(tags.sequence, rawOf(der, certId), derTree(0xa0, derTree(tags.sequence, extension(critical))));

    // The same request rebuilt parses; with version v1 written out too.
    assert.ok(parseOcspRequest(wrap(rawOf(der, list))));
    assert.ok(parseOcspRequest(wrap(derTree(0xa0, Uint8Array.of(0x02, 0x01, 0x00)), rawOf(der, list))));
    // v2 is not a version RFC 6960 defines.
    assert.equal(parseOcspRequest(wrap(derTree(0xa0, Uint8Array.of(0x02, 0x01, 0x01)), rawOf(der, list))), undefined);
    // §4.4: a single-request extension is ignored unless critical.
    assert.ok(parseOcspRequest(wrap(listOf(encodeDerTree(requestWith(false))))));
    assert.equal(parseOcspRequest(wrap(listOf(encodeDerTree(requestWith(true))))), undefined);
    // A request-level critical extension is reported for the responder to refuse.
    const critical = parseOcspRequest(wrap(rawOf(der, list), derTree(0xa2, derTree(tags.sequence, extension(true)))));
    assert.equal(critical?.extensions[0]?.critical, true);
    // Trailing bytes, a SET for the request list, an empty serial number.
    assert.equal(parseOcspRequest(Uint8Array.of(...der, 0)), undefined);
    assert.equal(parseOcspRequest(wrap(derTree(tags.set, rawOf(der, single)))), undefined);
    const [alg, nameHash, keyHash] = childrenOf(der, certId);
    assert.ok(alg && nameHash && keyHash);
    const emptySerial = derTree(tags.sequence, rawOf(der, alg), rawOf(der, nameHash), rawOf(der, keyHash), derTree(tags.integer));
    assert.equal(parseOcspRequest(wrap(listOf(encodeDerTree(derTree(tags.sequence, emptySerial))))), undefined);
    assert.equal(contentOf(der, keyHash).length, 20);
  });
});
