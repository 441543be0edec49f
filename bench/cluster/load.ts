// deno-lint-ignore-file no-console -- command-line load client: stdout is its interface
/**
 * Load client of the several-processes benchmark, run as its own process so
 * its CPU never counts as server CPU: N HTTP-FLV viewers (the fan-out
 * harness's byte-counting `FlvViewer`) join within a second, warm up, then
 * the media time each viewer advanced during the window is measured. A viewer
 * "keeps up" when its media time advanced by at least 90 % of the window.
 *
 * Usage: `deno run -A bench/cluster/load.ts HOST PORT PATH N WARMUP_S WINDOW_S`;
 * prints one line `RESULT {"viewers":N,"keepingUp":K,"medianAdvance":…}`.
 *
 * @module
 */
import { FlvViewer } from "../fanout/flv_viewer.ts";

const [host, portText, path, nText, warmText, windowText] = Deno.args;
const n = Number(nText);
const warmupS = Number(warmText);
const windowS = Number(windowText);
const viewers: FlvViewer[] = [];
for (let i = 0; i < n; i++) {
  const v = new FlvViewer(host!, Number(portText), path!);
  v.start();
  viewers.push(v);
  if (i % 50 === 49) await new Promise((r) => setTimeout(r, 50));
}
await new Promise((r) => setTimeout(r, warmupS * 1000));
const start = viewers.map((v) => v.mediaTs);
await new Promise((r) => setTimeout(r, windowS * 1000));
const advance = viewers.map((v, i) =>
  v.mediaTs < 0 || start[i]! < 0 ? 0 : (v.mediaTs - start[i]!) / 1000
);
const keepingUp = advance.filter((a) => a >= windowS * 0.9).length;
const sorted = [...advance].sort((a, b) => a - b);
for (const v of viewers) v.close();
console.log(
  `RESULT ${
    JSON.stringify({
      viewers: n,
      keepingUp,
      failed: viewers.filter((v) => v.error !== null).length,
      firstError: viewers.find((v) => v.error !== null)?.error ?? null,
      medianAdvanceS: sorted[sorted.length >> 1] ?? 0,
      p10AdvanceS: sorted[Math.floor(sorted.length * 0.1)] ?? 0,
      windowS,
    })
  }`,
);
Deno.exit(0);
