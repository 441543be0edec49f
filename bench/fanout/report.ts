/**
 * Turns the raw results of the fan-out benchmark into the markdown tables of
 * `bench/results/fanout.md`. Every figure is the median over runs; ratios are
 * computed within each run (same machine state) and then the median is taken.
 *
 * @module
 */

import type { Summary } from "./load_client.ts";
import type { BacklogSummary, NetCounters } from "./net_stats.ts";
import type { SourceStats } from "./source.ts";
import {
  marginalMicros,
  median,
  microsPerMessage,
  renderSummary,
} from "./summary.ts";
import { renderThreeWay } from "./three_way.ts";

export { microsPerMessage };

/**
 * Accept-queue evidence of one flash crowd: namespace-wide `TcpExt` counter
 * increments (see `net_stats.ts`) and the server port's listen queue sampled
 * with `ss` (null when not sampled).
 */
export interface AcceptStats extends NetCounters {
  backlog: BacklogSummary | null;
}

/** Output of the load client's `steady` scenario. */
export interface SteadyResult {
  protocol: "flv" | "rtmp";
  viewers: number;
  ttfb: Summary;
  firstKeyframe: Summary;
  failed: number;
  alive: number;
  serverCpu: number;
  clientCpu: number;
  rssBefore: number;
  rss: number;
  aggregateBps: number;
  minBps: number;
  minKeepUp: number;
  laggards: number;
  join: Summary;
  /** Warm-up actually used (grows until viewers reach the live edge). */
  warmupS: number;
  errors: string[];
  /** Absent in results from before the accept-queue columns. */
  accept?: AcceptStats;
  /** RSS sampled every 500 ms (before: 2 s of samples); heap: our origin only. */
  memory?: SteadyMemory;
}

/** The memory samples of a `steady` run (bytes; NaN where not sampled). */
export interface SteadyMemory {
  samples: number;
  /** Median RSS over the 2 s before the crowd. */
  rssBefore: number;
  /**
   * Medians of the file-backed part of RSS (`RssFile`: the deno binary's
   * code pages) before the crowd and in the window; absent in older results.
   */
  rssFileBefore?: number;
  rssFile?: number;
  rssMin: number;
  rssMax: number;
  heapSamples: number;
  /**
   * Medians of our origin's `Deno.memoryUsage()` before the crowd (heapTotal:
   * absent in older results; mallocUsed/mallocFree: glibc's `mallinfo2`,
   * absent in older results, NaN where it cannot run).
   */
  before: MemoryMedians;
  /** The same in the measurement window. */
  window: MemoryMedians;
  /**
   * With an anchor viewer: the "before" sampled after one viewer watched
   * for `anchorS` (ring full, caches built); null without one.
   */
  anchored?: {
    rssBefore: number;
    before: { heapUsed: number; external: number };
  } | null;
}

/** Medians of the origin's memory readings over some samples, bytes. */
export interface MemoryMedians {
  heapUsed: number;
  heapTotal?: number;
  external: number;
  mallocUsed?: number;
  mallocFree?: number;
}

/** Memory growth per viewer of one `steady` run, KB. */
export interface PerViewerMemory {
  /** Old figure: (median RSS in the window − one sample before) ÷ N. */
  rssOneSampleKb: number;
  /** (median RSS in the window − median of the 2 s before) ÷ N. */
  rssKb: number;
  /** The same with the smallest / largest RSS sample of the window. */
  rssMinKb: number;
  rssMaxKb: number;
  /** Of the RSS growth, file-backed pages (the binary's code paged in) ÷ N. */
  rssFileKb: number;
  /** Growth of the JS heap used (median in the window − before) ÷ N. */
  heapUsedKb: number;
  /** Growth of the V8 heap's committed size (`heapTotal`) ÷ N. */
  heapTotalKb: number;
  /** Growth of V8's `external` (ArrayBuffers) ÷ N. */
  externalKb: number;
  /** Growth of the bytes glibc malloc has handed out ÷ N (NaN: not read). */
  mallocUsedKb: number;
  /** Growth of the free bytes glibc malloc keeps in its arenas ÷ N. */
  mallocFreeKb: number;
  /** From the anchored "before" (one viewer watching): RSS, heap used, external ÷ N. */
  anchored: { rssKb: number; heapUsedKb: number; externalKb: number } | null;
}

/**
 * Memory growth per viewer of one `steady` result.
 *
 * @param s The result.
 * @returns KB per viewer (NaN where the run has no such sample).
 */
export function memoryPerViewer(s: SteadyResult): PerViewerMemory {
  const per = (bytes: number): number => bytes / s.viewers / 1024;
  const m = s.memory;
  return {
    rssOneSampleKb: per(s.rss - s.rssBefore),
    rssKb: m === undefined ? NaN : per(s.rss - m.rssBefore),
    rssMinKb: m === undefined ? NaN : per(m.rssMin - m.rssBefore),
    rssMaxKb: m === undefined ? NaN : per(m.rssMax - m.rssBefore),
    rssFileKb: m === undefined
      ? NaN
      : per((m.rssFile ?? NaN) - (m.rssFileBefore ?? NaN)),
    heapUsedKb: m === undefined
      ? NaN
      : per(m.window.heapUsed - m.before.heapUsed),
    heapTotalKb: m === undefined
      ? NaN
      : per((m.window.heapTotal ?? NaN) - (m.before.heapTotal ?? NaN)),
    externalKb: m === undefined
      ? NaN
      : per(m.window.external - m.before.external),
    mallocUsedKb: m === undefined
      ? NaN
      : per((m.window.mallocUsed ?? NaN) - (m.before.mallocUsed ?? NaN)),
    mallocFreeKb: m === undefined
      ? NaN
      : per((m.window.mallocFree ?? NaN) - (m.before.mallocFree ?? NaN)),
    anchored: m?.anchored == null ? null : {
      rssKb: per(s.rss - m.anchored.rssBefore),
      heapUsedKb: per(m.window.heapUsed - m.anchored.before.heapUsed),
      externalKb: per(m.window.external - m.anchored.before.external),
    },
  };
}

/** Output of the load client's `stall` scenario. */
export interface StallResult {
  protocol: "flv" | "rtmp";
  viewers: number;
  connected: number;
  rssBefore: number;
  series: number[];
  rssMax: number;
  cutOff: number;
  /** Median bytes a viewer read in the 3 s after resuming (what was queued for it). */
  drainedMedian: number;
  rssAfter: number | null;
}

/** One server in one run. */
export interface ServerRun {
  kind: string;
  run: number;
  error: string | null;
  baseline: { serverCpu: number; clientCpu: number; rss: number } | null;
  steady: SteadyResult[];
  stall: StallResult[];
}

/** Everything a report needs. */
export interface Report {
  command: string;
  startedAt: string;
  mode: string;
  host: string;
  source: SourceStats;
  stallS: number;
  windowS: number;
  runs: ServerRun[];
}

function fmt(value: number, digits = 1): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "–";
}

interface Row {
  cpu: number;
  us: number;
  rssKb: number;
  aggMbps: number;
  minMbps: number;
  laggards: number;
  ttfbMed: number;
  ttfbP99: number;
  keyP99: number;
  join: number;
  failed: number;
  clientCpu: number;
  /** `TcpExt: ListenDrops` increment over the flash crowd (namespace-wide). */
  drops: number;
  synRetrans: number;
  backlogPeak: number;
  backlogLimit: number;
}

/** JSON turns NaN into null: read it back as NaN. */
function n(value: number | null | undefined): number {
  return typeof value === "number" ? value : NaN;
}

function rowOf(r: ServerRun, s: SteadyResult, mps: number): Row {
  return {
    cpu: n(s.serverCpu),
    us: microsPerMessage(s, r.baseline?.serverCpu ?? 0, mps),
    // before: the median of 2 s of samples where the run has them
    rssKb: (n(s.rss) - n(s.memory?.rssBefore ?? s.rssBefore)) / s.viewers /
      1024,
    aggMbps: n(s.aggregateBps) / 1e6,
    minMbps: n(s.minBps) / 1e6,
    laggards: n(s.laggards),
    ttfbMed: n(s.ttfb.median),
    ttfbP99: n(s.ttfb.p99),
    keyP99: n(s.firstKeyframe.p99),
    join: n(s.join.median),
    failed: n(s.failed),
    clientCpu: n(s.clientCpu),
    drops: n(s.accept?.listenDrops),
    synRetrans: n(s.accept?.synRetrans),
    backlogPeak: n(s.accept?.backlog?.peak),
    backlogLimit: n(s.accept?.backlog?.limit),
  };
}

function medianRow(rows: readonly Row[]): Row {
  const pick = (k: keyof Row): number => median(rows.map((r) => r[k]));
  return {
    cpu: pick("cpu"),
    us: pick("us"),
    rssKb: pick("rssKb"),
    aggMbps: pick("aggMbps"),
    minMbps: pick("minMbps"),
    laggards: pick("laggards"),
    ttfbMed: pick("ttfbMed"),
    ttfbP99: pick("ttfbP99"),
    keyP99: pick("keyP99"),
    join: pick("join"),
    failed: pick("failed"),
    clientCpu: pick("clientCpu"),
    drops: pick("drops"),
    synRetrans: pick("synRetrans"),
    backlogPeak: pick("backlogPeak"),
    backlogLimit: pick("backlogLimit"),
  };
}

function steadyTable(
  report: Report,
  protocol: "flv" | "rtmp",
  kinds: readonly string[],
): string[] {
  const mps = report.source.messagesPerSecond;
  const lines = [
    `| N | server | CPU (cores) | µs/msg/viewer | RSS/viewer (KB) | aggregate (Mbit/s) | slowest viewer (Mbit/s) | viewers behind | TTFB median / p99 (ms) | 1st keyframe p99 (ms) | join (ms) | failed | accept drops | SYN retrans | listen queue peak / backlog | client CPU |`,
    `|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|`,
  ];
  const ns = [
    ...new Set(
      report.runs.flatMap((r) =>
        r.steady.filter((s) => s.protocol === protocol).map((s) => s.viewers)
      ),
    ),
  ]
    .sort((a, b) => a - b);
  for (const n of ns) {
    const perKind = new Map<string, Map<number, Row>>();
    for (const r of report.runs) {
      const s = r.steady.find((x) =>
        x.protocol === protocol && x.viewers === n
      );
      if (s === undefined) continue;
      const m = perKind.get(r.kind) ?? new Map<number, Row>();
      m.set(r.run, rowOf(r, s, mps));
      perKind.set(r.kind, m);
    }
    for (const kind of kinds) {
      const rows = [...(perKind.get(kind)?.values() ?? [])];
      if (rows.length === 0) continue;
      const m = medianRow(rows);
      lines.push(
        `| ${n} | ${kind} | ${fmt(m.cpu, 3)} | ${fmt(m.us, 2)} | ${
          fmt(m.rssKb, 0)
        } | ${fmt(m.aggMbps, 0)} | ${fmt(m.minMbps, 2)} | ${
          fmt(m.laggards, 0)
        } | ${fmt(m.ttfbMed, 0)} / ${fmt(m.ttfbP99, 0)} | ${
          fmt(m.keyP99, 0)
        } | ${fmt(m.join, 0)} | ${fmt(m.failed, 0)} | ${fmt(m.drops, 0)} | ${
          fmt(m.synRetrans, 0)
        } | ${fmt(m.backlogPeak, 0)} / ${fmt(m.backlogLimit, 0)} | ${
          fmt(m.clientCpu, 2)
        } |`,
      );
    }
    const b = perKind.get("arcly");
    for (const other of ["nginx", "nms"]) {
      const a = perKind.get(other);
      if (a === undefined || b === undefined) continue;
      const ratio = (k: keyof Row): number =>
        median(
          [...a.keys()].filter((run) => b.has(run)).map((run) =>
            a.get(run)![k] / b.get(run)![k]
          ),
        );
      lines.push(
        `| ${n} | **${other} ÷ arcly** | ${fmt(ratio("cpu"), 2)}× | ${
          fmt(ratio("us"), 2)
        }× | ${fmt(ratio("rssKb"), 2)}× | | | | ${
          fmt(ratio("ttfbMed"), 2)
        }× / ${fmt(ratio("ttfbP99"), 2)}× | ${fmt(ratio("keyP99"), 2)}× | ${
          fmt(ratio("join"), 2)
        }× | | | | | |`,
      );
    }
    if (protocol === "flv" && report.runs.some((r) => r.kind === "nginx")) {
      lines.push(
        `| ${n} | nginx | n/a (nginx-rtmp has no HTTP-FLV) | | | | | | | | | | | | | |`,
      );
    }
  }
  return lines;
}

function stallTable(report: Report, kinds: readonly string[]): string[] {
  const lines = [
    `| protocol | server | viewers | RSS before (MB) | RSS when stalled (MB) | RSS after ${report.stallS} s (MB) | growth (MB) | growth/viewer/s (KB) | queued per viewer (MB) | cut off by server | RSS after close (MB) |`,
    `|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|`,
  ];
  const mb = (b: number): number => b / 1048576;
  for (const protocol of ["flv", "rtmp"] as const) {
    for (const kind of kinds) {
      const rs = report.runs.filter((r) => r.kind === kind).flatMap((r) =>
        r.stall.filter((s) => s.protocol === protocol)
      );
      if (rs.length === 0) continue;
      const first = median(rs.map((s) => s.series[0] ?? NaN));
      const last = median(rs.map((s) => s.series.at(-1) ?? NaN));
      const growth = median(
        rs.map((s) => (s.series.at(-1) ?? NaN) - (s.series[0] ?? NaN)),
      );
      const perViewerPerS = median(
        rs.map((s) =>
          ((s.series.at(-1) ?? NaN) - (s.series[0] ?? NaN)) / s.viewers /
          Math.max(1, s.series.length - 1) / 1024
        ),
      );
      lines.push(
        `| ${protocol} | ${kind} | ${rs[0]!.viewers} | ${
          fmt(mb(median(rs.map((s) => s.rssBefore))))
        } | ${fmt(mb(first))} | ${fmt(mb(last))} | ${fmt(mb(growth))} | ${
          fmt(perViewerPerS, 0)
        } | ${fmt(mb(median(rs.map((s) => s.drainedMedian))), 2)} | ${
          fmt(median(rs.map((s) => s.cutOff)), 0)
        } | ${fmt(mb(median(rs.map((s) => s.rssAfter ?? NaN))))} |`,
      );
    }
  }
  return lines;
}

/**
 * Marginal µs/msg/viewer: CPU slope between the two largest N of each run
 * (at small N the per-viewer share is below what a 10 ms tick resolves).
 */
function slopeLine(
  report: Report,
  protocol: "flv" | "rtmp",
  kinds: readonly string[],
): string {
  const mps = report.source.messagesPerSecond;
  const perKind = new Map<string, Map<number, number>>();
  let span = "";
  for (const r of report.runs) {
    const ss = r.steady.filter((s) => s.protocol === protocol)
      .sort((a, b) => a.viewers - b.viewers);
    const lo = ss.at(-2);
    const hi = ss.at(-1);
    if (lo === undefined || hi === undefined || lo === hi) continue;
    span = `N = ${lo.viewers} → ${hi.viewers}`;
    const us = marginalMicros(lo, hi, mps);
    const m = perKind.get(r.kind) ?? new Map<number, number>();
    m.set(r.run, us);
    perKind.set(r.kind, m);
  }
  if (span === "") return "";
  const parts = kinds.map((k) =>
    `${k} ${fmt(median([...(perKind.get(k)?.values() ?? [])]), 2)} µs`
  );
  const b = perKind.get("arcly");
  for (const other of ["nginx", "nms"]) {
    const a = perKind.get(other);
    if (a === undefined || b === undefined) continue;
    const ratios = [...a.keys()].filter((run) => b.has(run)).map((run) =>
      a.get(run)! / b.get(run)!
    );
    parts.push(`${other} ÷ arcly ${fmt(median(ratios), 2)}×`);
  }
  return `Marginal server CPU per message per viewer (slope ${span}, no baseline needed): ${
    parts.join("; ")
  }.`;
}

/**
 * Renders the markdown report.
 *
 * @param report Raw results.
 * @returns Markdown text.
 */
export function renderReport(report: Report): string {
  const kinds = [...new Set(report.runs.map((r) => r.kind))];
  const src = report.source;
  const runsPerKind = (k: string): number =>
    report.runs.filter((r) => r.kind === k && r.error === null).length;
  const out = [
    `# Fan-out: arcly origin vs nginx-rtmp vs node-media-server`,
    ``,
    `Command: \`${report.command}\``,
    ``,
    `Started ${report.startedAt}; mode ${report.mode}; host: ${report.host}.`,
    `Source: ${fmt(src.bitsPerSecond / 1e6, 2)} Mbit/s, ${
      fmt(src.messagesPerSecond, 1)
    } audio+video messages/s ` +
    `(${src.videoTags} video + ${src.audioTags} audio tags in ${
      fmt(src.durationS, 2)
    } s), published in a loop with ` +
    `\`ffmpeg -re -stream_loop -1 -c copy\`. Measurement window ${report.windowS} s after warm-up.`,
    `Runs: ${
      kinds.map((k) => `${k} ${runsPerKind(k)}`).join(", ")
    }; every figure is the median over runs, ` +
    `ratios are per run then median (nms ÷ arcly: above 1 means arcly uses less / is faster).`,
    ``,
    ...renderThreeWay(report),
    ...renderSummary(report),
    `## Method`,
    ``,
    `Columns: CPU = server utime+stime per second from /proc (1.0 = one core); µs/msg/viewer = (CPU − CPU with 0 viewers) ÷ N ÷ messages/s;`,
    `RSS/viewer = (VmRSS during the window − VmRSS before the viewers joined) ÷ N; viewers behind = viewers whose media`,
    `timestamps advanced less than 0.95 s per wall-clock second in the window; TTFB = connect → first byte with N viewers`,
    `joining within 0.5 s; join = one extra viewer, connect → last byte of its first complete video keyframe, with N watching;`,
    `client CPU = the load client process (if near 1.0 the client, not the server, is the bottleneck).`,
    ``,
  ];
  for (const r of report.runs.filter((x) => x.error !== null)) {
    out.push(`- run ${r.run} ${r.kind}: **error** ${r.error}`);
  }
  const base = kinds.map((k) => {
    const rs = report.runs.filter((r) => r.kind === k && r.baseline !== null);
    return `${k} ${
      fmt(median(rs.map((r) => r.baseline!.serverCpu)), 3)
    } cores / ${fmt(median(rs.map((r) => r.baseline!.rss)) / 1048576)} MB`;
  });
  out.push(
    `Baseline with the publisher and 0 viewers: ${base.join("; ")}.`,
    ``,
  );
  out.push(
    `## HTTP-FLV viewers`,
    ``,
    ...steadyTable(report, "flv", kinds),
    ``,
    slopeLine(report, "flv", kinds),
    ``,
  );
  out.push(
    `## RTMP viewers`,
    ``,
    ...steadyTable(report, "rtmp", kinds),
    ``,
    slopeLine(report, "rtmp", kinds),
    ``,
  );
  out.push(
    `## Stalled viewers (stop reading after their first keyframe)`,
    ``,
    `RSS sampled every second while the viewers do not read; "queued per viewer" = bytes a viewer`,
    `read in the 3 s after it resumed (what the kernel and the server had queued for it);`,
    `"cut off" = viewers the server disconnected.`,
    ``,
    ...stallTable(report, kinds),
    ``,
  );
  return out.join("\n");
}

/**
 * Appends `bench/fanout/findings.md` (hand-written: what the profiles and
 * the runs showed) to a generated report, when that file exists.
 *
 * @param markdown The generated report.
 * @returns The report with the findings section.
 */
export function withFindings(markdown: string): string {
  try {
    const notes = Deno.readTextFileSync(
      new URL("./findings.md", import.meta.url),
    );
    return `${markdown}\n${notes}`;
  } catch {
    return markdown;
  }
}

/**
 * Writes the report and formats it with `deno fmt` (the repo's
 * `deno task check` runs `deno fmt --check` on every markdown file).
 *
 * @param path Output file.
 * @param markdown The report.
 */
export async function writeReport(
  path: string,
  markdown: string,
): Promise<void> {
  Deno.writeTextFileSync(path, markdown);
  await new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--quiet", path],
    stdout: "null",
    stderr: "null",
  }).output();
}

/**
 * Re-renders a report from one or more `results.json` files (runs are
 * renumbered so several invocations merge into one median).
 *
 * Usage: `deno run -A bench/fanout/report.ts a/results.json b/results.json --out=bench/results/fanout.md`
 */
async function main(args: readonly string[]): Promise<void> {
  const out = args.find((a) => a.startsWith("--out="))?.slice(6) ??
    "bench/results/fanout.md";
  const files = args.filter((a) => !a.startsWith("--"));
  const reports = files.map((f) =>
    JSON.parse(Deno.readTextFileSync(f)) as Report
  );
  const first = reports[0];
  if (first === undefined) {
    throw new Error("Cannot render: no results.json given");
  }
  let offset = 0;
  const runs: ServerRun[] = [];
  for (const r of reports) {
    const max = Math.max(0, ...r.runs.map((x) => x.run));
    runs.push(...r.runs.map((x) => ({ ...x, run: x.run + offset })));
    offset += max;
  }
  const merged: Report = {
    ...first,
    command: reports.map((r) => r.command).join(" + "),
    runs,
  };
  await writeReport(out, withFindings(renderReport(merged)));
}

if (import.meta.main) await main(Deno.args);
