// Retransmission and too-late drop against a real libsrt peer: ffmpeg
// publishes through a UDP relay that drops datagrams each way and jitters
// them; at 5 % loss with 300 ms latency the HTTP-FLV output decodes with no
// error for 15 s; at 30 % loss memory stays bounded, drops are counted and
// the origin keeps serving.
import assert from "node:assert/strict";
import { missing, run } from "../../_tools.ts";
import {
  ffmpegPublish,
  startLossyRelay,
  startSrtOrigin,
  stop,
  until,
} from "./_srt_fixture.ts";

Deno.test({
  name:
    "5 % loss each way + 20 ms jitter, 300 ms latency: HTTP-FLV decodes with zero errors for 15 s",
  ignore: missing("ffmpeg"),
  async fn() {
    await using origin = await startSrtOrigin({ http: true, latencyMs: 300 });
    await using relay = await startLossyRelay(origin.port, 0.05, 20);
    const pub = ffmpegPublish(
      `srt://127.0.0.1:${relay.port}?streamid=publish:live/lossy&latency=300000`,
      60,
    );
    try {
      await until(
        () =>
          (origin.engine.getStream("live/lossy")?.qos().tracks.length ?? 0) >=
            2,
        20_000,
        "two tracks",
      );
      const play = await run("ffmpeg", [
        "-v",
        "error",
        "-i",
        `http://127.0.0.1:${origin.httpPort}/live/lossy.flv`,
        "-t",
        "15",
        "-f",
        "null",
        "-",
      ], { timeoutMs: 40_000 });
      assert.equal(play.code, 0, play.stderr);
      assert.equal(play.stderr.trim(), "", "decode errors over HTTP-FLV");
      const s = origin.srt.stats;
      assert.ok(relay.dropped > 50, `relay dropped ${relay.dropped}`);
      assert.ok(s.packetsLost > 20, `lost ${s.packetsLost}`);
      // reordering by the jitter also counts as loss until the gap fills;
      // a packet whose repairs were all lost (5 % each way, each round) may go
      assert.ok(
        s.packetsDropped <= s.packetsReceived * 0.01,
        `dropped ${s.packetsDropped} of ${s.packetsReceived}`,
      );
    } finally {
      await stop(pub);
    }
  },
});

Deno.test({
  name: "30 % loss: drops counted, memory bounded, the origin keeps serving",
  ignore: missing("ffmpeg"),
  async fn() {
    await using origin = await startSrtOrigin({ http: true, latencyMs: 120 });
    await using relay = await startLossyRelay(origin.port, 0.3, 20, 7);
    // This isolate's own memory (V8 heap and ArrayBuffers): the process's
    // RSS also holds every test module `--parallel` runs beside this one
    // (it grew 150 MiB in one CI run, 2 MiB with this file alone).
    const ownMemory = () => {
      const m = Deno.memoryUsage();
      return m.heapUsed + m.external;
    };
    const before = ownMemory();
    const pub = ffmpegPublish(
      `srt://127.0.0.1:${relay.port}?streamid=publish:live/bad&latency=120000`,
      60,
    );
    try {
      await until(
        () => origin.srt.stats.packetsReceived > 1500,
        30_000,
        "1,500 packets through 30 % loss",
      );
      const s = origin.srt.stats;
      assert.ok(s.packetsLost > 100, `lost ${s.packetsLost}`);
      // too-late drops are counted (several repair rounds fail at 30 %)
      const dropped = origin.srt.collectMetrics().find((m) =>
        m.name === "arcly_srt_dropped_packets_total" &&
        m.labels?.direction === "in"
      )?.value ?? 0;
      assert.ok(dropped > 0 && s.packetsDropped >= dropped, `${dropped}`);
      const health = await fetch(`http://127.0.0.1:${origin.httpPort}/healthz`);
      assert.equal(health.status, 200);
      await health.body?.cancel();
      const grown = (ownMemory() - before) / 2 ** 20;
      assert.ok(grown < 150, `memory grew ${grown.toFixed(0)} MiB`);
    } finally {
      await stop(pub);
    }
    assert.equal(origin.engine.accepting, true);
  },
});
