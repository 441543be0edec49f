// Fan-out benchmark: one publisher to 1, 10, 100 and 1,000 subscribers.
//
// Each group compares, in the same run:
// - "kernel takeAll": publish FRAMES frames, then every subscriber takes its
//   batch with `takeAll()` (the egress pattern of RTMP/HTTP-FLV viewers);
// - "kernel ready()+takeAll()": N concurrent egress loops waiting on the
//   shared wake-up promise, then taking their batch;
// - "kernel next()": the same, each subscriber awaiting `next()` per frame;
// - "tee() chain" (baseline): a ReadableStream teed N-1 times, each branch
//   read frame by frame.
// Frames delivered per second = subscribers × FRAMES / (time per iteration).
//
// The "publish cost" group times PUBLISH_BATCH `publishFrame()` calls with N
// attached (idle) subscribers, to show it is flat (O(1)) in N.
//
// Run: deno bench --allow-all bench/fanout_bench.ts
import {
  Engine,
  ManualClock,
  type MediaFrame,
  type Subscription,
} from "@arcly/stream";

const FRAMES = 64;
const COUNTS = [1, 10, 100, 1000];

function frame(i: number): MediaFrame {
  return {
    kind: "video",
    codec: "h264",
    trackId: 0,
    pts: i * 40,
    dts: i * 40,
    timescale: 1000,
    keyframe: i % 32 === 0,
    config: false,
    data: new Uint8Array(1200),
  };
}
const frames = Array.from({ length: FRAMES }, (_, i) => frame(i));

function kernelSetup(n: number, key: string) {
  const engine = Engine.builder().clock(new ManualClock())
    .application({ name: "bench", maxSubscribers: 10_000 }).build();
  const stream = engine.startPublish(`bench/${key}`);
  const subs: Subscription[] = Array.from(
    { length: n },
    () => stream.subscribe({ replay: false, waitForKeyframe: false }),
  );
  return { stream, subs };
}

function teeSetup(n: number) {
  let controller!: ReadableStreamDefaultController<MediaFrame>;
  let rest = new ReadableStream<MediaFrame>({
    start(c) {
      controller = c;
    },
  });
  const readers: ReadableStreamDefaultReader<MediaFrame>[] = [];
  for (let i = 1; i < n; i++) {
    const [a, b] = rest.tee();
    readers.push(a.getReader());
    rest = b;
  }
  readers.push(rest.getReader());
  return { controller, readers };
}

for (const n of COUNTS) {
  const group = `fan-out to ${n}`;
  const taking = kernelSetup(n, `take${n}`);
  Deno.bench(
    `kernel takeAll, ${n} subscribers`,
    { group, baseline: true },
    () => {
      for (const f of frames) taking.stream.publishFrame(f);
      for (const sub of taking.subs) {
        if (sub.takeAll().length !== FRAMES) throw new Error("lost frames");
      }
    },
  );

  const egress = kernelSetup(n, `egress${n}`);
  Deno.bench(
    `kernel ready()+takeAll(), ${n} subscribers`,
    { group },
    async () => {
      const consumers = egress.subs.map(async (sub) => {
        let got = 0;
        while (got < FRAMES) {
          await sub.ready();
          got += sub.takeAll().length;
        }
      });
      for (const f of frames) egress.stream.publishFrame(f);
      await Promise.all(consumers);
    },
  );

  const awaiting = kernelSetup(n, `next${n}`);
  Deno.bench(`kernel next(), ${n} subscribers`, { group }, async () => {
    for (const f of frames) awaiting.stream.publishFrame(f);
    await Promise.all(awaiting.subs.map(async (sub) => {
      for (let i = 0; i < FRAMES; i++) await sub.next();
    }));
  });

  const tee = teeSetup(n);
  Deno.bench(`tee() chain, ${n} subscribers`, { group }, async () => {
    for (const f of frames) tee.controller.enqueue(f);
    await Promise.all(tee.readers.map(async (reader) => {
      for (let i = 0; i < FRAMES; i++) await reader.read();
    }));
  });
}

const PUBLISH_BATCH = 1024;
for (const n of COUNTS) {
  const { stream } = kernelSetup(n, `publish${n}`);
  Deno.bench(
    `publish ${PUBLISH_BATCH} frames with ${n} subscribers`,
    { group: "publish cost" },
    () => {
      for (let i = 0; i < PUBLISH_BATCH; i++) {
        stream.publishFrame(frames[i % FRAMES]!);
      }
    },
  );
}
