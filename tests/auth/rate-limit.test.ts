/**
 * Failed-login throttling on a test clock: per user and per address, sliding windows, a success
 * resetting the user only, IPv6 counted per /64, and memory that stays bounded under a spray of
 * names and addresses.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { addressKey, DEFAULT_RATE_LIMITS, LoginRateLimiter, type RateLimitConfig } from '../../auth/rate-limit.ts';

function limiter(config: Partial<RateLimitConfig> = {}): { limiter: LoginRateLimiter; advance: (seconds: number) => void } {
  let t = Date.parse('2026-05-01T08:00:00Z');
  return { limiter: new LoginRateLimiter({ ...DEFAULT_RATE_LIMITS, ...config, now: () => t }), advance: (seconds) => (t += seconds * 1000) };
}

describe('failed-login rate limiting', () => {
  it('blocks a user after 5 failures in 15 minutes, until the oldest leaves the window', () => {
    const { limiter: l, advance } = limiter();
    for (let i = 0; i < 5; i++) {
      assert.deepEqual(l.check('alice', `10.0.0.${i}`), { allowed: true }, `attempt ${i + 1}`);
      l.recordFailure('alice', `10.0.0.${i}`);
      advance(60);
    }
    // Failures at 0, 1, 2, 3, 4 minutes; now 5 minutes: the first leaves the window at 15.
    assert.deepEqual(l.check('alice', '10.0.0.99'), { allowed: false, retryAfterSeconds: 600, scope: 'user' }, 'from any address');
    assert.deepEqual(l.check('ALICE ', '10.0.0.99'), { allowed: false, retryAfterSeconds: 600, scope: 'user' }, 'names compare without case');
    assert.deepEqual(l.check('bob', '10.0.0.99'), { allowed: true }, 'other users are not affected');
    advance(599);
    assert.equal(l.check('alice', '10.0.0.99').allowed, false);
    advance(1);
    assert.deepEqual(l.check('alice', '10.0.0.99'), { allowed: true }, 'one more try once the oldest failure has left the window');
    l.recordFailure('alice', '10.0.0.99');
    assert.deepEqual(l.check('alice', '10.0.0.99'), { allowed: false, retryAfterSeconds: 60, scope: 'user' }, 'sliding: the next oldest leaves a minute later');
  });

  it('blocks an address after 20 failures, whatever the user names', () => {
    const { limiter: l, advance } = limiter();
    for (let i = 0; i < 20; i++) {
      assert.equal(l.check(`user${i}`, '192.0.2.7').allowed, true);
      l.recordFailure(`user${i}`, '192.0.2.7');
      advance(1);
    }
    const decision = l.check('someone-new', '192.0.2.7');
    assert.equal(decision.allowed, false);
    assert.ok(!decision.allowed && decision.scope === 'address' && decision.retryAfterSeconds === 15 * 60 - 20);
    assert.equal(l.check('someone-new', '192.0.2.8').allowed, true);
    assert.equal(l.check(undefined, '192.0.2.7').allowed, false, 'also without a user name (a bad Negotiate token)');
  });

  it('a success resets the user, not the address', () => {
    const { limiter: l } = limiter({ perUser: { limit: 2, windowSeconds: 60 }, perAddress: { limit: 3, windowSeconds: 60 } });
    l.recordFailure('alice', '192.0.2.1');
    l.recordFailure('alice', '192.0.2.1');
    assert.equal(l.check('alice', '192.0.2.2').allowed, false);
    l.recordSuccess('Alice');
    assert.equal(l.check('alice', '192.0.2.2').allowed, true);
    l.recordFailure('bob', '192.0.2.1');
    l.recordSuccess('mallory');
    assert.equal(l.check('carol', '192.0.2.1').allowed, false, 'a valid login does not clear the address\'s failures');
  });

  it('counts an IPv6 /64 as one address, and IPv4-mapped addresses as IPv4', () => {
    assert.equal(addressKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
    assert.equal(addressKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff'), '2001:db8:1:2::/64');
    assert.equal(addressKey('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(addressKey('::1'), '0:0:0:0::/64');
    assert.equal(addressKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
    assert.equal(addressKey('::ffff:192.0.2.1'), '192.0.2.1');
    assert.equal(addressKey('192.0.2.1'), '192.0.2.1');
    assert.equal(addressKey('not-an-ip'), 'not-an-ip');
    const { limiter: l } = limiter({ perAddress: { limit: 2, windowSeconds: 60 } });
    l.recordFailure(undefined, '2001:db8:1:2::a');
    l.recordFailure(undefined, '2001:db8:1:2::b');
    assert.equal(l.check(undefined, '2001:db8:1:2::c').allowed, false);
    assert.equal(l.check(undefined, '2001:db8:1:3::c').allowed, true);
  });

  it('keeps memory bounded: old entries are evicted, expired ones dropped', () => {
    const { limiter: l, advance } = limiter({ maxEntries: 100 });
    for (let i = 0; i < 10_000; i++) l.recordFailure(`user${i}`, `198.51.${i >> 8}.${i & 255}`);
    assert.deepEqual(l.size, { users: 100, addresses: 100 });
    assert.equal(l.check('user0', '203.0.113.1').allowed, true, 'the least recently failed were evicted');
    advance(16 * 60);
    l.recordFailure('late', '203.0.113.1');
    assert.deepEqual(l.size, { users: 1, addresses: 1 }, 'entries whose failures all left the window are dropped');
  });

  it('keeps at most `limit` timestamps per key however many failures', () => {
    const { limiter: l } = limiter({ perUser: { limit: 3, windowSeconds: 60 } });
    for (let i = 0; i < 1000; i++) l.recordFailure('alice', '192.0.2.1');
    const decision = l.check('alice', '192.0.2.9');
    assert.equal(decision.allowed, false);
  });

  it('refuses nonsense limits', () => {
    assert.throws(() => new LoginRateLimiter({ perUser: { limit: 0, windowSeconds: 60 }, perAddress: { limit: 1, windowSeconds: 60 } }), RangeError);
    assert.throws(() => new LoginRateLimiter({ perUser: { limit: 1, windowSeconds: 0 }, perAddress: { limit: 1, windowSeconds: 60 } }), RangeError);
  });
});
