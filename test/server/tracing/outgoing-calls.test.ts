/**
 * Issue 17 (Traces), the outgoing side: inside a traced request, a `fetch` call (the TSA, OCSP and
 * CRL clients, OAuth exchanges) and a CSC client call (the gateway's provider calls) are client
 * spans of their own and carry a W3C `traceparent` naming that span (W3C Trace Context §3.2);
 * untraced code sends none. Without the OTel endpoint variable tracing does not start.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { trace } from '@opentelemetry/api';
import { CscClient } from '../../../src/csc/client/index.js';
import { startTracing, tracingRequested } from '../../../src/server/tracing/index.js';
import { startOtlpReceiver } from './otlp-receiver.js';

const traceparent = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;

describe('issue 17 traces: outgoing calls carry the trace (W3C Trace Context)', () => {
  it('tracing starts only with an OTLP endpoint (and not with OTEL_SDK_DISABLED)', () => {
    assert.equal(tracingRequested({}), false);
    assert.equal(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: '' }), false);
    assert.equal(
      tracingRequested({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
        OTEL_SDK_DISABLED: 'true',
      }),
      false,
    );
    assert.equal(
      tracingRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' }),
      true,
    );
    assert.equal(startTracing({}, { version: '0', nodeId: 'n' }), undefined);
  });

  it('a fetch and a CSC client call under a span are child spans and send their traceparent', async (t) => {
    const seen: IncomingHttpHeaders[] = [];
    const target = createServer((req, res) => {
      seen.push(req.headers);
      req.resume();
      req.on('end', () =>
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"specs":"2.0.0.0"}'),
      );
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => target.close(() => resolve())));
    const url = `http://127.0.0.1:${(target.address() as { port: number }).port}`;

    const receiver = await startOtlpReceiver(t);
    const tracing = startTracing(
      { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint },
      { version: '0', nodeId: 'test' },
    );
    assert.ok(tracing);
    let stopped = false;
    t.after(async () => {
      if (!stopped) await tracing.shutdown();
    });
    // Untraced: no span active, nothing added.
    await (await fetch(`${url}/untraced`)).text();
    const client = new CscClient({ baseUrl: `${url}/csc/v2`, auth: { kind: 'none' } });
    const parent = await tracing.tracer.startActiveSpan('test request', async (span) => {
      await (await fetch(`${url}/pki/tsa`, { method: 'POST', body: 'x' })).text();
      await client.info().catch(() => undefined);
      span.end();
      return span.spanContext();
    });
    await tracing.shutdown();
    stopped = true;
    assert.equal(trace.getActiveSpan(), undefined);

    assert.equal(seen.length, 3);
    assert.equal(seen[0]?.['traceparent'], undefined, 'an untraced call sends no traceparent');
    const spans = receiver.spans.filter((s) => s.traceId === parent.traceId);
    for (const [i, name] of [
      [1, 'POST'],
      [2, 'csc info'],
    ] as const) {
      const header = traceparent.exec(String(seen[i]?.['traceparent']));
      assert.ok(header, `call ${i} carries a traceparent: ${String(seen[i]?.['traceparent'])}`);
      assert.equal(header[1], parent.traceId);
      const client = spans.find((s) => s.spanId === header[2]);
      assert.ok(client, `the traceparent names an exported span (${name})`);
      assert.equal(client.name, name);
      assert.equal(client.kind, 3, 'SpanKind CLIENT');
      assert.equal(client.parentSpanId, parent.spanId);
    }
  });
});
