// EgressSession.batchFrames: the frames of the batch last handed out (the
// replay included), so a protocol can adjust the shared bytes per viewer at
// a join or gap (RTMP play rebases each player's timestamps, issue 20).
import assert from "node:assert/strict";
import {
  Engine,
  JoinedEgress,
  ManualClock,
  type MediaFrame,
} from "../../mod.ts";

function frame(dts: number, codec: "h264" | "vvc" = "h264"): MediaFrame {
  return {
    kind: "video",
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

Deno.test("EgressSession.batchFrames: the replay's frames, then each live batch's frames; a batch with nothing to write leaves it", async () => {
  await using engine = Engine.builder().clock(new ManualClock()).build();
  const stream = engine.startPublish("live/cam");
  const egress = new JoinedEgress({
    name: "raw",
    serialize: (f) => (f.codec === "vvc" ? null : f.data),
  }, { egressTickMs: 0 });
  const early = egress.open(stream);
  assert.deepEqual(early.batchFrames, []);
  const f1 = frame(1);
  stream.publishFrame(f1);
  const it = early[Symbol.asyncIterator]();
  assert.deepEqual([...(await it.next()).value!], [1, 1, 2]);
  assert.deepEqual(early.batchFrames, [f1]);
  const f2 = frame(2);
  const f3 = frame(3);
  stream.publishFrame(f2);
  stream.publishFrame(f3);
  await it.next();
  assert.deepEqual(early.batchFrames, [f2, f3]);
  // a batch the format cannot carry is not handed out: batchFrames stays
  const f4 = frame(4, "vvc");
  stream.publishFrame(f4);
  const f5 = frame(5);
  const pending = it.next();
  await Promise.resolve();
  stream.publishFrame(f5);
  await pending;
  assert.equal(early.batchFrames.at(-1), f5);
  // a joiner: its replay's frames
  const late = egress.open(stream);
  const replay = [...late.replayFrames];
  assert.ok(replay.length > 0);
  assert.notEqual(late.takeReplay(), null);
  assert.deepEqual(late.batchFrames, replay);
  early.close();
  late.close();
});
