// Audio bridges against the real ffmpeg: an AAC source gets `~opus` (video
// copied, Opus audio read back with our MPEG-TS demuxer) and an Opus source
// (as WHIP brings) gets `~aac`; each derived stream, remuxed by our own
// muxers, decodes with zero ffmpeg errors. One bridge per stream: a second
// ensure() returns the same derived stream.
import assert from "node:assert/strict";
import { encodeFlvFile } from "../../media/flv/mod.ts";
import type { MediaFrame } from "../../media/frame.ts";
import { MpegTsDemuxer, MpegTsMuxer } from "../../media/mpegts/mod.ts";
import { Engine } from "../../src/mod.ts";
import { TranscodeService } from "../../transcode/mod.ts";
import { ffprobe, missing, run, tempDir } from "../_tools.ts";
import { collect, publishPaced, sourceFrames } from "./_source.ts";

async function decodesClean(path: string): Promise<void> {
  const r = await run("ffmpeg", ["-v", "error", "-i", path, "-f", "null", "-"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr.trim(), "", r.stderr);
}

function tsFile(frames: MediaFrame[]): Uint8Array {
  const muxer = new MpegTsMuxer();
  for (const f of frames) if (f.config) muxer.configure(f);
  return muxer.mux(frames.filter((f) => f.kind !== "data"));
}

const opts = {
  ignore: missing("ffmpeg", "ffprobe"),
  sanitizeResources: false,
  sanitizeOps: false,
};

Deno.test({
  ...opts,
  name:
    "transcode: AAC source → live/cam~opus (one per stream) decodes as Opus after a remux to TS",
}, async () => {
  await using dir = await tempDir("arcly-bridge-");
  const frames = await sourceFrames(dir.path, {
    width: 320,
    height: 240,
    seconds: 4,
  });
  await using engine = Engine.builder().build();
  await using service = new TranscodeService({
    host: engine,
    createTsReader: () => new MpegTsDemuxer(),
  });
  const publishing = publishPaced(engine, "live/cam", frames);
  await new Promise((r) => setTimeout(r, 300));
  const [a, b] = await Promise.all([
    service.ensureAudio("live/cam", "opus"),
    service.ensure("live/cam~opus"),
  ]);
  assert.equal(a, b);
  assert.equal(service.list().length, 1);
  const out = collect(a);
  await publishing;
  const got = await out;
  const audio = got.filter((f) => f.kind === "audio");
  assert.ok(audio.length > 50, `${audio.length} audio frames`);
  assert.ok(audio.every((f) => f.codec === "opus"));
  assert.ok(got.some((f) => f.kind === "video" && f.codec === "h264"));
  const path = `${dir.path}/opus.ts`;
  await Deno.writeFile(path, tsFile(got));
  const probe = await ffprobe(path);
  assert.ok(probe.streams.some((s) => s.codec_name === "opus"));
  await decodesClean(path);
});

Deno.test({
  ...opts,
  name:
    "transcode: Opus source → live/w~aac decodes as AAC after a remux to FLV",
}, async () => {
  await using dir = await tempDir("arcly-bridge-");
  const src = `${dir.path}/opus_src.ts`;
  const made = await run("ffmpeg", [
    "-hide_banner",
    "-v",
    "error",
    "-f",
    "lavfi",
    "-i",
    "testsrc2=size=320x240:rate=25",
    "-f",
    "lavfi",
    "-i",
    "sine=frequency=300:sample_rate=48000",
    "-t",
    "4",
    "-c:v",
    "libx264",
    "-preset",
    "ultrafast",
    "-g",
    "25",
    "-bf",
    "0",
    "-pix_fmt",
    "yuv420p",
    "-c:a",
    "libopus",
    "-b:a",
    "64k",
    "-f",
    "mpegts",
    src,
  ]);
  assert.equal(made.code, 0, made.stderr);
  const demuxer = new MpegTsDemuxer();
  const frames = [...demuxer.push(await Deno.readFile(src)), ...demuxer.flush()]
    .sort((x, y) => Number(!x.config) - Number(!y.config)); // configs first
  assert.ok(frames.some((f) => f.codec === "opus" && !f.config));
  await using engine = Engine.builder().build();
  await using service = new TranscodeService({ host: engine });
  const publishing = publishPaced(engine, "live/w", frames);
  await new Promise((r) => setTimeout(r, 300));
  const bridge = await service.ensureAudio("live/w", "aac");
  assert.equal(bridge.key.toString(), "live/w~aac");
  const out = collect(bridge);
  await publishing;
  const got = await out;
  const audio = got.filter((f) => f.kind === "audio" && !f.config);
  assert.ok(audio.length > 50, `${audio.length} audio frames`);
  assert.ok(audio.every((f) => f.codec === "aac"));
  const path = `${dir.path}/aac.flv`;
  await Deno.writeFile(path, encodeFlvFile(got));
  const probe = await ffprobe(path);
  assert.ok(probe.streams.some((s) => s.codec_name === "aac"));
  await decodesClean(path);
});
