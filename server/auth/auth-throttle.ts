/**
 * Throttles failed authentications per username and per client address, in Redis so that every
 * receiver process shares the counts. A count starts with its first failure and lasts its window;
 * once it reaches its limit, every attempt on that username or from that address is refused with
 * 429 and Retry-After until the window ends — the right password too, or guessing would still pay.
 * A success clears its username's count (as CommCare HQ clears `login_attempts`) but not the
 * address's, so one known account cannot launder guesses at others. Checking costs one Redis round
 * trip and no delay: successes are not slowed.
 *
 * Redis is shared infrastructure, not a gate: while it is unreachable, authentication goes on
 * unthrottled (logged), rather than refusing every device.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../../runtime/contract/index.js';

export interface ThrottleLimit {
  maxFailures: number;
  windowSeconds: number;
}

export interface AuthThrottleOptions {
  perUser: ThrottleLimit;
  perAddress: ThrottleLimit;
  /** Prefix of the Redis keys (tests give each file its own). */
  keyPrefix: string;
}

/** Why an attempt is refused before its credentials are checked. */
export interface ThrottleLock {
  scope: 'user' | 'address';
  retryAfterSeconds: number;
}

export class AuthThrottle {
  private lastUnavailableLogMs = 0;

  constructor(
    private readonly redis: Redis,
    private readonly options: AuthThrottleOptions,
    private readonly logger: Logger,
  ) {}

  private keys(username: string, address: string): [string, string] {
    return [`${this.options.keyPrefix}user:${username}`, `${this.options.keyPrefix}addr:${address}`];
  }

  /**
   * The lock in force for this username or address (null when none, and while Redis is
   * unreachable), and the username's failures so far (a success needs to clear only a count > 0).
   */
  async check(
    username: string,
    address: string,
  ): Promise<{ lock: ThrottleLock | null; userFailures: number }> {
    const [userKey, addressKey] = this.keys(username, address);
    try {
      const [user, fromAddress] = await this.redis.mget(userKey, addressKey);
      const userFailures = Number(user);
      const locked: [ThrottleLock['scope'], string] | null =
        userFailures >= this.options.perUser.maxFailures
          ? ['user', userKey]
          : Number(fromAddress) >= this.options.perAddress.maxFailures
            ? ['address', addressKey]
            : null;
      if (!locked) return { lock: null, userFailures };
      const ttlMs = await this.redis.pttl(locked[1]);
      return {
        lock: { scope: locked[0], retryAfterSeconds: Math.max(1, Math.ceil(ttlMs / 1000)) },
        userFailures,
      };
    } catch (error) {
      this.unavailable(error);
      return { lock: null, userFailures: 0 };
    }
  }

  /** Counts a failure against both; logs when either reaches its limit. */
  async recordFailure(username: string, address: string): Promise<void> {
    const [userKey, addressKey] = this.keys(username, address);
    const { perUser, perAddress } = this.options;
    try {
      const results = await this.redis
        .multi()
        .incr(userKey)
        .expire(userKey, perUser.windowSeconds, 'NX')
        .incr(addressKey)
        .expire(addressKey, perAddress.windowSeconds, 'NX')
        .exec();
      const userCount = Number(results?.[0]?.[1]);
      const addressCount = Number(results?.[2]?.[1]);
      if (userCount === perUser.maxFailures)
        this.logger.warn(
          { username, address, failures: userCount, windowSeconds: perUser.windowSeconds },
          'Too many failed authentications for this username: it is locked until its window ends.',
        );
      if (addressCount === perAddress.maxFailures)
        this.logger.warn(
          { username, address, failures: addressCount, windowSeconds: perAddress.windowSeconds },
          'Too many failed authentications from this address: it is locked until its window ends.',
        );
    } catch (error) {
      this.unavailable(error);
    }
  }

  /** Clears the username's count after a successful authentication. */
  async recordSuccess(username: string): Promise<void> {
    try {
      await this.redis.del(this.keys(username, '')[0]);
    } catch (error) {
      this.unavailable(error);
    }
  }

  private unavailable(error: unknown): void {
    const now = Date.now();
    if (now - this.lastUnavailableLogMs < 60_000) return;
    this.lastUnavailableLogMs = now;
    this.logger.warn(
      { err: (error as Error).message },
      'Redis is unavailable: failed authentications are not throttled until it is back.',
    );
  }
}
