/**
 * Admission control for hostile networks: {@linkcode RateLimiter} (a token
 * bucket per key, usually the client IP) and {@linkcode clientKeyOf} to group
 * IPv6 clients by /64 prefix; `ConnectionGate` (connection_gate.ts) builds
 * global and per-IP concurrent-connection caps plus a per-IP accept rate on
 * them.
 *
 * Data path: a protocol's accept loop calls `gate.admit(ip)` before it spends
 * anything on a socket (no read buffer, no task), closes the socket when the
 * answer is `{ ok: false }`, and calls `release()` when an admitted
 * connection ends. Request-rate checks (e.g. play requests) call
 * `limiter.tryAcquire(ip)`.
 *
 * What bounds memory: a limiter keeps at most `maxKeys` buckets (default
 * {@linkcode MAX_RATE_LIMITER_KEYS}, about 100 bytes each) in least-recently
 * used order and forgets idle ones (a bucket that has refilled is the same as
 * no bucket); the gate's per-IP counters exist only for IPs with open
 * connections, so they are bounded by `maxConnections`. Time comes from the
 * injected {@linkcode Clock}; nothing here arms a timer.
 *
 * @example Gate an accept loop
 * ```ts
 * import { ConnectionGate, ManualClock } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const gate = new ConnectionGate({
 *   maxConnections: 100, maxPerIp: 2, acceptsPerSecond: 10, acceptBurst: 5,
 *   clock: new ManualClock(),
 * });
 * const a = gate.admit("203.0.113.7");
 * const b = gate.admit("203.0.113.7");
 * const c = gate.admit("203.0.113.7");
 * assert.ok(a.ok && b.ok);
 * assert.deepEqual(c, { ok: false, reason: "maxPerIp" });
 * if (a.ok) a.release();
 * assert.equal(gate.activeFor("203.0.113.7"), 1);
 * ```
 *
 * @module
 */
import { type Clock, systemClock } from "./clock.ts";
import { positiveOption } from "./_check_option.ts";

/**
 * Default most keys a {@linkcode RateLimiter} remembers. 65,536 buckets cost
 * about 6 MiB, which covers every distinct client a single origin sees within
 * one refill period; an attacker with more source addresses (an IPv6 range)
 * only evicts the least recently used buckets, and a forgotten key starts
 * again with a full burst, never more.
 *
 * @example Bound a limiter below the default
 * ```ts
 * import { MAX_RATE_LIMITER_KEYS, RateLimiter } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const limiter = new RateLimiter({
 *   ratePerSecond: 1, burst: 1, maxKeys: Math.min(1_000, MAX_RATE_LIMITER_KEYS),
 * });
 * for (let i = 0; i < 5_000; i++) limiter.tryAcquire(`10.1.${i >> 8}.${i & 255}`);
 * assert.equal(limiter.size, 1_000);
 * ```
 */
export const MAX_RATE_LIMITER_KEYS = 65_536;

/**
 * Idle buckets examined (and dropped when refilled) per `tryAcquire` call:
 * constant work per call that still keeps the map free of stale keys.
 */
const PRUNE_PER_CALL = 2;

/**
 * Options of {@linkcode RateLimiter}.
 *
 * @example Ten requests per second, bursts of twenty
 * ```ts
 * import { ManualClock, RateLimiter, type RateLimiterOptions } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const options: RateLimiterOptions = { ratePerSecond: 10, burst: 20, clock: new ManualClock() };
 * const limiter = new RateLimiter(options);
 * assert.equal(limiter.available("192.0.2.1"), 20);
 * ```
 */
export interface RateLimiterOptions {
  /** Tokens added per second to each key's bucket (> 0). */
  ratePerSecond: number;
  /** Bucket capacity: the burst allowed after a quiet period (≥ 1). */
  burst: number;
  /** Most keys remembered; default {@linkcode MAX_RATE_LIMITER_KEYS}. */
  maxKeys?: number;
  /** Time source; default `systemClock`. */
  clock?: Clock;
}

interface Bucket {
  tokens: number;
  at: number;
}

const positive = (value: number, name: string, min: number): number =>
  positiveOption("rate limiter", value, name, min);

/**
 * A token bucket per key with bounded memory: each key may take `burst`
 * tokens at once and `ratePerSecond` on average.
 *
 * @example Limit play requests per client
 * ```ts
 * import { ManualClock, RateLimiter } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const clock = new ManualClock();
 * const limiter = new RateLimiter({ ratePerSecond: 2, burst: 3, clock });
 * assert.deepEqual(
 *   [1, 2, 3, 4].map(() => limiter.tryAcquire("198.51.100.1")),
 *   [true, true, true, false],
 * );
 * assert.equal(limiter.tryAcquire("198.51.100.2"), true); // other keys are independent
 * clock.advance(500); // one token back at 2 per second
 * assert.equal(limiter.tryAcquire("198.51.100.1"), true);
 * assert.equal(limiter.tryAcquire("198.51.100.1"), false);
 * ```
 */
export class RateLimiter {
  #rate: number;
  #burst: number;
  #maxKeys: number;
  #clock: Clock;
  /** Insertion order is recency order: the first entry is the least recently used. */
  #buckets = new Map<string, Bucket>();
  #denied = 0;

  /**
   * Create a limiter.
   *
   * @param options rate, burst, key cap and clock
   * @throws {StreamError} `InvalidInput` for a rate ≤ 0, a burst < 1 or maxKeys < 1
   */
  constructor(options: RateLimiterOptions) {
    this.#rate = positive(
      options.ratePerSecond,
      "ratePerSecond",
      Number.MIN_VALUE,
    );
    this.#burst = positive(options.burst, "burst", 1);
    this.#maxKeys = Math.floor(
      positive(options.maxKeys ?? MAX_RATE_LIMITER_KEYS, "maxKeys", 1),
    );
    this.#clock = options.clock ?? systemClock;
  }

  /**
   * Take `cost` tokens from `key`'s bucket if it has them.
   *
   * @param key the client (e.g. from {@linkcode clientKeyOf})
   * @param cost tokens to take (default 1)
   * @returns true when allowed (tokens taken), false when rate limited
   */
  tryAcquire(key: string, cost = 1): boolean {
    const now = this.#clock.now();
    this.#prune(now); // before touching `key`, so its own bucket is never dropped
    const bucket = this.#refilled(key, now);
    if (bucket.tokens >= cost) {
      bucket.tokens -= cost;
      return true;
    }
    this.#denied++;
    return false;
  }

  /**
   * Tokens `key` could take now (the full burst for an unknown key). Does not
   * change recency.
   *
   * @param key the client
   * @returns the available tokens (fractional)
   */
  available(key: string): number {
    const bucket = this.#buckets.get(key);
    if (bucket === undefined) return this.#burst;
    return this.#level(bucket, this.#clock.now());
  }

  /** Keys currently remembered (≤ `maxKeys`). */
  get size(): number {
    return this.#buckets.size;
  }

  /** Calls of `tryAcquire` that returned false, since creation. */
  get denied(): number {
    return this.#denied;
  }

  /**
   * Forget every bucket that has refilled (it behaves exactly like an unknown
   * key). `tryAcquire` already does a little of this on each call; call it
   * from a housekeeping timer to shrink the map after a burst of clients.
   *
   * @returns the number of keys dropped
   */
  prune(): number {
    const now = this.#clock.now();
    let dropped = 0;
    for (const [key, bucket] of this.#buckets) {
      if (this.#level(bucket, now) >= this.#burst) {
        this.#buckets.delete(key);
        dropped++;
      }
    }
    return dropped;
  }

  #level(bucket: Bucket, now: number): number {
    const elapsed = Math.max(0, now - bucket.at);
    return Math.min(this.#burst, bucket.tokens + (elapsed * this.#rate) / 1000);
  }

  #refilled(key: string, now: number): Bucket {
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      if (this.#buckets.size >= this.#maxKeys) {
        const oldest = this.#buckets.keys().next();
        if (!oldest.done) this.#buckets.delete(oldest.value);
      }
      bucket = { tokens: this.#burst, at: now };
    } else {
      bucket.tokens = this.#level(bucket, now);
      bucket.at = now;
      this.#buckets.delete(key); // move to the most recent end
    }
    this.#buckets.set(key, bucket);
    return bucket;
  }

  #prune(now: number): void {
    let examined = 0;
    for (const [key, bucket] of this.#buckets) {
      if (examined++ >= PRUNE_PER_CALL) break;
      if (this.#level(bucket, now) < this.#burst) break;
      this.#buckets.delete(key);
    }
  }
}

/**
 * The rate-limit key of a peer address: IPv4 as is, IPv4-mapped IPv6 as the
 * IPv4 address, other IPv6 addresses as their /64 prefix (one subscriber
 * usually owns a whole /64, so per-address limits would be trivial to dodge).
 *
 * @param hostname a `Deno.NetAddr` hostname
 * @returns the key
 *
 * @example Group IPv6 clients by /64
 * ```ts
 * import { clientKeyOf } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * assert.equal(clientKeyOf("203.0.113.5"), "203.0.113.5");
 * assert.equal(clientKeyOf("::ffff:203.0.113.5"), "203.0.113.5");
 * assert.equal(clientKeyOf("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
 * assert.equal(clientKeyOf("2001:db8:1:2::ffff"), "2001:db8:1:2::/64");
 * ```
 */
export function clientKeyOf(hostname: string): string {
  const host = hostname.startsWith("[") && hostname.endsWith("]")
    ? hostname.slice(1, -1)
    : hostname;
  if (!host.includes(":")) return host;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host);
  if (mapped) return mapped[1]!;
  const bare = host.split("%")[0]!.toLowerCase(); // drop a zone id
  const [head = "", tail] = bare.split("::", 2);
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const groups = tail === undefined ? left : [
    ...left,
    ...new Array(Math.max(0, 8 - left.length - right.length)).fill("0"),
    ...right,
  ];
  const prefix = groups.slice(0, 4).map((g) => (g.replace(/^0+(?=.)/, "")));
  while (prefix.length < 4) prefix.push("0");
  return `${prefix.join(":")}::/64`;
}
