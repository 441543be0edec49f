/**
 * {@linkcode openFilesLimitFfi}: the process's open-files limit through
 * libc (`getrlimit(RLIMIT_NOFILE)` over Deno FFI). Deno lets a program read
 * `/proc/self/limits` only with `--allow-all`, and `ulimit -n` needs a shell
 * (`--allow-run`); with `--allow-ffi` alone (which the CLI's tasks grant)
 * this reads the same soft limit. No state: one 16-byte buffer per call.
 *
 * @module
 */
import { libcAvailable, loadLibc } from "./_libc.ts";

/** `RLIMIT_NOFILE` (Linux, x86_64 and aarch64). */
const RLIMIT_NOFILE = 7;
/** `RLIM_INFINITY`. */
const RLIM_INFINITY = 0xffffffffffffffffn;

/**
 * The soft open-files limit of this process (`getrlimit(RLIMIT_NOFILE)`):
 * `Infinity` when unlimited, `null` without FFI (not Linux, no
 * `--allow-ffi`) or when the call fails. Never prompts.
 *
 * @returns The soft limit, or null when it cannot be read this way.
 *
 * @example
 * ```ts
 * import { openFilesLimitFfi } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const limit = openFilesLimitFfi();
 * assert.ok(limit === null || limit > 0);
 * ```
 */
export function openFilesLimitFfi(): number | null {
  if (!libcAvailable()) return null;
  const rlimit = new BigUint64Array(2); // rlim_cur, rlim_max
  if (
    loadLibc().getrlimit(RLIMIT_NOFILE, new Uint8Array(rlimit.buffer)) !== 0
  ) {
    return null;
  }
  const soft = rlimit[0]!;
  return soft === RLIM_INFINITY ? Infinity : Number(soft);
}
