// Fuzz: readBoxes() on mutated fMP4 bytes only ever returns in-bounds boxes or
// throws BitstreamError; Fmp4Muxer round-trips random frame sequences (random
// dts steps, B-frame offsets, sizes, keyframes) exactly. Seeded, so failures
// reproduce; FUZZ_LONG=1 runs 100× more iterations.
import assert from "node:assert/strict";
import type { MediaFrame } from "../../media/frame.ts";
import { Fmp4Muxer, readBoxes } from "../../media/fmp4/mod.ts";
import { BitstreamError } from "../../media/stream_error.ts";
import { parseFragment } from "../media/fmp4/_fragment_reader.ts";
import { ASC_48K_STEREO, AVCC_320X240 } from "../media/fmp4/_configs.ts";

const LONG = Deno.env.get("FUZZ_LONG") === "1";
const ITERATIONS = LONG ? 200_000 : 2_000;
const CONTAINERS = new Set([
  "moov",
  "trak",
  "mdia",
  "minf",
  "stbl",
  "mvex",
  "moof",
  "traf",
  "dinf",
]);

/** mulberry32: a tiny seeded PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function config(kind: "video" | "audio"): MediaFrame {
  return {
    kind,
    codec: kind === "video" ? "h264" : "aac",
    trackId: 0,
    pts: 0,
    dts: 0,
    timescale: 1000,
    keyframe: true,
    config: true,
    data: kind === "video" ? AVCC_320X240 : ASC_48K_STEREO,
  };
}

/** Random interleaved frames: video with B-frame-like pts, audio steady; dts never goes back. */
function randomFrames(random: () => number, count: number): MediaFrame[] {
  const frames: MediaFrame[] = [];
  let v = Math.floor(random() * 1e6);
  let a = v;
  for (let i = 0; i < count; i++) {
    const video = random() < 0.5;
    const dts = video
      ? (v += Math.floor(random() * 50))
      : (a += Math.floor(random() * 30));
    const size = Math.floor(random() * 64);
    frames.push({
      kind: video ? "video" : "audio",
      codec: video ? "h264" : "aac",
      trackId: 0,
      dts,
      pts: video ? dts + Math.floor(random() * 200) - 20 : dts,
      timescale: 1000,
      keyframe: !video || random() < 0.2,
      config: false,
      data: new Uint8Array(size).fill(i & 0xff),
    });
  }
  return frames.sort((x, y) => x.dts - y.dts);
}

function walk(bytes: Uint8Array, depth = 0): number {
  let count = 0;
  for (const box of readBoxes(bytes)) {
    assert.ok(box.offset >= 0 && box.offset + box.size <= bytes.length);
    assert.ok(box.body.length <= box.size - 8);
    count++;
    if (depth < 8 && CONTAINERS.has(box.type)) {
      count += walk(box.body, depth + 1);
    }
  }
  return count;
}

Deno.test("readBoxes() on mutated fMP4 returns in-bounds boxes or throws BitstreamError", () => {
  const random = prng(0xf4f4);
  const muxer = new Fmp4Muxer();
  muxer.configure(config("video"));
  muxer.configure(config("audio"));
  const seed = new Uint8Array([
    ...muxer.initSegment()!,
    ...muxer.mux(randomFrames(random, 40)),
  ]);
  assert.ok(walk(seed) > 20);
  let rejected = 0;
  for (let i = 0; i < ITERATIONS; i++) {
    const input = seed.slice(
      0,
      random() < 0.2 ? Math.floor(random() * seed.length) : seed.length,
    );
    const flips = 1 + Math.floor(random() * 4);
    for (let k = 0; k < flips && input.length > 0; k++) {
      const at = Math.floor(random() * input.length);
      input[at] = random() < 0.5
        ? Math.floor(random() * 256)
        : input[at]! ^ (1 << Math.floor(random() * 8));
    }
    try {
      walk(input);
    } catch (error) {
      if (!(error instanceof BitstreamError)) throw error;
      assert.equal(error.code, "InvalidInput");
      rejected++;
    }
  }
  assert.ok(rejected > 0, "some mutations are rejected");
});

Deno.test("Fmp4Muxer round-trips random frame sequences: sizes, bytes, decode and composition times", () => {
  const random = prng(0xbeef);
  const rounds = LONG ? 20_000 : 200;
  for (let round = 0; round < rounds; round++) {
    const muxer = new Fmp4Muxer();
    muxer.configure(config("video"));
    muxer.configure(config("audio"));
    const frames = randomFrames(random, 1 + Math.floor(random() * 60));
    const nextDts = frames.at(-1)!.dts + Math.floor(random() * 40);
    const parsed = parseFragment(muxer.mux(frames, { nextDts }));
    for (const traf of parsed.trafs) {
      const kind = traf.trackId === 1 ? "video" : "audio";
      const scale = kind === "video" ? 90 : 48;
      const source = frames.filter((f) => f.kind === kind);
      assert.equal(traf.samples.length, source.length);
      let t = traf.baseMediaDecodeTime;
      source.forEach((f, i) => {
        const s = traf.samples[i]!;
        assert.equal(t, f.dts * scale);
        assert.equal(
          s.compositionOffset,
          (f.pts - f.dts) * (kind === "video" ? scale : 0),
        );
        assert.deepEqual(s.data, f.data);
        assert.equal((s.flags & 0x10000) === 0, f.keyframe);
        t += s.duration;
      });
      assert.equal(
        t,
        Math.max(
          nextDts * scale,
          source.at(-1)!.dts * scale + traf.samples.at(-1)!.duration,
        ),
      );
    }
  }
});
