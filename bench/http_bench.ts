// deno-lint-ignore-file no-console -- a command-line benchmark prints its table
// HTTP egress benchmarks.
//
//   deno bench --allow-all bench/http_bench.ts
//     Deno.bench: the FLV serialize-once path (cached tag, memoised batch,
//     first serialization) and one HTTP-FLV viewer start through app.request().
//
//   deno run --allow-all bench/http_bench.ts fanout 1 10 100 300
//     HTTP-FLV fan-out over real sockets: the sample clip is published in
//     real time, N viewers (a separate Deno process, so the server's figures
//     are its own) read /live/cam.flv for MEASURE_S seconds; prints the
//     server's CPU and RSS per viewer and each viewer's time to first
//     keyframe, as a Markdown table.
import process from "node:process";
import { readFlvFile } from "../media/flv/mod.ts";
import type { MediaFrame } from "../media/frame.ts";
import { Engine, StreamKey } from "../src/mod.ts";
import { createHttpApp, FlvTagCache } from "../protocols/http/mod.ts";

const SAMPLE = new URL("../examples/assets/sample.flv", import.meta.url);
const frames: MediaFrame[] = readFlvFile(Deno.readFileSync(SAMPLE)).frames;
const MEASURE_S = 8;

// ---------------------------------------------------------------- Deno.bench
if (!import.meta.main) {
  const media = frames.filter((f) => !f.config && f.kind !== "data");
  const warm = new FlvTagCache();
  for (const f of media) warm.tagOf(f);
  const batch = media.slice(100, 108);

  Deno.bench("FlvTagCache.batch(1 frame), cached (per viewer per frame)", {
    group: "flv",
    baseline: true,
  }, () => {
    warm.batch([media[200]!]);
  });
  Deno.bench("FlvTagCache.batch(8 frames), memoised for the next viewer", {
    group: "flv",
  }, () => {
    warm.batch(batch);
  });
  Deno.bench("FlvTagCache.tagOf(), first serialization of a frame", {
    group: "flv",
  }, () => {
    new FlvTagCache().tagOf(media[200]!);
  });

  const engine = Engine.builder().build();
  const handle = engine.startPublish(StreamKey.parse("live/cam"));
  for (const f of frames) if (f.dts < 2000) handle.publishFrame(f);
  const app = createHttpApp(engine, { dashboard: false });
  Deno.bench("HTTP-FLV viewer start: request + header + GOP replay chunk", {
    group: "start",
  }, async () => {
    const res = await app.request("/live/cam.flv");
    const reader = res.body!.getReader();
    await reader.read();
    await reader.cancel();
  });
}

// ---------------------------------------------------------------- fan-out
async function client(url: string, n: number, seconds: number): Promise<void> {
  const ttfk: number[] = [];
  let bytes = 0;
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(Array.from({ length: n }, async () => {
    const started = performance.now();
    const res = await fetch(url);
    const reader = res.body!.getReader();
    let buffered = new Uint8Array(0);
    let offset = 13; // FLV header + PreviousTagSize0
    let found = false;
    while (performance.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      bytes += value.length;
      if (!found) {
        const next = new Uint8Array(buffered.length + value.length);
        next.set(buffered);
        next.set(value, buffered.length);
        buffered = next;
        // Walk tags until the first video keyframe that is not a sequence header.
        while (offset + 11 <= buffered.length) {
          const type = buffered[offset]!;
          const size = (buffered[offset + 1]! << 16) |
            (buffered[offset + 2]! << 8) | buffered[offset + 3]!;
          if (offset + 11 + size > buffered.length) break;
          const body = offset + 11;
          if (
            type === 9 && buffered[body]! >> 4 === 1 && buffered[body + 1] === 1
          ) {
            ttfk.push(performance.now() - started);
            found = true;
            buffered = new Uint8Array(0);
            break;
          }
          offset += 11 + size + 4;
        }
      }
    }
    await reader.cancel();
  }));
  console.log(JSON.stringify({ ttfk, bytes }));
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ??
    NaN;
}

async function fanout(counts: number[]): Promise<void> {
  const engine = Engine.builder()
    .application({ name: "live", maxSubscribers: 10_000 })
    .build();
  const handle = engine.startPublish(StreamKey.parse("live/cam"));
  let evictions = 0;
  let resyncs = 0;
  engine.events.on("subscriberEvicted", () => evictions++);
  engine.events.on("lagResync", () => resyncs++);
  const app = createHttpApp(engine, { dashboard: false });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    app.fetch,
  );
  const url = `http://127.0.0.1:${server.addr.port}/live/cam.flv`;
  const stop = new AbortController();
  const publishing = (async () => {
    const media = frames.filter((f) => !f.config && f.kind !== "data");
    for (const f of frames.filter((f) => f.config)) handle.publishFrame(f);
    const clipMs = media.at(-1)!.dts + 33;
    const start = performance.now();
    for (let loop = 0; !stop.signal.aborted; loop++) {
      for (const f of media) {
        const t = f.dts + loop * clipMs;
        const wait = start + t - performance.now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
        if (stop.signal.aborted) return;
        handle.publishFrame({ ...f, pts: f.pts + loop * clipMs, dts: t });
      }
    }
  })();
  await new Promise((r) => setTimeout(r, 1500)); // fill the GOP cache
  console.log(
    "| viewers | server CPU (% of one core) | CPU per viewer | RSS | RSS per viewer | TTFK p50 | TTFK p95 | Mb/s out | resyncs | evictions |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|");
  for (const n of counts) {
    const rss0 = Deno.memoryUsage().rss;
    const [evictions0, resyncs0] = [evictions, resyncs];
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-net",
        "--allow-read",
        new URL(import.meta.url).pathname,
        "client",
        url,
        String(n),
        String(MEASURE_S),
      ],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const rss = Deno.memoryUsage().rss;
    const { ttfk, bytes } = JSON.parse(
      new TextDecoder().decode(out.stdout),
    ) as {
      ttfk: number[];
      bytes: number;
    };
    const cpuPct = ((cpu.user + cpu.system) / 1e6 / seconds) * 100;
    console.log(
      `| ${n} | ${cpuPct.toFixed(1)} | ${(cpuPct / n).toFixed(2)} | ${
        (rss / 2 ** 20).toFixed(0)
      } MiB | ${((rss - rss0) / n / 1024).toFixed(0)} KiB | ${
        percentile(ttfk, 0.5).toFixed(1)
      } ms | ${percentile(ttfk, 0.95).toFixed(1)} ms | ${
        ((bytes * 8) / MEASURE_S / 1e6).toFixed(1)
      } | ${resyncs - resyncs0} | ${evictions - evictions0} |`,
    );
    await new Promise((r) => setTimeout(r, 500));
  }
  stop.abort();
  await publishing;
  handle.end();
  await server.shutdown();
  await engine.shutdown();
}

if (import.meta.main) {
  const [mode, ...rest] = Deno.args;
  if (mode === "client") {
    await client(rest[0]!, Number(rest[1]), Number(rest[2]));
  } else {
    await fanout(rest.length ? rest.map(Number) : [1, 10, 100]);
  }
}
