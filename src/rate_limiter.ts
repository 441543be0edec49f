/**
 * Admission control for hostile networks: {@linkcode RateLimiter} (a token
 * bucket per key, usually the client IP) and {@linkcode ConnectionGate}
 * (global and per-IP concurrent-connection caps plus a per-IP accept rate),
 * with {@linkcode clientKeyOf} to group IPv6 clients by /64 prefix.
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
import { StreamError } from "../media/stream_error.ts";

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

function positive(value: number, name: string, min: number): number {
  if (!Number.isFinite(value) || value < min) {
    throw new StreamError(
      "InvalidInput",
      `Cannot create rate limiter: ${name} must be a number ≥ ${min}, got ${value}`,
    );
  }
  return value;
}

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
 * Why {@linkcode ConnectionGate.admit} refused a connection.
 *
 * @example Map a refusal to a log reason
 * ```ts
 * import type { GateRefusal } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const text: Record<GateRefusal, string> = {
 *   maxConnections: "server full", maxPerIp: "too many from this address",
 *   rateLimited: "connecting too fast",
 * };
 * assert.equal(text.maxPerIp, "too many from this address");
 * ```
 */
export type GateRefusal = "maxConnections" | "maxPerIp" | "rateLimited";

/**
 * The answer of {@linkcode ConnectionGate.admit}: a `release` to call exactly
 * once when the admitted connection ends (later calls do nothing), or the
 * reason of a refusal.
 *
 * @example Branch on the decision
 * ```ts
 * import { ConnectionGate, type GateDecision } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const gate = new ConnectionGate({ maxConnections: 1 });
 * const first: GateDecision = gate.admit("192.0.2.1");
 * const second: GateDecision = gate.admit("192.0.2.2");
 * assert.equal(second.ok ? "admitted" : second.reason, "maxConnections");
 * if (first.ok) first.release();
 * ```
 */
export type GateDecision =
  | { readonly ok: true; readonly release: () => void }
  | { readonly ok: false; readonly reason: GateRefusal };

/**
 * Default connections per IP. Players behind one NAT share an address, so
 * this is generous; it stops one host from taking the whole global cap.
 *
 * @example The per-IP default applies when `maxPerIp` is not given
 * ```ts
 * import { ConnectionGate, DEFAULT_MAX_CONNECTIONS_PER_IP } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const gate = new ConnectionGate({ maxConnections: 1_000, acceptBurst: 1_000 });
 * let admitted = 0;
 * for (let i = 0; i < 100; i++) if (gate.admit("192.0.2.8").ok) admitted++;
 * assert.equal(admitted, DEFAULT_MAX_CONNECTIONS_PER_IP);
 * ```
 */
export const DEFAULT_MAX_CONNECTIONS_PER_IP = 64;
/**
 * Default sustained new connections per second per IP: a player reconnects
 * or opens a few segment requests per second, an attacker hundreds.
 *
 * @example One second refills the default rate
 * ```ts
 * import {
 *   ConnectionGate, DEFAULT_ACCEPT_BURST, DEFAULT_ACCEPTS_PER_SECOND, ManualClock,
 * } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const clock = new ManualClock();
 * const gate = new ConnectionGate({ maxConnections: 10_000, maxPerIp: 10_000, clock });
 * const burst = Array.from({ length: 100 }, () => gate.admit("192.0.2.9"));
 * assert.equal(burst.filter((d) => d.ok).length, DEFAULT_ACCEPT_BURST);
 * clock.advance(1_000);
 * const next = Array.from({ length: 100 }, () => gate.admit("192.0.2.9"));
 * assert.equal(next.filter((d) => d.ok).length, DEFAULT_ACCEPTS_PER_SECOND);
 * ```
 */
export const DEFAULT_ACCEPTS_PER_SECOND = 20;
/**
 * Default accept burst per IP (a page opening many segments at once).
 *
 * @example Read the default
 * ```ts
 * import { DEFAULT_ACCEPT_BURST, DEFAULT_ACCEPTS_PER_SECOND } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * assert.ok(DEFAULT_ACCEPT_BURST >= DEFAULT_ACCEPTS_PER_SECOND);
 * ```
 */
export const DEFAULT_ACCEPT_BURST = 40;

/**
 * Options of {@linkcode ConnectionGate}.
 *
 * @example A gate for an RTMP ingest port
 * ```ts
 * import { ConnectionGate, type ConnectionGateOptions } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const options: ConnectionGateOptions = {
 *   maxConnections: 1_000, maxPerIp: 8, acceptsPerSecond: 5, acceptBurst: 10,
 * };
 * const gate = new ConnectionGate(options);
 * assert.equal(gate.active, 0);
 * ```
 */
export interface ConnectionGateOptions {
  /** Concurrent connections over all IPs (required bound on tasks and buffers). */
  maxConnections: number;
  /** Concurrent connections per IP; default {@linkcode DEFAULT_MAX_CONNECTIONS_PER_IP}. */
  maxPerIp?: number;
  /** New connections per second per IP; default {@linkcode DEFAULT_ACCEPTS_PER_SECOND}. */
  acceptsPerSecond?: number;
  /** Accept burst per IP; default {@linkcode DEFAULT_ACCEPT_BURST}. */
  acceptBurst?: number;
  /** Most IPs whose accept rate is remembered; default {@linkcode MAX_RATE_LIMITER_KEYS}. */
  maxKeys?: number;
  /** Time source; default `systemClock`. */
  clock?: Clock;
}

/**
 * Counts of admissions and refusals by reason (for metrics and audit).
 *
 * @example Export as metrics
 * ```ts
 * import { ConnectionGate, type GateStats } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const gate = new ConnectionGate({ maxConnections: 1 });
 * gate.admit("192.0.2.1");
 * gate.admit("192.0.2.2");
 * const stats: GateStats = gate.stats;
 * assert.deepEqual(stats, {
 *   active: 1, admitted: 1, maxConnections: 1, maxPerIp: 0, rateLimited: 0,
 * });
 * ```
 */
export interface GateStats {
  /** Connections admitted and not yet released. */
  readonly active: number;
  /** Connections admitted since creation. */
  readonly admitted: number;
  /** Refusals because the global cap was reached. */
  readonly maxConnections: number;
  /** Refusals because the IP had `maxPerIp` open connections. */
  readonly maxPerIp: number;
  /** Refusals because the IP connected faster than its accept rate. */
  readonly rateLimited: number;
}

/**
 * Admission for an accept loop: at most `maxConnections` open connections,
 * at most `maxPerIp` per client IP, and a per-IP token bucket on new
 * connections. Every attempt costs the IP one accept token, so a flood of
 * refused attempts is itself limited.
 *
 * @example Per-IP accept rate
 * ```ts
 * import { ConnectionGate, ManualClock } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const clock = new ManualClock();
 * const gate = new ConnectionGate({
 *   maxConnections: 1_000, acceptsPerSecond: 1, acceptBurst: 2, clock,
 * });
 * const results = [0, 1, 2].map(() => gate.admit("10.0.0.9"));
 * assert.deepEqual(results.map((r) => r.ok), [true, true, false]);
 * assert.equal(gate.stats.rateLimited, 1);
 * for (const r of results) if (r.ok) r.release();
 * assert.equal(gate.active, 0);
 * ```
 */
export class ConnectionGate {
  #max: number;
  #maxPerIp: number;
  #rate: RateLimiter;
  #perIp = new Map<string, number>();
  #active = 0;
  #admitted = 0;
  #refused = { maxConnections: 0, maxPerIp: 0, rateLimited: 0 };

  /**
   * Create a gate.
   *
   * @param options caps, accept rate and clock
   * @throws {StreamError} `InvalidInput` for a cap < 1 or a bad rate
   */
  constructor(options: ConnectionGateOptions) {
    this.#max = Math.floor(
      positive(options.maxConnections, "maxConnections", 1),
    );
    this.#maxPerIp = Math.floor(
      positive(
        options.maxPerIp ?? DEFAULT_MAX_CONNECTIONS_PER_IP,
        "maxPerIp",
        1,
      ),
    );
    this.#rate = new RateLimiter({
      ratePerSecond: options.acceptsPerSecond ?? DEFAULT_ACCEPTS_PER_SECOND,
      burst: options.acceptBurst ?? DEFAULT_ACCEPT_BURST,
      ...(options.maxKeys === undefined ? {} : { maxKeys: options.maxKeys }),
      ...(options.clock === undefined ? {} : { clock: options.clock }),
    });
  }

  /**
   * Decide on a new connection from `ip`.
   *
   * @param ip the peer address (pass it through {@linkcode clientKeyOf} for IPv6)
   * @returns `{ ok: true, release }` or `{ ok: false, reason }`
   */
  admit(ip: string): GateDecision {
    if (!this.#rate.tryAcquire(ip)) return this.#refuse("rateLimited");
    const open = this.#perIp.get(ip) ?? 0;
    if (open >= this.#maxPerIp) return this.#refuse("maxPerIp");
    if (this.#active >= this.#max) return this.#refuse("maxConnections");
    this.#perIp.set(ip, open + 1);
    this.#active++;
    this.#admitted++;
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.#active--;
        const left = (this.#perIp.get(ip) ?? 1) - 1;
        if (left <= 0) this.#perIp.delete(ip);
        else this.#perIp.set(ip, left);
      },
    };
  }

  /** Open connections over all IPs. */
  get active(): number {
    return this.#active;
  }

  /**
   * Open connections of one IP.
   *
   * @param ip the peer address as given to `admit`
   * @returns the count (0 when none)
   */
  activeFor(ip: string): number {
    return this.#perIp.get(ip) ?? 0;
  }

  /** Admission and refusal counters. */
  get stats(): GateStats {
    return {
      active: this.#active,
      admitted: this.#admitted,
      ...this.#refused,
    };
  }

  /** IPs tracked (open connections plus remembered accept buckets). */
  get trackedKeys(): number {
    return this.#perIp.size + this.#rate.size;
  }

  #refuse(reason: GateRefusal): GateDecision {
    this.#refused[reason]++;
    return { ok: false, reason };
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
