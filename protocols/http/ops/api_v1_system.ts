/**
 * Process figures for `GET /api/v1/server` and the metrics: CPU (sampled on
 * request, the delta since the last sample), memory, and bandwidth in/out
 * (a rate over the last seconds from cumulative byte counters).
 *
 * Data path: nothing but a few numbers per sampler; every sample is taken
 * when asked (no timer), and each sampler keeps at most
 * {@linkcode RateMeter}'s few last points.
 *
 * @module
 */
import process from "node:process";

/** Shortest sampling interval, ms: an earlier request gets the last value. */
const MIN_CPU_INTERVAL_MS = 500;

/**
 * Process CPU, % of one core over the last sampling interval (from
 * `process.cpuUsage()`, user + system), sampled when asked.
 *
 * @example
 * ```ts
 * import { CpuSampler } from "@arcly/stream/http";
 * import assert from "node:assert/strict";
 *
 * const cpu = new CpuSampler();
 * assert.ok(cpu.percent() >= 0);
 * ```
 */
export class CpuSampler {
  #lastUsage: number;
  #lastAt: number;
  #percent = 0;
  #now: () => number;

  /**
   * Start sampling now.
   *
   * @param now wall time, ms (default `performance.now`)
   */
  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
    this.#lastUsage = usageMicros();
    this.#lastAt = now();
  }

  /**
   * CPU since the previous call (at least 0.5 s apart; a call sooner gets
   * the previous figure).
   *
   * @returns percent of one core (may exceed 100 with worker threads)
   */
  percent(): number {
    const at = this.#now();
    const elapsedMs = at - this.#lastAt;
    if (elapsedMs < MIN_CPU_INTERVAL_MS) return this.#percent;
    const usage = usageMicros();
    const used = usage - this.#lastUsage;
    this.#lastUsage = usage;
    this.#lastAt = at;
    this.#percent = Math.max(0, Math.round(used / 10 / elapsedMs * 10) / 10);
    return this.#percent;
  }
}

function usageMicros(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

/**
 * Resident set size and V8 heap in use, bytes.
 *
 * @example
 * ```ts
 * import { processMemory } from "@arcly/stream/http";
 * import assert from "node:assert/strict";
 *
 * assert.ok(processMemory().rss > 0);
 * ```
 */
export function processMemory(): { rss: number; heapUsed: number } {
  const m = Deno.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed };
}

/**
 * A rate, per second, from a cumulative counter read when asked: the
 * difference with the oldest point of the last `windowMs` (at most eight
 * points kept, at least `windowMs / 8` apart).
 *
 * @example
 * ```ts
 * import { RateMeter } from "@arcly/stream/http";
 * import assert from "node:assert/strict";
 *
 * let t = 0;
 * let bytes = 0;
 * const meter = new RateMeter(() => bytes, { now: () => t });
 * t = 1_000;
 * bytes = 500;
 * assert.equal(meter.rate(), 500);
 * ```
 */
export class RateMeter {
  #read: () => number;
  #now: () => number;
  #windowMs: number;
  #points: { at: number; value: number }[] = [];

  /**
   * Create it (the first point is taken now).
   *
   * @param read the cumulative counter
   * @param options the time source and the window (default 5,000 ms)
   */
  constructor(
    read: () => number,
    options: { now?: () => number; windowMs?: number } = {},
  ) {
    this.#read = read;
    this.#now = options.now ?? (() => performance.now());
    this.#windowMs = options.windowMs ?? 5_000;
    this.#points.push({ at: this.#now(), value: read() });
  }

  /**
   * Units per second over the window.
   *
   * @returns the rate (0 before any time passed)
   */
  rate(): number {
    const at = this.#now();
    const value = this.#read();
    const points = this.#points;
    while (points.length > 1 && at - points[1]!.at >= this.#windowMs) {
      points.shift();
    }
    const last = points[points.length - 1]!;
    if (at - last.at >= this.#windowMs / 8) {
      points.push({ at, value });
      if (points.length > 8) points.shift();
    }
    const first = points[0]!;
    const elapsed = at - first.at;
    if (elapsed <= 0) return 0;
    return Math.max(0, Math.round((value - first.value) * 1_000 / elapsed));
  }
}
