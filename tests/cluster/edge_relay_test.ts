import assert from "node:assert/strict";
import {
  type ClusterRelay,
  Engine,
  ManualClock,
  type MediaFrame,
  type MediaSource,
  StreamError,
  type StreamHandle,
  StreamKey,
} from "../../mod.ts";
import { type EdgeEvent, EdgeRelay } from "../../cluster/mod.ts";

function directory(): ClusterRelay & { where: Map<string, string> } {
  const where = new Map<string, string>();
  return {
    where,
    announce: (k, o) => (where.set(k.toString(), o), Promise.resolve()),
    withdraw: (k) => (where.delete(k.toString()), Promise.resolve()),
    locate: (k) => Promise.resolve(where.get(k.toString()) ?? null),
  };
}

function frame(dts: number, keyframe: boolean): MediaFrame {
  return {
    kind: "video",
    codec: "h264",
    trackId: 0,
    pts: dts,
    dts,
    timescale: 1000,
    keyframe,
    config: false,
    data: new Uint8Array(8),
  };
}

/** A controllable origin: each pull gets a queue the test feeds and can fail. */
function fakeOrigins() {
  const pulls: { url: string; push(f: MediaFrame): void; fail(): void }[] = [];
  const sourceOf = (url: string): MediaSource => ({
    name: `fake ${url}`,
    async *frames(signal: AbortSignal) {
      const queue: (MediaFrame | Error)[] = [];
      let wake: (() => void) | null = null;
      const poke = () => {
        wake?.();
        wake = null;
      };
      pulls.push({
        url,
        push: (f) => (queue.push(f), poke()),
        fail: () => (queue.push(new Error("origin died")), poke()),
      });
      signal.addEventListener("abort", poke);
      while (!signal.aborted) {
        const next = queue.shift();
        if (next === undefined) {
          await new Promise<void>((r) => (wake = r));
          continue;
        }
        if (next instanceof Error) throw next;
        yield next;
      }
    },
  });
  return { pulls, sourceOf };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

function edgeEngine(clock: ManualClock, provider: EdgeRelay) {
  return new Engine({
    clock,
    idleTimeoutMs: 600_000, // no reaping of a quiet stream within these tests
    onDemandGraceMs: 5_000,
    onDemandTimeoutMs: 2_000,
    onDemand: [provider],
  });
}

Deno.test("edge: one pull however many viewers; the engine releases it after the grace", async () => {
  const clock = new ManualClock();
  const dir = directory();
  dir.where.set("live/cam", "http://origin:8080");
  const origins = fakeOrigins();
  const events: EdgeEvent[] = [];
  const edge = new EdgeRelay({
    relay: dir,
    clock,
    sourceOf: origins.sourceOf,
    onEvent: (e) => events.push(e),
  });
  await using engine = edgeEngine(clock, edge);
  const asked = [
    engine.authorizePlay("live/cam", { protocol: "test" }),
    engine.authorizePlay("live/cam", { protocol: "test" }),
  ];
  for (let i = 0; i < 5 && origins.pulls.length === 0; i++) await tick();
  assert.equal(origins.pulls.length, 1, "one pull");
  assert.equal(origins.pulls[0]!.url, "http://origin:8080/live/cam.flv");
  origins.pulls[0]!.push(frame(0, true));
  const [a, b] = (await Promise.all(asked)) as [StreamHandle, StreamHandle];
  assert.equal(a, b);
  assert.equal(edge.pulls, 1);
  const v1 = a.subscribe();
  const v2 = a.subscribe();
  await tick();
  assert.equal(v1.takeAll().length, 1);
  assert.equal(v2.takeAll().length, 1);
  v1.close();
  v2.close();
  clock.advance(8_000);
  await tick();
  assert.equal(engine.getStream("live/cam"), undefined, "released");
  await tick();
  assert.equal(edge.pulls, 0);
  assert.ok(events.some((e) => e.type === "released"));
});

Deno.test("edge: origin dies → re-locate and re-pull (maybe elsewhere) with the local stream kept; gone → ended", async () => {
  const clock = new ManualClock();
  const dir = directory();
  dir.where.set("live/cam", "http://a:8080");
  const origins = fakeOrigins();
  const edge = new EdgeRelay({
    relay: dir,
    clock,
    retryMinMs: 100,
    goneAfterMs: 1_000,
    sourceOf: origins.sourceOf,
  });
  await using engine = edgeEngine(clock, edge);
  const asked = engine.authorizePlay(StreamKey.parse("live/cam"), {
    protocol: "test",
  });
  for (let i = 0; i < 5 && origins.pulls.length === 0; i++) await tick();
  origins.pulls[0]!.push(frame(0, true));
  const handle = await asked;
  using viewer = handle.subscribe();
  await tick();
  dir.where.set("live/cam", "http://b:8080"); // the stream moved
  origins.pulls[0]!.fail();
  await tick();
  clock.advance(100);
  for (let i = 0; i < 5 && origins.pulls.length < 2; i++) await tick();
  assert.equal(origins.pulls.length, 2);
  assert.equal(origins.pulls[1]!.url, "http://b:8080/live/cam.flv");
  origins.pulls[1]!.push(frame(40, true));
  await tick();
  assert.equal(
    viewer.takeAll().length,
    2,
    "same subscription across the re-pull",
  );
  assert.equal(engine.getStream("live/cam"), handle);

  // The stream leaves the cluster: after goneAfterMs the local stream ends.
  dir.where.delete("live/cam");
  origins.pulls[1]!.fail();
  for (let i = 0; i < 30 && !handle.ended; i++) {
    await tick();
    clock.advance(200);
    await tick();
  }
  assert.equal(handle.ended, true);
  assert.equal(engine.getStream("live/cam"), undefined);
});

Deno.test("edge: an unknown stream is NotFound, a directory outage Unavailable — nothing is published", async () => {
  const clock = new ManualClock();
  const dir = directory();
  await using engine = edgeEngine(clock, new EdgeRelay({ relay: dir, clock }));
  await assert.rejects(
    engine.authorizePlay("live/none", { protocol: "test" }),
    (e: unknown) => e instanceof StreamError && e.code === "NotFound",
  );
  await using down = edgeEngine(
    clock,
    new EdgeRelay({
      clock,
      relay: {
        ...dir,
        locate: () =>
          Promise.reject(
            new StreamError(
              "Unavailable",
              "Cannot locate: Redis is unreachable",
            ),
          ),
      },
    }),
  );
  await assert.rejects(
    down.authorizePlay("live/cam", { protocol: "test" }),
    (e: unknown) => e instanceof StreamError && e.code === "Unavailable",
  );
  assert.equal(engine.streams().length + down.streams().length, 0);
});

Deno.test("edge: HLS players (markWatched, no subscription) keep a pull until the grace after their last request", async () => {
  const clock = new ManualClock();
  const dir = directory();
  dir.where.set("live/cam", "http://origin:8080");
  const origins = fakeOrigins();
  const edge = new EdgeRelay({ relay: dir, clock, sourceOf: origins.sourceOf });
  await using engine = edgeEngine(clock, edge);
  const asked = engine.authorizePlay("live/cam", { protocol: "hls" });
  for (let i = 0; i < 5 && origins.pulls.length === 0; i++) await tick();
  origins.pulls[0]!.push(frame(0, true));
  const handle = await asked;
  for (let t = 0; t < 20_000; t += 1_000) {
    handle.markWatched(); // a playlist request every second
    clock.advance(1_000);
    await tick();
  }
  assert.equal(handle.ended, false, "watched by HLS players for 20 s");
  clock.advance(6_000); // no playlist request for longer than the grace
  await tick();
  assert.equal(handle.ended, true);
  assert.match(handle.endReason ?? "", /no viewer/);
});
