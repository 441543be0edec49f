/**
 * Knobs of the benchmark origins (`bench/fanout/our_origin.ts`,
 * `bench/streams/origin.ts`): the plain-TCP backend, what was asked (`deno`
 * or `ffi`), else the CLI's default (`auto`): libc over FFI where it runs,
 * else Deno's.
 *
 * @module
 */
import { tcpFfiAvailable } from "../../protocols/net/mod.ts";

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
  if (asked === "deno" || asked === "ffi") return asked;
  return tcpFfiAvailable() ? "ffi" : "deno";
}
