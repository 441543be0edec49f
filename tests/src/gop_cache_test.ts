import assert from "node:assert/strict";
import { GopCache, type MediaFrame } from "../../mod.ts";
import {
  audioConfig,
  audioFrame,
  gop,
  videoConfig,
  videoFrame,
} from "../_fakes.ts";

function cache(
  maxFrames = 100,
  maxBytes = 1 << 20,
  maxDurationMs = 1_000,
): GopCache {
  return new GopCache({ maxFrames, maxBytes, maxDurationMs });
}

Deno.test("GopCache keeps configs, script data and the frames since the last keyframe", () => {
  const c = cache();
  const vc = videoConfig();
  const ac = audioConfig();
  const script: MediaFrame = { ...audioFrame(0), kind: "data", codec: "amf0" };
  c.add(ac);
  c.add(vc);
  c.add(script);
  const first = gop(0, 5);
  const second = gop(200, 3);
  for (const f of [...first, ...second]) c.add(f);
  const a = audioFrame(290);
  c.add(a);
  assert.deepEqual(c.configFrames(), [vc, ac]); // video first, whatever the arrival order
  // Configs are replayed stamped at the GOP's start (the joining point).
  const at = (f: MediaFrame) => ({ ...f, pts: 200, dts: 200 });
  assert.deepEqual(c.replay(), [script, at(vc), at(ac), ...second, a]);
  assert.equal(c.size, 4);
  assert.equal(c.byteLength, 3 * 100 + 20);
  assert.equal(c.anchored, true);
});

Deno.test("GopCache replaces a track's config with the newer one", () => {
  const c = cache();
  c.add(videoConfig(0, 1));
  const newer = videoConfig(100, 2);
  c.add(newer);
  assert.deepEqual(c.configFrames(), [newer]);
});

Deno.test("GopCache drops a GOP that outgrows its bounds whole, until the next keyframe", () => {
  const c = cache(4, 1 << 20);
  for (const f of gop(0, 5)) c.add(f);
  assert.equal(c.size, 0);
  assert.equal(c.anchored, false);
  c.add(audioFrame(200)); // not cached: it would start mid-GOP for the video
  assert.equal(c.size, 0);
  const next = gop(400, 2);
  for (const f of next) c.add(f);
  assert.deepEqual(c.frames(), next);
  const bytes = cache(100, 250);
  for (const f of gop(0, 3)) bytes.add(f);
  assert.equal(bytes.size, 0);
});

Deno.test("GopCache ignores inter frames before the first keyframe", () => {
  const c = cache();
  c.add(videoFrame(0, false));
  assert.equal(c.size, 0);
  c.add(videoFrame(40, true));
  assert.equal(c.size, 1);
});

Deno.test("an audio-only GopCache is a sliding window bounded by frames, bytes and duration", () => {
  const byDuration = cache(1_000, 1 << 20, 100);
  for (let t = 0; t <= 500; t += 20) byDuration.add(audioFrame(t));
  const frames = byDuration.frames();
  assert.equal(frames[0]?.dts, 400);
  assert.equal(frames.at(-1)?.dts, 500);
  const byCount = cache(3, 1 << 20, 10_000);
  for (let t = 0; t < 200; t += 20) byCount.add(audioFrame(t));
  assert.deepEqual(byCount.frames().map((f) => f.dts), [140, 160, 180]);
  const byBytes = cache(1_000, 50, 10_000);
  for (let t = 0; t < 200; t += 20) byBytes.add(audioFrame(t, 20));
  assert.equal(byBytes.byteLength, 40);
  // Many frames: compaction keeps the window exact.
  const long = cache(10, 1 << 20, 10_000);
  for (let t = 0; t < 2_000; t++) long.add(audioFrame(t));
  assert.deepEqual(
    long.frames().map((f) => f.dts),
    Array.from({ length: 10 }, (_, i) => 1_990 + i),
  );
});

Deno.test("the first video keyframe turns an audio window into a keyframe-anchored GOP", () => {
  const c = cache();
  for (let t = 0; t < 100; t += 20) c.add(audioFrame(t));
  const key = videoFrame(100, true);
  c.add(key);
  assert.deepEqual(c.frames(), [key]);
  assert.equal(c.hasVideo, true);
  c.clear();
  assert.deepEqual(c.replay(), []);
});

Deno.test("GopCache drops its audio window when video starts mid-GOP (regression: replay jumped from stale audio to live)", () => {
  const c = cache();
  c.add(audioFrame(0));
  c.add(videoFrame(10, false));
  c.add(audioFrame(20));
  assert.deepEqual(c.replay(), []);
  assert.equal(c.hasVideo, true);
});
