/**
 * Headline summary of the fan-out report: the issue's targets, our figure,
 * node-media-server's, the ratio and a verdict, computed from the same raw
 * results as the tables (figures are medians over runs; ratios are taken
 * within a run, then the median).
 *
 * Targets (issue): CPU per viewer ≤ 1/3 of nms (HTTP-FLV and RTMP); RSS per
 * viewer < 64 KB; join time under load ≤ 1/4 of nms; no accept-queue drops in
 * the 1,000-viewer flash crowd.
 *
 * @module
 */

import type { Report, ServerRun, SteadyResult } from "./report.ts";

/** The issue's targets. */
export const TARGETS = {
  /** nms ÷ arcly CPU per viewer must be at least this. */
  cpuRatio: 3,
  /** Our RSS per viewer must be below this (KB). */
  rssKb: 64,
  /** nms ÷ arcly join time must be at least this. */
  joinRatio: 4,
  /** The flash crowd where accept drops must be zero. */
  flashViewers: 1000,
} as const;

/** Median server CPU (cores) from which a slope is flagged as saturated. */
export const SATURATED_CORES = 0.75;

/** Outcome of one target. */
export type Verdict = "met" | "not met" | "unresolved";

/** One target checked at one N (or between two N for the slope). */
export interface TargetCheck {
  protocol: "flv" | "rtmp";
  /** What is checked, e.g. `CPU per viewer ≤ 1/3 of nms (slope)`. */
  target: string;
  /** `N = 1000` or `N = 500 → 1000`. */
  at: string;
  arcly: number;
  nms: number;
  /** nms ÷ arcly, per run then median (NaN when it does not apply). */
  ratio: number;
  unit: string;
  verdict: Verdict;
  /** Extra evidence (queue peaks, failed viewers), may be empty. */
  note: string;
}

/**
 * Median of the finite values (NaN when there are none).
 *
 * @param values The samples.
 * @returns The median.
 */
export function median(values: readonly number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

/**
 * µs of server CPU per message per viewer above the 0-viewer baseline.
 *
 * @param s The steady result.
 * @param baselineCpu Cores used with the publisher and no viewers.
 * @param messagesPerSecond Audio+video messages per second of the source.
 * @returns µs per message per viewer.
 */
export function microsPerMessage(
  s: Pick<SteadyResult, "serverCpu" | "viewers">,
  baselineCpu: number,
  messagesPerSecond: number,
): number {
  return ((s.serverCpu - baselineCpu) / s.viewers / messagesPerSecond) * 1e6;
}

/**
 * Marginal µs of server CPU per message per viewer between two N of one run:
 * the slope needs no baseline, and between the two largest N it is least
 * disturbed by the fixed costs that dominate at small N.
 *
 * @param lo The result at the smaller N.
 * @param hi The result at the larger N.
 * @param messagesPerSecond Audio+video messages per second of the source.
 * @returns µs per message per added viewer.
 */
export function marginalMicros(
  lo: Pick<SteadyResult, "serverCpu" | "viewers">,
  hi: Pick<SteadyResult, "serverCpu" | "viewers">,
  messagesPerSecond: number,
): number {
  return ((hi.serverCpu - lo.serverCpu) / (hi.viewers - lo.viewers) /
    messagesPerSecond) * 1e6;
}

/**
 * Median over runs of a/b for the runs both maps have, skipping runs where
 * either side is not a positive finite number (a ratio of noise).
 *
 * @param a nms per run.
 * @param b arcly per run.
 * @returns The median ratio, NaN when no run qualifies.
 */
export function pairedRatio(
  a: ReadonlyMap<number, number>,
  b: ReadonlyMap<number, number>,
): number {
  const ok = (x: number | undefined): x is number =>
    x !== undefined && Number.isFinite(x) && x > 0;
  const ratios: number[] = [];
  for (const [run, x] of a) {
    const y = b.get(run);
    if (ok(x) && ok(y)) ratios.push(x / y);
  }
  return median(ratios);
}

/**
 * Verdict of an "nms ÷ arcly at least `need`" target.
 *
 * @param ratio The paired ratio.
 * @param need The target.
 * @returns met, not met, or unresolved when the ratio is not finite.
 */
export function ratioVerdict(ratio: number, need: number): Verdict {
  if (!Number.isFinite(ratio)) return "unresolved";
  return ratio >= need ? "met" : "not met";
}

/** Per run: N → result, for one server and protocol. */
type RunsByN = Map<number, Map<number, SteadyResult>>;

function byRun(
  runs: readonly ServerRun[],
  protocol: "flv" | "rtmp",
  kind: string,
): { steady: RunsByN; baseline: Map<number, number> } {
  const steady: RunsByN = new Map();
  const baseline = new Map<number, number>();
  for (const r of runs) {
    if (r.kind !== kind) continue;
    if (r.baseline !== null) baseline.set(r.run, r.baseline.serverCpu);
    const m = steady.get(r.run) ?? new Map<number, SteadyResult>();
    for (const s of r.steady) {
      if (s.protocol === protocol) m.set(s.viewers, s);
    }
    steady.set(r.run, m);
  }
  return { steady, baseline };
}

function perRun(
  steady: RunsByN,
  n: number,
  f: (s: SteadyResult, run: number) => number,
): Map<number, number> {
  const out = new Map<number, number>();
  for (const [run, m] of steady) {
    const s = m.get(n);
    if (s !== undefined) out.set(run, f(s, run));
  }
  return out;
}

function num(value: number | null | undefined): number {
  return typeof value === "number" ? value : NaN;
}

/**
 * The N (ascending) at which every server kind in the report has at least one
 * steady result for `protocol`.
 *
 * @param report Raw results.
 * @param protocol flv or rtmp.
 * @returns The common N.
 */
export function commonViewerCounts(
  report: Report,
  protocol: "flv" | "rtmp",
): number[] {
  // Servers without this protocol at all (nginx-rtmp: no HTTP-FLV) are not
  // compared on it.
  const kinds = [
    ...new Set(
      report.runs.filter((r) => r.steady.some((s) => s.protocol === protocol))
        .map((r) => r.kind),
    ),
  ];
  const sets = kinds.map((k) =>
    new Set(
      report.runs.filter((r) => r.kind === k).flatMap((r) =>
        r.steady.filter((s) => s.protocol === protocol).map((s) => s.viewers)
      ),
    )
  );
  if (sets.length === 0) return [];
  return [...sets[0]!].filter((n) => sets.every((s) => s.has(n))).sort((
    a,
    b,
  ) => a - b);
}

/**
 * Checks every target for one protocol: the CPU slope between the two
 * largest common N, then CPU (baseline-subtracted), RSS, join and accept
 * drops at each common N.
 *
 * @param report Raw results.
 * @param protocol flv or rtmp.
 * @returns The checks, slope first, then by N ascending.
 */
export function targetChecks(
  report: Report,
  protocol: "flv" | "rtmp",
): TargetCheck[] {
  const mps = report.source.messagesPerSecond;
  const ns = commonViewerCounts(report, protocol);
  const ours = byRun(report.runs, protocol, "arcly");
  const theirs = byRun(report.runs, protocol, "nms");
  const out: TargetCheck[] = [];
  const check = (
    c: Omit<TargetCheck, "protocol" | "note"> & { note?: string },
  ): void => {
    out.push({ protocol, note: "", ...c });
  };
  if (ns.length >= 2) {
    const lo = ns.at(-2)!;
    const hi = ns.at(-1)!;
    const slope = (d: RunsByN): Map<number, number> => {
      const m = new Map<number, number>();
      for (const [run, byN] of d) {
        const a = byN.get(lo);
        const b = byN.get(hi);
        if (a !== undefined && b !== undefined) {
          m.set(run, marginalMicros(a, b, mps));
        }
      }
      return m;
    };
    const a = slope(theirs.steady);
    const b = slope(ours.steady);
    const ratio = pairedRatio(a, b);
    // A single-threaded server near one core at the smaller N has little
    // room left, so its slope to the larger N understates its cost.
    const busy: string[] = [];
    for (const [kind, d] of [["arcly", ours], ["nms", theirs]] as const) {
      const cores = [lo, hi].map((n) =>
        median([...perRun(d.steady, n, (s) => num(s.serverCpu)).values()])
      );
      if (cores.some((c) => c >= SATURATED_CORES)) {
        busy.push(
          `${kind} at ${cores.map((c) => fmt(c, 2)).join(" / ")} cores`,
        );
      }
    }
    check({
      note: busy.length === 0
        ? ""
        : `${
          busy.join(", ")
        } (≥ ${SATURATED_CORES}: near one busy event loop, the slope understates that server's cost)`,
      target: `CPU per viewer ≤ 1/${TARGETS.cpuRatio} of nms (marginal slope)`,
      at: `N = ${lo} → ${hi}`,
      arcly: median([...b.values()]),
      nms: median([...a.values()]),
      ratio,
      unit: "µs/msg",
      verdict: ratioVerdict(ratio, TARGETS.cpuRatio),
    });
  }
  for (const n of ns) {
    const us = (
      d: { steady: RunsByN; baseline: Map<number, number> },
    ): Map<number, number> =>
      perRun(
        d.steady,
        n,
        (s, run) => microsPerMessage(s, d.baseline.get(run) ?? NaN, mps),
      );
    const a = us(theirs);
    const b = us(ours);
    const cpuRatio = pairedRatio(a, b);
    check({
      target:
        `CPU per viewer ≤ 1/${TARGETS.cpuRatio} of nms (baseline-subtracted)`,
      at: `N = ${n}`,
      arcly: median([...b.values()]),
      nms: median([...a.values()]),
      ratio: cpuRatio,
      unit: "µs/msg",
      verdict: ratioVerdict(cpuRatio, TARGETS.cpuRatio),
    });
    const rss = (d: RunsByN): Map<number, number> =>
      perRun(d, n, (s) => (num(s.rss) - num(s.rssBefore)) / s.viewers / 1024);
    const ra = rss(theirs.steady);
    const rb = rss(ours.steady);
    const rssOurs = median([...rb.values()]);
    check({
      target: `RSS per viewer < ${TARGETS.rssKb} KB`,
      at: `N = ${n}`,
      arcly: rssOurs,
      nms: median([...ra.values()]),
      ratio: pairedRatio(ra, rb),
      unit: "KB",
      verdict: Number.isFinite(rssOurs)
        ? (rssOurs < TARGETS.rssKb ? "met" : "not met")
        : "unresolved",
    });
    const join = (d: RunsByN): Map<number, number> =>
      perRun(d, n, (s) => num(s.join.median));
    const ja = join(theirs.steady);
    const jb = join(ours.steady);
    const joinRatio = pairedRatio(ja, jb);
    check({
      target: `join time under load ≤ 1/${TARGETS.joinRatio} of nms`,
      at: `N = ${n}`,
      arcly: median([...jb.values()]),
      nms: median([...ja.values()]),
      ratio: joinRatio,
      unit: "ms",
      verdict: ratioVerdict(joinRatio, TARGETS.joinRatio),
    });
    // No drops means none in any run: the worst run counts, not the median.
    const worst = (m: ReadonlyMap<number, number>): number => {
      const v = [...m.values()];
      return v.length === 0 || v.some((x) => !Number.isFinite(x))
        ? NaN
        : Math.max(...v);
    };
    const drops = (d: RunsByN): Map<number, number> =>
      perRun(d, n, (s) => num(s.accept?.listenDrops));
    const da = worst(drops(theirs.steady));
    const db = worst(drops(ours.steady));
    const peak = (d: RunsByN): string => {
      const p = worst(perRun(d, n, (s) => num(s.accept?.backlog?.peak)));
      const l = median([
        ...perRun(d, n, (s) => num(s.accept?.backlog?.limit)).values(),
      ]);
      const failed = worst(perRun(d, n, (s) => num(s.failed)));
      const syn = worst(perRun(d, n, (s) => num(s.accept?.synRetrans)));
      const show = (x: number): string => Number.isFinite(x) ? `${x}` : "–";
      return `queue peak ${show(p)}/${show(l)}, SYN retransmits ${
        show(syn)
      }, failed viewers ${show(failed)}`;
    };
    check({
      target: "no accept-queue drops in the flash crowd",
      at: `N = ${n}`,
      arcly: db,
      nms: da,
      ratio: NaN,
      unit: "drops",
      verdict: Number.isFinite(db)
        ? (db === 0 ? "met" : "not met")
        : "unresolved",
      note: `arcly ${peak(ours.steady)}; nms ${peak(theirs.steady)}`,
    });
  }
  return out;
}

function fmt(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "–";
}

function fig(value: number, unit: string): string {
  if (!Number.isFinite(value)) return "–";
  const digits = unit === "µs/msg" ? 2 : 0;
  return `${value.toFixed(digits)} ${unit}`;
}

function verdictText(c: TargetCheck): string {
  return c.verdict === "met" ? "**met**" : c.verdict;
}

const LABEL = { flv: "HTTP-FLV", rtmp: "RTMP" } as const;

/**
 * Renders the headline section: per protocol, every target at the largest N
 * both servers completed (plus the slope), then a compact table per N, the
 * accept-queue line and a warning when the load client was near one core.
 *
 * @param report Raw results.
 * @returns Markdown lines.
 */
export function renderSummary(report: Report): string[] {
  const out = [
    `## Summary against the issue's targets`,
    ``,
    `Computed from the tables below (medians over runs; nms ÷ arcly per run, then median; above 1 favours arcly).`,
    `Headline rows are at the largest N both servers completed; the CPU slope is between the two largest N.`,
    `Accept drops = worst run's \`TcpExt: ListenDrops\` increase over the flash crowd (namespace-wide: anything else`,
    `listening on this machine counts too); the queue peak/backlog is the server port's own listen queue (\`ss\`, 50 ms).`,
    ``,
    `| protocol | target | at | arcly | nms | nms ÷ arcly | verdict | evidence |`,
    `|---|---|---|---:|---:|---:|---|---|`,
  ];
  const perN: string[] = [
    `| protocol | N | CPU/viewer, nms ÷ arcly (≥ ${TARGETS.cpuRatio}×) | RSS/viewer arcly (< ${TARGETS.rssKb} KB) | join, nms ÷ arcly (≥ ${TARGETS.joinRatio}×) | accept drops arcly / nms (0) |`,
    `|---|---:|---|---|---|---|`,
  ];
  const dropLine: string[] = [];
  for (const protocol of ["flv", "rtmp"] as const) {
    const checks = targetChecks(report, protocol);
    if (checks.length === 0) continue;
    const ns = commonViewerCounts(report, protocol);
    const top = `N = ${ns.at(-1)}`;
    const d = checks.find((c) => c.at === top && c.unit === "drops");
    if (d !== undefined) {
      dropLine.push(
        `${LABEL[protocol]} ${top}: arcly ${fmt(d.arcly, 0)}, nms ${
          fmt(d.nms, 0)
        } (arcly: ${d.verdict})`,
      );
    }
    for (const c of checks) {
      if (!c.target.includes("slope") && c.at !== top) continue;
      out.push(
        `| ${LABEL[protocol]} | ${c.target} | ${c.at} | ${
          fig(c.arcly, c.unit)
        } | ${fig(c.nms, c.unit)} | ${
          Number.isFinite(c.ratio) ? `${fmt(c.ratio, 2)}×` : ""
        } | ${verdictText(c)} | ${c.note} |`,
      );
    }
    for (const n of ns) {
      const at = `N = ${n}`;
      const get = (prefix: string): TargetCheck | undefined =>
        checks.find((c) => c.at === at && c.target.startsWith(prefix));
      const cpu = get("CPU");
      const rss = get("RSS");
      const join = get("join");
      const drops = get("no accept");
      const cell = (c: TargetCheck | undefined, v: string): string =>
        c === undefined ? "" : `${v} ${verdictText(c)}`;
      perN.push(
        `| ${LABEL[protocol]} | ${n} | ${
          cell(cpu, `${fmt(cpu?.ratio ?? NaN, 2)}×`)
        } | ${cell(rss, `${fmt(rss?.arcly ?? NaN, 0)} KB`)} | ${
          cell(join, `${fmt(join?.ratio ?? NaN, 2)}×`)
        } | ${
          cell(
            drops,
            `${fmt(drops?.arcly ?? NaN, 0)} / ${fmt(drops?.nms ?? NaN, 0)}`,
          )
        } |`,
      );
    }
  }
  const clientBound = clientLimited(report);
  out.push(
    ``,
    `Accept-queue drops in the largest flash crowd (worst run): ${
      dropLine.length === 0 ? "not recorded" : dropLine.join("; ")
    }.`,
    ``,
    `At each N (CPU baseline-subtracted):`,
    ``,
    ...perN,
    ``,
    clientBound.length === 0
      ? `Load client: below 0.8 core in every scenario (median), so it was not the bottleneck.`
      : `**Load client near a full core** (median ≥ 0.8) at ${
        clientBound.join(", ")
      }: there the client, not the server, may be the limit.`,
    ``,
  );
  return out;
}

/**
 * Scenarios where the load client's median CPU reached 0.8 core.
 *
 * @param report Raw results.
 * @returns Labels such as `nms flv × 1000 (0.93)`.
 */
export function clientLimited(report: Report): string[] {
  const groups = new Map<string, number[]>();
  for (const r of report.runs) {
    for (const s of r.steady) {
      const key = `${r.kind} ${s.protocol} × ${s.viewers}`;
      const g = groups.get(key) ?? [];
      g.push(num(s.clientCpu));
      groups.set(key, g);
    }
  }
  return [...groups].map(([k, v]) => [k, median(v)] as const)
    .filter(([, m]) => m >= 0.8).map(([k, m]) => `${k} (${m.toFixed(2)})`);
}
