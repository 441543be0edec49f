// Issue 20 fault 4: each RTMP player's timestamps start at 0 at its join,
// while every player writes the same shared chunk bytes (type-1 deltas in
// stream order). Two players joining at different points, a resync, a
// publisher restart, metadata at 0, an extended timestamp, decoded with our
// chunk reader.
import assert from "node:assert/strict";
import type { MediaFrame } from "../../../media/frame.ts";
import { JoinedEgressCache } from "../../../src/egress_cache.ts";
import {
  ChunkReader,
  ChunkStreamId,
  MEDIA_STREAM_ID,
  rtmpChunkFormat,
  type RtmpMessage,
} from "../../../protocols/rtmp/mod.ts";
import { chainOf } from "../../../protocols/rtmp/_chunk_chain.ts";
import { PlayTimeline } from "../../../protocols/rtmp/_play_timeline.ts";

const OFFSET = 1_200_000; // a stream that has run 20 minutes

/** Frame i: video (300 bytes: 3 chunks at 128) on even i, audio on odd; 20 ms apart. */
function frame(i: number, base = OFFSET): MediaFrame {
  const video = i % 2 === 0;
  return {
    kind: video ? "video" : "audio",
    codec: video ? "h264" : "aac",
    trackId: 0,
    pts: base + i * 20,
    dts: base + i * 20,
    timescale: 1000,
    keyframe: !video || i % 20 === 0,
    config: false,
    data: new Uint8Array(video ? 300 : 40).fill(i & 0xff),
  };
}

/** The sequence headers, stamped at `at` (as the kernel's GOP cache replays them). */
function configsAt(at: number): MediaFrame[] {
  return [
    {
      ...frame(0),
      config: true,
      pts: at,
      dts: at,
      data: Uint8Array.of(1, 0x64, 0, 0x1f),
    },
    {
      ...frame(1),
      config: true,
      pts: at,
      dts: at,
      data: Uint8Array.of(0x12, 0x10),
    },
  ];
}

function setup() {
  const format = rtmpChunkFormat(128);
  const cache = new JoinedEgressCache(format);
  const chain = chainOf(format)!;
  return { cache, chain };
}

/** A player: its timeline and everything it wrote, decoded. */
class Player {
  timeline: PlayTimeline;
  #reader = new ChunkReader();
  messages: RtmpMessage[] = [];
  constructor(chain: NonNullable<ReturnType<typeof chainOf>>) {
    this.timeline = new PlayTimeline(chain);
  }
  write(frames: MediaFrame[], shared: Uint8Array): Uint8Array | Uint8Array[] {
    const out = this.timeline.pieces(frames, shared);
    for (const part of out instanceof Uint8Array ? [out] : out) {
      this.messages.push(...this.#reader.feed(part));
    }
    return out;
  }
  timestamps(csid: number): number[] {
    return this.messages.filter((m) => m.csid === csid).map((m) => m.timestamp);
  }
}

function ts(frames: MediaFrame[], kind: string, epoch: number): number[] {
  return frames.filter((f) => f.kind === kind).map((f) => f.dts - epoch);
}

Deno.test("RTMP play timeline: two players joining at different points share the bytes after their first message per chunk stream and each starts at 0", () => {
  const { cache, chain } = setup();
  const stream = Array.from({ length: 60 }, (_, i) => frame(i));
  const a = new Player(chain);
  const b = new Player(chain);
  const aFrames: MediaFrame[] = [];
  const bFrames: MediaFrame[] = [];
  // A joins at frame 0: configs stamped there, then frames 0..9
  const aJoin = [...configsAt(stream[0]!.dts), ...stream.slice(0, 10)];
  const aFirst = a.write(aJoin, cache.batch(aJoin));
  assert.ok(Array.isArray(aFirst), "a join is rebased");
  aFrames.push(...aJoin);
  for (let at = 10; at < 20; at += 5) {
    const run = stream.slice(at, at + 5);
    assert.equal(a.write(run, cache.batch(run)), cache.batch(run));
    aFrames.push(...run);
  }
  // B joins at frame 20 (a new GOP): its own configs, frames 20..23
  const bJoin = [...configsAt(stream[20]!.dts), ...stream.slice(20, 24)];
  const shared = cache.batch(bJoin);
  const pieces = b.write(bJoin, shared);
  assert.ok(Array.isArray(pieces));
  // 2 configs + the first video + the first audio message: own type-0 headers
  assert.equal(b.timeline.rebased, 4);
  // after them, B writes views of the shared bytes: the last piece ends the batch
  const last = pieces.at(-1)!;
  assert.equal(last.buffer, shared.buffer);
  assert.equal(
    last.byteOffset + last.length,
    shared.byteOffset + shared.length,
  );
  bFrames.push(...bJoin);
  a.write(stream.slice(20, 24), cache.batch(stream.slice(20, 24)));
  aFrames.push(...stream.slice(20, 24));
  // from here both write the very same shared Uint8Array
  for (let at = 24; at < 60; at += 4) {
    const run = stream.slice(at, at + 4);
    const bytes = cache.batch(run);
    assert.equal(a.write(run, bytes), bytes);
    assert.equal(b.write(run, bytes), bytes);
    aFrames.push(...run);
    bFrames.push(...run);
  }
  assert.equal(cache.serialized, 60 + 4, "each frame serialized once");
  // decoded: each player's timeline starts at 0 at its join
  for (
    const [p, frames, epoch] of [[a, aFrames, stream[0]!.dts], [
      b,
      bFrames,
      stream[20]!.dts,
    ]] as const
  ) {
    assert.equal(p.timestamps(ChunkStreamId.Video)[0], 0);
    assert.deepEqual(
      p.timestamps(ChunkStreamId.Video),
      ts([...frames], "video", epoch),
    );
    assert.deepEqual(
      p.timestamps(ChunkStreamId.Audio),
      ts([...frames], "audio", epoch),
    );
    assert.deepEqual(
      p.messages.map((m) => m.payload.length),
      frames.map((f) => f.data.length + (f.kind === "video" ? 5 : 2)),
    );
    assert.ok(p.messages.every((m) => m.streamId === MEDIA_STREAM_ID));
  }
  assert.equal(a.timeline.rebased, 4);
});

Deno.test("RTMP play timeline: a resync mid-play sends a fresh type-0 per chunk stream on a continuous timeline; later batches are shared again", () => {
  const { cache, chain } = setup();
  const stream = Array.from({ length: 60 }, (_, i) => frame(i));
  const live = new Player(chain); // keeps up: serializes in stream order
  const slow = new Player(chain);
  const join = [...configsAt(stream[0]!.dts), ...stream.slice(0, 10)];
  live.write(join, cache.batch(join));
  slow.write(join, cache.batch(join));
  for (let at = 10; at < 40; at += 5) {
    const run = stream.slice(at, at + 5);
    live.write(run, cache.batch(run));
  }
  // slow skipped 10..39: the kernel resyncs it at the keyframe 40
  const resync = [...configsAt(stream[40]!.dts), ...stream.slice(40, 44)];
  live.write(stream.slice(40, 44), cache.batch(stream.slice(40, 44)));
  const before = slow.timeline.rebased;
  assert.ok(Array.isArray(slow.write(resync, cache.batch(resync))));
  assert.equal(
    slow.timeline.rebased - before,
    4,
    "2 configs + first video + first audio",
  );
  const run = stream.slice(44, 48);
  const bytes = cache.batch(run);
  assert.equal(slow.write(run, bytes), bytes);
  assert.equal(live.write(run, bytes), bytes);
  const got = [...join, ...resync, ...run];
  const epoch = stream[0]!.dts;
  assert.deepEqual(
    slow.timestamps(ChunkStreamId.Video),
    ts(got, "video", epoch),
  );
  assert.deepEqual(
    slow.timestamps(ChunkStreamId.Audio),
    ts(got, "audio", epoch),
  );
  assert.equal(slow.timestamps(ChunkStreamId.Video).at(-1), 46 * 20);
});

Deno.test("RTMP play timeline: a publisher restart (timestamps from 0) continues the player's timeline; metadata at 0 stays at 0", () => {
  const { cache, chain } = setup();
  const p = new Player(chain);
  const metadata: MediaFrame = {
    kind: "data",
    codec: "amf0",
    trackId: 0,
    pts: 0,
    dts: 0,
    timescale: 1000,
    keyframe: true,
    config: false,
    data: new Uint8Array([2, 0, 10, ...new TextEncoder().encode("onMetaData")]),
  };
  const first = [
    metadata,
    ...configsAt(OFFSET),
    ...Array.from({ length: 10 }, (_, i) => frame(i)),
  ];
  p.write(first, cache.batch(first));
  const restart = [
    metadata,
    ...configsAt(0),
    ...Array.from({ length: 10 }, (_, i) => frame(i, 0)),
  ];
  p.write(restart, cache.batch(restart));
  assert.deepEqual(p.timestamps(ChunkStreamId.Data), [0, 0]);
  const video = p.timestamps(ChunkStreamId.Video);
  const audio = p.timestamps(ChunkStreamId.Audio);
  for (const series of [video, audio]) {
    for (let i = 1; i < series.length; i++) {
      assert.ok(series[i]! >= series[i - 1]!, `monotonic: ${series}`);
    }
  }
  assert.equal(video[0], 0);
  assert.ok(video.at(-1)! < 2 * 10 * 20 + 40, `continues: ${video}`);
});

Deno.test("RTMP play timeline: a player past 0xffffff ms gets an extended timestamp on its type-0 header and on each type-3 chunk; a huge shared delta is rebased", () => {
  const { cache, chain } = setup();
  const p = new Player(chain);
  const start = Array.from({ length: 4 }, (_, i) => frame(i, 1_000));
  p.write(start, cache.batch(start));
  // the stream jumps 5 hours ahead (a delta the shared header cannot carry)
  const late = 1_000 + 5 * 3600_000;
  const after = Array.from({ length: 6 }, (_, i) => frame(i, late));
  const pieces = p.write(after, cache.batch(after));
  assert.ok(Array.isArray(pieces));
  const video = p.timestamps(ChunkStreamId.Video);
  const audio = p.timestamps(ChunkStreamId.Audio);
  assert.deepEqual(video, [0, 40, ...[0, 40, 80].map((t) => late - 1_000 + t)]);
  assert.deepEqual(audio, [
    20,
    60,
    ...[20, 60, 100].map((t) => late - 1_000 + t),
  ]);
  assert.ok(video.at(-1)! > 0xffffff);
  // the first video message after the jump (3 chunks) is rebuilt with the
  // extended timestamp on each chunk: 16 + 305 + 2 × 5 bytes
  assert.ok(pieces.some((x) => x.length === 16 + 305 + 2 * 5));
  // the next ones ride on the shared deltas again
  const more = [frame(6, late), frame(7, late)];
  const bytes = cache.batch(more);
  assert.equal(p.write(more, bytes), bytes);
  assert.equal(p.timestamps(ChunkStreamId.Video).at(-1), late - 1_000 + 120);
});

Deno.test("RTMP play timeline: two audio tracks interleaved on one chunk stream (small steps back) keep their times, no epoch move", () => {
  const { cache, chain } = setup();
  const p = new Player(chain);
  const frames: MediaFrame[] = [];
  for (let i = 0; i < 12; i++) {
    const track = i % 2;
    const dts = OFFSET + Math.floor(i / 2) * 21 + (track === 1 ? -7 : 0);
    frames.push({ ...frame(1), trackId: track, pts: dts, dts });
  }
  const all = [frame(0), ...frames];
  p.write(all, cache.batch(all));
  const epoch = OFFSET - 7; // the smallest media time of the first batch
  assert.deepEqual(
    p.timestamps(ChunkStreamId.Audio),
    frames.map((f) => f.dts - epoch),
  );
  assert.equal(p.timeline.epoch, epoch);
});
