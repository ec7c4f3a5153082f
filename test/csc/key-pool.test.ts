/**
 * The key choice of a credential on several tokens (issue 16 §2, src/csc/key-pool.ts): least busy
 * by signatures in flight, ties to the least recently chosen, a failed key out for a back-off of
 * 1 s doubling to 30 s and back after it, and every key still tried in order of its back-off's end
 * when all are out. Time is a test clock.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KeyPool, keyRetryAfterMs, maxKeyRetryAfterMs } from '../../src/csc/index.js';

function testClock(): { now(): Date; advance(ms: number): void } {
  let t = 1_700_000_000_000;
  return { now: () => new Date(t), advance: (ms) => void (t += ms) };
}

const a = { backendKind: 'remote:t1', keyRef: 'pkcs11:token=card-1;object=k' };
const b = { backendKind: 'remote:t2', keyRef: 'pkcs11:token=card-2;object=k' };
const c = { backendKind: 'remote:t3', keyRef: 'pkcs11:token=card-3;object=k' };

describe('KeyPool: the least busy healthy key', () => {
  it('orders by signatures in flight; ties go to the key chosen least recently', () => {
    const pool = new KeyPool(testClock());
    assert.deepEqual(pool.order([a, b, c]), [a, b, c], 'untouched keys keep the credential order');
    const releaseA = pool.acquire(a, 10);
    const releaseB = pool.acquire(b, 3);
    assert.deepEqual(pool.order([a, b, c]), [c, b, a]);
    releaseA();
    releaseA();
    assert.equal(pool.stateOf(a).inFlight, 0, 'a release counts once');
    releaseB();
    // All idle: c was never chosen, then a (chosen before b).
    assert.deepEqual(pool.order([a, b, c]), [c, a, b]);
    pool.acquire(c, 1)();
    assert.deepEqual(pool.order([a, b, c]), [a, b, c], 'sequential requests alternate');
  });

  it('takes a failed key out for 1 s, doubling to 30 s; a success brings it back at once', () => {
    const clock = testClock();
    const pool = new KeyPool(clock);
    pool.failed(a);
    assert.equal(pool.stateOf(a).available, false);
    assert.deepEqual(pool.order([a, b]), [b, a], 'the failed key comes last');
    clock.advance(keyRetryAfterMs);
    assert.equal(pool.stateOf(a).available, true, 'tried again after its back-off');
    const backoffs: number[] = [];
    for (let i = 0; i < 8; i++) {
      pool.failed(a);
      backoffs.push((pool.stateOf(a).retryAt?.getTime() ?? 0) - clock.now().getTime());
    }
    assert.deepEqual(backoffs, [
      2_000,
      4_000,
      8_000,
      16_000,
      maxKeyRetryAfterMs,
      maxKeyRetryAfterMs,
      maxKeyRetryAfterMs,
      maxKeyRetryAfterMs,
    ]);
    pool.succeeded(a);
    assert.deepEqual(pool.stateOf(a), {
      inFlight: 0,
      available: true,
      failures: 0,
      retryAt: undefined,
    });
  });

  it('with every key out, orders them by the end of their back-off', () => {
    const clock = testClock();
    const pool = new KeyPool(clock);
    pool.failed(b);
    pool.failed(b); // 2 s
    pool.failed(a); // 1 s
    assert.deepEqual(pool.order([a, b]), [a, b]);
    clock.advance(1_500);
    assert.deepEqual(pool.order([a, b]), [a, b], 'a is back, b still out');
  });
});
