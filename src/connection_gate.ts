/**
 * {@linkcode ConnectionGate}: global and per-IP concurrent-connection caps
 * plus a per-IP accept rate (a {@linkcode RateLimiter}), decided in a
 * protocol's accept loop before it spends anything on a socket.
 *
 * Data path: the accept loop calls `gate.admit(ip)` (pass the address through
 * `clientKeyOf` so IPv6 clients count per /64), closes the socket when the
 * answer is `{ ok: false }`, and calls `release()` when an admitted
 * connection ends. Memory: per-IP counters exist only for IPs with open
 * connections (bounded by `maxConnections`), plus the limiter's bounded
 * buckets. Time comes from the injected clock; nothing here arms a timer.
 *
 * @module
 */
import { positiveOption } from "./_check_option.ts";
import type { Clock } from "./clock.ts";
import { RateLimiter } from "./rate_limiter.ts";

const positive = (value: number, name: string, min: number): number =>
  positiveOption("connection gate", value, name, min);

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
  /** Most IPs whose accept rate is remembered; default `MAX_RATE_LIMITER_KEYS`. */
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
