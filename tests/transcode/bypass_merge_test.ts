// A rendition's audio bypasses ffmpeg and is merged back into its output by
// decode time (transcode/_bypass_merger.ts): order, config frames, the end
// of a run, and the bound of the queue (no ffmpeg needed).
import assert from "node:assert/strict";
import { BypassMerger } from "../../transcode/_bypass_merger.ts";
import { audioConfig, audioFrame, videoConfig, videoFrame } from "../_fakes.ts";

const label = (f: { kind: string; dts: number; config: boolean }) =>
  `${f.kind[0]}${f.config ? "c" : ""}${f.dts}`;

Deno.test("bypass: audio waits for ffmpeg's video and is merged in by dts", () => {
  const m = new BypassMerger("audio");
  assert.ok(m.takes(audioFrame(0)) && !m.takes(videoFrame(0, true)));
  m.add(audioConfig());
  for (const dts of [0, 21, 42, 64, 85, 106]) m.add(audioFrame(dts));
  const out: ReturnType<typeof audioFrame>[] = [];
  m.merge(videoConfig(), out); // a config releases nothing before it
  m.merge(videoFrame(0, true), out);
  m.merge(videoFrame(40, false), out);
  m.merge(videoFrame(80, false), out);
  assert.deepEqual(out.map(label), [
    "vc0",
    "ac0",
    "a0",
    "v0",
    "a21",
    "v40",
    "a42",
    "a64",
    "v80",
  ]);
  out.length = 0;
  m.drain(out); // ffmpeg ended: the rest goes out
  assert.deepEqual(out.map(label), ["a85", "a106"]);
  assert.equal(m.dropped, 0);
});

Deno.test("bypass: the queue is bounded: the oldest frame is dropped and counted", () => {
  const m = new BypassMerger("audio", 4);
  for (let i = 0; i < 10; i++) m.add(audioFrame(i * 21));
  assert.equal(m.dropped, 6);
  const out: ReturnType<typeof audioFrame>[] = [];
  m.drain(out);
  assert.deepEqual(out.map((f) => f.dts), [126, 147, 168, 189]);
});
