// RTSP players in the engine's client registry (control API seam): a
// player (here our RtspPullSource over TCP) is listed with protocol "rtsp",
// its bytes are counted, the server's collectMetrics() sees it, and a kick
// (DELETE /api/v1/clients/{id}) ends its RTSP connection within a second.
import assert from "node:assert/strict";
import { missing } from "../../_tools.ts";
import {
  type RtspPullEvent,
  RtspPullSource,
} from "../../../protocols/rtsp/mod.ts";
import { publishTestPattern, startOrigin, until } from "./_rtsp_fixture.ts";

Deno.test({
  name:
    "rtsp clients: a player is listed as rtsp with its bytes; a kick ends its connection within 1 s",
  ignore: missing("ffmpeg"),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using origin = await startOrigin();
    await using _pub = publishTestPattern("flv", `${origin.rtmpUrl}/live/cam`);
    await until(
      () => (origin.engine.getStream("live/cam")?.gopCache.size ?? 0) > 25,
      15_000,
      "publish",
    );
    const events: { at: number; e: RtspPullEvent }[] = [];
    const source = new RtspPullSource({
      url: `${origin.rtspUrl}/live/cam`,
      transport: "tcp",
      initialBackoffMs: 5000, // no reconnect inside the test window
      onEvent: (e) => events.push({ at: Date.now(), e }),
    });
    const stop = new AbortController();
    const pumped = origin.engine.pumpSource("live/copy", source, {
      signal: stop.signal,
    }).catch((e) => e);
    try {
      await until(
        () => (origin.engine.getStream("live/copy")?.qos().framesIn ?? 0) > 30,
        15_000,
        "pulled over RTSP",
      );
      const player = origin.engine.clients.list().find((c) =>
        c.stream === "live/cam" && c.kind === "viewer"
      );
      assert.equal(player?.protocol, "rtsp", JSON.stringify(player));
      assert.match(player!.remoteAddr ?? "", /^127\.0\.0\.1:\d+$/);
      assert.ok(player!.bytesSent > 10_000, `${player!.bytesSent} bytes`);
      assert.equal(
        origin.engine.clients.countsByProtocol("live/cam").rtsp,
        1,
      );
      // the server's metrics (MetricsCollector) see the player
      const m = new Map(
        origin.rtsp.collectMetrics().map((x) => [x.name, x.value]),
      );
      assert.ok((m.get("arcly_rtsp_connections") ?? 0) >= 1);
      assert.ok((m.get("arcly_rtsp_sessions") ?? 0) >= 1);
      assert.ok((m.get("arcly_rtsp_rtp_packets_sent_total") ?? 0) > 100);
      assert.ok((m.get("arcly_rtsp_rtp_packets_built_total") ?? 0) > 100);
      const t0 = Date.now();
      assert.equal(origin.engine.clients.kick(player!.id, "test kick"), true);
      await until(
        () => events.some((x) => x.e.type === "disconnected"),
        5_000,
        "the player disconnected",
      );
      const gone = events.find((x) => x.e.type === "disconnected")!.at - t0;
      assert.ok(gone < 1000, `disconnected after ${gone} ms`);
      assert.equal(origin.engine.clients.get(player!.id), undefined);
    } finally {
      stop.abort();
      await pumped;
    }
  },
});
