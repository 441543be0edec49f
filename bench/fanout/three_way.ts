/**
 * The side-by-side table of the performance-II issue: our origin, nginx-rtmp
 * and node-media-server in one run, per protocol and N — server CPU (cores),
 * CPU per viewer (baseline-subtracted µs per message per viewer), RSS growth
 * per viewer, join time — with each competitor's per-run ratio to ours
 * (computed within a run, then the median) and the two targets:
 * CPU per viewer ≤ 0.5× nginx-rtmp's (RTMP, N = 1,000) and RSS growth per
 * viewer ≤ 32 KB (HTTP-FLV and RTMP). nginx-rtmp has no HTTP-FLV: n/a.
 *
 * @module
 */

import type { Report, ServerRun, SteadyResult } from "./report.ts";
import { median, microsPerMessage } from "./summary.ts";

/** The targets against nginx-rtmp. */
export const NGINX_TARGETS = {
  /** arcly ÷ nginx CPU per viewer must be at most this. */
  cpuShare: 0.5,
  /** Our RSS growth per viewer must be at most this (KB). */
  rssKb: 32,
} as const;

/** One server's figures at one N of one protocol, per run. */
export interface Cell {
  cores: Map<number, number>;
  us: Map<number, number>;
  rssKb: Map<number, number>;
  joinMs: Map<number, number>;
}

function num(value: number | null | undefined): number {
  return typeof value === "number" ? value : NaN;
}

/**
 * Collects each server's per-run figures at one protocol and N.
 *
 * @param report Raw results.
 * @param protocol flv or rtmp.
 * @param n Viewers.
 * @returns Server kind → cell (kinds without a result are absent).
 */
export function cellsAt(
  report: Report,
  protocol: "flv" | "rtmp",
  n: number,
): Map<string, Cell> {
  const mps = report.source.messagesPerSecond;
  const out = new Map<string, Cell>();
  for (const r of report.runs as ServerRun[]) {
    const s: SteadyResult | undefined = r.steady.find((x) =>
      x.protocol === protocol && x.viewers === n
    );
    if (s === undefined) continue;
    const c = out.get(r.kind) ?? {
      cores: new Map(),
      us: new Map(),
      rssKb: new Map(),
      joinMs: new Map(),
    };
    c.cores.set(r.run, num(s.serverCpu));
    c.us.set(
      r.run,
      microsPerMessage(s, num(r.baseline?.serverCpu), mps),
    );
    c.rssKb.set(r.run, (num(s.rss) - num(s.rssBefore)) / n / 1024);
    c.joinMs.set(r.run, num(s.join?.median));
    out.set(r.kind, c);
  }
  return out;
}

/**
 * Per-run ratios a/b (runs both have, finite and positive), as text.
 *
 * @param a Figures per run.
 * @param b Figures per run.
 * @returns The ratios in run order.
 */
export function runRatios(
  a: ReadonlyMap<number, number>,
  b: ReadonlyMap<number, number>,
): number[] {
  const out: number[] = [];
  for (const run of [...a.keys()].sort((x, y) => x - y)) {
    const x = a.get(run);
    const y = b.get(run);
    if (
      x !== undefined && y !== undefined && Number.isFinite(x) &&
      Number.isFinite(y) && x > 0 && y > 0
    ) out.push(x / y);
  }
  return out;
}

function fmt(v: number, d: number): string {
  return Number.isFinite(v) ? v.toFixed(d) : "–";
}

function ratios(a: Cell | undefined, b: Cell | undefined): string {
  if (a === undefined || b === undefined) return "n/a";
  const r = runRatios(a.us, b.us);
  if (r.length === 0) return "–";
  return `${fmt(median(r), 2)}× (${r.map((x) => fmt(x, 2)).join(", ")})`;
}

/**
 * Renders the three-server section (markdown lines).
 *
 * @param report Raw results.
 * @returns Markdown lines (empty when no nginx run is in the report).
 */
export function renderThreeWay(report: Report): string[] {
  const kinds = ["arcly", "nginx", "nms"];
  if (!report.runs.some((r) => r.kind === "nginx")) return [];
  const out = [
    `## Three servers: arcly, nginx-rtmp, node-media-server`,
    ``,
    `Medians over runs. CPU/viewer = (server CPU − its 0-viewer CPU) ÷ N ÷ messages/s, in µs per message per viewer;`,
    `ratios are per run (in run order, then the median): a competitor's CPU/viewer ÷ arcly's (above 1 favours arcly).`,
    `nginx-rtmp serves no HTTP-FLV (n/a). Targets: arcly's CPU/viewer ≤ ${NGINX_TARGETS.cpuShare}× nginx-rtmp's`,
    `(nginx ÷ arcly ≥ ${
      1 / NGINX_TARGETS.cpuShare
    }×) and RSS growth/viewer ≤ ${NGINX_TARGETS.rssKb} KB.`,
    ``,
    `| protocol | N | server CPU (cores) arcly / nginx / nms | CPU/viewer (µs/msg) arcly / nginx / nms | nginx ÷ arcly | nms ÷ arcly | RSS/viewer (KB) arcly / nginx / nms | join (ms) arcly / nginx / nms |`,
    `|---|---:|---|---|---|---|---|---|`,
  ];
  for (const protocol of ["rtmp", "flv"] as const) {
    const ns = [
      ...new Set(
        report.runs.flatMap((r) =>
          r.steady.filter((s) => s.protocol === protocol).map((s) => s.viewers)
        ),
      ),
    ].sort((a, b) => a - b);
    for (const n of ns) {
      const cells = cellsAt(report, protocol, n);
      const col = (k: keyof Cell, d: number): string =>
        kinds.map((kind) => {
          const c = cells.get(kind);
          if (c === undefined) {
            return kind === "nginx" && protocol === "flv" ? "n/a" : "–";
          }
          return fmt(median([...c[k].values()]), d);
        }).join(" / ");
      out.push(
        `| ${protocol === "rtmp" ? "RTMP" : "HTTP-FLV"} | ${n} | ${
          col("cores", 3)
        } | ${col("us", 2)} | ${
          ratios(cells.get("nginx"), cells.get("arcly"))
        } | ${ratios(cells.get("nms"), cells.get("arcly"))} | ${
          col("rssKb", 0)
        } | ${col("joinMs", 0)} |`,
      );
    }
  }
  out.push(``);
  return out;
}
