import assert from "node:assert/strict";
import {
  type ClusterRelay,
  Engine,
  ManualClock,
  type MediaFrame,
  type MediaSource,
  StreamError,
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

Deno.test("edge: one pull however many viewers; released after the grace once the last viewer left", async () => {
  const clock = new ManualClock();
  // (no reaping of a frameless stream within this test's minutes)
  await using engine = Engine.builder().clock(clock).idleTimeout(600_000)
    .build();
  const dir = directory();
  dir.where.set("live/cam", "http://origin:8080");
  const origins = fakeOrigins();
  const events: EdgeEvent[] = [];
  const edge = new EdgeRelay({
    host: engine,
    relay: dir,
    graceMs: 5_000,
    sourceOf: origins.sourceOf,
    onEvent: (e) => events.push(e),
  });
  const [a, b] = await Promise.all([
    edge.ensure("live/cam"),
    edge.ensure("live/cam"),
  ]);
  assert.equal(a, b);
  await tick();
  assert.equal(origins.pulls.length, 1, "one pull");
  assert.equal(origins.pulls[0]!.url, "http://origin:8080/live/cam.flv");
  const v1 = a.subscribe();
  const v2 = a.subscribe();
  origins.pulls[0]!.push(frame(0, true));
  await tick();
  assert.equal(v1.takeAll().length, 1);
  assert.equal(v2.takeAll().length, 1);
  v1.close();
  v2.close();
  clock.advance(4_999);
  assert.equal(edge.pulls, 1, "kept during the grace");
  const v3 = a.subscribe(); // a viewer comes back within the grace
  clock.advance(8_000); // (below the engine's stall eviction of an unread viewer)
  assert.equal(edge.pulls, 1);
  v3.close();
  clock.advance(5_000);
  assert.equal(edge.pulls, 0, "released");
  assert.equal(engine.getStream("live/cam"), undefined);
  assert.ok(
    events.some((e) => e.type === "released" && e.reason === "no viewers"),
  );
  await edge.close();
});

Deno.test("edge: origin dies → re-locate and re-pull (maybe elsewhere) with the local stream kept; gone → ended", async () => {
  const clock = new ManualClock();
  await using engine = Engine.builder().clock(clock).build();
  const dir = directory();
  dir.where.set("live/cam", "http://a:8080");
  const origins = fakeOrigins();
  const edge = new EdgeRelay({
    host: engine,
    relay: dir,
    retryMinMs: 100,
    goneAfterMs: 1_000,
    sourceOf: origins.sourceOf,
  });
  const handle = await edge.ensure(StreamKey.parse("live/cam"));
  using viewer = handle.subscribe();
  await tick();
  origins.pulls[0]!.push(frame(0, true));
  await tick();
  dir.where.set("live/cam", "http://b:8080"); // the stream moved
  origins.pulls[0]!.fail();
  await tick();
  clock.advance(100);
  await tick();
  await tick();
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
  for (let i = 0; i < 20 && engine.getStream("live/cam"); i++) {
    await tick();
    clock.advance(200);
    await tick();
  }
  assert.equal(engine.getStream("live/cam"), undefined);
  assert.equal(handle.ended, true);
  await edge.close();
});

Deno.test("edge: an unknown stream is NotFound, a directory outage Unavailable — nothing is published", async () => {
  await using engine = Engine.builder().build();
  const dir = directory();
  const edge = new EdgeRelay({ host: engine, relay: dir });
  await assert.rejects(
    edge.ensure("live/none"),
    (e: unknown) => e instanceof StreamError && e.code === "NotFound",
  );
  const down = new EdgeRelay({
    host: engine,
    relay: {
      ...dir,
      locate: () =>
        Promise.reject(
          new StreamError("Unavailable", "Cannot locate: Redis is unreachable"),
        ),
    },
  });
  await assert.rejects(
    down.ensure("live/cam"),
    (e: unknown) => e instanceof StreamError && e.code === "Unavailable",
  );
  assert.equal(engine.streams().length, 0);
  await edge.close();
  await down.close();
});
