// deno-lint-ignore-file no-console -- benchmark server script: stderr diagnostics are its interface
/**
 * Our origin for the fan-out benchmark: `Engine` with one `live` application
 * (library defaults), `RtmpHandler` and `HttpHandler` (HTTP-FLV) on 127.0.0.1.
 * Configured like node-media-server in the comparison: no auth, no dashboard,
 * no HLS, no recording. Connection caps are raised above the largest N (the
 * default RTMP cap is 1,000 and the benchmark needs N + probes + publisher).
 *
 * Usage: `deno run -A bench/fanout/our_origin.ts --rtmp-port=1935 --http-port=8000`
 * (`--tcp-backend=ffi`: sockets over libc, see `protocols/net/tcp_ffi.ts`)
 * Stops gracefully on SIGTERM/SIGINT (so `--cpu-prof` profiles get written).
 *
 * @module
 */

import { DEFAULT_EGRESS_TICK_MS, Engine } from "../../src/mod.ts";
import { RtmpHandler } from "../../protocols/rtmp/mod.ts";
import { HttpHandler } from "../../protocols/http/mod.ts";
import { startBenchReducer, tcpBackendOf } from "./origin_knobs.ts";

/** Above N = 1,000 viewers + join probes + stalled viewers + publisher. */
const MAX_CONNECTIONS = 20_000;

function flag(name: string, fallback: number): number {
  const arg = Deno.args.find((a) => a.startsWith(`--${name}=`));
  return arg === undefined ? fallback : Number(arg.slice(name.length + 3));
}

// ARCLY_BENCH_RING=<frames> overrides the ring (and the lag limit, half of it)
// for memory experiments; the default is the library's.
const ring = Number(Deno.env.get("ARCLY_BENCH_RING") ?? 0);
const engine = Engine.builder().application(
  ring > 0
    ? { name: "live", ringCapacity: ring, maxLagFrames: ring / 2 }
    : { name: "live" },
).build();
/**
 * The stream's shared egress tick for every viewer: the library default
 * (100 ms) unless `--egress-tick-ms=` or `ARCLY_EGRESS_TICK_MS` says otherwise.
 */
const EGRESS_TICK_MS = flag(
  "egress-tick-ms",
  Number(Deno.env.get("ARCLY_EGRESS_TICK_MS") ?? DEFAULT_EGRESS_TICK_MS),
);
/**
 * Plain-TCP backend of both listeners: `--tcp-backend=deno|ffi` or
 * `ARCLY_TCP_BACKEND=deno|ffi` (so `memory.ts --env=none,ARCLY_TCP_BACKEND=deno`
 * alternates the two); default the CLI's `auto`: libc where it runs.
 */
const TCP_BACKEND: "deno" | "ffi" = tcpBackendOf(
  Deno.args.find((a) => a.startsWith("--tcp-backend="))?.slice(14) ??
    Deno.env.get("ARCLY_TCP_BACKEND"),
);
console.error(`tcp backend ${TCP_BACKEND}`);
const rtmp = new RtmpHandler({
  hostname: "127.0.0.1",
  port: flag("rtmp-port", 1935),
  tcpBackend: TCP_BACKEND,
  maxConnections: MAX_CONNECTIONS,
  egressTickMs: EGRESS_TICK_MS,
});
const http = new HttpHandler({
  hostname: "127.0.0.1",
  port: flag("http-port", 8000),
  dashboard: false,
  maxConnections: MAX_CONNECTIONS,
  // ARCLY_HTTP_SERVER=deno compares with Deno.serve (default: our own server)
  server: Deno.env.get("ARCLY_HTTP_SERVER") === "deno" ? "deno" : "arcly",
  egressTickMs: EGRESS_TICK_MS,
  tcpBackend: TCP_BACKEND,
});
if (Deno.env.get("ARCLY_BENCH_MEMLOG") === "1") {
  // Diagnostics for the harness's RSS figures: where the memory is.
  setInterval(() => {
    const m = Deno.memoryUsage();
    const mb = (n: number): string => (n / 1e6).toFixed(1);
    console.error(
      `mem rss ${mb(m.rss)} heapTotal ${mb(m.heapTotal)} heapUsed ${
        mb(m.heapUsed)
      } external ${
        mb(m.external)
      } http ${http.connectionCount} rtmp ${rtmp.connectionCount}`,
    );
  }, 2_000);
}
const heapSnapshotDir = Deno.env.get("ARCLY_BENCH_HEAPSNAP_DIR");
if (heapSnapshotDir !== undefined) {
  // `kill -USR2 <pid>`: a full GC, then a heap snapshot of what is live
  // (summarize with bench/fanout/heap_summary.ts).
  const { writeHeapSnapshot } = await import("node:v8");
  let n = 0;
  Deno.addSignalListener("SIGUSR2", () => {
    const file = `${heapSnapshotDir}/origin-${++n}.heapsnapshot`;
    writeHeapSnapshot(file);
    const m = Deno.memoryUsage();
    console.error(
      `heap snapshot ${file}: rss ${(m.rss / 1e6).toFixed(1)} MB, heapUsed ${
        (m.heapUsed / 1e6).toFixed(1)
      } MB, external ${(m.external / 1e6).toFixed(1)} MB after GC`,
    );
  });
}
// As the CLI does (memory.ts's `cli` flag set passes its --expose-gc).
const reducer = startBenchReducer(engine.clock);
await engine.serveUntilSignal([rtmp, http]);
reducer?.stop();
Deno.exit(0);
