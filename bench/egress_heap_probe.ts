// deno-lint-ignore-file no-console -- command-line probe: stdout is its interface
/**
 * JS heap per live viewer (after GC), deterministic where RSS is noisy.
 *
 * ```sh
 * deno run -A --v8-flags=--expose-gc bench/egress_heap_probe.ts session   # kernel egress sessions
 * deno run -A --v8-flags=--expose-gc bench/egress_heap_probe.ts registered # the same, each in the client registry
 * deno run -A --v8-flags=--expose-gc bench/egress_heap_probe.ts manual    # the pre-seam hand-written loop
 * deno run -A --v8-flags=--expose-gc bench/egress_heap_probe.ts http 500  # HTTP-FLV viewers over loopback
 * deno run -A --v8-flags=--expose-gc,--min-semi-space-size=128,--max-semi-space-size=128 bench/egress_heap_probe.ts http-alloc 500
 * ```
 *
 * `http-alloc`: bytes allocated per join (the probe's connect and request
 * included, the publisher paused) and per viewer per tick over 3 s of
 * streaming: with a fixed 128 MB semi-space no scavenge runs, so the growth
 * of `heapUsed` is what was allocated; it includes the probe's own client
 * reads, the same before and after a change.
 *
 * @module
 */
import {
  Engine,
  JoinedEgress,
  JoinedEgressCache,
  type MediaFrame,
} from "../mod.ts";
import { flvTagFormat, HttpHandler } from "../protocols/http/mod.ts";

const mode = Deno.args[0] ?? "session";
const n = Number(Deno.args[1] ?? (mode.startsWith("http") ? 500 : 2000));
const gc = (globalThis as unknown as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with --v8-flags=--expose-gc");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function heap(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc!();
    await sleep(50);
  }
  return Deno.memoryUsage().heapUsed;
}

const engine = Engine.builder()
  .application({ name: "live", maxSubscribers: 50_000 }).build();
const stream = engine.startPublish("live/cam");
const video = (dts: number, keyframe: boolean): MediaFrame => ({
  kind: "video",
  codec: "h264",
  trackId: 0,
  pts: dts,
  dts,
  timescale: 1000,
  keyframe,
  config: false,
  data: new Uint8Array(4000),
});
let dts = 0;
// Traffic only for HTTP viewers (the kernel-only modes measure idle viewers).
const httpMode = mode === "http" || mode === "http-alloc";
let ticks = 0;
let paused = false;
const timer = setInterval(() => {
  if (paused) return;
  ticks++;
  for (let i = 0; i < 3 && httpMode; i++, dts += 33) {
    stream.publishFrame(video(dts, dts % 1980 === 0));
  }
}, 100);
const http = new HttpHandler({ hostname: "127.0.0.1", port: 0 });
const serving = httpMode ? engine.serve([http]) : Promise.resolve();
await sleep(300);
const before = await heap();
// ARCLY_HEAPSNAP_DIR=DIR: heap snapshots before and with the viewers (after
// a full GC), for bench/fanout/heap_summary.ts.
const snapDir = Deno.env.get("ARCLY_HEAPSNAP_DIR");
const { writeHeapSnapshot } = await import("node:v8");
if (snapDir !== undefined) writeHeapSnapshot(`${snapDir}/probe-0.heapsnapshot`);
const conns: Deno.Conn[] = [];
const egress = new JoinedEgress(flvTagFormat);
paused = mode === "http-alloc";
const joinStart = Deno.memoryUsage().heapUsed;
for (let i = 0; i < n; i++) {
  if (mode === "session" || mode === "registered") {
    // "registered": each viewer also in the engine's client registry.
    const session = mode === "session"
      ? egress.open(stream)
      : egress.open(stream, {
        protocol: "http-flv",
        remoteAddr: `127.0.0.1:${10_000 + i}`,
      });
    (async () => {
      for await (const bytes of session) if (bytes.length < 0) break;
    })();
  } else if (mode === "manual") {
    const cache = new JoinedEgressCache(flvTagFormat);
    const tick = stream.egressTick(100);
    const sub = stream.subscribeResilient();
    sub.closed.then(tick.join());
    (async () => {
      while (!sub.isClosed) {
        await sub.ready();
        if (!sub.isClosed) await tick.next();
        const frames = sub.takeAll();
        if (frames.length === 0 && sub.isClosed) break;
        // (evicted at shutdown: the rejection ends the loop)
        if (cache.batch(frames).length < 0) break;
      }
    })().catch(() => {});
  } else {
    const { port } = await http.listening;
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(
      new TextEncoder().encode("GET /live/cam.flv HTTP/1.1\r\nHost: x\r\n\r\n"),
    );
    conns.push(conn);
    (async () => {
      const buf = new Uint8Array(65536);
      while ((await conn.read(buf).catch(() => null)) !== null) { /* drain */ }
    })();
  }
}
if (mode === "http-alloc") {
  // Until every viewer got its header and replay.
  await sleep(300);
  console.log(
    `http-alloc: ${
      Math.round((Deno.memoryUsage().heapUsed - joinStart) / n)
    } bytes allocated per join`,
  );
  paused = false;
}
await sleep(httpMode ? 3000 : 300);
if (mode === "http-alloc") {
  const start = await heap();
  const ticks0 = ticks;
  await sleep(3000);
  const grown = Deno.memoryUsage().heapUsed - start;
  console.log(
    `http-alloc: ${n} viewers, ${ticks - ticks0} ticks, ${
      Math.round(grown / n / (ticks - ticks0))
    } bytes allocated per viewer per tick`,
  );
}
const after = await heap();
if (snapDir !== undefined) writeHeapSnapshot(`${snapDir}/probe-1.heapsnapshot`);
console.log(
  `${mode}: ${n} viewers, ${engine.subscriberCount} subscribed, ${
    Math.round((after - before) / n)
  } bytes of JS heap per viewer`,
);
clearInterval(timer);
for (const conn of conns) conn.close();
await engine.shutdown({ deadlineMs: 0 });
await serving;
