import assert from "node:assert/strict";
import {
  Engine,
  LaggedError,
  ManualClock,
  type MediaFrame,
  StreamKey,
} from "../../mod.ts";
import {
  assertCode,
  gop,
  RecordingObserver,
  videoConfig,
  videoFrame,
} from "../_fakes.ts";

function engineWith(
  app: Parameters<ReturnType<typeof Engine.builder>["application"]>[0],
  observer = new RecordingObserver(),
): Engine {
  return Engine.builder().clock(new ManualClock()).application(app).observer(
    observer,
  ).build();
}

Deno.test("StreamHandle.publishFrame() preserves order for every subscriber", async () => {
  await using engine = engineWith({ name: "live" });
  const stream = engine.startPublish(StreamKey.parse("live/a"));
  const subs = Array.from(
    { length: 5 },
    () => stream.subscribe({ replay: false }),
  );
  const frames = gop(0, 50);
  for (const f of frames) stream.publishFrame(f);
  for (const sub of subs) {
    const got: MediaFrame[] = [];
    for (let f = sub.takeAll(7); f.length > 0; f = sub.takeAll(7)) {
      got.push(...f);
    }
    assert.deepEqual(got.map((f) => f.dts), frames.map((f) => f.dts));
    sub.close();
  }
});

Deno.test("1,000 subscribers all receive the identical frame objects", async () => {
  await using engine = engineWith({ name: "live", maxSubscribers: 1000 });
  const stream = engine.startPublish("live/many");
  const subs = Array.from({ length: 1000 }, () => stream.subscribe());
  const frames = gop(0, 30);
  for (const f of frames) assert.equal(stream.publishFrame(f), 1000);
  for (const sub of subs) {
    const got = sub.takeAll();
    assert.equal(got.length, frames.length);
    for (let i = 0; i < got.length; i++) assert.equal(got[i], frames[i]);
  }
  for (const sub of subs) sub.close();
  assert.equal(stream.subscriberCount, 0);
});

Deno.test("a plain subscriber that falls behind gets a Lagged error with the missed count", async () => {
  await using engine = engineWith({
    name: "live",
    ringCapacity: 16,
    maxLagFrames: 16,
  });
  const stream = engine.startPublish("live/lag");
  const sub = stream.subscribe({ replay: false });
  for (const f of gop(0, 20)) stream.publishFrame(f);
  const error = assertCode<LaggedError>(() => sub.takeAll(), "Lagged");
  assert.ok(error instanceof LaggedError);
  assert.equal(error.missed, 20);
  assert.equal(sub.isClosed, true);
  assert.equal((await sub.closed).reason, "lagged");
  assert.equal(stream.subscriberCount, 0);
  assert.deepEqual(sub.takeAll(), []);
});

Deno.test("a late joiner starts with the config then the cached GOP, then live, with no gap or duplicate", async () => {
  await using engine = engineWith({ name: "live" });
  const stream = engine.startPublish("live/late");
  const config = videoConfig();
  stream.publishFrame(config);
  const frames = [...gop(0, 10), ...gop(400, 5)];
  for (const f of frames) stream.publishFrame(f);
  const sub = stream.subscribe();
  const live = gop(600, 3);
  for (const f of live) stream.publishFrame(f);
  const got = sub.takeAll();
  assert.equal(got[0], config);
  assert.deepEqual(got.slice(1), [...frames.slice(10), ...live]);
  sub.close();
});

Deno.test("ready() resolves on publish and takeAll() batches", async () => {
  await using engine = engineWith({ name: "live" });
  const stream = engine.startPublish("live/ready");
  const sub = stream.subscribe({ replay: false });
  const waiting = sub.ready();
  stream.publishFrame(videoFrame(0, true));
  stream.publishFrame(videoFrame(40, false));
  await waiting;
  assert.equal(sub.takeAll().length, 2);
  stream.end();
  await sub.ready();
  assert.deepEqual(sub.takeAll(), []);
  assert.equal(sub.isClosed, true);
});
