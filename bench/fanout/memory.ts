// deno-lint-ignore-file no-console -- command-line tool: stdout is its interface
/**
 * Memory per viewer of our origin (issue 19), one command: for every
 * protocol × N × V8 flag set, a fresh origin (`run.ts --servers=arcly`, one
 * scenario per server process, so no figure starts from another's
 * high-water mark), and a table of RSS growth ÷ viewers, CPU per viewer
 * (µs per message per viewer, baseline-subtracted), viewers behind/failed
 * and the load average around each run.
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

interface Steady {
  viewers: number;
  serverCpu: number;
  rssBefore: number;
  rss: number;
  failed: number;
  laggards?: number;
  keepUp?: unknown;
}

interface Results {
  source: { messagesPerSecond: number };
  runs: {
    error: string | null;
    baseline: { serverCpu: number } | null;
    steady: Steady[];
  }[];
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
const out = opt("out", "bench/results/fanout_memory.md");
const runTs = new URL("./run.ts", import.meta.url).pathname;

function load(): string {
  return Deno.loadavg().map((l) => l.toFixed(1)).join(" ");
}

const rows: string[] = [];
const header =
  "| protocol |     N | V8 flags | origin env | run | RSS/viewer (KB) | CPU (µs/msg/viewer) | server CPU (cores) | behind | failed | load before → after |\n" +
  "| -------- | ----: | -------- | ---------- | --: | --------------: | ------------------: | -----------------: | -----: | -----: | ------------------- |";
console.log(header);
for (const flags of flagSets) {
  for (const protocol of protocols) {
    for (const envSet of envSets) {
      for (const n of viewers) {
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
              } | | | | | ${loadBefore} → ${load()} |`;
          } else {
            const r = JSON.parse(Deno.readTextFileSync(json)) as Results;
            const one = r.runs[0]!;
            const s = one.steady.find((x) => x.viewers === n);
            if (s === undefined) {
              row = `| ${protocol} | ${n} | ${flags} | ${envSet} | ${run} | ${
                one.error ?? "no steady result"
              } | | | | | ${loadBefore} → ${load()} |`;
            } else {
              const base = one.baseline?.serverCpu ?? 0;
              const perViewer = (s.serverCpu - base) / n /
                r.source.messagesPerSecond * 1e6;
              const rssKb = (s.rss - s.rssBefore) / n / 1024;
              row = `| ${protocol} | ${n} | ${flags} | ${envSet} | ${run} | ${
                rssKb.toFixed(0)
              } | ${perViewer.toFixed(2)} | ${s.serverCpu.toFixed(3)} | ${
                s.laggards ?? "?"
              } | ${s.failed} | ${loadBefore} → ${load()} |`;
            }
          }
          console.log(row);
          rows.push(row);
          await Deno.remove(dir, { recursive: true }).catch(() => {});
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
  }). One fresh origin per row; RSS/viewer = (VmRSS in the window − before the viewers) ÷ N.\n\n${header}\n${
    rows.join("\n")
  }\n`,
);
console.log(`wrote ${out}`);
