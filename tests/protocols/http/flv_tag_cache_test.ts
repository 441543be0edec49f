// FlvTagCache shared batches: viewers at the same cursor get the very same
// Uint8Array per batch (no per-viewer copy); a lagging viewer's batch is a
// different run of frames and still carries exactly its frames.
import assert from "node:assert/strict";
import { readFlvFile } from "../../../media/flv/mod.ts";
import type { MediaFrame } from "../../../media/frame.ts";
import {
  Engine,
  JoinedEgress,
  ManualClock,
  StreamKey,
  type Subscription,
} from "../../../src/mod.ts";
import {
  flvRoutes,
  FlvTagCache,
  flvTagFormat,
} from "../../../protocols/http/mod.ts";
import { StreamError } from "../../../media/stream_error.ts";
import { sampleFrames } from "./_fixtures.ts";

const HEADER = new Uint8Array([0x46, 0x4c, 0x56, 1, 5, 0, 0, 0, 9, 0, 0, 0, 0]);

function parse(bytes: Uint8Array) {
  const file = new Uint8Array(HEADER.length + bytes.length);
  file.set(HEADER, 0);
  file.set(bytes, HEADER.length);
  return readFlvFile(file).frames;
}

Deno.test("FlvTagCache: 100 viewers at the same cursor share one batch object; a lagging viewer gets its own exact bytes", async () => {
  await using engine = Engine.builder().build();
  const handle = engine.startPublish(StreamKey.parse("live/cam"));
  const frames = sampleFrames().filter((f) => f.dts < 3000);
  const configs = frames.filter((f) => f.config);
  const media = frames.filter((f) => !f.config);
  for (const f of configs) handle.publishFrame(f);
  handle.publishFrame(media[0]!); // a keyframe
  const cache = new FlvTagCache();
  const viewers: Subscription[] = [];
  for (let i = 0; i < 100; i++) viewers.push(handle.subscribeResilient());
  const lagging = handle.subscribeResilient();
  for (const v of viewers) cache.batch(v.takeAll()); // replay
  lagging.takeAll();
  for (let tick = 0; tick < 5; tick++) {
    for (const f of media.slice(1 + tick * 4, 5 + tick * 4)) {
      handle.publishFrame(f);
    }
    const batches = viewers.map((v) => cache.batch(v.takeAll()));
    assert.equal(batches[0]!.length > 0, true);
    for (const b of batches) assert.equal(b, batches[0], "same Uint8Array");
    assert.deepEqual(
      parse(batches[0]!).map((f) => f.dts),
      media.slice(1 + tick * 4, 5 + tick * 4).map((f) => f.dts),
    );
  }
  // The lagging viewer takes all 20 frames at once: a different run.
  const late = cache.batch(lagging.takeAll());
  assert.deepEqual(
    parse(late).map((f) => f.dts),
    media.slice(1, 21).map((f) => f.dts),
  );
  let size = 0;
  for (const f of media.slice(1, 21)) size += cache.tagOf(f).length;
  assert.equal(late.length, size);
  // 1 replay run + 5 live runs + the lagging run, not one per viewer.
  assert.equal(cache.joined, 7);
  assert.equal(cache.serialized, configs.length + 21);
  for (const v of viewers) v.close();
  lagging.close();
  handle.end();
});

Deno.test("FlvTagCache: a batch of one frame is the cached tag itself", () => {
  const cache = new FlvTagCache();
  const frame = sampleFrames()[5]!;
  assert.equal(cache.batch([frame]), cache.tagOf(frame));
  assert.equal(cache.batch([]).length, 0);
  assert.equal(cache.joined, 0);
});

Deno.test("FlvTagCache: a run extended by later joiners is appended in place; earlier views, prefixes and diverging runs stay exact", () => {
  const cache = new FlvTagCache();
  const frames = sampleFrames().slice(0, 60);
  const expect = (run: readonly typeof frames[number][]) => {
    const parts = run.map((f) => cache.tagOf(f));
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  };
  const a = cache.batch(frames.slice(0, 10));
  const aCopy = a.slice();
  const b = cache.batch(frames.slice(0, 25)); // a later joiner: appended
  const c = cache.batch(frames.slice(0, 60)); // grows past capacity
  assert.deepEqual(a, aCopy, "an earlier view is never overwritten");
  assert.deepEqual(b, expect(frames.slice(0, 25)));
  assert.deepEqual(c, expect(frames.slice(0, 60)));
  assert.equal(cache.batch(frames.slice(0, 60)), c, "same run, same object");
  assert.deepEqual(cache.batch(frames.slice(0, 7)), expect(frames.slice(0, 7)));
  const diverged = [frames[0]!, ...frames.slice(30, 40)];
  assert.deepEqual(cache.batch(diverged), expect(diverged));
  assert.deepEqual(c, expect(frames.slice(0, 60)), "still intact");
  assert.equal(cache.joined, 4); // build, append, append, rebuild
});

Deno.test("flvRoutes validates egressTickMs when built, not per request", () => {
  const open = () => Promise.reject(new Error("unused"));
  assert.throws(() => flvRoutes({ open, egressTickMs: 5_000 }), StreamError);
  assert.throws(() => flvRoutes({ open, egressTickMs: NaN }), StreamError);
  assert.ok(flvRoutes({ open, egressTickMs: 0 }));
});

Deno.test("FLV egress waits on the stream's own tick (default 100 ms, engine clock)", async () => {
  const clock = new ManualClock();
  await using engine = Engine.builder().clock(clock).build();
  const handle = engine.startPublish(StreamKey.parse("live/tick"));
  const egress = new JoinedEgress(flvTagFormat);
  assert.equal(egress.egressTickMs, 100);
  assert.equal(
    new JoinedEgress(flvTagFormat, { egressTickMs: 0 }).egressTickMs,
    0,
  );
  const session = egress.open(handle);
  const batches = session[Symbol.asyncIterator]();
  const next = batches.next();
  const frame: MediaFrame = {
    kind: "audio",
    codec: "aac",
    trackId: 0,
    pts: 0,
    dts: 0,
    timescale: 1000,
    keyframe: true,
    config: false,
    data: new Uint8Array(4),
  };
  handle.publishFrame(frame);
  let done = false;
  next.then(() => done = true);
  for (let i = 0; i < 10; i++) await Promise.resolve();
  assert.equal(done, false); // waiting on the tick
  clock.advance(100); // the engine's clock drives it, not the system clock
  const got = await next;
  assert.equal(got.value, egress.cacheOf(handle).bytesOf(frame)); // the shared tag
  session.close();
  handle.end();
});
