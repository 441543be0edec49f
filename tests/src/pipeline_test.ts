// The pipeline seam with in-memory fakes on a ManualClock: a sink pipeline
// drained on unpublish and on shutdown (deadline respected), a transcoder
// publishing a derived stream `{app}/{name}~{variant}`, and an on-demand
// source started by a play request, waited for, and released after the last
// viewer left plus the grace period.
import assert from "node:assert/strict";
import {
  Engine,
  type EngineEvent,
  ManualClock,
  type MediaFrame,
  type MediaSource,
  type OnDemandProvider,
  StreamKey,
  type StreamPipeline,
  transcoderPipeline,
} from "../../mod.ts";

function frame(dts: number, keyframe = true): MediaFrame {
  return {
    kind: "audio",
    codec: "aac",
    trackId: 0,
    pts: dts,
    dts,
    timescale: 1000,
    keyframe,
    config: false,
    data: new Uint8Array([dts & 0xff]),
  };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

Deno.test("pipeline: a sink pipeline runs per published stream and drains on unpublish", async () => {
  const clock = new ManualClock();
  await using engine = Engine.builder().clock(clock).build();
  const seen = new Map<string, number[]>();
  const finished: string[] = [];
  const sink: StreamPipeline = {
    name: "sink",
    accepts: (key) => key.app === "live",
    async run(stream) {
      const sub = stream.subscribe(); // before the first await: every frame
      const dts: number[] = [];
      seen.set(stream.key.toString(), dts);
      for await (const f of sub) dts.push(f.dts);
      finished.push(stream.key.toString());
    },
  };
  const detach = engine.attach(sink);
  const a = engine.startPublish("live/a");
  engine.startPublish("other/b"); // not accepted
  a.publishFrame(frame(0));
  a.publishFrame(frame(20));
  a.end();
  await settle();
  assert.deepEqual(seen.get("live/a"), [0, 20]);
  assert.deepEqual(finished, ["live/a"]);
  assert.equal(seen.has("other/b"), false);
  detach();
  engine.startPublish("live/c");
  assert.equal(seen.has("live/c"), false); // detached: no new runs
});

Deno.test("pipeline: shutdown waits for a pipeline's drain within the deadline, then aborts it", async () => {
  const clock = new ManualClock();
  const engine = Engine.builder().clock(clock).shutdownDeadline(1_000).build();
  const log: string[] = [];
  engine.attach({
    name: "slow",
    async run(stream, { signal }) {
      const sub = stream.subscribe();
      for await (const _ of sub) { /* drain */ }
      log.push("drained");
      // The final write never finishes on its own: only the abort ends it.
      await new Promise<void>((resolve) =>
        signal.addEventListener("abort", () => resolve(), { once: true })
      );
      log.push(`aborted ${signal.aborted}`);
    },
  });
  const stream = engine.startPublish("live/cam");
  stream.publishFrame(frame(0));
  let done = false;
  const shutdown = engine.shutdown().then(() => done = true);
  await settle();
  assert.deepEqual(log, ["drained"]);
  assert.equal(done, false); // waiting for the pipeline
  clock.advance(999);
  await settle();
  assert.equal(done, false);
  clock.advance(1);
  await shutdown;
  await settle();
  assert.deepEqual(log, ["drained", "aborted true"]);
});

Deno.test("pipeline: a transcoder publishes the derived stream live/cam~half and ends it with its input", async () => {
  const clock = new ManualClock();
  await using engine = Engine.builder().clock(clock).build();
  const half = transcoderPipeline({
    name: "half",
    transform: (input) =>
      input.pipeThrough(
        new TransformStream<MediaFrame, MediaFrame>({
          transform(f, controller) {
            if (f.dts % 40 === 0) controller.enqueue({ ...f, dts: f.dts / 2 });
          },
        }),
      ),
  }, { variant: "half" });
  engine.attach(half);
  const input = engine.startPublish("live/cam");
  const derived = engine.getStream("live/cam~half");
  assert.ok(derived);
  assert.equal(derived.key.variant, "half");
  assert.equal(derived.key.base.toString(), "live/cam");
  // The derived stream is not transcoded again (no live/cam~half~half).
  assert.equal(
    engine.getStream(StreamKey.parse("live/cam~half~half")),
    undefined,
  );
  const viewer = derived.subscribe();
  for (let dts = 0; dts <= 80; dts += 20) input.publishFrame(frame(dts));
  input.end();
  const got: number[] = [];
  for await (const f of viewer) got.push(f.dts);
  assert.deepEqual(got, [0, 20, 40]);
  assert.equal(derived.ended, true);
});

Deno.test("pipeline: an on-demand source starts on play, is shared, and is released after the last viewer plus the grace period", async () => {
  const clock = new ManualClock();
  const events: EngineEvent[] = [];
  await using engine = new Engine({
    clock,
    onDemandGraceMs: 3_000,
    observers: [{ onEvent: (e) => events.push(e) }],
  });
  let started = 0;
  let aborted = 0;
  const pull: OnDemandProvider = {
    name: "pull",
    sourceFor(key): MediaSource | null {
      if (key.app !== "pull") return null;
      started++;
      return {
        name: `pull ${key}`,
        async *frames(signal: AbortSignal): AsyncGenerator<MediaFrame> {
          let dts = 0;
          signal.addEventListener("abort", () => aborted++, { once: true });
          while (!signal.aborted) {
            yield frame(dts, dts % 100 === 0);
            dts += 20;
            await new Promise<void>((resolve) => clock.setTimer(20, resolve));
          }
        },
      };
    },
  };
  engine.attachOnDemand(pull);
  await assert.rejects(
    () => engine.authorizePlay("live/none", { protocol: "test" }),
    (e: unknown) => (e as { code?: string }).code === "NotFound",
  );
  const [a, b] = await Promise.all([
    engine.authorizePlay("pull/cam", { protocol: "test" }),
    engine.authorizePlay("pull/cam", { protocol: "test" }),
  ]);
  assert.equal(a, b); // one start for concurrent viewers
  assert.equal(started, 1);
  const viewer = a.subscribe();
  for (let t = 0; t < 3_000; t += 20) {
    clock.advance(20); // frames keep coming; a viewer watches
    await settle();
  }
  assert.equal(a.ended, false, a.endReason);
  viewer.close();
  clock.advance(2_000); // < grace (3 s) since the viewer left
  assert.equal(a.ended, false);
  clock.advance(2_000);
  assert.equal(a.ended, true);
  assert.match(a.endReason ?? "", /no viewer for 3000 ms/);
  await settle();
  assert.equal(aborted, 1);
  assert.ok(
    events.some((e) => e.type === "unpublished" && e.key === "pull/cam"),
  );
});

Deno.test("pipeline: an on-demand stream is released at once under a publisher grace period, and the next viewer gets a fresh pull", async () => {
  // Regression (bench:cluster): with publisherGraceMs (the CLI's default
  // 10 s) the release went into the publisher grace instead of ending, and
  // the viewers arriving then joined a stream whose pull was winding down:
  // the cached GOP and nothing after.
  const clock = new ManualClock();
  await using engine = new Engine({
    clock,
    onDemandGraceMs: 3_000,
    defaultApplication: { publisherGraceMs: 10_000 },
  });
  let started = 0;
  engine.attachOnDemand({
    name: "pull",
    sourceFor(key): MediaSource {
      started++;
      return {
        name: `pull ${key}`,
        async *frames(signal: AbortSignal): AsyncGenerator<MediaFrame> {
          for (let dts = 0; !signal.aborted; dts += 20) {
            yield frame(dts, dts % 100 === 0);
            await new Promise<void>((resolve) => clock.setTimer(20, resolve));
          }
        },
      };
    },
  });
  const first = await engine.authorizePlay("pull/cam", { protocol: "test" });
  for (let t = 0; t < 4_000; t += 20) {
    clock.advance(20); // nobody watches: released after the grace
    await settle();
  }
  assert.equal(first.ended, true);
  assert.match(first.endReason ?? "", /no viewer for 3000 ms/);
  const second = await engine.authorizePlay("pull/cam", { protocol: "test" });
  assert.notEqual(second, first);
  assert.equal(started, 2);
  const viewer = second.subscribe();
  let frames = 0;
  for (let t = 0; t < 1_000; t += 20) {
    clock.advance(20);
    await settle();
    frames += viewer.takeAll().length;
  }
  assert.ok(frames >= 40, `the new pull's frames reach the viewer (${frames})`);
  viewer.close();
});

Deno.test("pipeline: an on-demand source that sends nothing times out on the engine clock", async () => {
  const clock = new ManualClock();
  await using engine = new Engine({
    clock,
    onDemandTimeoutMs: 5_000,
    onDemand: [{
      name: "silent",
      sourceFor: () => ({
        name: "silent",
        frames: (signal: AbortSignal) => ({
          // deno-lint-ignore require-yield -- a source that never sends a frame
          async *[Symbol.asyncIterator](): AsyncGenerator<MediaFrame> {
            await new Promise<void>((resolve) =>
              signal.addEventListener("abort", () => resolve(), { once: true })
            );
          },
        }),
      }),
    }],
  });
  const play = engine.authorizePlay("live/cam", { protocol: "test" });
  await settle();
  clock.advance(4_999);
  await settle();
  assert.ok(engine.getStream("live/cam")); // still waiting
  clock.advance(1);
  await assert.rejects(
    play,
    (e: unknown) => (e as { code?: string }).code === "Timeout",
  );
  assert.equal(engine.getStream("live/cam"), undefined);
});
