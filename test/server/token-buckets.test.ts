/** The in-process token buckets and source keys behind the request limits (docs/security.md DOS-17). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sourceKey } from '../../src/server/request-limits.js';
import { TokenBuckets } from '../../src/server/token-buckets.js';

function clockAt(start: number): { now: () => Date; advance: (ms: number) => void } {
  let t = start;
  return { now: () => new Date(t), advance: (ms) => void (t += ms) };
}

describe('TokenBuckets', () => {
  it('a full bucket of perMinute tokens, refilled continuously, never above perMinute', () => {
    const clock = clockAt(0);
    const buckets = new TokenBuckets(60, clock);
    for (let i = 0; i < 60; i++) assert.ok(buckets.take('a'), `token ${i}`);
    assert.equal(buckets.take('a'), false);
    assert.equal(buckets.retryAfterSeconds('a'), 1, 'one token a second at 60/min');
    assert.ok(buckets.take('b'), 'keys are independent');
    clock.advance(999);
    assert.equal(buckets.take('a'), false);
    clock.advance(1);
    assert.ok(buckets.take('a'));
    clock.advance(10 * 60_000);
    for (let i = 0; i < 60; i++) assert.ok(buckets.take('a'));
    assert.equal(buckets.take('a'), false, 'a long pause refills to the cap, not beyond');
  });

  it('give() returns a token up to the cap; Retry-After scales with the rate', () => {
    const clock = clockAt(0);
    const buckets = new TokenBuckets(6, clock);
    for (let i = 0; i < 6; i++) buckets.take('k');
    assert.equal(buckets.retryAfterSeconds('k'), 10);
    buckets.give('k');
    assert.ok(buckets.take('k'));
    buckets.give('fresh');
    for (let i = 0; i < 6; i++) assert.ok(buckets.take('fresh'));
    assert.equal(buckets.take('fresh'), false);
  });

  it('holds at most maxKeys buckets, dropping the least recently used', () => {
    const clock = clockAt(0);
    const buckets = new TokenBuckets(1, clock, 3);
    for (const k of ['a', 'b', 'c']) assert.ok(buckets.take(k));
    assert.equal(buckets.take('a'), false, 'a is now the most recently used');
    assert.ok(buckets.take('d'), 'd evicts b, the least recently used');
    assert.ok(buckets.take('b'), 'b starts again full');
    assert.equal(buckets.take('a'), false, 'a was kept');
  });
});

describe('sourceKey', () => {
  it('IPv4 as is (also IPv4-mapped IPv6); IPv6 by its /64', () => {
    assert.equal(sourceKey('192.0.2.7'), '192.0.2.7');
    assert.equal(sourceKey('::ffff:192.0.2.7'), '192.0.2.7');
    assert.equal(sourceKey('2001:db8:0:1::1'), '2001:db8:0:1::/64');
    assert.equal(sourceKey('2001:0db8:0000:0001:ffff:1:2:3'), '2001:db8:0:1::/64');
    assert.equal(sourceKey('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(sourceKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
    assert.equal(sourceKey('::1'), '0:0:0:0::/64');
    assert.notEqual(sourceKey('2001:db8:0:1::1'), sourceKey('2001:db8:0:2::1'));
  });
});
