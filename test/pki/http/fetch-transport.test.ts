/** Client transport limits (SECURITY DOS-19): endless and slow responses end in typed errors. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fetchBytes } from '../../../src/pki/http/fetch-transport.js';
import { PkiError } from '../../../src/pki/errors.js';

function code(c: string) {
  return (e: unknown) => e instanceof PkiError && e.code === c;
}

const crl = Buffer.alloc(70_000, 0x5a);

describe('fetchBytes (timeouts, size limits, typed errors)', () => {
  let server: Server;
  let base: string;
  before(async () => {
    server = createServer((req, res) => {
      if (req.url === '/endless') {
        res.writeHead(200, { 'content-type': 'application/ocsp-response' });
        const chunk = Buffer.alloc(64 * 1024);
        const pump = () => {
          while (res.write(chunk)) {
            /* keep writing until back-pressure */
          }
        };
        res.on('drain', pump);
        pump();
      } else if (req.url === '/silent') {
        res.writeHead(200, { 'content-type': 'application/ocsp-response' });
        res.write('x'); // then never finish
      } else if (req.url === '/declared') {
        res.writeHead(200, { 'content-type': 'application/ocsp-response', 'content-length': String(1 << 30) });
        res.write('x');
      } else if (req.url === '/echo') {
        // The POST body back, with a media type parameter (compared without it).
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          res.writeHead(200, { 'content-type': 'Application/OCSP-Response; charset=binary' });
          res.end(Buffer.concat(chunks));
        });
      } else if (req.url === '/crl') {
        res.writeHead(200, { 'content-type': 'application/pkix-crl' });
        res.end(crl);
      } else if (req.url === '/moved') {
        res.writeHead(302, { location: '/crl' });
        res.end();
      } else {
        res.writeHead(500);
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('stops reading an endless response at the size limit', async () => {
    await assert.rejects(fetchBytes(`${base}/endless`, { method: 'GET' }, { defaultMaxBytes: 1 << 20, timeoutMs: 5000 }), code('ERR_PKI_RESPONSE_TOO_LARGE'));
    await assert.rejects(fetchBytes(`${base}/declared`, { method: 'GET' }, { defaultMaxBytes: 1 << 20, timeoutMs: 5000 }), code('ERR_PKI_RESPONSE_TOO_LARGE'));
  });

  it('times out on a response that never completes', async () => {
    await assert.rejects(fetchBytes(`${base}/silent`, { method: 'GET' }, { defaultMaxBytes: 1 << 20, timeoutMs: 200 }), code('ERR_PKI_TIMEOUT'));
  });

  it('posts the body and reads the answer whole; a redirect is followed as fetch follows it', async () => {
    const body = new Uint8Array(200_000).map((_, i) => i % 251);
    const reply = await fetchBytes(
      `${base}/echo`,
      { method: 'POST', contentType: 'application/ocsp-request', body },
      { defaultMaxBytes: 1 << 20, expectType: 'application/ocsp-response' },
    );
    assert.equal(reply.status, 200);
    assert.equal(reply.contentType, 'application/ocsp-response');
    assert.deepEqual(reply.body, body);
    // A CRL distribution point that redirects (RFC 5280 §4.2.1.13 names a URL; CDNs move them).
    const moved = await fetchBytes(`${base}/moved`, { method: 'GET' }, { defaultMaxBytes: 1 << 20, expectType: 'application/pkix-crl' });
    assert.deepEqual(moved.body, new Uint8Array(crl));
    await assert.rejects(
      fetchBytes(`${base}/echo`, { method: 'POST', body }, { defaultMaxBytes: 1 << 20, expectType: 'application/timestamp-reply' }),
      code('ERR_PKI_HTTP_STATUS'),
    );
  });

  it('maps refused connections and HTTP errors', async () => {
    await assert.rejects(fetchBytes('http://127.0.0.1:1/x', { method: 'GET' }, { defaultMaxBytes: 1024, timeoutMs: 2000 }), code('ERR_PKI_TRANSPORT'));
    await assert.rejects(fetchBytes(`${base}/error`, { method: 'GET' }, { defaultMaxBytes: 1024 }), code('ERR_PKI_HTTP_STATUS'));
  });
});
