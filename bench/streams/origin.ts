// deno-lint-ignore-file no-console -- benchmark server script: stderr diagnostics are its interface
/**
 * Our origin for the many-streams benchmark: `Engine` (library defaults, any
 * number of publishers), `RtmpHandler`, and with `--hls` the `HlsPackaging`
 * pipeline writing MPEG-TS segments (2 s target, 3-segment window) to
 * `--hls-dir` through `FsStorage` — the same work nginx-rtmp does with
 * `hls on`. No HTTP listener: the load process reads playlists from disk.
 *
 * Usage: `deno run -A bench/streams/origin.ts --rtmp-port=1935 [--hls --hls-dir=DIR] [--tcp-backend=deno|ffi (default: libc where it runs, as the CLI)] [--ring-capacity=N]`
 *
 * @module
 */

import { Engine } from "../../src/mod.ts";
import { RtmpHandler } from "../../protocols/rtmp/mod.ts";
import { HlsPackaging } from "../../pipelines/mod.ts";
import { FsStorage } from "../../media/storage/mod.ts";
import { startBenchReducer, tcpBackendOf } from "../fanout/origin_knobs.ts";

function flag(name: string): string | undefined {
  const arg = Deno.args.find((a) =>
    a === `--${name}` || a.startsWith(`--${name}=`)
  );
  return arg === undefined ? undefined : arg.slice(name.length + 3);
}

// --ring-capacity=N: the application's ring size (default the library's
// 1,024 slots; 512 = the default lag allowance, maxLagFrames, so the same
// viewers behave the same while half as many frames stay referenced).
const ring = flag("ring-capacity");
const engine = Engine.builder().maxPublishers(10_000).application({
  name: "live",
  ...(ring === undefined ? {} : { ringCapacity: Number(ring) }),
}).build();
const rtmp = new RtmpHandler({
  hostname: "127.0.0.1",
  port: Number(flag("rtmp-port") ?? 1935),
  maxConnections: 20_000,
  tcpBackend: tcpBackendOf(flag("tcp-backend")),
});
let packaging: HlsPackaging | null = null;
if (flag("hls") !== undefined) {
  const dir = flag("hls-dir") ?? "hls";
  Deno.mkdirSync(dir, { recursive: true });
  packaging = new HlsPackaging({
    engine,
    storage: new FsStorage({ root: dir }),
    format: "ts",
    lowLatency: false,
    targetDurationMs: 2000,
    windowSize: 3,
  });
}
// Diagnostics on stderr: why publishers or viewers went away.
const counts = new Map<string, number>();
for (
  const type of [
    "unpublished",
    "subscriberEvicted",
    "subscriberLagged",
    "lagResync",
    "handlerError",
  ] as const
) {
  engine.events.on(type, (event) => {
    const detail = "reason" in event
      ? String(event.reason)
      : "error" in event
      ? String((event.error as Error)?.message ?? event.error)
      : "";
    const key = `${type} ${detail}`.slice(0, 120);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  });
}
const report = setInterval(() => {
  if (counts.size === 0) return;
  console.error(
    [...counts].map(([k, n]) => `${n}× ${k}`).join("; "),
  );
  counts.clear();
}, 2000);
// As the CLI and the fan-out origin do (run.ts passes the CLI's --expose-gc).
const reducer = startBenchReducer(engine.clock);
await engine.serveUntilSignal([rtmp]);
reducer?.stop();
clearInterval(report);
await packaging?.[Symbol.asyncDispose]();
Deno.exit(0);
