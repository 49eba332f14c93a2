/**
 * Failed-login throttling, per user name and per client address, over a sliding window: after
 * `limit` failures within `windowSeconds`, further attempts are refused (before the directory is
 * asked) until the oldest of those failures leaves the window. A success resets the user's count
 * but not the address's: otherwise an attacker holding one valid account could log in with it
 * between guesses at other people's passwords.
 *
 * In memory, per process. DESIGN.md allows nothing in memory that correctness depends on; this is
 * not correctness but protection: with N instances an attacker gets at most N times the limit,
 * and a restart forgets the counts, which costs the protection a few minutes of attempts and never
 * lets in a wrong password or locks out a right one for good. A shared store can replace it
 * behind the same three methods when that is not enough.
 *
 * Memory is bounded: each key keeps at most `limit` timestamps, and each map at most `maxEntries`
 * keys, the least recently failed evicted first (and any whose failures have all left the window),
 * so an attacker cycling through names or addresses cannot grow it. IPv6 addresses count per /64,
 * the block one subscriber usually has, so changing address within it gains nothing.
 * @see https://owasp.org/www-community/controls/Blocking_Brute_Force_Attacks
 */
import { isIPv4, isIPv6 } from 'node:net';

export interface WindowLimit {
  /** Failures allowed within the window; the next attempt is refused. */
  limit: number;
  windowSeconds: number;
}

export interface RateLimitConfig {
  perUser: WindowLimit;
  perAddress: WindowLimit;
  /** Keys kept per map (users, addresses) before the least recently failed are evicted. */
  maxEntries?: number;
  /** Milliseconds since the epoch; injectable for tests. */
  now?: () => number;
}

/** Defaults: 5 failures per user and 20 per address in 15 minutes. */
export const DEFAULT_RATE_LIMITS: RateLimitConfig = {
  perUser: { limit: 5, windowSeconds: 15 * 60 },
  perAddress: { limit: 20, windowSeconds: 15 * 60 },
  maxEntries: 50_000,
};

export type RateLimitDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number; scope: 'user' | 'address' };

/** Failure timestamps of one key, oldest first, at most `limit` of them. */
class FailureWindows {
  readonly #byKey = new Map<string, number[]>();
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #maxEntries: number;

  constructor({ limit, windowSeconds }: WindowLimit, maxEntries: number) {
    if (!Number.isInteger(limit) || limit < 1 || !(windowSeconds > 0)) throw new RangeError('A rate limit needs a limit of at least 1 and a positive window');
    this.#limit = limit;
    this.#windowMs = windowSeconds * 1000;
    this.#maxEntries = maxEntries;
  }

  get size(): number {
    return this.#byKey.size;
  }

  /** Milliseconds until the key may try again, or 0. */
  waitMs(key: string, now: number): number {
    const failures = this.#recent(key, now);
    if (failures.length < this.#limit) return 0;
    return (failures[0] as number) + this.#windowMs - now;
  }

  record(key: string, now: number): void {
    const failures = this.#recent(key, now);
    failures.push(now);
    if (failures.length > this.#limit) failures.shift();
    // Re-inserting moves the key to the end: the map's order is least recently failed first.
    this.#byKey.delete(key);
    this.#byKey.set(key, failures);
    this.#evict(now);
  }

  reset(key: string): void {
    this.#byKey.delete(key);
  }

  #recent(key: string, now: number): number[] {
    const failures = this.#byKey.get(key) ?? [];
    while (failures.length > 0 && (failures[0] as number) <= now - this.#windowMs) failures.shift();
    return failures;
  }

  #evict(now: number): void {
    for (const [key, failures] of this.#byKey) {
      const expired = (failures.at(-1) ?? 0) <= now - this.#windowMs;
      if (!expired && this.#byKey.size <= this.#maxEntries) break;
      this.#byKey.delete(key);
    }
  }
}

export class LoginRateLimiter {
  readonly #users: FailureWindows;
  readonly #addresses: FailureWindows;
  readonly #now: () => number;

  constructor(config: RateLimitConfig = DEFAULT_RATE_LIMITS) {
    const maxEntries = config.maxEntries ?? DEFAULT_RATE_LIMITS.maxEntries ?? 50_000;
    this.#users = new FailureWindows(config.perUser, maxEntries);
    this.#addresses = new FailureWindows(config.perAddress, maxEntries);
    this.#now = config.now ?? Date.now;
  }

  /** May this user (when known: Basic credentials name one) try to log in from this address now? */
  check(user: string | undefined, address: string): RateLimitDecision {
    const now = this.#now();
    const userWait = user === undefined ? 0 : this.#users.waitMs(userKey(user), now);
    const addressWait = this.#addresses.waitMs(addressKey(address), now);
    if (userWait <= 0 && addressWait <= 0) return { allowed: true };
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(Math.max(userWait, addressWait) / 1000)), scope: userWait >= addressWait ? 'user' : 'address' };
  }

  recordFailure(user: string | undefined, address: string): void {
    const now = this.#now();
    if (user !== undefined) this.#users.record(userKey(user), now);
    this.#addresses.record(addressKey(address), now);
  }

  /** Resets the user's failures (the address's stay: see the file's comment). */
  recordSuccess(user: string): void {
    this.#users.reset(userKey(user));
  }

  /** How many users and addresses are tracked (for metrics and tests). */
  get size(): { users: number; addresses: number } {
    return { users: this.#users.size, addresses: this.#addresses.size };
  }
}

/** Directories compare login names without case: `Alice` and `alice` are one account. */
function userKey(user: string): string {
  return user.trim().toLowerCase();
}

/** An IPv4 address as is (also when IPv4-mapped), an IPv6 address as its /64 prefix. */
export function addressKey(address: string): string {
  const bare = address.replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  if (mapped) return mapped[1] as string;
  if (isIPv4(bare) || !isIPv6(bare)) return bare;
  const [head = '', tail] = bare.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups.slice(0, 4).map((group) => group.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
