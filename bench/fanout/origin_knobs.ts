/**
 * Knobs of the benchmark origins (`bench/fanout/our_origin.ts`,
 * `bench/streams/origin.ts`), as the CLI sets them: the plain-TCP backend
 * (what was asked, `deno` or `ffi`, else the CLI's default `auto`: libc
 * over FFI where it runs, else Deno's) and the memory reducer (with the
 * CLI's `--expose-gc`, a major GC per `ARCLY_BENCH_GC_STEP_MB` MiB of dead
 * media buffers, default the CLI's 8; 0: off; and `malloc_trim` after each
 * collection as the CLI does, `ARCLY_BENCH_GC_TRIM=0`: without; no
 * collection within `ARCLY_BENCH_GC_QUIET_S` seconds of the last, default
 * the CLI's 10).
 *
 * @module
 */
import { resolveTcpBackend } from "../../protocols/net/mod.ts";
import {
  type MemoryReducer,
  startMemoryReducer,
} from "../../cli/memory_reducer.ts";
import type { Clock } from "../../src/mod.ts";

/**
 * The backend a benchmark origin listens with.
 *
 * @param asked `--tcp-backend=` or `ARCLY_TCP_BACKEND`, if given
 * @returns `"ffi"` or `"deno"`
 *
 * @example
 * ```ts
 * import { tcpBackendOf } from "./origin_knobs.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(tcpBackendOf("deno"), "deno");
 * ```
 */
export function tcpBackendOf(asked: string | undefined): "deno" | "ffi" {
  return resolveTcpBackend(
    asked === "deno" || asked === "ffi" ? asked : "auto",
  );
}

/**
 * The CLI's memory reducer for a benchmark origin, its step from
 * `ARCLY_BENCH_GC_STEP_MB`; says on stderr whether it runs (and with
 * `ARCLY_BENCH_REDUCER_LOG=1`, every 10 s, how often it collected and
 * trimmed).
 *
 * @param clock the origin engine's clock
 * @returns the running reducer (stop it at shutdown), or null
 *
 * @example
 * ```ts
 * import { startBenchReducer } from "./origin_knobs.ts";
 * import { systemClock } from "../../src/mod.ts";
 *
 * startBenchReducer(systemClock)?.stop();
 * ```
 */
export function startBenchReducer(clock: Clock): MemoryReducer | null {
  const stepMb = Number(Deno.env.get("ARCLY_BENCH_GC_STEP_MB") ?? 8);
  const quietS = Deno.env.get("ARCLY_BENCH_GC_QUIET_S");
  const reducer = startMemoryReducer(clock, stepMb, {
    trim: Deno.env.get("ARCLY_BENCH_GC_TRIM") !== "0",
    ...(quietS === undefined ? {} : { quietMs: Number(quietS) * 1000 }),
  });
  // deno-lint-ignore no-console -- the bench origins' diagnostics go to stderr
  console.error(
    reducer === null
      ? "memory reducer off"
      : `memory reducer: a major GC per ${stepMb} MiB of dead media buffers`,
  );
  // ARCLY_BENCH_REDUCER_LOG=1: what it did, every 10 s.
  if (reducer !== null && Deno.env.get("ARCLY_BENCH_REDUCER_LOG") === "1") {
    const timer = setInterval(() => {
      // deno-lint-ignore no-console -- the bench origins' diagnostics go to stderr
      console.error(
        `memory reducer: ${reducer.collections} collections, ${reducer.trimmed} trims`,
      );
    }, 10_000);
    Deno.unrefTimer(timer);
  }
  return reducer;
}
