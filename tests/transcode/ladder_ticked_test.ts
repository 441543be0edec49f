// A ticked ladder (`ladderOutput: "ticked"`, transcode/_ticked_io.ts): ffmpeg's
// input and outputs on libc TCP sockets that no epoll watches, drained on a
// tick, against a real ffmpeg (sizes by ffprobe, audio merged back,
// keyframes at the source's, the tail out at exit, a killed ffmpeg
// restarted); and the mode's default: ticked with FFI, packet without.
import assert from "node:assert/strict";
import { encodeFlvFile } from "../../media/flv/mod.ts";
import type { MediaFrame } from "../../media/frame.ts";
import { Engine } from "../../src/mod.ts";
import {
  parseLadder,
  type TranscodeEvent,
  TranscodeService,
} from "../../transcode/mod.ts";
import { ladderOutputOf, ladderSpecOf } from "../../transcode/_job_specs.ts";
import { tcpFfiAvailable } from "../../protocols/net/mod.ts";
import { ffprobe, missing, tempDir } from "../_tools.ts";
import { collect, publishPaced, sourceFrames, until } from "./_source.ts";

Deno.test("ladder ticked: the default is ticked when FFI sockets work, packet otherwise; an explicit mode wins", () => {
  const yes = () => true, no = () => false;
  assert.equal(ladderOutputOf({}, yes), "ticked");
  assert.equal(ladderOutputOf({}, no), "packet");
  assert.equal(ladderOutputOf({ ladderOutput: "packet" }, yes), "packet");
  assert.equal(ladderOutputOf({ ladderOutput: "buffered" }, no), "buffered");
  const spec = (o: Record<string, unknown>, available: () => boolean) =>
    ladderSpecOf({ host: undefined as never, ...o }, "live/cam", [], available);
  // Without FFI: Deno's sockets, every packet (the ninth session's default).
  assert.equal(spec({}, no).tickMs, 0);
  assert.equal(spec({}, no).flushPackets, true);
  // With FFI: ticked sockets, ffmpeg still writes every packet at once.
  assert.equal(spec({}, yes).tickMs, 40);
  assert.equal(spec({}, yes).flushPackets, true);
  assert.equal(spec({ ladderTickMs: 20 }, yes).tickMs, 20);
  assert.equal(spec({ ladderOutput: "packet" }, yes).tickMs, 0);
  assert.equal(spec({ ladderOutput: "buffered" }, yes).flushPackets, false);
  assert.equal(spec({ ladderOutput: "buffered" }, yes).tickMs, 0);
  // The real check agrees with the FFI backend's.
  assert.equal(
    ladderOutputOf({}),
    tcpFfiAvailable() ? "ticked" : "packet",
  );
});

Deno.test({
  name:
    "transcode: a ticked ladder publishes every rendition at its size, the audio merged back, keyframes at the source's, the tail flushed at exit",
  ignore: missing("ffmpeg", "ffprobe") || !tcpFfiAvailable(),
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  await using dir = await tempDir("arcly-ladder-ticked-");
  const frames = await sourceFrames(dir.path, { seconds: 6 });
  await using engine = Engine.builder().build();
  await using service = new TranscodeService({
    host: engine,
    ladders: { live: parseLadder("360p,240p") },
    preset: "ultrafast",
    maxQueueMs: 20_000, // a loaded host: no GOP dropped (not this test's subject)
    ladderOutput: "ticked", // throws at the start without FFI: no silent fallback
    ladderTickMs: 40,
  });
  const runs = new Map<string, Promise<MediaFrame[]>>();
  engine.events.on("published", (e) => {
    const handle = engine.getStream(e.key);
    if (handle && e.key.includes("~")) runs.set(e.key, collect(handle));
  });
  await publishPaced(engine, "live/cam", frames);
  await until(() => service.list().length === 0, 15_000);
  const source = frames.filter((f) => f.kind === "video" && f.keyframe)
    .map((f) => f.pts);
  const sourceAudio = frames.filter((f) => f.kind === "audio" && !f.config);
  for (const [variant, size] of [["360p", "640x360"], ["240p", "426x240"]]) {
    const key = `live/cam~${variant}`;
    assert.ok(runs.has(key), `${key} published`);
    const out = await runs.get(key)!;
    const video = out.filter((f) => f.kind === "video" && !f.config);
    assert.ok(video.length >= 100, `${key}: ${video.length} video frames`);
    // The last packets (ffmpeg's flush at its exit) were drained too.
    assert.equal(
      video.at(-1)!.pts,
      frames.findLast((f) => f.kind === "video")!.pts,
    );
    // Every video pts is the source's (frame-accurate), in order.
    for (let k = 1; k < video.length; k++) {
      assert.ok(video[k]!.dts >= video[k - 1]!.dts, `${key}: dts order`);
    }
    const audio = out.filter((f) => f.kind === "audio" && !f.config);
    assert.ok(
      audio.length >= sourceAudio.length * 0.8,
      `${key}: ${audio.length} of ${sourceAudio.length} audio frames`,
    );
    const path = `${dir.path}/${variant}.flv`;
    await Deno.writeFile(path, encodeFlvFile(out));
    const probe = await ffprobe(path);
    const stream = probe.streams.find((s) => s.codec_type === "video")!;
    assert.equal(`${stream.width}x${stream.height}`, size);
    assert.ok(probe.streams.some((s) => s.codec_name === "aac"), path);
    const kf = video.filter((f) => f.keyframe).map((f) => f.pts);
    assert.ok(kf.length >= 2, `${key}: ${kf.length} keyframes`);
    for (const k of kf) assert.ok(source.includes(k), `${key}: keyframe ${k}`);
  }
});

Deno.test({
  name:
    "transcode: a ticked ladder whose ffmpeg is killed mid-stream ends its run (EOF on the ticked sockets) and restarts within the backoff",
  ignore: missing("ffmpeg") || !tcpFfiAvailable(),
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  await using dir = await tempDir("arcly-ladder-ticked-restart-");
  const frames = await sourceFrames(dir.path, {
    width: 640,
    height: 360,
    seconds: 7,
  });
  await using engine = Engine.builder().build();
  const events: TranscodeEvent[] = [];
  await using service = new TranscodeService({
    host: engine,
    ladders: { live: parseLadder("240p") },
    preset: "ultrafast",
    restartBackoffMs: 300,
    ladderOutput: "ticked",
    onEvent: (e) => events.push(e),
  });
  const republished: number[] = [];
  engine.events.on("published", (e) => {
    if (e.key === "live/cam~240p") republished.push(performance.now());
  });
  const publishing = publishPaced(engine, "live/cam", frames);
  const pid = await until(() =>
    service.stats("live/cam~240p")?.framesOut
      ? service.stats("live/cam~240p")!.pid
      : undefined
  );
  await new Promise((r) => setTimeout(r, 1500));
  Deno.kill(pid!, "SIGKILL");
  const killedAt = performance.now();
  // The new ffmpeg: another pid, frames flowing again.
  const pid2 = await until(() => {
    const s = service.stats("live/cam~240p");
    return s?.pid && s.pid !== pid && s.framesOut > 0 ? s.pid : undefined;
  }, 6000);
  assert.notEqual(pid2, pid);
  await publishing;
  await until(() => service.list().length === 0, 15_000);
  const restart = events.find((e) => e.type === "restarting");
  assert.ok(restart && restart.type === "restarting", JSON.stringify(events));
  assert.equal(restart.delayMs, 300);
  assert.equal(republished.length, 2, `published at ${republished}`);
  assert.ok(republished[1]! - killedAt < 5000);
});
