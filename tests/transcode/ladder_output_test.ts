// A ladder's output mode: per packet (the default, `-flush_packets 1` on
// every rendition) or buffered (`ladderOutput: "buffered"`: `-flush_packets
// 0`, ffmpeg's 32 KiB output buffer), from the service options to the
// arguments, and a buffered ladder against a real ffmpeg (its CPU and
// latency: the bench's `--outputs=packet,buffered`, bench/RESULTS.md, ninth
// session).
import assert from "node:assert/strict";
import { encodeFlvFile } from "../../media/flv/mod.ts";
import type { MediaFrame } from "../../media/frame.ts";
import { Engine } from "../../src/mod.ts";
import { parseLadder, TranscodeService } from "../../transcode/mod.ts";
import { ladderArgs } from "../../transcode/ffmpeg_args.ts";
import { ladderSpecOf } from "../../transcode/_job_specs.ts";
import { ffprobe, missing, tempDir } from "../_tools.ts";
import { collect, publishPaced, sourceFrames, until } from "./_source.ts";

const renditions = [
  { name: "480p", width: 854, height: 480, videoBitrate: 1_200_000 },
  { name: "240p", width: 426, height: 240, videoBitrate: 400_000 },
];

const flushValues = (args: string[]) =>
  args.flatMap((a, i) => a === "-flush_packets" ? [args[i + 1]] : []);

Deno.test("ladder output: every rendition flushes each packet by default, none when buffered", () => {
  const outs = ["unix:/tmp/x/0.sock", "unix:/tmp/x/1.sock"];
  assert.deepEqual(flushValues(ladderArgs(renditions, outs)), ["1", "1"]);
  assert.deepEqual(
    flushValues(ladderArgs(renditions, outs, { flushPackets: true })),
    ["1", "1"],
  );
  assert.deepEqual(
    flushValues(ladderArgs(renditions, outs, { flushPackets: false })),
    ["0", "0"],
  );
});

Deno.test("ladder output: the service option reaches the ladder spec", () => {
  const spec = (o: { ladderOutput?: "packet" | "buffered" }) =>
    ladderSpecOf({ host: undefined as never, ...o }, "live/cam", []);
  assert.equal(spec({}).flushPackets, true);
  assert.equal(spec({ ladderOutput: "packet" }).flushPackets, true);
  assert.equal(spec({ ladderOutput: "buffered" }).flushPackets, false);
});

Deno.test({
  name:
    'transcode: a buffered ladder (ladderOutput "buffered") publishes every rendition at its size, the audio merged back, keyframes at the source\'s',
  ignore: missing("ffmpeg", "ffprobe"),
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  await using dir = await tempDir("arcly-ladder-buffered-");
  const frames = await sourceFrames(dir.path, { seconds: 6 });
  await using engine = Engine.builder().build();
  await using service = new TranscodeService({
    host: engine,
    ladders: { live: parseLadder("360p,240p") },
    preset: "ultrafast",
    maxQueueMs: 20_000, // a loaded host: no GOP dropped (not this test's subject)
    ladderOutput: "buffered",
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
  for (const [variant, size] of [["360p", "640x360"], ["240p", "426x240"]]) {
    const key = `live/cam~${variant}`;
    const out = await runs.get(key)!;
    const video = out.filter((f) => f.kind === "video" && !f.config);
    // ffmpeg's buffer is flushed at its exit: the tail comes out too
    // (6 s at 25 fps; the start may wait for ffmpeg's first keyframe).
    assert.ok(video.length >= 100, `${key}: ${video.length} video frames`);
    assert.equal(
      video.at(-1)!.pts,
      frames.findLast((f) => f.kind === "video")!.pts,
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
