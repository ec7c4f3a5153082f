/** RFC 3161 client against our TSA: status, nonce, imprint and signature checks. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { TimeStampResp } from '@peculiar/asn1-tsp';
import type { PkiFixture } from '../support/pki-fixture.js';
import { servedPki, type PkiServer } from '../support/pki-server.js';
import { TimestampClient } from '../../../src/pki/tsa/timestamp-client.js';
import { PkiError } from '../../../src/pki/errors.js';
import type { FetchLike } from '../../../src/pki/http/fetch-transport.js';
import { handlerFetch } from '../../../src/pki/http/handler-fetch.js';
import { createTimestampAuthority } from '../../../src/pki/tsa/timestamp-authority.js';
import { systemClock } from '../../../src/core/clock.js';

function code(c: string) {
  return (e: unknown) => e instanceof PkiError && e.code === c;
}

describe('TimestampClient (RFC 3161 §2.4.2 checks)', () => {
  let pki: PkiFixture;
  let server: PkiServer;
  servedPki({ before, after }, (p, s) => ((pki = p), (server = s)), { policyOid: '2.25.5' });

  it('returns a verified token for data and for a pre-computed digest', async () => {
    const client = new TimestampClient({ url: `${server.host.url}/tsa`, policyOid: '2.25.5' });
    const a = await client.timestamp(new TextEncoder().encode('hello'));
    assert.equal(a.policy, '2.25.5');
    assert.ok(a.token.length > 500);
    const digest = new Uint8Array(createHash('sha512').update('x').digest());
    const b = await client.timestampDigest(digest, 'SHA-512');
    assert.ok(BigInt(`0x${b.serialHex}`) > BigInt(`0x${a.serialHex}`));
  });

  it('refuses a reply for another imprint or without the nonce (replayed reply)', async () => {
    const real = `${server.host.url}/tsa`;
    let captured: Uint8Array | undefined;
    const recording: FetchLike = async (url, init) => {
      const res = await fetch(url, init);
      captured = new Uint8Array(await res.arrayBuffer());
      return new Response(captured, { status: 200, headers: { 'content-type': 'application/timestamp-reply' } });
    };
    await new TimestampClient({ url: real, fetch: recording }).timestamp(new Uint8Array([1]));
    const replay: FetchLike = async () => new Response(captured ?? new Uint8Array(), { status: 200, headers: { 'content-type': 'application/timestamp-reply' } });
    await assert.rejects(new TimestampClient({ url: real, fetch: replay }).timestamp(new Uint8Array([1])), code('ERR_PKI_TSA_RESPONSE_INVALID'));
    await assert.rejects(new TimestampClient({ url: real, fetch: replay }).timestamp(new Uint8Array([2])), code('ERR_PKI_TSA_RESPONSE_INVALID'));
  });

  it('reports a rejection (unaccepted policy) as ERR_PKI_TSA_REJECTED', async () => {
    await assert.rejects(new TimestampClient({ url: `${server.host.url}/tsa`, policyOid: '1.2.3' }).timestamp(new Uint8Array([1])), code('ERR_PKI_TSA_REJECTED'));
  });

  it('refuses a token whose signature was tampered with', async () => {
    const tamper: FetchLike = async (url, init) => {
      const res = await fetch(url, init);
      const der = new Uint8Array(await res.arrayBuffer());
      const resp = AsnConvert.parse(der, TimeStampResp);
      assert.ok(resp.timeStampToken);
      const bytes = new Uint8Array(der);
      bytes[bytes.length - 3] = (bytes[bytes.length - 3] ?? 0) ^ 0xff; // inside the signature value
      return new Response(bytes, { status: 200, headers: { 'content-type': 'application/timestamp-reply' } });
    };
    await assert.rejects(new TimestampClient({ url: `${server.host.url}/tsa`, fetch: tamper }).timestamp(new Uint8Array([3])), (e: unknown) => e instanceof PkiError);
  });

  it('maps HTTP and media-type errors', async () => {
    await assert.rejects(new TimestampClient({ url: `${server.host.url}/nope` }).timestamp(new Uint8Array([1])), code('ERR_PKI_HTTP_STATUS'));
    await assert.rejects(new TimestampClient({ url: `${server.host.url}/ca/root.cer`, fetch: (u) => fetch(u) }).timestamp(new Uint8Array([1])), code('ERR_PKI_HTTP_STATUS'));
    await assert.rejects(new TimestampClient({ url: 'file:///etc/passwd' }).timestamp(new Uint8Array([1])), code('ERR_PKI_NO_URL'));
  });

  it('talks to an in-process TSA through handlerFetch (no socket)', async () => {
    const tsa = createTimestampAuthority({
      key: { backend: pki.keystore, ref: pki.hierarchy.tsa.keyRef, algorithm: pki.hierarchy.algorithm },
      certificate: pki.hierarchy.tsa.certificate,
      chain: [pki.hierarchy.issuing.certificate],
      policyOid: '2.25.6',
      store: pki.store,
      clock: systemClock,
    });
    const result = await new TimestampClient({ url: 'http://in-process/tsa', fetch: handlerFetch(tsa.handler) }).timestamp(new Uint8Array([9]));
    assert.equal(result.policy, '2.25.6');
  });
});
