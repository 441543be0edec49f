// The steady-state pairs of the transcoding bench (bench/transcode_bench.ts):
// per pair one baseline run (no transcoders) and one measured run per
// configuration (`--io-ms=0,50`: the ladder's pipe I/O tick), the
// configurations' order reversed every other pair so neither always runs
// right after the baseline. Piping = our CPU per second in the measured
// run's steady window − the same pair's baseline's, split into our main JS
// thread (`deno`) and every other thread of ours (V8's GC helpers, tokio's
// workers): nothing our process does because of the transcoder is left out.
// Reported per configuration: the median of the per-pair ratios to ffmpeg's
// CPU, their spread (min–max), the ratio of the sums over all pairs, the
// added latency (all pairs' steady-state samples pooled), drops and the
// 1-minute load average of each pair.

/** What the pairs need of one run. */
export interface SteadyRun {
  window: {
    seconds: number;
    ourCpuMs: number;
    ourThreads: Map<string, number>;
    /** Minor page faults of our process in the window. */
    minorFaults: number;
    /** Voluntary context switches of our threads in the window. */
    wakeups: number;
    ffmpegCpuMs: Map<number, number>;
    valid: boolean;
  };
  latencyMs: Map<string, number[]>;
  dropped: number;
  load: number[];
}

/** Options of {@linkcode steadyPairs}. */
export interface SteadyPairsOptions<R extends SteadyRun> {
  pairs: number;
  /** I/O tick values to compare (undefined: the service's default). */
  configs: readonly (number | undefined)[];
  baseline: () => Promise<R>;
  measured: (ioMs: number | undefined) => Promise<R>;
  /** How a configuration is named in the report (default: its I/O tick). */
  label?: (config: number | undefined) => string;
}

interface Row {
  pair: number;
  piping: number;
  main: number;
  other: number;
  faults: number;
  wakeups: number;
  ffmpeg: number;
  ratio: number;
  valid: boolean;
  latency: number[];
  dropped: number;
  load: number;
}

const MAIN = "deno";

function sum(values: Iterable<number>): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const perS = (ms: number, w: SteadyRun["window"]) => ms / w.seconds;
const mainOf = (w: SteadyRun["window"]) => w.ourThreads.get(MAIN) ?? 0;
const otherOf = (w: SteadyRun["window"]) =>
  sum(w.ourThreads.values()) - mainOf(w);
const tickLabel = (io: number | undefined) =>
  io === undefined ? "default" : `${io} ms`;

/** Run the pairs; returns the report's lines and each config's last run. */
export async function steadyPairs<R extends SteadyRun>(
  o: SteadyPairsOptions<R>,
): Promise<{ lines: string[]; last: R[]; base: R }> {
  const label = o.label ?? tickLabel;
  const rows = o.configs.map((): Row[] => []);
  const last: R[] = [];
  let base!: R;
  const table: string[] = [];
  for (let i = 0; i < o.pairs; i++) {
    base = await o.baseline();
    const b = base.window;
    const order = o.configs.map((_, c) => c);
    if (i % 2 === 1) order.reverse();
    for (const c of order) {
      const run = await o.measured(o.configs[c]);
      last[c] = run;
      const w = run.window;
      const ffmpeg = sum(w.ffmpegCpuMs.values()) / w.seconds;
      const piping = perS(w.ourCpuMs, w) - perS(b.ourCpuMs, b);
      const row: Row = {
        pair: i + 1,
        piping,
        main: perS(mainOf(w), w) - perS(mainOf(b), b),
        other: perS(otherOf(w), w) - perS(otherOf(b), b),
        faults: perS(w.minorFaults, w) - perS(b.minorFaults, b),
        wakeups: perS(w.wakeups, w) - perS(b.wakeups, b),
        ffmpeg,
        ratio: piping / ffmpeg,
        valid: w.valid && b.valid,
        latency: [...run.latencyMs.values()].flat(),
        dropped: run.dropped,
        load: run.load[0] ?? NaN,
      };
      rows[c]!.push(row);
      table.push(
        `| ${row.pair} | ${label(o.configs[c])} | ${w.seconds.toFixed(1)} | ${
          perS(w.ourCpuMs, w).toFixed(1)
        } | ${perS(b.ourCpuMs, b).toFixed(1)} | ${piping.toFixed(1)} | ${
          row.main.toFixed(1)
        } | ${row.other.toFixed(1)} | ${row.faults.toFixed(0)} | ${
          row.wakeups.toFixed(0)
        } | ${ffmpeg.toFixed(0)} | ${(100 * row.ratio).toFixed(2)} %${
          row.valid ? "" : " (an ffmpeg restarted: left out)"
        } | ${quantile(row.latency, 0.5).toFixed(0)} / ${
          quantile(row.latency, 0.95).toFixed(0)
        } | ${row.dropped} | ${row.load.toFixed(2)} |`,
      );
    }
  }
  const lines = [
    "| pair | I/O tick | window (s) | our CPU with transcoders (ms/s) | without (ms/s) | piping (ms/s) | of it main thread | other threads (GC, tokio) | page faults (/s, with − without) | wake-ups (/s, with − without) | ffmpeg (ms/s) | piping / ffmpeg | latency p50 / p95 (ms) | dropped | load (1 min) |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ...table,
    "",
  ];
  o.configs.forEach((io, c) => {
    const valid = rows[c]!.filter((r) => r.valid);
    const ratios = valid.map((r) => r.ratio);
    const latency = valid.flatMap((r) => r.latency);
    lines.push(
      `${label(io)}: steady piping median ${
        (100 * median(ratios)).toFixed(2)
      } % of ffmpeg's CPU (spread ${(100 * Math.min(...ratios)).toFixed(2)}–${
        (100 * Math.max(...ratios)).toFixed(2)
      } %, ${ratios.length} valid pairs; ratio of the sums ${
        (100 * sum(valid.map((r) => r.piping)) /
          sum(valid.map((r) => r.ffmpeg))).toFixed(2)
      } %; goal ≤ 5 %); piping median ${
        median(valid.map((r) => r.piping)).toFixed(1)
      } ms/s (main thread ${
        median(valid.map((r) => r.main)).toFixed(1)
      }, other threads ${
        median(valid.map((r) => r.other)).toFixed(1)
      }); page faults median +${
        median(valid.map((r) => r.faults)).toFixed(0)
      }/s, wake-ups +${
        median(valid.map((r) => r.wakeups)).toFixed(0)
      }/s; ffmpeg median ${
        median(valid.map((r) => r.ffmpeg)).toFixed(0)
      } ms/s; added latency p50 ${quantile(latency, 0.5).toFixed(0)} / p95 ${
        quantile(latency, 0.95).toFixed(0)
      } ms; dropped ${sum(valid.map((r) => r.dropped))}; load ${
        Math.min(...valid.map((r) => r.load)).toFixed(2)
      }–${Math.max(...valid.map((r) => r.load)).toFixed(2)}`,
    );
  });
  return { lines, last, base };
}
