// deno-lint-ignore-file no-console -- command-line tool: stdout is its interface
/**
 * Memory per viewer of our origin (issue 19), one command: for every
 * protocol × N × V8 flag set, a fresh origin (`run.ts --servers=arcly`, one
 * scenario per server process, so no figure starts from another's
 * high-water mark), and a table of RSS growth ÷ viewers, CPU per viewer
 * (µs per message per viewer, baseline-subtracted), viewers behind/failed
 * and the load average around each run.
 *
 * RSS growth: the origin's RSS is sampled every 500 ms in the window and for
 * 2 s before the crowd; the figure is (median in the window − median
 * before) ÷ N, with the window's smallest and largest sample beside it, and
 * the old figure (median − one sample before) for comparison, and how much
 * of the growth is file-backed (`RssFile` in `/proc/<pid>/status`: the deno
 * binary's code paged in when the crowd first runs its paths, shared and
 * clean, the same at any N). The origin
 * also reports `Deno.memoryUsage()` every 500 ms (no forced GC): the growth
 * of the JS heap used and of `external` ÷ N. With `--runs=` > 1 each
 * configuration gets a median row.
 *
 * "From one viewer" (`--anchor=15`, the default; `--anchor=0` skips it): one
 * viewer watches for that long before the crowd (the ring full, the
 * stream's serialize-once cache built for it), then a second "before" is
 * sampled; growth from there ÷ N is what N more viewers cost, without the
 * per-stream memory the first viewer brings (the FLV or RTMP cache holds
 * the ring's frames once, ~5–6 MB for the benchmark's 14 s ring).
 * `--baseline=` (seconds, default 10) is the 0-viewer baseline before it:
 * how long the stream is live before the crowd.
 *
 * ```sh
 * deno run -A bench/fanout/memory.ts                      # flv,rtmp × 500,1000 × the CLI's V8 flags, 1 run each (~4 min)
 * deno run -A bench/fanout/memory.ts --runs=3 --flags=default
 * deno run -A bench/fanout/memory.ts --flags=default,--max-semi-space-size=2,--optimize-for-size --viewers=500
 * deno run -A bench/fanout/memory.ts --env=none,MALLOC_ARENA_MAX=2 --viewers=500
 * ```
 *
 * Flag sets are separated by commas; within one set, V8 flags are joined by
 * `+` (e.g. `--max-semi-space-size=2+--optimize-for-size`); `default` means
 * none, `cli` (the default) the `--v8-flags=` of deno.json's `start` task.
 * `--env=` sets (same separators, `none` = nothing) give the origin's
 * process, not the load client's, extra environment (allocator knobs).
 * The table goes to stdout and to `--out` (default
 * `bench/results/fanout_memory.md`).
 *
 * @module
 */

import { memoryPerViewer, type SteadyResult } from "./report.ts";

interface Results {
  source: { messagesPerSecond: number };
  runs: {
    error: string | null;
    baseline: { serverCpu: number } | null;
    steady: SteadyResult[];
  }[];
}

function median(values: readonly number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

function kb(x: number, digits = 0): string {
  return Number.isFinite(x) ? x.toFixed(digits) : "–";
}

function opt(name: string, fallback: string): string {
  const arg = Deno.args.find((a) => a.startsWith(`--${name}=`));
  return arg === undefined ? fallback : arg.slice(name.length + 3);
}

const protocols = opt("protocols", "flv,rtmp").split(",");
const viewers = opt("viewers", "500,1000").split(",").map(Number);
/** The `--v8-flags=` of deno.json's `start` task (what the CLI runs with). */
function cliFlags(): string {
  const deno = JSON.parse(
    Deno.readTextFileSync(new URL("../../deno.json", import.meta.url)),
  ) as { tasks?: Record<string, string> };
  const flags = /--v8-flags=(\S+)/.exec(deno.tasks?.start ?? "")?.[1];
  return flags === undefined ? "default" : flags.replaceAll(",", "+");
}

const flagSets = opt("flags", "cli").split(",").map((f) =>
  f === "cli" ? cliFlags() : f
);
const envSets = opt("env", "none").split(",");
const runs = Number(opt("runs", "1"));
const window = opt("window", "8");
/** Seconds of the 0-viewer baseline (the stream live that long before the crowd). */
const baselineS = Number(opt("baseline", "10"));
/** Seconds one viewer watches before the crowd (0 = no anchored columns). */
const anchor = Number(opt("anchor", "15"));
const out = opt("out", "bench/results/fanout_memory.md");
const runTs = new URL("./run.ts", import.meta.url).pathname;

function load(): string {
  return Deno.loadavg().map((l) => l.toFixed(1)).join(" ");
}

const rows: string[] = [];
const header =
  "| protocol |     N | V8 flags | origin env | run | RSS/viewer, old (KB) | RSS/viewer: median (min–max) KB | of it file-backed (KB) | JS heap used (committed)/viewer (KB) | external/viewer (KB) | malloc used / free /viewer (KB) | from one viewer: RSS / heap / external (KB) | CPU (µs/msg/viewer) | server CPU (cores) | behind | failed | load before → after |\n" +
  "| -------- | ----: | -------- | ---------- | --: | -------------------: | ------------------------------: | ---------------------: | -----------------------------------: | -------------------: | ------------------------------: | ------------------------------------------: | ------------------: | -----------------: | -----: | -----: | ------------------- |";
console.log(header);
for (const flags of flagSets) {
  for (const protocol of protocols) {
    for (const envSet of envSets) {
      for (const n of viewers) {
        const figures: {
          old: number;
          rss: number;
          file: number;
          heap: number;
          total: number;
          ext: number;
          mUsed: number;
          mFree: number;
          aRss: number;
          aHeap: number;
          aExt: number;
          cpu: number;
        }[] = [];
        for (let run = 1; run <= runs; run++) {
          const v8 = flags === "default" ? "" : flags.replaceAll("+", ",");
          const dir = await Deno.makeTempDir({ prefix: "arcly-memory-" });
          const loadBefore = load();
          const child = new Deno.Command("deno", {
            args: [
              "run",
              "-A",
              runTs,
              "--servers=arcly",
              `--viewers=${n}`,
              `--protocols=${protocol}`,
              "--no-stall",
              "--runs=1",
              `--window=${window}`,
              `--anchor=${anchor}`,
              `--baseline=${baselineS}`,
              `--out=${dir}/fanout.md`,
            ],
            env: {
              ARCLY_BENCH_V8_FLAGS: v8,
              ARCLY_BENCH_ORIGIN_ENV: envSet === "none"
                ? ""
                : envSet.replaceAll("+", ","),
            },
            stdout: "piped",
            stderr: "piped",
          }).outputSync();
          const text = new TextDecoder().decode(child.stderr) +
            new TextDecoder().decode(child.stdout);
          const json = /(\S+\/results\.json)/.exec(text)?.[1];
          let row: string;
          if (json === undefined) {
            row =
              `| ${protocol} | ${n} | ${flags} | ${envSet} | ${run} | failed: ${
                text.split("\n").slice(-3).join(" ").slice(0, 120)
              } | | | | | | | | | | | ${loadBefore} → ${load()} |`;
          } else {
            const r = JSON.parse(Deno.readTextFileSync(json)) as Results;
            const one = r.runs[0]!;
            const s = one.steady.find((x) => x.viewers === n);
            if (s === undefined) {
              row = `| ${protocol} | ${n} | ${flags} | ${envSet} | ${run} | ${
                one.error ?? "no steady result"
              } | | | | | | | | | | | ${loadBefore} → ${load()} |`;
            } else {
              const base = one.baseline?.serverCpu ?? 0;
              const perViewer = (s.serverCpu - base) / n /
                r.source.messagesPerSecond * 1e6;
              const m = memoryPerViewer(s);
              figures.push({
                old: m.rssOneSampleKb,
                rss: m.rssKb,
                file: m.rssFileKb,
                heap: m.heapUsedKb,
                total: m.heapTotalKb,
                ext: m.externalKb,
                mUsed: m.mallocUsedKb,
                mFree: m.mallocFreeKb,
                aRss: m.anchored?.rssKb ?? NaN,
                aHeap: m.anchored?.heapUsedKb ?? NaN,
                aExt: m.anchored?.externalKb ?? NaN,
                cpu: perViewer,
              });
              row = `| ${protocol} | ${n} | ${flags} | ${envSet} | ${run} | ${
                kb(m.rssOneSampleKb)
              } | ${kb(m.rssKb)} (${kb(m.rssMinKb)}–${kb(m.rssMaxKb)}) | ${
                kb(m.rssFileKb, 1)
              } | ${kb(m.heapUsedKb, 1)} (${kb(m.heapTotalKb, 1)}) | ${
                kb(m.externalKb, 1)
              } | ${kb(m.mallocUsedKb, 1)} / ${kb(m.mallocFreeKb, 1)} | ${
                kb(m.anchored?.rssKb ?? NaN)
              } / ${kb(m.anchored?.heapUsedKb ?? NaN, 1)} / ${
                kb(m.anchored?.externalKb ?? NaN, 1)
              } | ${perViewer.toFixed(2)} | ${s.serverCpu.toFixed(3)} | ${
                s.laggards ?? "?"
              } | ${s.failed} | ${loadBefore} → ${load()} |`;
            }
          }
          console.log(row);
          rows.push(row);
          await Deno.remove(dir, { recursive: true }).catch(() => {});
        }
        if (runs > 1) {
          const med = (k: keyof (typeof figures)[number]): number =>
            median(figures.map((f) => f[k]));
          const row =
            `| ${protocol} | ${n} | ${flags} | ${envSet} | **median of ${figures.length}** | ${
              kb(med("old"))
            } | **${kb(med("rss"))}** | ${kb(med("file"), 1)} | ${
              kb(med("heap"), 1)
            } (${kb(med("total"), 1)}) | ${kb(med("ext"), 1)} | ${
              kb(med("mUsed"), 1)
            } / ${kb(med("mFree"), 1)} | **${kb(med("aRss"))}** / ${
              kb(med("aHeap"), 1)
            } / ${kb(med("aExt"), 1)} | ${kb(med("cpu"), 2)} | | | | |`;
          console.log(row);
          rows.push(row);
        }
      }
    }
  }
}
Deno.writeTextFileSync(
  out,
  `# Memory per viewer of our origin (bench/fanout/memory.ts)\n\nCommand: \`deno run -A bench/fanout/memory.ts ${
    Deno.args.filter((a) => !a.startsWith("--out=")).join(" ")
  }\` (started with load ${
    rows.length > 0 ? "see rows" : load()
  }). One fresh origin per row; RSS/viewer = (median VmRSS in the window, sampled every 500 ms − median of the 2 s before the viewers) ÷ N, (min–max) over the window's samples; "old" = median − one sample before (the earlier sessions' figure); JS heap used / external = the origin's own \`Deno.memoryUsage()\` (every 500 ms, no forced GC), median growth ÷ N; malloc used / free = glibc's \`mallinfo2\` in the origin (bytes handed out incl. mmapped blocks / free bytes kept in its arenas), median growth ÷ N.\n\n${header}\n${
    rows.join("\n")
  }\n`,
);
console.log(`wrote ${out}`);
