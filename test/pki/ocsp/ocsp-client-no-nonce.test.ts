/**
 * OcspClient without a nonce (RFC 5019 §2.1.1, how B-LT/B-LTA validation data is fetched): our
 * responder answers such requests from its pre-signed responses and the client accepts them;
 * freshness then rests on nextUpdate, so a response without one is refused (RFC 5019 §2.2.4)
 * unless a nonce vouches for it, and one past its nextUpdate is refused. The responses without
 * nextUpdate come from OpenSSL's own responder (`openssl ocsp -index`), which leaves it out
 * unless told -ndays.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock, fixedClock } from '../../../src/core/clock.js';
import { OcspClient } from '../../../src/pki/ocsp/ocsp-client.js';
import { PkiError } from '../../../src/pki/errors.js';
import type { FetchLike } from '../../../src/pki/http/fetch-transport.js';
import type { PkiFixture } from '../support/pki-fixture.js';
import { issueSigningCertificate, servedPki, type PkiServer } from '../support/pki-server.js';
import { requireTools, runTool } from '../../support/tools.js';
import { tempDir } from '../../support/tmp.js';

const invalid = (e: unknown): boolean =>
  e instanceof PkiError && e.code === 'ERR_PKI_OCSP_RESPONSE_INVALID';

function pemToDer(pem: string): Uint8Array {
  return new Uint8Array(Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64'));
}

function openssl(args: readonly string[], cwd: string): void {
  const r = runTool('openssl', args, { cwd });
  assert.equal(r.status, 0, `openssl ${args.join(' ')}: ${r.stderr}`);
}

describe('OcspClient without a nonce (RFC 5019)', () => {
  let pki: PkiFixture;
  let server: PkiServer;
  servedPki({ before, after }, (p, s) => ((pki = p), (server = s)));

  it('is answered from the pre-signed response and accepts it; a nonce still gets a fresh signature', async () => {
    const rec = await issueSigningCertificate(pki, server, 'Lightweight Lea');
    const issuer = pki.hierarchy.issuing.certificate;
    const client = new OcspClient({ clock: systemClock, nonce: false });
    const first = await client.check(rec.der, issuer);
    const before = server.ocsp.counts();
    const second = await client.check(rec.der, issuer);
    assert.equal(second.status, 'good');
    assert.ok(second.nextUpdate && second.nextUpdate > second.thisUpdate);
    assert.deepEqual(second.response, first.response, 'the same pre-signed response');
    assert.deepEqual(server.ocsp.counts(), {
      signed: before.signed,
      presigned: before.presigned + 1,
    });
    await new OcspClient({ clock: systemClock }).check(rec.der, issuer);
    assert.equal(
      server.ocsp.counts().signed,
      before.signed + 1,
      'a request with a nonce is signed for it',
    );
    // Past nextUpdate (plus the 5 minutes' skew) the same response is stale.
    const late = fixedClock(new Date((second.nextUpdate as Date).getTime() + 6 * 60_000));
    const replay: FetchLike = async () =>
      new Response(second.response, {
        status: 200,
        headers: { 'content-type': 'application/ocsp-response' },
      });
    await assert.rejects(
      new OcspClient({ clock: late, nonce: false, fetch: replay }).check(rec.der, issuer),
      invalid,
    );
  });

  it("refuses OpenSSL's response without nextUpdate unless a nonce vouches for it", async (t) => {
    if (!requireTools(t, 'openssl')) return;
    const dir = tempDir(t, 'signet-ocsp-nonce-');
    openssl(
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        'ca.key',
        '-out',
        'ca.pem',
        '-subj',
        '/CN=OpenSSL OCSP CA',
        '-days',
        '2',
      ],
      dir,
    );
    openssl(
      [
        'req',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        'leaf.key',
        '-out',
        'leaf.csr',
        '-subj',
        '/CN=Leaf',
      ],
      dir,
    );
    openssl(
      [
        'x509',
        '-req',
        '-in',
        'leaf.csr',
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca.key',
        '-set_serial',
        '0x1001',
        '-days',
        '1',
        '-out',
        'leaf.pem',
      ],
      dir,
    );
    writeFileSync(join(dir, 'index.txt'), 'V\t301231235959Z\t\t1001\tunknown\t/CN=Leaf\n');
    const ca = pemToDer(readFileSync(join(dir, 'ca.pem'), 'utf8'));
    const leaf = pemToDer(readFileSync(join(dir, 'leaf.pem'), 'utf8'));
    const respondWith =
      (extra: readonly string[]): FetchLike =>
      async (_url, init) => {
        writeFileSync(join(dir, 'req.der'), init?.body as Uint8Array);
        openssl(
          [
            'ocsp',
            '-index',
            'index.txt',
            '-rsigner',
            'ca.pem',
            '-rkey',
            'ca.key',
            '-CA',
            'ca.pem',
            '-reqin',
            'req.der',
            '-respout',
            'resp.der',
            ...extra,
          ],
          dir,
        );
        return new Response(readFileSync(join(dir, 'resp.der')), {
          status: 200,
          headers: { 'content-type': 'application/ocsp-response' },
        });
      };
    const url = 'http://127.0.0.1:1/ocsp';
    await assert.rejects(
      new OcspClient({ clock: systemClock, url, nonce: false, fetch: respondWith([]) }).check(
        leaf,
        ca,
      ),
      invalid,
    );
    const vouched = await new OcspClient({ clock: systemClock, url, fetch: respondWith([]) }).check(
      leaf,
      ca,
    );
    assert.equal(vouched.status, 'good');
    assert.equal(vouched.nextUpdate, undefined);
    const dated = await new OcspClient({
      clock: systemClock,
      url,
      nonce: false,
      fetch: respondWith(['-ndays', '1']),
    }).check(leaf, ca);
    assert.equal(dated.status, 'good');
    assert.ok(dated.nextUpdate);
  });
});
