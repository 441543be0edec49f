// The origin CLI's --tcp-backend deno|ffi (plain-TCP sockets of RTMP and HTTP).
import assert from "node:assert/strict";
import { parseOriginArgs, UsageError } from "../../cli/options.ts";

Deno.test("cli: --tcp-backend defaults to deno, takes ffi, refuses anything else", () => {
  assert.equal(parseOriginArgs([]).tcpBackend, "deno");
  assert.equal(parseOriginArgs(["--tcp-backend", "ffi"]).tcpBackend, "ffi");
  assert.equal(parseOriginArgs(["--tcp-backend=deno"]).tcpBackend, "deno");
  assert.throws(
    () => parseOriginArgs(["--tcp-backend", "uring"]),
    (e: unknown) =>
      e instanceof UsageError && /--tcp-backend uring/.test(e.message),
  );
});
