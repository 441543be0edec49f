// SrtHandler.collectMetrics(): the counters a Prometheus scrape reads move
// under loss. ffmpeg (libsrt) publishes through a relay dropping 10 % each
// way (the listener NAKs, counts lost and retransmitted packets received);
// an SrtClient reads through another lossy relay (the listener receives
// NAKs and retransmits); refused handshakes are counted by reject code;
// the CLI origin's /metrics carries the SRT and RTSP families.
import assert from "node:assert/strict";
import { missing, tempDir } from "../../_tools.ts";
import { parseOriginArgs } from "../../../cli/options.ts";
import { startOrigin } from "../../../cli/origin.ts";
import {
  type MetricSample,
  SrtClient,
  SrtRejectReason,
} from "../../../protocols/srt/mod.ts";
import {
  ffmpegPublish,
  startLossyRelay,
  startSrtOrigin,
  stop,
  until,
} from "./_srt_fixture.ts";

function value(
  samples: readonly MetricSample[],
  name: string,
  labels: Record<string, string> = {},
): number {
  const found = samples.filter((s) =>
    s.name === name &&
    Object.entries(labels).every(([k, v]) => s.labels?.[k] === v)
  );
  assert.equal(found.length, 1, `${name} ${JSON.stringify(labels)}`);
  return found[0]!.value;
}

Deno.test("collectMetrics: a fresh listener reports every series at zero, names arcly_srt_*", async () => {
  {
    await using origin = await startSrtOrigin();
    const samples = origin.srt.collectMetrics();
    for (const s of samples) {
      assert.match(s.name, /^arcly_srt_[a-z_]+$/);
      assert.equal(s.type === "counter", s.name.endsWith("_total"), s.name);
      assert.equal(s.value, 0, s.name);
      assert.ok(s.help.length > 10);
    }
    assert.equal(value(samples, "arcly_srt_sessions", { mode: "read" }), 0);
    assert.equal(
      samples.filter((s) => s.name === "arcly_srt_rejected_total").length,
      0,
    );
  }
});

Deno.test({
  name:
    "collectMetrics under 10 % loss each way: sessions, packets, bytes, lost, NAKs, retransmitted move; rejects by code",
  ignore: missing("ffmpeg"),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using origin = await startSrtOrigin({ latencyMs: 300 });
    await using inRelay = await startLossyRelay(origin.port, 0.1, 10, 3);
    await using outRelay = await startLossyRelay(origin.port, 0.1, 10, 5);
    const pub = ffmpegPublish(
      `srt://127.0.0.1:${inRelay.port}?streamid=publish:live/m&latency=300000`,
      30,
    );
    let reader: SrtClient | undefined;
    try {
      await until(
        () => (origin.engine.getStream("live/m")?.qos().framesIn ?? 0) > 30,
        20_000,
        "published frames",
      );
      reader = await SrtClient.connect({
        hostname: "127.0.0.1",
        port: outRelay.port,
        streamId: "read:live/m",
        latencyMs: 300,
        connectTimeoutMs: 10_000,
      });
      let bytes = 0;
      const counting = (async () => {
        for await (const p of reader!.payloads()) bytes += p.length;
      })();
      const during = origin.srt.collectMetrics();
      assert.equal(value(during, "arcly_srt_sessions", { mode: "publish" }), 1);
      assert.equal(value(during, "arcly_srt_sessions", { mode: "read" }), 1);
      await until(
        () => {
          const m = origin.srt.collectMetrics();
          return value(m, "arcly_srt_retransmitted_packets_total") > 10 &&
            value(m, "arcly_srt_received_retransmitted_packets_total") > 10 &&
            value(m, "arcly_srt_sent_packets_total") > 300 &&
            value(m, "arcly_srt_naks_total", { direction: "in" }) > 5;
        },
        20_000,
        "retransmissions both ways",
      );
      for (
        const [sid, code] of [
          ["read:live/none", SrtRejectReason.NotFound],
          ["nonsense:x:y:z:w", SrtRejectReason.BadRequest],
        ] as const
      ) {
        await assert.rejects(
          SrtClient.connect({
            hostname: "127.0.0.1",
            port: origin.port,
            streamId: sid,
          }),
          (e: unknown) => e instanceof Error,
          String(code),
        );
      }
      const m = origin.srt.collectMetrics();
      const g = (n: string, l?: Record<string, string>) => value(m, n, l);
      const shown = JSON.stringify(m.map((x) => [x.name, x.labels, x.value]));
      assert.ok(g("arcly_srt_received_packets_total") > 100, shown);
      assert.ok(g("arcly_srt_received_bytes_total") > 100 * 1000, shown);
      assert.ok(g("arcly_srt_sent_packets_total") > 300, shown);
      assert.ok(g("arcly_srt_sent_bytes_total") > 300 * 1000, shown);
      assert.ok(g("arcly_srt_lost_packets_total") > 10, shown);
      assert.ok(g("arcly_srt_naks_total", { direction: "out" }) > 5, shown);
      assert.ok(g("arcly_srt_naks_total", { direction: "in" }) > 5, shown);
      assert.ok(g("arcly_srt_accepted_total") >= 2);
      assert.equal(g("arcly_srt_rejected_total", { code: "1404" }), 1);
      assert.equal(g("arcly_srt_rejected_total", { code: "1400" }), 1);
      // the same numbers as the stats getter
      const s = origin.srt.stats;
      assert.ok(s.packetsRetransmitted >= 10 && s.rejected === 2);
      assert.ok(bytes > 0, "the lossy reader got TS");
      reader.close();
      await counting;
      // a closed connection's counters stay in the totals (monotonic)
      await until(
        () =>
          value(origin.srt.collectMetrics(), "arcly_srt_sessions", {
            mode: "read",
          }) === 0,
        10_000, // its shutdown may be lost: then the 5 s idle timeout
        "reader gone",
      );
      const after = origin.srt.collectMetrics();
      assert.ok(
        value(after, "arcly_srt_retransmitted_packets_total") >=
          g("arcly_srt_retransmitted_packets_total"),
      );
      assert.ok(
        value(after, "arcly_srt_sent_bytes_total") >=
          g("arcly_srt_sent_bytes_total"),
      );
    } finally {
      reader?.close();
      await stop(pub);
    }
  },
});

Deno.test({
  name:
    "the CLI origin's /metrics carries the SRT and RTSP collectors' families",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using dir = await tempDir("arcly-srt-metrics-cli-");
    const origin = await startOrigin(
      parseOriginArgs([
        ...["--rtmp", "127.0.0.1:0", "--http", "127.0.0.1:0"],
        ...["--srt", "127.0.0.1:0", "--rtsp", "127.0.0.1:0"],
        ...["--webrtc-udp", "off", "--hls-dir", `${dir.path}/hls`],
      ]),
      () => {},
    );
    try {
      const res = await fetch(`http://127.0.0.1:${origin.httpPort}/metrics`);
      const text = await res.text();
      assert.match(text, /# TYPE arcly_srt_sessions gauge/);
      assert.match(text, /arcly_srt_sessions\{[^}]*mode="publish"[^}]*\} 0/);
      assert.match(
        text,
        /# TYPE arcly_srt_retransmitted_packets_total counter/,
      );
      assert.match(text, /arcly_rtsp_sessions\{[^}]*listener="rtsp"[^}]*\} 0/);
    } finally {
      await origin.stop();
    }
  },
});
