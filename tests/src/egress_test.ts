// The kernel's egress seam with in-memory formats on a ManualClock: N viewers
// at the same position write the very same Uint8Array per batch, the replay
// comes first without the tick, a codec the format cannot carry is skipped,
// counted and reported once per stream, unit boundaries are kept with
// UnitEgress (tick 0 = as frames arrive), the iteration ends when the stream
// ends, and `break` releases the viewer.
import assert from "node:assert/strict";
import {
  type EgressFormat,
  Engine,
  JoinedEgress,
  ManualClock,
  type MediaFrame,
  type StreamHandle,
  UnitEgress,
} from "../../mod.ts";

function frame(dts: number, codec: "aac" | "vvc" = "aac"): MediaFrame {
  return {
    kind: codec === "aac" ? "audio" : "video",
    codec,
    trackId: 0,
    pts: dts,
    dts,
    timescale: 1000,
    keyframe: true,
    config: false,
    data: Uint8Array.of(dts & 0xff, 1, 2),
  };
}

/** A toy byte format: the payload, nothing for VVC. */
const raw: EgressFormat<Uint8Array> = {
  name: "raw",
  serialize: (f) => (f.codec === "vvc" ? null : f.data),
};

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

Deno.test("egress: 50 viewers at the same position get the same Uint8Array per batch, one join per run", async () => {
  const clock = new ManualClock();
  await using engine = Engine.builder().clock(clock).build();
  const stream = engine.startPublish("live/cam");
  stream.publishFrame(frame(0));
  const egress = new JoinedEgress(raw, { egressTickMs: 40 });
  const viewers = Array.from(
    { length: 50 },
    () => egress.open(stream)[Symbol.asyncIterator](),
  );
  const replays = await Promise.all(viewers.map((v) => v.next()));
  for (const r of replays) assert.equal(r.value, replays[0]!.value); // replay at once, no tick
  const pending = viewers.map((v) => v.next());
  for (let dts = 20; dts <= 80; dts += 20) stream.publishFrame(frame(dts));
  await settle();
  clock.advance(40); // one shared tick
  const batches = await Promise.all(pending);
  for (const b of batches) assert.equal(b.value, batches[0]!.value);
  assert.deepEqual([...batches[0]!.value!], [
    20,
    1,
    2,
    40,
    1,
    2,
    60,
    1,
    2,
    80,
    1,
    2,
  ]);
  const cache = egress.cacheOf(stream);
  assert.equal(cache.joined, 1);
  assert.equal(cache.serialized, 5);
  await Promise.all(viewers.map((v) => v.return()));
  assert.equal(stream.subscriberCount, 0); // break/return releases the viewers
});

Deno.test("egress: a codec the format cannot carry is skipped, counted, reported once per stream", async () => {
  const clock = new ManualClock();
  await using engine = Engine.builder().clock(clock).build();
  const stream = engine.startPublish("live/mixed");
  const reported: string[] = [];
  const egress = new JoinedEgress(raw, {
    egressTickMs: 0,
    onUnsupported: (s: StreamHandle, f) => reported.push(`${s.key} ${f.codec}`),
  });
  const session = egress.open(stream);
  assert.equal(session.takeReplay(), null); // nothing published yet
  const batches = session[Symbol.asyncIterator]();
  stream.publishFrame(frame(0, "vvc"));
  stream.publishFrame(frame(20));
  stream.publishFrame(frame(40, "vvc"));
  const batch = await batches.next();
  assert.deepEqual([...batch.value!], [20, 1, 2]);
  assert.equal(egress.cacheOf(stream).skipped, 2);
  assert.deepEqual(reported, ["live/mixed vvc"]);
  session.close();
});

Deno.test("egress: UnitEgress keeps unit boundaries; tick 0 paces as frames arrive; the stream's end ends the iteration", async () => {
  const clock = new ManualClock();
  await using engine = Engine.builder().clock(clock).build();
  const stream = engine.startPublish("live/rtp");
  // One frame → two "packets".
  const packets = new UnitEgress<Uint8Array[]>({
    name: "split",
    serialize: (f) => [f.data.subarray(0, 1), f.data.subarray(1)],
  }, { egressTickMs: 0 });
  const got: number[][] = [];
  const reading = (async () => {
    for await (const batch of packets.open(stream)) {
      got.push(batch.map((units) => units.length));
    }
  })();
  await settle();
  stream.publishFrame(frame(0));
  await settle();
  stream.publishFrame(frame(20));
  await settle();
  stream.end();
  await reading;
  assert.deepEqual(got, [[2], [2]]); // one batch per frame, two packets each
  assert.equal(stream.subscriberCount, 0);
});
