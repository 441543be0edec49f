import assert from "node:assert/strict";
import { Engine, ManualClock, QOS_WINDOW_MS, QosMeter } from "../../mod.ts";
import { audioConfig, audioFrame, videoConfig, videoFrame } from "../_fakes.ts";

Deno.test("QosMeter measures bitrate and fps over a sliding window", () => {
  const meter = new QosMeter();
  // 25 fps at 10,000 bytes/frame = 2 Mbit/s for 10 s.
  let t = 0;
  for (; t < 10_000; t += 40) meter.sample(10_000, t);
  assert.ok(Math.abs(meter.fps(t) - 25) < 0.5, `fps ${meter.fps(t)}`);
  assert.ok(Math.abs(meter.bitrate(t) - 2_000_000) < 40_000);
  // The source stops: the window empties.
  assert.equal(meter.fps(t + QOS_WINDOW_MS + 1_000), 0);
  assert.equal(meter.totalFrames, 250);
  assert.equal(meter.totalBytes, 2_500_000);
});

Deno.test("a young QosMeter divides by its age", () => {
  const meter = new QosMeter();
  for (let t = 0; t < 1_000; t += 100) meter.sample(1_000, t);
  assert.ok(Math.abs(meter.fps(1_000) - 10) < 0.5, `fps ${meter.fps(1_000)}`);
  assert.equal(new QosMeter().fps(5), 0);
});

Deno.test("StreamHandle.qos() reports per-track rates from the injected clock, without sleeping", async () => {
  const clock = new ManualClock();
  await using engine = Engine.builder().clock(clock).idleTimeout(60_000)
    .build();
  const stream = engine.startPublish("live/qos");
  stream.publishFrame(videoConfig());
  stream.publishFrame(audioConfig());
  for (let t = 0; t < 6_000; t += 20) {
    if (t % 40 === 0) {
      stream.publishFrame(videoFrame(t, t % 2_000 === 0, { size: 5_000 }));
    }
    stream.publishFrame(audioFrame(t, 250));
    clock.advance(20);
  }
  const qos = stream.qos();
  const video = qos.tracks.find((t) => t.kind === "video");
  const audio = qos.tracks.find((t) => t.kind === "audio");
  assert.equal(video?.codec, "h264");
  assert.equal(audio?.codec, "aac");
  assert.ok(Math.abs(video!.fps - 25) < 1, `video fps ${video!.fps}`);
  assert.ok(Math.abs(audio!.fps - 50) < 1);
  assert.ok(
    Math.abs(video!.bitrate - 1_000_000) < 40_000,
    `video ${video!.bitrate}`,
  );
  assert.ok(Math.abs(audio!.bitrate - 100_000) < 4_000);
  assert.equal(qos.framesIn, 2 + 150 + 300);
  assert.equal(qos.laggingSubscribers, 0);
  const slow = stream.subscribe({ replay: false });
  for (let i = 0; i < 300; i++) stream.publishFrame(audioFrame(6_000 + i));
  assert.equal(stream.qos().laggingSubscribers, 1);
  slow.close();
  assert.equal(engine.streams()[0]?.qos.tracks.length, 2);
  stream.end();
});

Deno.test("metadataSnapshot() lists tracks and codecs learned from the stream", async () => {
  await using engine = Engine.builder().clock(new ManualClock()).build();
  const stream = engine.startPublish("live/meta");
  assert.deepEqual(stream.metadataSnapshot(), { tracks: [] });
  stream.publishFrame(audioConfig());
  stream.publishFrame(videoConfig());
  stream.publishFrame(videoFrame(0, true, { trackId: 1 }));
  const meta = stream.metadataSnapshot();
  assert.equal(meta.video?.codec, "h264");
  assert.equal(meta.audio?.codec, "aac");
  assert.deepEqual(meta.tracks.map((t) => `${t.kind}${t.trackId}`), [
    "video0",
    "video1",
    "audio0",
  ]);
  stream.end();
});

Deno.test("a malformed config frame emits decodeError and is still forwarded", async () => {
  await using engine = Engine.builder().clock(new ManualClock()).build();
  const errors: string[] = [];
  engine.events.on(
    "decodeError",
    (e) => errors.push(`${e.key} ${e.error.code}`),
  );
  const stream = engine.startPublish("live/bad");
  const sub = stream.subscribe();
  const broken = { ...videoConfig(), data: new Uint8Array([1, 0x64]) }; // truncated avcC
  assert.equal(stream.publishFrame(broken), 1);
  assert.deepEqual(errors, ["live/bad InvalidInput"]);
  assert.deepEqual(sub.takeAll(), [broken]);
  assert.deepEqual(stream.metadataSnapshot().video, {
    kind: "video",
    trackId: 0,
    codec: "h264",
  });
  sub.close();
  stream.end();
});
