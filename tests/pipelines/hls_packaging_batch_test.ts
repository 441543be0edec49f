// The packager's batching (issue 19): without LL-HLS it takes frames on the
// stream's egress tick (`batchMs`), one `pushAll()` per wake-up; the idle
// checks of every live packager share one timer per clock; `pushAll()` gives
// the bytes of `push()` per frame.
import assert from "node:assert/strict";
import { MemoryStorage } from "../../media/storage/mod.ts";
import { HlsSegmenter } from "../../media/hls/mod.ts";
import { Engine, ManualClock, StreamKey } from "../../src/mod.ts";
import { HlsPackaging } from "../../pipelines/mod.ts";
import { sampleFrames } from "../protocols/http/_fixtures.ts";

/** Let the packager's promises and MemoryStorage writes run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 20));
}

/** Close `packaging` while moving `clock` on (the pumps wait on its ticks). */
async function closeOn(
  packaging: HlsPackaging,
  clock: ManualClock,
): Promise<void> {
  let closed = false;
  const closing = packaging.close().then(() => closed = true);
  for (let i = 0; i < 50 && !closed; i++) {
    clock.advance(100);
    await settle();
  }
  await closing;
}

/** TS packaging without LL-HLS: 1 s segments, frames taken on a 100 ms tick. */
function tickedPackaging(engine: Engine): HlsPackaging {
  return new HlsPackaging({
    engine,
    storage: new MemoryStorage(),
    format: "ts",
    lowLatency: false,
    targetDurationMs: 1000,
    batchMs: 100,
  });
}

Deno.test("HlsPackaging without LL-HLS takes the frames on the stream's egress tick (batchMs)", async () => {
  const clock = new ManualClock();
  await using engine = Engine.builder().clock(clock).build();
  const packaging = tickedPackaging(engine);
  const handle = engine.startPublish(StreamKey.parse("live/cam"));
  // 187 frames, two 1 s GOPs and the next keyframe: fewer than the tick's
  // backlog trigger (half of the lag limit, 256), so only the period fires.
  for (const frame of sampleFrames()) {
    if (frame.dts > 2400) break;
    handle.publishFrame(frame);
  }
  await settle();
  const segmenter = packaging.segmenter("live/cam")!;
  assert.equal(segmenter.lastSegment(), undefined, "nothing taken yet");
  clock.advance(99);
  await settle();
  assert.equal(segmenter.lastSegment(), undefined, "still before the tick");
  clock.advance(1);
  await settle();
  assert.equal(segmenter.lastSegment()?.msn, 1, "both segments at the tick");
  handle.end();
  await closeOn(packaging, clock);
  assert.ok(segmenter.ended);
  assert.match(segmenter.playlist(), /#EXT-X-ENDLIST/);
});

Deno.test("HlsPackaging batching never holds a finished segment back: within a batch of the target duration it takes frames as they come", async () => {
  const clock = new ManualClock();
  await using engine = Engine.builder().clock(clock).build();
  const packaging = tickedPackaging(engine);
  const handle = engine.startPublish(StreamKey.parse("live/cam"));
  const frames = sampleFrames(); // keyframes at 0, 1000, 2000 ms
  let next = 0;
  const publishUpTo = (dts: number): void => {
    while (next < frames.length && frames[next]!.dts <= dts) {
      handle.publishFrame(frames[next++]!);
    }
  };
  publishUpTo(500);
  clock.advance(100); // the tick: the first batch, half a segment
  await settle();
  const segmenter = packaging.segmenter("live/cam")!;
  assert.ok(segmenter.msToTarget > 100, `${segmenter.msToTarget} ms left`);
  publishUpTo(960);
  await settle();
  // Far from the cut, the packager waits for the tick.
  assert.ok(segmenter.msToTarget > 400, "not taken before the tick");
  clock.advance(100);
  await settle();
  assert.ok(segmenter.msToTarget <= 100, `${segmenter.msToTarget} ms left`);
  assert.equal(segmenter.lastSegment(), undefined);
  // The keyframe at 1000 ms cuts the segment with no tick in between.
  publishUpTo(1010);
  await settle();
  assert.equal(segmenter.lastSegment()?.msn, 0, "cut as the keyframe came");
  // The next segment's frames wait for the tick again.
  publishUpTo(1500);
  await settle();
  assert.ok(segmenter.msToTarget > 900);
  handle.end();
  await closeOn(packaging, clock);
  assert.match(segmenter.playlist(), /#EXT-X-ENDLIST/);
});

/** Armed timers of `clock` before and after each of three publishes. */
async function timersPerPublish(
  engine: Engine,
  clock: ManualClock,
): Promise<number[]> {
  const timers = [clock.pendingTimers];
  for (const name of ["a", "b", "c"]) {
    engine.startPublish(StreamKey.parse(`live/${name}`));
    await settle();
    timers.push(clock.pendingTimers);
  }
  return timers;
}

Deno.test("HlsPackaging checks every live packager for silence on one timer, gone with the last", async () => {
  // The engine's own timers, without packaging.
  const plainClock = new ManualClock();
  await using plain = Engine.builder().clock(plainClock).build();
  const engineTimers = await timersPerPublish(plain, plainClock);
  const clock = new ManualClock();
  await using engine = Engine.builder().clock(clock).build();
  const packaging = new HlsPackaging({
    engine,
    storage: new MemoryStorage(),
    format: "ts",
    lowLatency: true, // no egress tick: the idle check is its only timer
  });
  const timers = await timersPerPublish(engine, clock);
  // One timer for the three packagers (it was one per stream).
  assert.deepEqual(
    timers.map((n, i) => n - engineTimers[i]!),
    [0, 1, 1, 1],
  );
  for (const name of ["a", "b", "c"]) {
    engine.getStream(`live/${name}`)?.end();
  }
  await closeOn(packaging, clock);
  await settle();
  assert.equal(packaging.segmenter("live/a")?.ended, true);
  assert.ok(clock.pendingTimers <= engineTimers[3]!, "no timer left behind");
});

Deno.test("HlsSegmenter.pushAll writes the bytes push() does, frame by frame", async () => {
  const frames = sampleFrames().filter((f) => f.dts <= 6000);
  const stored: Map<string, string>[] = [];
  for (const batched of [false, true]) {
    for (const partTargetMs of [undefined, 334]) {
      const storage = new MemoryStorage();
      const segmenter = new HlsSegmenter({
        storage,
        prefix: "live/cam",
        format: "ts",
        targetDurationMs: 1000,
        windowSize: 100,
        ...(partTargetMs === undefined ? {} : { partTargetMs }),
        wallClock: () => 1_700_000_000_000,
      });
      if (batched) {
        for (let i = 0; i < frames.length; i += 7) {
          await segmenter.pushAll(frames.slice(i, i + 7));
        }
      } else {
        for (const frame of frames) await segmenter.push(frame);
      }
      await segmenter.end();
      const files = new Map<string, string>();
      for (const key of await storage.list("live/cam/")) {
        const bytes = (await storage.get(key))!;
        files.set(
          key,
          `${bytes.length}:${bytes.reduce((h, b) => (h * 31 + b) >>> 0, 7)}`,
        );
      }
      stored.push(files);
    }
  }
  assert.ok(stored[0]!.size > 6, "segments and a playlist");
  assert.deepEqual(stored[2], stored[0]);
  assert.deepEqual(stored[3], stored[1]);
});
