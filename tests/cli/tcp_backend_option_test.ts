// The origin CLI's --tcp-backend auto|deno|ffi (plain-TCP sockets of RTMP and HTTP).
import assert from "node:assert/strict";
import { parseOriginArgs, UsageError } from "../../cli/options.ts";

Deno.test("cli: --tcp-backend defaults to auto, takes deno and ffi, refuses anything else", () => {
  assert.equal(parseOriginArgs([]).tcpBackend, "auto");
  assert.equal(parseOriginArgs(["--tcp-backend", "auto"]).tcpBackend, "auto");
  assert.equal(parseOriginArgs(["--tcp-backend", "ffi"]).tcpBackend, "ffi");
  assert.equal(parseOriginArgs(["--tcp-backend=deno"]).tcpBackend, "deno");
  assert.throws(
    () => parseOriginArgs(["--tcp-backend", "uring"]),
    (e: unknown) =>
      e instanceof UsageError && /--tcp-backend uring/.test(e.message),
  );
});
