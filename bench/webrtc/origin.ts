// The origin under test for bench/webrtc/run.ts, in its own process:
// RTMP ingest + HTTP (WHIP/WHEP routes) + the WebRTC handler on 127.0.0.1,
// with the transcoder's AAC → Opus bridge (one ffmpeg per stream, not per
// viewer): WHEP of the RTMP stream `live/bench` plays `live/bench~opus`
// (H.264 + Opus). Prints {"rtmp":…,"http":…,"udp":…} once listening, then
// every second a {"stats":…} line (sessions, mux counters, packets sent).
// `--slice-ms N`: the WHEP fan-out's time slice (WebRtcOptions
// deliverySliceMs; 0 = one synchronous loop per frame, as before issue 15's
// slicing).
import { Engine } from "../../src/mod.ts";
import { RtmpHandler } from "../../protocols/rtmp/mod.ts";
import { HttpHandler } from "../../protocols/http/mod.ts";
import { WebRtcHandler } from "../../protocols/webrtc/mod.ts";
import { TranscodeService } from "../../transcode/mod.ts";
import { MpegTsDemuxer } from "../../media/mpegts/mod.ts";

// `--udp-backend auto|ffi|deno|node`: the shared socket (WebRtcOptions udp.backend).
const backendAt = Deno.args.indexOf("--udp-backend");
const backend = backendAt >= 0
  ? Deno.args[backendAt + 1] as "auto" | "ffi" | "deno" | "node"
  : undefined;
const sliceAt = Deno.args.indexOf("--slice-ms");
const sliceMs = sliceAt >= 0 ? Number(Deno.args[sliceAt + 1]) : undefined;
const engine = Engine.builder().build();
const transcode = new TranscodeService({
  host: engine,
  createTsReader: () => new MpegTsDemuxer(),
});
const webrtc = new WebRtcHandler({
  udp: { hostname: "127.0.0.1", port: 0, ...(backend ? { backend } : {}) },
  hosts: ["127.0.0.1"],
  maxSessions: 5_000,
  connectTimeoutMs: 30_000,
  ensureOpus: (key) => transcode.ensureAudio(key, "opus"),
  ...(sliceMs !== undefined ? { deliverySliceMs: sliceMs } : {}),
});
const rtmp = new RtmpHandler({ hostname: "127.0.0.1", port: 0 });
const http = new HttpHandler({
  hostname: "127.0.0.1",
  port: 0,
  extraRoutes: [webrtc.routes],
  dashboard: false,
});
const controller = new AbortController();
const served = engine.serve([rtmp, http, webrtc], controller.signal);
const [r, h, u] = await Promise.all([
  rtmp.listening,
  http.listening,
  webrtc.listening,
]);
// deno-lint-ignore no-console
console.log(
  JSON.stringify({
    rtmp: r.port,
    http: h.port,
    udp: u.port,
    backend: webrtc.mux?.backend,
  }),
);
// Event-loop lag: how late a 50 ms timer fires (max over each second).
let lagMax = 0;
let lagExpected = performance.now() + 50;
const lagTimer = setInterval(() => {
  const now = performance.now();
  lagMax = Math.max(lagMax, now - lagExpected);
  lagExpected = now + 50;
}, 50);
const timer = setInterval(() => {
  const loopLagMs = Math.round(lagMax);
  lagMax = 0;
  let sent = 0;
  let retransmitted = 0;
  let connected = 0;
  for (const s of webrtc.sessions()) {
    sent += s.stats.packetsSent ?? 0;
    retransmitted += s.stats.retransmitted ?? 0;
    if (s.connected) connected++;
  }
  // deno-lint-ignore no-console
  console.log(
    JSON.stringify({
      stats: {
        ...webrtc.stats,
        connected,
        sent,
        retransmitted,
        loopLagMs,
        mux: webrtc.mux?.stats,
        sendCalls: webrtc.mux?.sendCalls,
        closed: webrtc.recentCloseReasons,
      },
    }),
  );
}, 1_000);
Deno.addSignalListener("SIGTERM", async () => {
  clearInterval(timer);
  clearInterval(lagTimer);
  controller.abort();
  await Promise.race([
    Promise.all([served, transcode.close()]),
    new Promise((r) => setTimeout(r, 5_000)),
  ]);
  Deno.exit(0);
});
