/**
 * Issue 17 (Traces): OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG as the OpenTelemetry SDK
 * environment specification defines them, read from the environment `signet serve` was given;
 * a value outside the specification stops the start with ERR_SERVER_CONFIG.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ROOT_CONTEXT, SpanKind, trace, TraceFlags } from '@opentelemetry/api';
import { SamplingDecision } from '@opentelemetry/sdk-trace-base';
import { samplerFromEnv, startTracing } from '../../../src/server/tracing/index.js';
import { startOtlpReceiver } from './otlp-receiver.js';

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const decide = (env: NodeJS.ProcessEnv, parentSampled?: boolean): SamplingDecision => {
  const parent =
    parentSampled === undefined
      ? ROOT_CONTEXT
      : trace.setSpanContext(ROOT_CONTEXT, {
          traceId,
          spanId: '00f067aa0ba902b7',
          traceFlags: parentSampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
          isRemote: true,
        });
  return samplerFromEnv(env).shouldSample(parent, traceId, 'request', SpanKind.SERVER, {}, []).decision;
};

describe('issue 17 traces: OTEL_TRACES_SAMPLER', () => {
  it('defaults to parentbased_always_on: roots are traced, an unsampled traceparent is followed', () => {
    assert.equal(decide({}), SamplingDecision.RECORD_AND_SAMPLED);
    assert.equal(decide({}, true), SamplingDecision.RECORD_AND_SAMPLED);
    assert.equal(decide({}, false), SamplingDecision.NOT_RECORD);
  });

  it('always_on, always_off, traceidratio with its argument, and the parentbased_ forms', () => {
    assert.equal(decide({ OTEL_TRACES_SAMPLER: 'always_on' }, false), SamplingDecision.RECORD_AND_SAMPLED);
    assert.equal(decide({ OTEL_TRACES_SAMPLER: 'always_off' }), SamplingDecision.NOT_RECORD);
    assert.equal(decide({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' }), SamplingDecision.NOT_RECORD);
    assert.equal(decide({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '1' }), SamplingDecision.RECORD_AND_SAMPLED);
    assert.equal(decide({ OTEL_TRACES_SAMPLER: 'parentbased_always_off' }), SamplingDecision.NOT_RECORD);
    assert.equal(decide({ OTEL_TRACES_SAMPLER: 'parentbased_always_off' }, true), SamplingDecision.RECORD_AND_SAMPLED);
    assert.equal(
      decide({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' }, true),
      SamplingDecision.RECORD_AND_SAMPLED,
    );
    assert.equal(decide({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' }), SamplingDecision.NOT_RECORD);
  });

  it('an unknown sampler or a ratio outside [0, 1] is ERR_SERVER_CONFIG naming the variable', () => {
    assert.throws(() => samplerFromEnv({ OTEL_TRACES_SAMPLER: 'sometimes' }), { code: 'ERR_SERVER_CONFIG', message: /OTEL_TRACES_SAMPLER / });
    assert.throws(() => samplerFromEnv({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '2' }), {
      code: 'ERR_SERVER_CONFIG',
      message: /OTEL_TRACES_SAMPLER_ARG/,
    });
  });

  it('the tracer of signet serve follows it: always_off exports nothing, always_on its span', async (t) => {
    const receiver = await startOtlpReceiver(t);
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_TRACES_SAMPLER: 'always_off' };
    const off = startTracing(env, { version: 'test', nodeId: 'node-a' });
    assert.ok(off);
    const unsampled = off.tracer.startSpan('unsampled request');
    assert.equal(unsampled.isRecording(), false);
    unsampled.end();
    await off.shutdown();
    const on = startTracing({ ...env, OTEL_TRACES_SAMPLER: 'always_on' }, { version: 'test', nodeId: 'node-a' });
    assert.ok(on);
    const sampled = on.tracer.startSpan('sampled request');
    assert.equal(sampled.isRecording(), true);
    sampled.end();
    await on.shutdown();
    assert.deepEqual(receiver.spans.map((s) => s.name), ['sampled request']);
  });
});
