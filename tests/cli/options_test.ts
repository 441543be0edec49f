import assert from "node:assert/strict";
import {
  parseListenAddress,
  parseOriginArgs,
  UsageError,
} from "../../cli/options.ts";

Deno.test("parseOriginArgs() gives the documented defaults", () => {
  const o = parseOriginArgs([]);
  assert.deepEqual(o.rtmp, { hostname: "0.0.0.0", port: 1935 });
  assert.deepEqual(o.http, { hostname: "0.0.0.0", port: 8080 });
  assert.equal(o.hlsDir, "./hls");
  assert.equal(o.hlsFormat, "fmp4");
  assert.equal(o.lowLatency, true);
  assert.equal(o.segmentMs, 2000);
  assert.equal(o.recordDir, null);
  assert.equal(o.demo, false);
});

Deno.test("parseOriginArgs() takes overrides", () => {
  const o = parseOriginArgs([
    "--rtmp",
    "127.0.0.1:1936",
    "--http",
    "127.0.0.1:8000",
    "--hls-format",
    "ts",
    "--no-ll-hls",
    "--segment",
    "1.5",
    "--record",
    "rec",
    "--record-format",
    "flv",
    "--publish-token",
    "s3cret",
    "--demo",
  ]);
  assert.deepEqual(o.rtmp, { hostname: "127.0.0.1", port: 1936 });
  assert.equal(o.http.port, 8000);
  assert.equal(o.hlsFormat, "ts");
  assert.equal(o.lowLatency, false);
  assert.equal(o.segmentMs, 1500);
  assert.equal(o.recordDir, "rec");
  assert.equal(o.recordFormat, "flv");
  assert.equal(o.publishToken, "s3cret");
  assert.equal(o.demo, true);
  assert.equal(parseOriginArgs(["--rtmp", "off"]).rtmp, null);
  const limited = parseOriginArgs([
    "--max-connections-per-ip",
    "8",
    "--http-rate",
    "50",
  ]);
  assert.equal(limited.maxConnectionsPerIp, 8);
  assert.equal(limited.httpRate, 50);
  assert.equal(parseOriginArgs([]).maxConnectionsPerIp, null);
  assert.equal(parseOriginArgs([]).httpRate, null);
});

Deno.test("parseOriginArgs() refuses bad flags with a UsageError naming the flag", () => {
  const bad: string[][] = [
    ["--nope"],
    ["--http", "host:99999"],
    ["--http", "x:y"],
    ["--hls-format", "mkv"],
    ["--segment", "-1"],
    ["--window", "2.5"],
    ["--rtmps", "0.0.0.0:1936"],
    ["--cert", "a.pem"],
    ["--https"],
    ["--auth-webhook", "ftp://x"],
    ["--record-format", "avi"],
    ["--http-rate", "0"],
    ["--max-connections-per-ip", "-3"],
    ["--gc-step-mb", "-1"],
    ["--gc-step-mb", "lots"],
    ["positional"],
  ];
  for (const args of bad) {
    assert.throws(() => parseOriginArgs(args), UsageError, args.join(" "));
  }
});

Deno.test("parseListenAddress() accepts host:port, bare ports and IPv6", () => {
  assert.deepEqual(parseListenAddress("1935", "--rtmp"), {
    hostname: "0.0.0.0",
    port: 1935,
  });
  assert.deepEqual(parseListenAddress(":1935", "--rtmp"), {
    hostname: "0.0.0.0",
    port: 1935,
  });
  assert.deepEqual(parseListenAddress("[::1]:8080", "--http"), {
    hostname: "::1",
    port: 8080,
  });
  assert.deepEqual(parseListenAddress("localhost:0", "--http"), {
    hostname: "localhost",
    port: 0,
  });
});

Deno.test("parseOriginArgs(): --publisher-grace defaults to 10 s, 0 turns it off, nonsense is refused", () => {
  assert.equal(parseOriginArgs([]).publisherGraceMs, 10_000);
  assert.equal(
    parseOriginArgs(["--publisher-grace", "0"]).publisherGraceMs,
    0,
  );
  assert.equal(
    parseOriginArgs(["--publisher-grace", "2.5"]).publisherGraceMs,
    2_500,
  );
  assert.throws(
    () => parseOriginArgs(["--publisher-grace", "-1"]),
    /--publisher-grace/,
  );
});

Deno.test("parseOriginArgs(): --gc-step-mb is 8 MiB by default, any positive number, or 0 (off)", () => {
  assert.equal(parseOriginArgs([]).gcStepMb, 8);
  assert.equal(parseOriginArgs(["--gc-step-mb", "32"]).gcStepMb, 32);
  assert.equal(parseOriginArgs(["--gc-step-mb", "0"]).gcStepMb, 0);
});
