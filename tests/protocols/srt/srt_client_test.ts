// Caller mode against real listeners: SrtSource pulls from ffmpeg in SRT
// listener mode (engine.pumpSource), srtPush sends a stream to ffmpeg in
// listener mode (ffmpeg decodes it), and SrtClient against our own
// SrtHandler: encrypted publish + read, and the listener's reject codes
// surfacing as StreamError codes.
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { MpegTsMuxer } from "../../../media/mpegts/mod.ts";
import type { MediaFrame } from "../../../media/frame.ts";
import { StreamError } from "../../../media/stream_error.ts";
import { SrtClient, srtPush, SrtSource } from "../../../protocols/srt/mod.ts";
import { missing } from "../../_tools.ts";
import { finish, startSrtOrigin, stop, until } from "./_srt_fixture.ts";

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function ffmpeg(args: string[]): Deno.ChildProcess {
  return new Deno.Command("ffmpeg", {
    args,
    stdout: "null",
    stderr: "piped",
    stdin: "null",
  }).spawn();
}

Deno.test({
  name:
    "SrtSource pulls from ffmpeg in listener mode into a stream (pumpSource)",
  ignore: missing("ffmpeg"),
  async fn() {
    await using origin = await startSrtOrigin();
    const port = await freeUdpPort();
    const listener = ffmpeg([
      "-v",
      "error",
      "-re",
      "-f",
      "lavfi",
      "-i",
      "testsrc2=size=320x240:rate=30",
      "-f",
      "lavfi",
      "-i",
      "sine",
      "-c:v",
      "libx264",
      "-preset",
      "veryfast",
      "-g",
      "30",
      "-c:a",
      "aac",
      "-t",
      "60",
      "-f",
      "mpegts",
      `srt://127.0.0.1:${port}?mode=listener&latency=200000`,
    ]);
    const controller = new AbortController();
    try {
      // the caller repeats its induction every 250 ms until ffmpeg listens
      const pumped = origin.engine.pumpSource(
        "live/pulled",
        new SrtSource({
          hostname: "127.0.0.1",
          port,
          connectTimeoutMs: 20_000,
        }),
        { signal: controller.signal },
      ).catch((e) => e);
      await until(
        () =>
          (origin.engine.getStream("live/pulled")?.qos().framesIn ?? 0) > 60,
        25_000,
        "pulled frames",
      );
      const qos = origin.engine.getStream("live/pulled")!.qos();
      assert.deepEqual(qos.tracks.map((t) => t.codec).sort(), ["aac", "h264"]);
      controller.abort();
      await pumped;
    } finally {
      await stop(listener);
    }
  },
});

Deno.test({
  name:
    "srtPush sends a stream to ffmpeg in listener mode, which decodes it without error",
  ignore: missing("ffmpeg"),
  async fn() {
    await using origin = await startSrtOrigin();
    const port = await freeUdpPort();
    // the stream: ffmpeg publishes into our listener
    const pub = ffmpeg([
      "-v",
      "error",
      "-re",
      "-f",
      "lavfi",
      "-i",
      "testsrc2=size=320x240:rate=30",
      "-f",
      "lavfi",
      "-i",
      "sine",
      "-c:v",
      "libx264",
      "-preset",
      "veryfast",
      "-g",
      "30",
      "-c:a",
      "aac",
      "-t",
      "60",
      "-f",
      "mpegts",
      `srt://127.0.0.1:${origin.port}?streamid=publish:live/src`,
    ]);
    const sinkProcess = ffmpeg([
      "-v",
      "error",
      "-i",
      `srt://127.0.0.1:${port}?mode=listener`,
      "-t",
      "3",
      "-f",
      "null",
      "-",
    ]);
    const sink = finish(sinkProcess, 30_000);
    const controller = new AbortController();
    try {
      await until(
        () =>
          (origin.engine.getStream("live/src")?.qos().tracks.length ?? 0) >= 2,
        20_000,
        "source",
      );
      const pushed = srtPush(
        origin.engine.getStream("live/src")!,
        { hostname: "127.0.0.1", port, connectTimeoutMs: 20_000 },
        controller.signal,
      ).catch((e) => e);
      const r = await sink;
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr.trim(), "");
      controller.abort();
      await pushed;
    } finally {
      await stop(pub);
      try {
        sinkProcess.kill("SIGKILL");
      } catch { /* exited */ }
      await sink;
    }
  },
});

function tsOf(seconds: number): Uint8Array {
  const muxer = new MpegTsMuxer();
  const frames: MediaFrame[] = [{
    kind: "audio",
    codec: "aac",
    trackId: 0,
    pts: 0,
    dts: 0,
    timescale: 1000,
    keyframe: true,
    config: true,
    data: new Uint8Array([0x12, 0x10]),
  }];
  for (let t = 0; t < seconds * 1000; t += 23) {
    frames.push({
      kind: "audio",
      codec: "aac",
      trackId: 0,
      pts: t,
      dts: t,
      timescale: 1000,
      keyframe: true,
      config: false,
      data: new Uint8Array(200).fill(t & 0xff),
    });
  }
  return muxer.mux(frames);
}

Deno.test("SrtClient publishes encrypted TS into SrtHandler and reads it back; rejections map to StreamError codes", async () => {
  const passphrase = "client-test-secret";
  await using origin = await startSrtOrigin({ passphrase, egressTickMs: 0 });
  const opts = {
    hostname: "127.0.0.1",
    port: origin.port,
    passphrase,
    pbKeyLen: 24 as const,
  };
  const pub = await SrtClient.connect({
    ...opts,
    streamId: "publish:live/client",
  });
  const ts = tsOf(3);
  const half = Math.floor(ts.length / 188 / 2) * 188;
  pub.sendTs(ts.subarray(0, half));
  await until(
    () => (origin.engine.getStream("live/client")?.qos().framesIn ?? 0) > 10,
    5_000,
    "published frames",
  );
  const reader = await SrtClient.connect({
    ...opts,
    streamId: "read:live/client",
  });
  pub.sendTs(ts.subarray(half));
  let bytes = 0;
  const it = reader.payloads()[Symbol.asyncIterator]();
  while (bytes < 188 * 20) bytes += (await it.next()).value!.length;
  assert.ok(bytes >= 188 * 20);
  assert.equal(reader.stats.undecrypted, 0);
  reader.close();
  pub.close();
  await pub.closed;
  for (
    const [sid, extra, code] of [
      ["read:live/nothing", {}, "NotFound"],
      ["nonsense:x:y:z:w", {}, "Protocol"],
      ["read:live/client", { passphrase: "wrong-secret-123" }, "Unauthorized"],
    ] as const
  ) {
    await assert.rejects(
      SrtClient.connect({ ...opts, ...extra, streamId: sid }),
      (e: unknown) => e instanceof StreamError && e.code === code,
      sid,
    );
  }
});
