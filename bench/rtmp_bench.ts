// RTMP benchmarks.
//
// Pure (no sockets), with `deno bench`:
// - "ingest": RtmpSession.feed() of a publisher byte stream (chunk
//   reassembly + FLV mapping), 64 KiB reads, throughput in MB/s;
// - "egress": chunk bytes for one frame sent to N players — built once and
//   shared (FrameChunkCache) vs rebuilt per player (baseline).
//
// Over loopback (real sockets, our RtmpClient on both ends), one publisher
// and N players: `RTMP_BENCH_REPORT=1 deno run -A bench/rtmp_bench.ts`
// prints a Markdown table (ingest throughput, fan-out delivery rate, CPU and
// RSS of this process, which holds server and clients alike).
//
// Run: deno bench --allow-all bench/rtmp_bench.ts
import { Engine, type MediaFrame } from "@arcly/stream";
import {
  chunkFrame,
  commandMessage,
  createClientAck,
  createClientHello,
  FrameChunkCache,
  RtmpClient,
  RtmpHandler,
  RtmpSession,
  setChunkSizeMessage,
} from "@arcly/stream/rtmp";
import process from "node:process";

function frame(i: number, size: number): MediaFrame {
  return {
    kind: "video",
    codec: "h264",
    trackId: 0,
    pts: i * 40,
    dts: i * 40,
    timescale: 1000,
    keyframe: i % 50 === 0,
    config: false,
    data: new Uint8Array(size).fill(i & 0xff),
  };
}

// ---- ingest -------------------------------------------------------------
const INGEST_FRAMES = 500;
const INGEST_SIZE = 8_000;
const publisherBytes = (() => {
  const parts = [
    setChunkSizeMessage(4096),
    commandMessage(["connect", 1, { app: "live" }], { chunkSize: 4096 }),
    commandMessage(["createStream", 2, null], { chunkSize: 4096 }),
    commandMessage(["publish", 3, null, "cam", "live"], {
      streamId: 1,
      chunkSize: 4096,
    }),
  ];
  for (let i = 0; i < INGEST_FRAMES; i++) {
    parts.push(chunkFrame(frame(i, INGEST_SIZE), { chunkSize: 4096 }));
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) (out.set(p, o), o += p.length);
  return out;
})();

Deno.bench({
  name: `ingest: RtmpSession.feed ${
    (publisherBytes.length / 1e6).toFixed(1)
  } MB (${INGEST_FRAMES} × ${INGEST_SIZE} B, chunk 4096)`,
  group: "ingest",
  fn() {
    const session = new RtmpSession();
    const s =
      (session.feed(createClientHello())[0] as { bytes: Uint8Array }).bytes;
    session.feed(createClientAck(s.subarray(1, 1537)));
    let frames = 0;
    for (let p = 0; p < publisherBytes.length; p += 65536) {
      for (const a of session.feed(publisherBytes.subarray(p, p + 65536))) {
        if (a.type === "publish") {
          session.acceptPublish();
          frames += session.takeHeldFrames().length;
        }
        if (a.type === "frames") frames += a.frames.length;
      }
    }
    if (frames !== INGEST_FRAMES) throw new Error(`ingest: ${frames} frames`);
  },
});

// ---- egress -------------------------------------------------------------
for (const players of [1, 10, 100]) {
  const frames = Array.from({ length: 25 }, (_, i) => frame(i, 10_000));
  Deno.bench({
    name:
      `egress: 25 frames × ${players} players, serialize once (FrameChunkCache)`,
    group: `egress ${players}`,
    baseline: true,
    fn() {
      const cache = new FrameChunkCache(60000); // fresh: each frame is built once here
      let bytes = 0;
      for (let p = 0; p < players; p++) bytes += cache.batchOf(frames).length;
      if (bytes === 0) throw new Error("no bytes");
    },
  });
  Deno.bench({
    name: `egress: 25 frames × ${players} players, serialize per player`,
    group: `egress ${players}`,
    fn() {
      let bytes = 0;
      for (let p = 0; p < players; p++) {
        // what a per-viewer muxer does: build every frame, then the batch
        const parts = frames.map((f) => chunkFrame(f, { chunkSize: 60000 }));
        const batch = new Uint8Array(parts.reduce((n, b) => n + b.length, 0));
        let o = 0;
        for (const b of parts) (batch.set(b, o), o += b.length);
        bytes += batch.length;
      }
      if (bytes === 0) throw new Error("no bytes");
    },
  });
}

// ---- loopback report ------------------------------------------------------
interface Figures {
  players: number;
  seconds: number;
  mbIn: number;
  deliveredMbps: number;
  cpu: number;
  rssMb: number;
}

async function loopback(
  players: number,
  frameCount: number,
  size: number,
): Promise<Figures> {
  const engine = Engine.builder().application({
    name: "live",
    ringCapacity: 4096,
    maxLagFrames: 2048,
  }).build();
  const rtmp = new RtmpHandler({ hostname: "127.0.0.1", port: 0 });
  const served = engine.serve([rtmp]);
  const { port } = await rtmp.listening;
  const url = `rtmp://127.0.0.1:${port}/live`;
  const pub = await RtmpClient.connect(url);
  const publisher = await pub.publish("bench");
  await publisher.write({ ...frame(0, 30), config: true, keyframe: true });
  const clients = await Promise.all(
    Array.from({ length: players }, () => RtmpClient.connect(url)),
  );
  const players_ = await Promise.all(
    clients.map((c) => c.play("bench", { highWaterMark: 1024 })),
  );
  const readers = players_.map(async (player) => {
    let n = 0;
    for await (const f of player) {
      if (!f.config && ++n === frameCount) break;
    }
    return n;
  });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < frameCount; i += 10) {
    await publisher.writeFrames(
      Array.from({ length: 10 }, (_, k) => frame(i + k, size)),
    );
  }
  const counts = await Promise.all(readers);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const rssMb = Deno.memoryUsage().rss / 1e6;
  if (counts.some((n) => n !== frameCount)) {
    throw new Error(`lost frames: ${counts}`);
  }
  await pub.close();
  await Promise.all(clients.map((c) => c.close()));
  await engine.shutdown();
  await served;
  const mbIn = frameCount * size / 1e6;
  return {
    players,
    seconds,
    mbIn,
    deliveredMbps: mbIn * 8 * players / seconds,
    cpu: (cpu.user + cpu.system) / 1e6 / seconds,
    rssMb,
  };
}

if (Deno.env.get("RTMP_BENCH_REPORT") === "1") {
  const out = (line: string) =>
    Deno.stdout.writeSync(new TextEncoder().encode(line + "\n"));
  const rows: string[] = [];
  for (const players of [1, 10, 50]) {
    const f = await loopback(players, 1000, 10_000);
    rows.push(
      `| ${players} | ${f.mbIn.toFixed(0)} | ${f.seconds.toFixed(2)} | ${
        (f.mbIn * 8 / f.seconds).toFixed(0)
      } | ${f.deliveredMbps.toFixed(0)} | ${f.cpu.toFixed(2)} | ${
        f.rssMb.toFixed(0)
      } |`,
    );
  }
  out(
    "| players | MB published | seconds | ingest Mbit/s | delivered Mbit/s (all players) | CPU (cores) | RSS (MB) |",
  );
  out("|---:|---:|---:|---:|---:|---:|---:|");
  for (const r of rows) out(r);
}
