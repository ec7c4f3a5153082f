/**
 * Issue 17 (Traces): `signet serve` with OTEL_EXPORTER_OTLP_ENDPOINT exports its spans over
 * OTLP/HTTP to a receiver the test runs on loopback. A signHash sent with a W3C `traceparent`
 * (W3C Trace Context §3.2) is continued: its server span has the caller's trace id and the
 * caller's span as parent, with database-transaction and key-operation spans under it; the same
 * trace id is in the request's log lines and in the audit entry of the consumption.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeBase32, generateTotp } from '../../../src/auth/index.js';
import type { DemoAccount } from '../../../src/server/demo.js';
import { connectStore } from '../../../src/store/index.js';
import { tempDir } from '../../support/tmp.js';
import { ES256, SHA256, post } from '../support/csc-nodes.js';
import { startServe } from '../support/serve-process.js';
import { startOtlpReceiver, type ReceivedSpan } from './otlp-receiver.js';

/** The span and every ancestor of it within `spans`. */
function ancestry(spans: readonly ReceivedSpan[], span: ReceivedSpan): ReceivedSpan[] {
  const chain = [span];
  for (let s: ReceivedSpan | undefined = span; s !== undefined;) {
    const parentId: string = s.parentSpanId;
    s = spans.find((p) => p.spanId === parentId && p.traceId === span.traceId);
    if (s !== undefined) chain.push(s);
  }
  return chain;
}

describe('issue 17 traces: OTLP/HTTP export, W3C Trace Context in and out', () => {
  it('a signHash with a traceparent gives a server span continuing it, with db.transaction and key.sign children; logs and audit carry its trace id', async (t) => {
    const receiver = await startOtlpReceiver(t);
    const dataDir = join(tempDir(t, 'signet-traces-'), 'data');
    const server = await startServe(['--data', dataDir, '--demo'], {
      SIGNET_FAILED_REQUESTS_PER_MINUTE: '0',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_SERVICE_NAME: 'signet-under-test',
    });
    t.after(() => server.stop());
    const demo = JSON.parse(readFileSync(join(dataDir, 'demo.json'), 'utf8')) as DemoAccount;
    const login = await post(
      server,
      'auth/login',
      {},
      `Basic ${Buffer.from(`${demo.username}:${demo.password}`).toString('base64')}`,
    );
    assert.equal(login.status, 200, JSON.stringify(login.body));
    const bearer = `Bearer ${login.body['access_token'] as string}`;
    const hash = createHash('sha256').update('issue 17 traces').digest('base64');
    const authorized = await post(
      server,
      'credentials/authorize',
      {
        credentialID: demo.credentialID,
        numSignatures: 1,
        hashes: [hash],
        hashAlgorithmOID: SHA256,
        authData: [
          { id: 'PIN', value: demo.pin },
          { id: 'OTP', value: generateTotp(decodeBase32(demo.totpSecret), new Date()) },
        ],
      },
      bearer,
    );
    assert.equal(authorized.status, 200, JSON.stringify(authorized.body));

    const traceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    const signed = await fetch(`${server.url}/csc/v2/signatures/signHash`, {
      method: 'POST',
      headers: {
        authorization: bearer,
        'content-type': 'application/json',
        traceparent: `00-${traceId}-${callerSpanId}-01`,
      },
      body: JSON.stringify({
        credentialID: demo.credentialID,
        SAD: authorized.body['SAD'],
        hashes: [hash],
        hashAlgorithmOID: SHA256,
        signAlgo: ES256,
      }),
    });
    assert.equal(signed.status, 200, await signed.text());
    assert.equal(signed.headers.get('x-trace-id'), traceId);
    // Probes and scrapes make no spans, even when the caller sends a traceparent.
    const probeTrace = randomBytes(16).toString('hex');
    for (const path of ['/health/ready', '/metrics']) {
      const probe = await fetch(`${server.url}${path}`, {
        headers: { traceparent: `00-${probeTrace}-${callerSpanId}-01` },
      });
      assert.equal(probe.status, 200);
    }
    // SIGTERM: the server drains, then the span processor exports what it holds before exit.
    assert.equal(await server.stop(), 0, server.stderr());

    assert.ok(receiver.contentTypes.length > 0, 'the exporter sent something');
    const inTrace = receiver.spans.filter((s) => s.traceId === traceId);
    const root = inTrace.find((s) => s.parentSpanId === callerSpanId);
    assert.ok(
      root,
      `a span whose parent is the caller's; got ${JSON.stringify(inTrace.map((s) => s.name))}`,
    );
    assert.equal(root.name, 'POST /csc/v2/signatures/signHash');
    assert.equal(root.kind, 2, 'SpanKind SERVER');
    assert.equal(root.attributes['http.route'], '/csc/v2/signatures/signHash');
    assert.equal(root.attributes['http.response.status_code'], 200);
    assert.equal(root.serviceName, 'signet-under-test');
    const under = (name: string): ReceivedSpan[] =>
      inTrace.filter((s) => s.name === name && ancestry(inTrace, s).includes(root));
    assert.ok(under('db.transaction').length >= 1, 'a database transaction span under the request');
    const [keySign] = under('key.sign');
    assert.ok(keySign, 'a key operation span under the request');
    assert.equal(keySign.attributes['signet.key.backend'], 'software');
    assert.equal(keySign.attributes['signet.key.algorithm'], 'ECDSA-SHA-256');
    assert.ok(under('key.prepare').length === 1);
    // Every span of the trace hangs off the request's span (one tree).
    for (const span of inTrace)
      assert.ok(
        span === root || ancestry(inTrace, span).includes(root),
        `${span.name} is under the request`,
      );
    assert.deepEqual(
      receiver.spans.filter((s) => s.traceId === probeTrace),
      [],
    );
    // Requests without a traceparent start their own trace: the login's server span is a root.
    const loginSpan = receiver.spans.find((s) => s.name === 'POST /csc/v2/auth/login');
    assert.ok(loginSpan && loginSpan.parentSpanId === '' && loginSpan.traceId !== traceId);

    // The trace id in the log lines of the request and in the audit entry of the consumption.
    const lines = server
      .stdout()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { traceId?: string; msg?: string });
    assert.ok(
      lines.some((l) => l.traceId === traceId && l.msg === 'request completed'),
      'the access log line carries the trace id',
    );
    const store = await connectStore({ kind: 'sqlite', file: join(dataDir, 'signet.db') });
    t.after(() => store.close());
    const audited = await store.db
      .selectFrom('audit_log')
      .select(['event_type', 'trace_id'])
      .where('trace_id', '=', traceId)
      .execute();
    assert.ok(
      audited.some((row) => row.event_type === 'sad.consume'),
      JSON.stringify(audited),
    );
  });
});
