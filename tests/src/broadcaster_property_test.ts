// Seeded random interleavings of publish / take / subscribe / close, checking
// the broadcaster's invariants after every step. FUZZ_LONG=1 runs more seeds.
import assert from "node:assert/strict";
import {
  Engine,
  ManualClock,
  type MediaFrame,
  StreamError,
  type Subscription,
} from "../../mod.ts";
import { audioFrame, videoFrame } from "../_fakes.ts";

const SEEDS = Deno.env.get("FUZZ_LONG") === "1" ? 500 : 25;
const STEPS = 600;

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Reader {
  sub: Subscription;
  /** Index (into `published`) of the next frame this reader expects; -1 before its first frame. */
  next: number;
  done: boolean;
  /** True until a video keyframe follows the start or a gap. */
  needKey: boolean;
  replay: boolean;
}

Deno.test("broadcaster invariants hold under random interleavings", async () => {
  for (let seed = 1; seed <= SEEDS; seed++) {
    const random = prng(seed);
    const engine = Engine.builder().clock(new ManualClock())
      .application({
        name: "p",
        ringCapacity: 32,
        maxLagFrames: 24,
        maxResyncs: 1_000,
        gopCacheFrames: 40,
      })
      .build();
    const stream = engine.startPublish("p/s");
    const published: MediaFrame[] = [];
    const index = new Map<MediaFrame, number>();
    const readers: Reader[] = [];
    let dts = 0;
    for (let step = 0; step < STEPS; step++) {
      const r = random();
      if (r < 0.45) {
        const f = random() < 0.3
          ? audioFrame(dts)
          : videoFrame(dts, random() < 0.08);
        dts += 10;
        index.set(f, published.length);
        published.push(f);
        stream.publishFrame(f);
      } else if (r < 0.55 && readers.length < 20) {
        const options = { replay: random() < 0.5 };
        const sub = random() < 0.5
          ? stream.subscribe(options)
          : stream.subscribeResilient(options);
        readers.push({
          sub,
          next: -1,
          done: false,
          needKey: true,
          replay: options.replay,
        });
      } else if (r < 0.58 && readers.length > 0) {
        const reader = readers[Math.floor(random() * readers.length)]!;
        reader.sub.close();
        reader.done = true;
      } else if (readers.length > 0) {
        const reader = readers[Math.floor(random() * readers.length)]!;
        if (reader.done) continue;
        let batch: MediaFrame[];
        try {
          batch = reader.sub.takeAll(1 + Math.floor(random() * 40));
        } catch (error) {
          assert.ok(error instanceof StreamError);
          assert.equal(
            error.code,
            reader.sub.resilient ? "Evicted" : "Lagged",
            `seed ${seed}`,
          );
          reader.done = true;
          continue;
        }
        for (const f of batch) {
          const i = index.get(f);
          assert.ok(
            i !== undefined,
            `seed ${seed}: a frame that was never published`,
          );
          if (reader.next >= 0 && i !== reader.next) {
            assert.ok(
              i > reader.next,
              `seed ${seed}: duplicate or reordered frame`,
            );
            if (!reader.sub.resilient) {
              // A plain reader skips only undecodable video before its first keyframe.
              assert.ok(
                reader.needKey,
                `seed ${seed}: plain reader lost ${reader.next}→${i}`,
              );
              for (let k = reader.next; k < i; k++) {
                const skipped = published[k]!;
                assert.ok(
                  skipped.kind === "video" && !skipped.keyframe,
                  `seed ${seed}: plain reader skipped ${k} (${skipped.kind} key=${skipped.keyframe}) ${reader.next}→${i} replay=${reader.replay}`,
                );
              }
            }
            reader.needKey = true;
          }
          if (f.kind === "video") {
            assert.ok(
              f.keyframe || !reader.needKey,
              `seed ${seed}: video resumed mid-GOP at ${i}`,
            );
            if (f.keyframe) reader.needKey = false;
          }
          reader.next = i + 1;
        }
      }
      const live = readers.filter((x) => !x.done && !x.sub.isClosed).length;
      assert.equal(
        stream.subscriberCount,
        live,
        `seed ${seed} step ${step}: subscriber count`,
      );
    }
    for (const reader of readers) reader.sub.close();
    assert.equal(stream.subscriberCount, 0);
    await engine.shutdown({ deadlineMs: 0 });
  }
});
