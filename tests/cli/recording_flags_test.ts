// The recording, retention and DVR flags: defaults (retention of recordings
// off, HLS folders 5 minutes, no DVR), units, and usage errors.
import assert from "node:assert/strict";
import {
  parseByteSize,
  parseDurationMs,
  parseOriginArgs,
  UsageError,
} from "../../cli/options.ts";

Deno.test("cli: --record-retention, --record-max-size, --hls-retention, --hls-dvr", () => {
  const d = parseOriginArgs([]);
  assert.equal(d.recordRetentionMs, null);
  assert.equal(d.recordMaxBytes, null);
  assert.equal(d.hlsRetentionMs, 300_000);
  assert.equal(d.hlsDvrMs, null);
  const o = parseOriginArgs([
    "--record-retention",
    "7d",
    "--record-max-size",
    "50GB",
    "--hls-retention",
    "90s",
    "--hls-dvr",
    "2",
  ]);
  assert.equal(o.recordRetentionMs, 7 * 86_400_000);
  assert.equal(o.recordMaxBytes, 50e9);
  assert.equal(o.hlsRetentionMs, 90_000);
  assert.equal(o.hlsDvrMs, 120_000);
  assert.equal(
    parseOriginArgs(["--hls-retention", "off"]).hlsRetentionMs,
    null,
  );
  assert.equal(
    parseOriginArgs(["--hls-retention", "10"]).hlsRetentionMs,
    600_000,
  );
  assert.equal(
    parseOriginArgs(["--record-retention", "2"]).recordRetentionMs,
    2 * 86_400_000,
  );
  assert.equal(parseDurationMs("12h", "--x", "d"), 12 * 3_600_000);
  assert.equal(parseByteSize("2TiB", "--x"), 2 ** 41);
  assert.equal(parseByteSize("500mb", "--x"), 500e6);
  for (
    const args of [
      ["--record-retention", "7 weeks"],
      ["--record-retention", "0"],
      ["--record-max-size", "lots"],
      ["--record-max-size", "0"],
      ["--hls-retention", "-5m"],
      ["--hls-dvr", "0"],
      ["--hls-dvr", "x"],
    ]
  ) {
    assert.throws(() => parseOriginArgs(args), UsageError, args.join(" "));
  }
});
