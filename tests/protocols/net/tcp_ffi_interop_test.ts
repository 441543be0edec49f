// An origin whose RTMP and HTTP listeners use the FFI TCP backend
// (`tcpBackend: "ffi"`), against real peers: ffmpeg publishes H.264+AAC over
// RTMP; ffprobe plays RTMP; ffmpeg records RTMP and HTTP-FLV; HLS (MPEG-TS)
// playlist and segment read by ffprobe over HTTP.
import assert from "node:assert/strict";
import { ffprobe, missing, run, tempDir } from "../../_tools.ts";
import { MemoryStorage } from "../../../media/storage/mod.ts";
import { HlsPackaging, HttpHandler } from "../../../protocols/http/mod.ts";
import { RtmpHandler } from "../../../protocols/rtmp/mod.ts";
import { tcpFfiAvailable } from "../../../protocols/net/mod.ts";

/**
 * epoll instances open in this process (each FFI listener opens one), listed
 * by `ls` (Deno asks for --allow-all to read its own /proc entry).
 */
function epollFds(): number {
  const out = new Deno.Command("ls", {
    args: ["-l", `/proc/${Deno.pid}/fd`],
    stdout: "piped",
    stderr: "null",
  }).outputSync();
  return new TextDecoder().decode(out.stdout).split("\n").filter((l) =>
    l.includes("eventpoll")
  ).length;
}
import { Engine } from "../../../src/mod.ts";

async function until(check: () => boolean, ms: number): Promise<void> {
  const end = performance.now() + ms;
  while (!check()) {
    if (performance.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
}

function publishArgs(url: string, seconds: number): string[] {
  return [
    ...["-hide_banner", "-loglevel", "error", "-re"],
    ...[
      "-f",
      "lavfi",
      "-i",
      `testsrc=size=320x240:rate=25:duration=${seconds}`,
    ],
    ...[
      "-f",
      "lavfi",
      "-i",
      `sine=frequency=440:sample_rate=44100:duration=${seconds}`,
    ],
    ...["-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency"],
    ...["-g", "25", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k"],
    ...["-f", "flv", url],
  ];
}

function record(input: string, out: string, seconds: number) {
  return run("ffmpeg", [
    ...["-hide_banner", "-loglevel", "error", "-i", input],
    ...["-t", String(seconds), "-c", "copy", "-f", "flv", out],
  ], { timeoutMs: 30_000 });
}

Deno.test({
  name:
    "tcpBackend ffi: ffmpeg publishes RTMP; ffprobe/ffmpeg play RTMP and HTTP-FLV; HLS segments probe",
  ignore: !tcpFfiAvailable() || missing("ffmpeg", "ffprobe"),
  async fn() {
    const engine = Engine.builder().application({ name: "live" }).build();
    const storage = new MemoryStorage();
    const packaging = new HlsPackaging({
      engine,
      storage,
      format: "ts",
      targetDurationMs: 1000,
    });
    const epollsBefore = epollFds();
    const rtmp = new RtmpHandler({
      hostname: "127.0.0.1",
      port: 0,
      tcpBackend: "ffi",
    });
    const http = new HttpHandler({
      hostname: "127.0.0.1",
      port: 0,
      storage,
      hls: packaging,
      dashboard: false,
      tcpBackend: "ffi",
    });
    const errors: unknown[] = [];
    engine.events.on("handlerError", (e) => errors.push(e.error));
    const served = engine.serve([rtmp, http]);
    const [{ port: rtmpPort }, { port: httpPort }] = await Promise.all([
      rtmp.listening,
      http.listening,
    ]);
    const rtmpUrl = `rtmp://127.0.0.1:${rtmpPort}/live/cam`;
    const httpUrl = `http://127.0.0.1:${httpPort}`;
    await using dir = await tempDir();
    try {
      const publishing = run("ffmpeg", publishArgs(rtmpUrl, 9), {
        timeoutMs: 40_000,
      });
      await until(
        () => (engine.getStream("live/cam")?.gopCache.size ?? 0) > 0,
        15_000,
      );
      // Both listeners run on the FFI backend: one epoll instance each.
      assert.equal(epollFds(), epollsBefore + 2);
      const probe = await ffprobe(rtmpUrl);
      const v = probe.streams.find((s) => s.codec_type === "video")!;
      assert.equal(v.codec_name, "h264");
      assert.equal(v.width, 320);
      assert.ok(probe.streams.some((s) => s.codec_name === "aac"));
      const [viaRtmp, viaFlv] = await Promise.all([
        record(rtmpUrl, `${dir.path}/rtmp.flv`, 2),
        record(`${httpUrl}/live/cam.flv`, `${dir.path}/http.flv`, 2),
      ]);
      assert.equal(viaRtmp.code, 0, viaRtmp.stderr);
      assert.equal(viaFlv.code, 0, viaFlv.stderr);
      for (const file of ["rtmp.flv", "http.flv"]) {
        const copy = await ffprobe(`${dir.path}/${file}`, ["-count_frames"]);
        const cv = copy.streams.find((s) => s.codec_type === "video")!;
        assert.equal(cv.codec_name, "h264", file);
        assert.ok(
          Number(cv.nb_read_frames) >= 30,
          `${file}: ${cv.nb_read_frames} frames`,
        );
        assert.ok(copy.streams.some((s) => s.codec_name === "aac"), file);
      }
      // HLS over the same FFI HTTP listener.
      let playlist = "";
      const end = performance.now() + 10_000;
      while (performance.now() < end) {
        const res = await fetch(`${httpUrl}/live/cam/index.m3u8`);
        playlist = await res.text();
        if (res.ok && playlist.split("\n").some((l) => l.endsWith(".ts"))) {
          break;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.match(playlist, /#EXTM3U/);
      const hls = await ffprobe(`${httpUrl}/live/cam/index.m3u8`);
      assert.ok(
        hls.streams.some((s) => s.codec_name === "h264"),
        JSON.stringify(hls.streams.map((s) => s.codec_name)),
      );
      const pub = await publishing;
      assert.equal(pub.code, 0, pub.stderr);
      assert.deepEqual(errors, []);
    } finally {
      await engine.shutdown({ deadlineMs: 2000 });
      await served;
      await packaging.close();
    }
    // Closed listeners with no connection left release their epoll.
    const end = performance.now() + 5_000;
    while (epollFds() !== epollsBefore && performance.now() < end) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(epollFds(), epollsBefore);
  },
});
