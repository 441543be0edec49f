// Ladder syntax and planning, derived key naming, ffmpeg progress parsing,
// and the stdin queue's drop-to-keyframe policy (no ffmpeg needed).
import assert from "node:assert/strict";
import type { MediaFrame } from "../../media/frame.ts";
import { StreamError } from "../../media/stream_error.ts";
import {
  derivedKey,
  FfmpegProgressParser,
  parseDerivedKey,
  parseLadder,
  planLadder,
  renditionArgs,
} from "../../transcode/mod.ts";
import { StdinFeeder } from "../../transcode/_stdin_feeder.ts";
import { audioConfig, audioFrame, videoConfig, videoFrame } from "../_fakes.ts";

Deno.test("ladder: HEIGHTp and HEIGHTp@BITRATE, highest first, duplicates merged", () => {
  assert.deepEqual(parseLadder(" 360p, 720p@2.5M,480p@800k,360p "), [
    { name: "720p", height: 720, videoBitrate: 2_500_000 },
    { name: "480p", height: 480, videoBitrate: 800_000 },
    { name: "360p", height: 360 },
  ]);
  for (
    const bad of [
      "",
      "720",
      "720p@",
      "721p",
      "32p",
      "9000p",
      "480p@5",
      "480p@1G",
      "a,b",
    ]
  ) {
    assert.throws(
      () => parseLadder(bad),
      (e: unknown) => e instanceof StreamError && e.code === "InvalidInput",
      bad,
    );
  }
});

Deno.test("ladder: planned for the source: aspect kept, even widths, never upscaled", () => {
  const ladder = parseLadder("1080p,720p,480p,360p");
  assert.deepEqual(
    planLadder(1280, 720, ladder).map((r) =>
      `${r.name}:${r.width}x${r.height}`
    ),
    [
      "480p:854x480",
      "360p:640x360",
    ],
  );
  assert.deepEqual(
    planLadder(720, 1280, parseLadder("480p")).map((r) =>
      `${r.width}x${r.height}`
    ),
    ["270x480"],
  );
  assert.deepEqual(planLadder(640, 480, parseLadder("480p,720p")), []);
  assert.deepEqual(planLadder(0, 0, ladder), []);
  assert.equal(
    planLadder(1920, 1080, parseLadder("720p"))[0]!.videoBitrate,
    2_800_000,
  );
  const args = renditionArgs(
    planLadder(1920, 1080, parseLadder("720p@2M"))[0]!,
  );
  assert.ok(args.includes("scale=1280:720") && args.includes("2000000"));
});

Deno.test("derived keys: {app}/{name}~{variant}", () => {
  assert.equal(derivedKey("live/cam", "480p"), "live/cam~480p");
  assert.deepEqual(parseDerivedKey("live/cam~opus"), {
    source: "live/cam",
    variant: "opus",
  });
  assert.equal(parseDerivedKey("live/cam"), null);
  assert.equal(parseDerivedKey("live/cam~"), null);
  assert.equal(parseDerivedKey("live/a~b~c"), null);
});

Deno.test("progress: key=value blocks split anywhere, error lines kept (at most 8)", () => {
  const parser = new FfmpegProgressParser();
  const text =
    "frame=10\nfps=5.5\nbitrate=N/A\nspeed=0.5x\nout_time_us=400000\nprogress=continue\n" +
    Array.from({ length: 12 }, (_, i) => `[libx264] error ${i}\n`).join("") +
    "frame=20\nprogress=end\n";
  const bytes = new TextEncoder().encode(text);
  const seen = [];
  for (let i = 0; i < bytes.length; i += 7) {
    seen.push(...parser.push(bytes.subarray(i, i + 7)));
  }
  assert.deepEqual(
    seen.map((p) => [p.frame, p.fps, p.speed, p.bitrateKbps, p.outTimeMs]),
    [
      [10, 5.5, 0.5, 0, 400],
      [20, 0, 0, 0, 0],
    ],
  );
  assert.equal(parser.errors.length, 8);
  assert.equal(parser.errors.at(-1), "[libx264] error 11");
});

Deno.test("stdin queue: bounded; past the bound frames are dropped up to the next keyframe and counted", async () => {
  const feeder = new StdinFeeder("flv", 4000);
  const push = (f: MediaFrame) => feeder.push(f);
  push(videoConfig());
  push(audioConfig());
  push(videoFrame(0, true, { size: 1000 })); // header + tag
  push(videoFrame(40, false, { size: 1000 }));
  push(videoFrame(80, false, { size: 1000 }));
  assert.ok(feeder.queuedBytes <= 4000);
  push(videoFrame(120, false, { size: 1000 })); // would exceed: dropped, dropping starts
  push(audioFrame(121));
  push(videoFrame(160, false, { size: 100 })); // small, but not a keyframe: dropped
  assert.equal(feeder.dropped, 3);
  // Drain (a writer that takes everything), then the next keyframe resumes.
  const written: Uint8Array[] = [];
  const writer = new WritableStream<Uint8Array>({
    write: (c) => void written.push(c),
  }).getWriter();
  const run = feeder.run(writer);
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(feeder.queuedBytes, 0);
  push(videoFrame(200, false, { size: 100 }));
  push(videoFrame(240, true, { size: 1000 }));
  push(videoFrame(280, false, { size: 100 }));
  feeder.close();
  await run;
  assert.equal(feeder.dropped, 4);
  const total = written.reduce((n, c) => n + c.length, 0);
  assert.ok(total > 3 * 1000 + 1000 + 100, `${total} bytes written`);
});

Deno.test("stdin queue: bounded in media time too: ffmpeg never falls more than maxMs behind", () => {
  const feeder = new StdinFeeder("flv", 1 << 30, 1000);
  feeder.armTimeBound(); // as after ffmpeg's first output
  feeder.push(videoConfig());
  for (let dts = 0; dts <= 3000; dts += 40) {
    feeder.push(videoFrame(dts, dts % 2000 === 0, { size: 100 }));
  }
  // 0..1000 ms queued; 1040..1960 dropped; 2000 is a keyframe but still too
  // late (the queue was never drained), so it and the rest are dropped too.
  assert.equal(feeder.dropped, Math.round((3000 - 1000) / 40));
});
