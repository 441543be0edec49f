// The egress cache holds the units the viewers and joiners still want, not
// the whole ring: with a 2 s GOP and viewers that keep up, about a GOP plus
// a second; a viewer that lags keeps its frames' units (nothing is built
// twice); a GOP longer than the ring keeps everything; the bytes are the
// same as without the window.
import assert from "node:assert/strict";
import {
  type EgressFormat,
  Engine,
  JoinedEgress,
  ManualClock,
  type MediaFrame,
  type StreamHandle,
} from "../../mod.ts";

/** 30 fps video, a keyframe every `gop` frames; frame n at n × 33 ms. */
function video(n: number, gop = 60): MediaFrame {
  return {
    kind: "video",
    codec: "h264",
    trackId: 0,
    pts: n * 33,
    dts: n * 33,
    timescale: 1000,
    keyframe: n % gop === 0,
    config: false,
    data: Uint8Array.of(n & 0xff, n >> 8, 7),
  };
}

const raw: EgressFormat<Uint8Array> = {
  name: "raw",
  serialize: (f) => f.data,
};

async function drain(
  viewer: AsyncIterator<Uint8Array>,
  out: number[],
): Promise<void> {
  const r = await viewer.next();
  if (!r.done) out.push(...r.value);
}

async function publishAndTake(
  stream: StreamHandle,
  from: number,
  to: number,
  viewers: AsyncIterator<Uint8Array>[],
  outs: number[][],
  gop = 60,
): Promise<void> {
  for (let n = from; n < to; n++) {
    stream.publishFrame(video(n, gop));
    await Promise.all(viewers.map((v, i) => drain(v, outs[i]!)));
  }
}

function expected(from: number, to: number): number[] {
  const out: number[] = [];
  for (let n = from; n < to; n++) out.push(n & 0xff, n >> 8, 7);
  return out;
}

Deno.test("egress cache: viewers that keep up leave about a GOP and a second of units, not the ring", async () => {
  await using engine = Engine.builder().clock(new ManualClock()).build();
  const stream = engine.startPublish("live/cam");
  const egress = new JoinedEgress(raw, { egressTickMs: 0 });
  stream.publishFrame(video(0));
  const viewer = egress.open(stream)[Symbol.asyncIterator]();
  const out: number[] = [];
  await drain(viewer, out); // the replay
  await publishAndTake(stream, 1, 600, [viewer], [out]);
  assert.deepEqual(out, expected(0, 600), "the bytes, in order");
  const cache = egress.cacheOf(stream);
  assert.equal(cache.serialized, 600, "each frame built once");
  // The ring (1,024) still holds all 600 frames; the cache a GOP (60
  // frames back to the last keyframe at most), the 1 s margin (30) and
  // up to 32 units since the last trim.
  assert.ok(cache.held <= 60 + 31 + 32, `held ${cache.held}`);
  assert.ok(cache.dropped >= 600 - 123, `dropped ${cache.dropped}`);
  assert.equal(cache.held + cache.dropped, 600);
  // A joiner now gets the cached GOP, built already.
  const joiner = egress.open(stream)[Symbol.asyncIterator]();
  const replay: number[] = [];
  await drain(joiner, replay);
  assert.deepEqual(replay, expected(540, 600), "the replay from the keyframe");
  assert.equal(cache.serialized, 600, "the replay's units were held");
  await viewer.return!();
  await joiner.return!();
});

Deno.test("egress cache: a lagging viewer keeps the units it has not taken; none is built twice", async () => {
  await using engine = Engine.builder().clock(new ManualClock()).build();
  const stream = engine.startPublish("live/cam");
  const egress = new JoinedEgress(raw, { egressTickMs: 0 });
  stream.publishFrame(video(0));
  const fast = egress.open(stream)[Symbol.asyncIterator]();
  const slow = egress.open(stream)[Symbol.asyncIterator]();
  const fastOut: number[] = [];
  const slowOut: number[] = [];
  await drain(fast, fastOut);
  await drain(slow, slowOut);
  // 300 frames (10 s) with only the fast viewer reading: the slow one
  // stays at frame 1 (lag 299 < the default lag limit of 512).
  await publishAndTake(stream, 1, 300, [fast], [fastOut]);
  const cache = egress.cacheOf(stream);
  assert.equal(cache.dropped, 0, "nothing behind the slow viewer dropped");
  // The slow viewer takes it all at once: the same bytes, nothing rebuilt.
  await drain(slow, slowOut);
  assert.deepEqual(slowOut, expected(0, 300));
  assert.deepEqual(fastOut, expected(0, 300));
  assert.equal(cache.serialized, 300);
  await publishAndTake(stream, 300, 400, [fast, slow], [fastOut, slowOut]);
  assert.ok(
    cache.dropped > 200,
    `dropped ${cache.dropped} once both caught up`,
  );
  await fast.return!();
  await slow.return!();
});

Deno.test("egress cache: a GOP longer than the ring keeps every unit (joiners replay frames the ring dropped)", async () => {
  await using engine = Engine.builder().clock(new ManualClock())
    .application({ name: "live", ringCapacity: 64, maxLagFrames: 32 })
    .build();
  const stream = engine.startPublish("live/cam");
  const egress = new JoinedEgress(raw, { egressTickMs: 0 });
  stream.publishFrame(video(0, 1_000));
  const viewer = egress.open(stream)[Symbol.asyncIterator]();
  const out: number[] = [];
  await drain(viewer, out);
  await publishAndTake(stream, 1, 200, [viewer], [out], 1_000);
  assert.equal(stream.oldestWantedMs(), Number.NEGATIVE_INFINITY);
  assert.equal(egress.cacheOf(stream).dropped, 0);
  // The cache's list of frames never holds more than a trim's worth: it
  // must not keep frames alive that the 64-slot ring has dropped.
  assert.ok(
    egress.cacheOf(stream).held <= 32,
    `held ${egress.cacheOf(stream).held}`,
  );
  await viewer.return!();
});

Deno.test("stream: oldestWantedMs is the older of the GOP's keyframe and the subscriptions' positions", async () => {
  await using engine = Engine.builder().clock(new ManualClock()).build();
  const stream = engine.startPublish("live/cam");
  assert.equal(stream.oldestWantedMs(), Number.POSITIVE_INFINITY);
  for (let n = 0; n < 100; n++) stream.publishFrame(video(n));
  assert.equal(stream.oldestWantedMs(), 60 * 33, "the last keyframe");
  const sub = stream.subscribe({ replay: false });
  assert.equal(stream.oldestWantedMs(), 60 * 33);
  for (let n = 100; n < 130; n++) stream.publishFrame(video(n));
  assert.equal(stream.oldestWantedMs(), 100 * 33, "the subscription's cursor");
  sub.takeAll();
  assert.equal(stream.oldestWantedMs(), 120 * 33, "the keyframe at 120");
  sub.close();
});

Deno.test("stream: oldestWantedMs after the stream ended and its last subscriber left (ring cleared) wants nothing", async () => {
  await using engine = Engine.builder().clock(new ManualClock()).build();
  const stream = engine.startPublish("live/cam");
  for (let n = 0; n < 10; n++) stream.publishFrame(video(n));
  const sub = stream.subscribe();
  stream.end("done");
  sub.close();
  await stream.drained;
  assert.equal(stream.oldestWantedMs(), Number.POSITIVE_INFINITY);
});
