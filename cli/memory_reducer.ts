/**
 * Prompt collection of dead media buffers, for the CLI's origin (issue 19).
 *
 * Why: the bytes of frames live in `ArrayBuffer`s outside V8's heap — per
 * stream the ingest slabs the ring and GOP cache point into and each
 * egress format's cache slabs. Once the ring and the caches let go of them
 * they are garbage in V8's old generation, freed only by a major GC, and
 * V8 times its major GCs by its own heap (10–20 MB for one stream and a few
 * hundred viewers) while it lets external memory grow by tens of MB first.
 * One 3 Mbit/s stream with viewers leaves ~0.8 MB/s of dead slabs, so the
 * origin's RSS climbed by ~25 MB in the 30 s after a start with no major
 * GC at all (`bench/RESULTS.md`, eleventh session).
 *
 * What: once a second (on the engine's clock) it reads V8's external memory;
 * when that grew past `max(floor × 1.5, floor + 8 MiB)` — the floor is the
 * lowest value seen since the last collection, i.e. about what is live —
 * and no collection (ours or V8's own, seen as external memory falling)
 * ran in the last 10 s, it asks V8 for a major GC, concurrent (`execution:
 * "async"`), so the main thread is paused no longer than for V8's own.
 * With many streams V8 collects every few seconds by itself and the
 * reducer stays out of the way; with one stream it bounds the pile.
 *
 * Then: a collection frees the dead buffers to glibc's malloc, which keeps
 * most of them (slabs of 64 and 512 KiB freed amid live allocations) as
 * free space inside its heap, so without more the process's RSS stays at
 * the pile's peak. At a check that sees external memory fall by 1 MiB or
 * more (a collection, ours or V8's, has swept), at most once per 5 s, the
 * reducer calls `malloc_trim(0)` where it can (Linux, glibc, `--allow-ffi`:
 * the CLI's tasks grant it), which returns the free pages to the system:
 * RSS follows the pile down instead of holding its peak (an RTMP N = 500
 * origin: 4–6 MB back in 0.5–0.6 ms per call; `bench/RESULTS.md`,
 * fourteenth session). It does not while new buffers come faster than 4
 * MiB/s (the median rise of external memory over the last five checks that
 * saw it rise): they take the freed pages again within a second or two,
 * each page a fault, so with many streams (S = 50: ~15 MB/s) a trim gave
 * little back and cost ~1,200 page faults a second (`bench/RESULTS.md`,
 * seventeenth session). A crowd joining (a rise or two) does not stop it.
 *
 * Only the process that owns the runtime may do this: it needs
 * `--v8-flags=--expose-gc`, which the CLI's tasks pass; without it the
 * reducer stays off and says so. The library never calls it.
 *
 * Memory: a few numbers.
 *
 * @module
 */
import type { Clock } from "../src/mod.ts";

/** A fall of external memory between two checks that means a collection ran. */
const FREED_BYTES = 1 << 20;

/**
 * At most one `trim` per this long (ms): with many streams V8 collects every
 * second or two, and each trim's pages come back as page faults (S = 100: ~8,000
 * a second with a trim per collection); with one stream collections are
 * further apart and each is trimmed.
 */
const TRIM_EVERY_MS = 5_000;

/**
 * No `trim` while external memory rises faster than this (bytes per second,
 * the median of the last {@linkcode RISES} rises seen between checks):
 * the freed pages would be faulted back in within seconds.
 */
const TRIM_MAX_RISE_PER_S = 4 << 20;

/** How many of the latest rises the median is taken over. */
const RISES = 5;

/**
 * glibc's `malloc_trim(0)` over FFI (returns the free pages of malloc's
 * heaps to the system), or undefined where it cannot run: not Linux, no
 * `--allow-ffi`, or no glibc.
 *
 * @returns the call, or undefined
 * @example
 * ```ts
 * import { mallocTrim } from "./memory_reducer.ts";
 * mallocTrim()?.(); // a no-op without --allow-ffi
 * ```
 */
export function mallocTrim(): (() => void) | undefined {
  if (Deno.build.os !== "linux") return undefined;
  if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") {
    return undefined;
  }
  try {
    const lib = Deno.dlopen("libc.so.6", {
      malloc_trim: { parameters: ["usize"], result: "i32" },
    });
    return () => void lib.symbols.malloc_trim(0n);
  } catch {
    return undefined; // no glibc (musl has no malloc_trim)
  }
}

/** V8's `gc` as `--expose-gc` installs it (options: V8's gc extension). */
export type GcFunction = (
  options?: { type?: "major" | "minor"; execution?: "sync" | "async" },
) => void;

/**
 * The `gc` function `--expose-gc` installs, or undefined without the flag.
 *
 * @returns the function, or undefined
 * @example
 * ```ts
 * import { exposedGc } from "./memory_reducer.ts";
 * const gc = exposedGc(); // undefined unless --v8-flags=--expose-gc
 * gc?.({ type: "major", execution: "async" });
 * ```
 */
export function exposedGc(): GcFunction | undefined {
  const gc = (globalThis as { gc?: unknown }).gc;
  return typeof gc === "function" ? gc as GcFunction : undefined;
}

/** Options of a {@linkcode MemoryReducer}. */
export interface MemoryReducerOptions {
  /** Timers (the engine's clock). */
  clock: Clock;
  /** How to collect: an async major GC. */
  collect: () => void;
  /**
   * Called at a check that sees a collection's effect (external memory fell
   * by 1 MiB or more), at most once per 5 s and not while external memory
   * rises faster than 4 MiB/s (the median of the last five rises): return
   * the freed memory to the system (`malloc_trim`); default none.
   */
  trim?: () => void;
  /** External memory now, bytes (default: `Deno.memoryUsage().external`). */
  external?: () => number;
  /** Growth over the floor that triggers a collection, bytes (default 8 MiB). */
  minStepBytes?: number;
  /** Or this factor of the floor, when larger (default 1.5). */
  growth?: number;
  /** Period of the check, ms (default 1,000). */
  intervalMs?: number;
  /**
   * No collection within this long (ms) of the last one, ours or V8's own
   * (seen as external memory falling by 1 MiB or more between two checks);
   * default 10,000. Where V8 already collects often (many streams), the
   * reducer then adds nothing.
   */
  quietMs?: number;
}

/**
 * Asks for a major GC once dead `ArrayBuffer`s pile up (see the module doc).
 *
 * @example
 * ```ts
 * import { MemoryReducer, exposedGc } from "./memory_reducer.ts";
 * import { systemClock } from "../src/mod.ts";
 * const gc = exposedGc();
 * if (gc !== undefined) {
 *   const reducer = new MemoryReducer({
 *     clock: systemClock,
 *     collect: () => gc({ type: "major", execution: "async" }),
 *   });
 *   reducer.stop();
 * }
 * ```
 */
export class MemoryReducer {
  #clock: Clock;
  #collect: () => void;
  #trim: (() => void) | undefined;
  #external: () => number;
  #minStep: number;
  #growth: number;
  #intervalMs: number;
  #quietMs: number;
  #floor: number;
  #last: number;
  #lastAt: number;
  #freedAt: number;
  #trimmedAt = -Infinity;
  #trimmed = 0;
  /** The latest rises of external memory, bytes per second (a ring). */
  #rises: number[] = [];
  #nextRise = 0;
  #cancel: (() => void) | null = null;
  #collections = 0;

  /**
   * Start checking.
   *
   * @param options clock, how to collect, thresholds
   */
  constructor(options: MemoryReducerOptions) {
    this.#clock = options.clock;
    this.#collect = options.collect;
    this.#trim = options.trim;
    this.#external = options.external ?? (() => Deno.memoryUsage().external);
    this.#minStep = options.minStepBytes ?? 8 << 20;
    this.#growth = options.growth ?? 1.5;
    this.#intervalMs = options.intervalMs ?? 1_000;
    this.#quietMs = options.quietMs ?? 10_000;
    this.#floor = this.#last = this.#external();
    this.#freedAt = this.#lastAt = this.#clock.now();
    this.#arm();
  }

  /** Major GCs asked for so far. */
  get collections(): number {
    return this.#collections;
  }

  /** True when it trims malloc's heap after collections (a `trim` was given). */
  get trims(): boolean {
    return this.#trim !== undefined;
  }

  /** Times it trimmed malloc's heap so far. */
  get trimmed(): number {
    return this.#trimmed;
  }

  /** Stop checking (idempotent). */
  stop(): void {
    this.#cancel?.();
    this.#cancel = null;
  }

  #medianRise(): number {
    const sorted = this.#rises.toSorted((a, b) => a - b);
    return sorted.length === 0 ? 0 : sorted[sorted.length >> 1]!;
  }

  #arm(): void {
    this.#cancel = this.#clock.setTimer(this.#intervalMs, this.#check);
  }

  #check = (): void => {
    if (this.#cancel === null) return;
    const now = this.#external();
    const at = this.#clock.now();
    if (now > this.#last) {
      this.#rises[this.#nextRise] = (now - this.#last) * 1000 /
        Math.max(1, at - this.#lastAt);
      this.#nextRise = (this.#nextRise + 1) % RISES;
    }
    this.#lastAt = at;
    if (now <= this.#last - FREED_BYTES) {
      this.#freedAt = at;
      if (
        this.#trim !== undefined && at - this.#trimmedAt >= TRIM_EVERY_MS &&
        this.#medianRise() <= TRIM_MAX_RISE_PER_S
      ) {
        this.#trimmedAt = at;
        this.#trimmed++;
        this.#trim();
      }
    }
    this.#last = now;
    if (now < this.#floor) this.#floor = now;
    const limit = Math.max(
      this.#floor * this.#growth,
      this.#floor + this.#minStep,
    );
    if (now >= limit && at - this.#freedAt >= this.#quietMs) {
      this.#collections++;
      this.#collect();
      this.#freedAt = at;
      // The next floor is what the collection leaves (seen from the
      // following checks on), not this peak.
      this.#floor = now;
    }
    this.#arm();
  };
}

/**
 * The CLI's reducer: a {@linkcode MemoryReducer} asking for an async major
 * GC per `stepMb` MiB of dead buffers and trimming malloc's heap after
 * collections where {@linkcode mallocTrim} can run, or null when `stepMb`
 * is 0 or the process has no `gc` (no `--v8-flags=--expose-gc`).
 *
 * @param clock the engine's clock
 * @param stepMb the step, MiB (0: off)
 * @param options `trim: false`: no `malloc_trim` (default: where it can run);
 *   `quietMs`: no collection within this long of the last (default 10,000)
 * @returns the running reducer (stop it at shutdown), or null
 * @example
 * ```ts
 * import { startMemoryReducer } from "./memory_reducer.ts";
 * import { systemClock } from "../src/mod.ts";
 * const reducer = startMemoryReducer(systemClock, 8);
 * reducer?.stop();
 * ```
 */
export function startMemoryReducer(
  clock: Clock,
  stepMb: number,
  options: { trim?: boolean; quietMs?: number } = {},
): MemoryReducer | null {
  const gc = stepMb > 0 ? exposedGc() : undefined;
  if (gc === undefined) return null;
  return new MemoryReducer({
    clock,
    collect: () => gc({ type: "major", execution: "async" }),
    ...(options.trim === false ? {} : trimOption()),
    ...(options.quietMs === undefined ? {} : { quietMs: options.quietMs }),
    minStepBytes: stepMb * (1 << 20),
  });
}

function trimOption(): { trim?: () => void } {
  const trim = mallocTrim();
  return trim === undefined ? {} : { trim };
}
