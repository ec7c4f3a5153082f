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

  it('maps refused connections and HTTP errors', async () => {
    await assert.rejects(fetchBytes('http://127.0.0.1:1/x', { method: 'GET' }, { defaultMaxBytes: 1024, timeoutMs: 2000 }), code('ERR_PKI_TRANSPORT'));
    await assert.rejects(fetchBytes(`${base}/error`, { method: 'GET' }, { defaultMaxBytes: 1024 }), code('ERR_PKI_HTTP_STATUS'));
  });
});
