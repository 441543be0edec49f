// Run inside a network namespace by netns_test.ts: the WebRTC origin bound on
// the namespace's address, with ffmpeg publishing H.264 over RTMP to it.
// Prints one JSON line {"http":…,"udp":…} once a keyframe is cached, then a
// report line every second ({"sessions":…}) until killed.
import { publishRtmp, startWebRtcOrigin, until } from "./_origin.ts";

const hostname = Deno.args[0] ?? "127.0.0.1";
const origin = await startWebRtcOrigin({ hostname });
const ffmpeg = publishRtmp(`rtmp://${hostname}:${origin.rtmpPort}/live/cam`, {
  seconds: 120,
});
await until(
  () => origin.engine.getStream("live/cam")?.gopCache.hasVideo ?? false,
  20_000,
  "a keyframe",
);
// deno-lint-ignore no-console
console.log(JSON.stringify({ http: origin.httpPort, udp: origin.udpPort }));
const report = () => {
  // deno-lint-ignore no-console
  console.log(JSON.stringify({
    sessions: origin.webrtc.sessions(),
    closed: origin.webrtc.recentCloseReasons,
    mux: origin.webrtc.mux?.stats,
  }));
};
const timer = setInterval(report, 1_000);
Deno.addSignalListener("SIGTERM", async () => {
  clearInterval(timer);
  report();
  try {
    ffmpeg.kill("SIGKILL");
  } catch { /* gone */ }
  await ffmpeg.status;
  await origin[Symbol.asyncDispose]();
  Deno.exit(0);
});
