// The exact bytes RTMP players write, pinned (issue 19): the shared chunk
// bytes no longer carry a per-frame link object (the player reads the slot,
// delta, length and type from the shared type-1 header itself, and a delta of
// 0xffffff marks "never use as is"), so this test records what several
// players write for one long sequence — joins at different points, replayed
// config frames, metadata, a frame FLV cannot carry, a publisher restart
// (negative deltas), a jump past 0xfffffe ms (a huge delta, then extended
// timestamps), a lagging player taking large batches, chunk sizes 128 and
// 60000 — and compares each player's bytes with the SHA-256 recorded with the
// code before the change (commit d69e482), and decodes them with our chunk
// reader as a sanity check.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { MediaFrame } from "../../../media/frame.ts";
import { JoinedEgressCache } from "../../../src/egress_cache.ts";
import { ChunkReader, rtmpChunkFormat } from "../../../protocols/rtmp/mod.ts";
import { chainOf } from "../../../protocols/rtmp/_chunk_chain.ts";
import { PlayTimeline } from "../../../protocols/rtmp/_play_timeline.ts";

/** Deterministic pseudo-random sizes. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 0x100000000;
  };
}

/** The stream: audio/video interleaved, with the events listed above. */
function streamFrames(): MediaFrame[] {
  const rand = rng(19);
  const out: MediaFrame[] = [];
  let t = 3_600_000; // an hour in
  const media = (kind: "audio" | "video", at: number, i: number) => {
    const video = kind === "video";
    out.push({
      kind,
      codec: video ? "h264" : "aac",
      trackId: 0,
      pts: at + (video ? 40 : 0),
      dts: at,
      timescale: 1000,
      keyframe: !video || i % 25 === 0,
      config: false,
      data: new Uint8Array(
        video ? 50 + Math.floor(rand() * 700) : 10 + Math.floor(rand() * 60),
      ).fill(i & 0xff),
    });
  };
  const config = (kind: "audio" | "video", at: number) => {
    out.push({
      kind,
      codec: kind === "video" ? "h264" : "aac",
      trackId: 0,
      pts: at,
      dts: at,
      timescale: 1000,
      keyframe: true,
      config: true,
      data: kind === "video" ? Uint8Array.of(1, 0x64, 0, 0x1f) : Uint8Array.of(
        0x12,
        0x10,
      ),
    });
  };
  const metadata = (at: number) => {
    out.push({
      kind: "data",
      codec: "amf0",
      trackId: 0,
      pts: at,
      dts: at,
      timescale: 1000,
      keyframe: true,
      config: false,
      data: new Uint8Array([
        2,
        0,
        10,
        ...new TextEncoder().encode("onMetaData"),
      ]),
    });
  };
  let i = 0;
  const run = (n: number) => {
    for (let k = 0; k < n; k++, i++) {
      media("video", t, i);
      media("audio", t + 3 + (k % 3), i); // small jitter
      t += 40;
    }
  };
  run(40);
  // a new sequence header mid-stream
  config("video", t);
  run(30);
  // a frame FLV cannot carry (skipped), then more
  out.push({ ...out.at(-2)!, codec: "vvc", dts: t, pts: t });
  run(20);
  metadata(0);
  run(10);
  // the publisher restarts: timestamps from 0 (negative deltas)
  t = 0;
  config("video", t);
  config("audio", t);
  metadata(0);
  run(40);
  // a jump past 0xfffffe ms: a huge delta, then extended timestamps
  t += 0x1000000 + 123;
  run(40);
  // a small step back on audio only (interleaved tracks)
  out.push({ ...out.at(-1)!, dts: t - 500, pts: t - 500 });
  run(30);
  return out;
}

/** Batches of `frames` from `from`, sizes cycling through `sizes`. */
function batches(
  frames: readonly MediaFrame[],
  from: number,
  sizes: number[],
): MediaFrame[][] {
  const out: MediaFrame[][] = [];
  let k = 0;
  for (let at = from; at < frames.length; k++) {
    const n = sizes[k % sizes.length]!;
    out.push(frames.slice(at, at + n));
    at += n;
  }
  return out;
}

/** The configs a joiner is replayed, stamped at the join (as the kernel does). */
function replayConfigs(at: number): MediaFrame[] {
  return (["video", "audio"] as const).map((kind) => ({
    kind,
    codec: kind === "video" ? "h264" : "aac",
    trackId: 0,
    pts: at,
    dts: at,
    timescale: 1000,
    keyframe: true,
    config: true,
    data: kind === "video" ? Uint8Array.of(1, 0x64, 0, 0x1f) : Uint8Array.of(
      0x12,
      0x10,
    ),
  }));
}

function digests(chunkSize: number): string[] {
  const frames = streamFrames();
  const format = rtmpChunkFormat(chunkSize);
  const cache = new JoinedEgressCache(format);
  const chain = chainOf(format)!;
  // [join index, batch sizes]
  const players: [number, number[]][] = [
    [0, [1, 2, 4]],
    [37, [4]],
    [85, [3, 1, 6]],
    [150, [2]],
    [205, [5, 7]],
    [260, [40]], // lagging: large batches
  ];
  // Every player's batches, interleaved in stream order like the kernel's
  // tick: serialize in stream order first (the chain is stateful).
  for (const f of frames) cache.bytesOf(f);
  const out: string[] = [];
  for (const [join, sizes] of players) {
    const timeline = new PlayTimeline(chain);
    const reader = new ChunkReader();
    reader.setChunkSize(chunkSize);
    const hash = createHash("sha256");
    let messages = 0;
    const first = [...replayConfigs(frames[join]!.dts), frames[join]!];
    for (const batch of [first, ...batches(frames, join + 1, sizes)]) {
      const shared = cache.batch(batch);
      const own = timeline.pieces(batch, shared);
      for (const part of own instanceof Uint8Array ? [own] : own) {
        hash.update(part);
        messages += reader.feed(part).length;
      }
    }
    assert.ok(messages > 0);
    out.push(
      `${hash.digest("hex").slice(0, 16)}:${messages}:${timeline.rebased}`,
    );
  }
  return out;
}

// Recorded at d69e482 (a WeakMap of ChainLink objects per frame):
// "<sha-256 prefix>:<messages decoded>:<messages rebased>" per player.
const EXPECTED: Record<number, string[]> = {
  128: [
    "c794b04a4875a2eb:428:15",
    "1eb209e61760d72f:391:15",
    "10efba8fb2f15510:343:13",
    "2d5def781976c019:279:13",
    "d19deb54bb194f98:224:8",
    "25cc0dd1a8058de4:169:7",
  ],
  60000: [
    "6f01229eb184b50b:428:15",
    "d491128f984f74b9:391:15",
    "1b3a211587b793ca:343:13",
    "f2fe997576289c30:279:13",
    "fae9c3ef2b506f65:224:8",
    "02ef2369402a25bd:169:7",
  ],
};

Deno.test("RTMP players' bytes are the same as before the per-frame links went (joins, configs, metadata, a skipped codec, a restart, a huge delta, extended timestamps)", () => {
  const got = [128, 60000].map((size) => digests(size));
  assert.deepEqual(got[0], EXPECTED[128], "chunk size 128");
  assert.deepEqual(got[1], EXPECTED[60000], "chunk size 60000");
});
