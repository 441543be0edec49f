// The WebRTC flags of the origin CLI: --webrtc-udp HOST:PORT (default
// 0.0.0.0:8189, "off") and the repeatable --webrtc-host.
import assert from "node:assert/strict";
import { parseOriginArgs, UsageError } from "../../cli/options.ts";

Deno.test("cli: --webrtc-udp defaults to port 8189 on --http's host (ephemeral with it), takes HOST:PORT or off", () => {
  assert.deepEqual(parseOriginArgs([]).webrtcUdp, {
    hostname: "0.0.0.0",
    port: 8189,
  });
  assert.deepEqual(
    parseOriginArgs(["--webrtc-udp", "127.0.0.1:9000"]).webrtcUdp,
    {
      hostname: "127.0.0.1",
      port: 9000,
    },
  );
  assert.equal(parseOriginArgs(["--webrtc-udp", "off"]).webrtcUdp, null);
  assert.deepEqual(parseOriginArgs(["--http", "127.0.0.1:0"]).webrtcUdp, {
    hostname: "127.0.0.1",
    port: 0,
  });
  assert.deepEqual(parseOriginArgs(["--http", "10.0.0.5:8080"]).webrtcUdp, {
    hostname: "10.0.0.5",
    port: 8189,
  });
  assert.throws(() => parseOriginArgs(["--webrtc-udp", "x:99999"]), UsageError);
});

Deno.test("cli: --webrtc-host is repeatable and validated", () => {
  assert.deepEqual(parseOriginArgs([]).webrtcHosts, []);
  assert.deepEqual(
    parseOriginArgs([
      "--webrtc-host",
      "203.0.113.7",
      "--webrtc-host",
      "10.0.0.2",
    ]).webrtcHosts,
    ["203.0.113.7", "10.0.0.2"],
  );
  assert.throws(
    () => parseOriginArgs(["--webrtc-host", "bad host/x"]),
    UsageError,
  );
});
