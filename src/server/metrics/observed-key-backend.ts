/**
 * A KeyBackend decorator that times and counts every key operation (signet_signatures_total,
 * signet_key_operation_duration_seconds) and, with tracing on, wraps it in a child span of the
 * request: `key.prepare` (find and unwrap the key) and `key.sign`. The key stays where it is.
 */
import type { KeyObject } from 'node:crypto';
import { SpanStatusCode, type Tracer } from '@opentelemetry/api';
import { monotonicMs } from '../../core/clock.js';
import {
  prepareKey,
  type KeyBackend,
  type KeyRef,
  type MessageSignRequest,
  type PreparedKey,
  type SignRequest,
} from '../../keys/index.js';
import type { SignetMetrics } from './signet-metrics.js';

/** Runs `fn` inside a span named `name` when `tracer` is given; otherwise just runs it. */
export async function inSpan<T>(
  tracer: Tracer | undefined,
  name: string,
  attributes: Record<string, string>,
  fn: () => Promise<T>,
): Promise<T> {
  if (tracer === undefined) return fn();
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn();
    } catch (err) {
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: err instanceof Error ? err.name : 'error',
      });
      throw err;
    } finally {
      span.end();
    }
  });
}

/**
 * `backend` observed through `metrics` (and `tracer`, when tracing is on), labelled `label`.
 *
 * @example
 * ```ts
 * backends.set('software', observeKeyBackend(keystore, metrics, tracer));
 * ```
 */
export function observeKeyBackend(
  backend: KeyBackend,
  metrics: SignetMetrics,
  tracer: Tracer | undefined,
  label: string = backend.kind,
): KeyBackend {
  // The `backend` label: the backend's kind, or its configured name (`remote:NAME`, one of the
  // SIGNET_TOKEN_SERVERS, a bounded set), so a failing token server shows by name (issue 16 §2).
  const kind = label;
  const signWith = async <R extends SignRequest | MessageSignRequest>(
    sign: (request: R) => Promise<Uint8Array>,
    request: R,
  ): Promise<Uint8Array> => {
    const algorithm = `${request.scheme}-${request.digestAlgorithm}`;
    const started = monotonicMs();
    let outcome = 'failure';
    try {
      const signature = await inSpan(
        tracer,
        'key.sign',
        { 'signet.key.backend': kind, 'signet.key.algorithm': algorithm },
        () => sign(request),
      );
      outcome = 'success';
      return signature;
    } finally {
      metrics.keyOperationDuration.observe(
        { backend: kind, operation: 'sign' },
        (monotonicMs() - started) / 1000,
      );
      metrics.signatures.inc({ backend: kind, algorithm, outcome });
    }
  };
  const prepare = async (ref: KeyRef): Promise<PreparedKey> => {
    const started = monotonicMs();
    try {
      const key = await inSpan(tracer, 'key.prepare', { 'signet.key.backend': kind }, () =>
        prepareKey(backend, ref),
      );
      const { signMessage, signChecked } = key;
      return {
        sign: (request) => signWith((r) => key.sign(r), request),
        ...(signMessage === undefined
          ? {}
          : { signMessage: (request: MessageSignRequest) => signWith((r) => signMessage.call(key, r), request) }),
        ...(signChecked === undefined
          ? {}
          : { signChecked: (request: SignRequest, publicKey: KeyObject) => signWith((r) => signChecked.call(key, r, publicKey), request) }),
      };
    } finally {
      metrics.keyOperationDuration.observe(
        { backend: kind, operation: 'prepare' },
        (monotonicMs() - started) / 1000,
      );
    }
  };
  return {
    kind: backend.kind,
    generateKey: (spec, label) => backend.generateKey(spec, label),
    getPublicKey: (ref) => backend.getPublicKey(ref),
    sign: (ref, request) => signWith((r) => backend.sign(ref, r), request),
    ...(backend.signMessage === undefined
      ? {}
      : { signMessage: (ref: KeyRef, request: MessageSignRequest) => signWith((r) => (backend.signMessage as NonNullable<KeyBackend['signMessage']>).call(backend, ref, r), request) }),
    destroyKey: (ref) => backend.destroyKey(ref),
    health: () => backend.health(),
    close: () => backend.close(),
    prepareKey: prepare,
  };
}
