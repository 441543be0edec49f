// deno-lint-ignore-file no-console -- command-line harness script: stdout/stderr are its interface
/**
 * Load client for the fan-out benchmark, run as its own Deno process so its CPU
 * is never counted as server CPU. It depends on nothing in the library: viewers
 * are the harness's own byte-counting HTTP-FLV and RTMP players.
 *
 * Usage: `deno run -A bench/fanout/load_client.ts '<ClientSpec JSON>'`; prints
 * one line `RESULT <json>` on stdout. Every wait is bounded by a deadline and
 * every viewer is closed before the process exits.
 *
 * Scenarios:
 * - `baseline`: wait for the stream to be live, then measure server CPU/RSS
 *   with no viewers.
 * - `steady`: N viewers join within `flashMs` (flash crowd: time to first byte,
 *   first media, first keyframe), warm up, then a measurement window (server
 *   CPU, RSS, per-viewer bitrate and media-time progress), then `probes` extra
 *   viewers measure join time to their first complete keyframe under load.
 * - `stall`: N viewers read until their first keyframe, then stop reading for
 *   `stallS`; server RSS is sampled every second; then they resume for a few
 *   seconds to see whether the server cut them off.
 *
 * @module
 */

import { FlvViewer } from "./flv_viewer.ts";
import { RtmpViewer } from "./rtmp_viewer.ts";
import { cpuRate, type ProcSample, sampleProc } from "./proc_stats.ts";
import { setReadPacing, type Viewer } from "./viewer.ts";
import { BacklogSampler, counterDelta, readNetCounters } from "./net_stats.ts";

/** What the orchestrator asks the load client to do. */
export interface ClientSpec {
  scenario: "baseline" | "steady" | "stall";
  protocol: "flv" | "rtmp";
  host: string;
  httpPort: number;
  rtmpPort: number;
  /** HTTP-FLV path, e.g. `/live/bench.flv`. */
  flvPath: string;
  app: string;
  name: string;
  serverPid: number;
  viewers: number;
  flashMs: number;
  connectTimeoutS: number;
  warmupS: number;
  windowS: number;
  probes: number;
  stallS: number;
  /** Read pacing after the first keyframe, ms (0 = read every write). */
  paceMs: number;
  /** `ss` sampling period of the server's listen queue during the flash crowd, ms (0 = off). */
  backlogSampleMs?: number;
  /** Our origin only: the file it rewrites every 500 ms with `Deno.memoryUsage()`. */
  memFile?: string;
  /**
   * `steady` only: one viewer (the anchor) watches this long before the
   * crowd, then a second "before" is sampled (0 = none): with the ring full
   * and the stream's per-format caches built for one viewer, growth from
   * there is what the N more viewers cost, not the stream's first viewer.
   */
  anchorS?: number;
}

/** One line of the origin's memory file (bytes). */
export interface HeapSample {
  at: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  /** glibc malloc: bytes handed out, free bytes kept in its arenas (absent without `mallinfo2`). */
  mallocUsed?: number;
  mallocFree?: number;
}

/**
 * The origin's last `Deno.memoryUsage()` line, or null (no file, or read
 * while it was being rewritten).
 */
export function readHeapSample(path: string | undefined): HeapSample | null {
  if (path === undefined) return null;
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch {
    return null;
  }
  const f = text.trim().split(" ").map(Number);
  if (
    (f.length !== 5 && f.length !== 7) || f.some((x) => !Number.isFinite(x))
  ) return null;
  return {
    at: f[0]!,
    rss: f[1]!,
    heapUsed: f[2]!,
    heapTotal: f[3]!,
    external: f[4]!,
    ...(f.length === 7 ? { mallocUsed: f[5]!, mallocFree: f[6]! } : {}),
  };
}

/** Period of the server's RSS / heap samples in a measurement window. */
const MEMORY_SAMPLE_MS = 500;

/** Median/p99/max summary of a sample set (ms unless stated). */
export interface Summary {
  count: number;
  median: number;
  p99: number;
  max: number;
}

/** Percentile by nearest rank over a copy of `values`. */
export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number =>
    sorted.length === 0
      ? NaN
      : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return {
    count: sorted.length,
    median: at(0.5),
    p99: at(0.99),
    max: sorted.at(-1) ?? NaN,
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function within<T>(promise: Promise<T>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true, () => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function newViewer(spec: ClientSpec, protocol = spec.protocol): Viewer {
  return protocol === "flv"
    ? new FlvViewer(spec.host, spec.httpPort, spec.flvPath)
    : new RtmpViewer(spec.host, spec.rtmpPort, spec.app, spec.name);
}

function mustSample(pid: number): ProcSample {
  const s = sampleProc(pid);
  if (s === null) throw new Error(`Cannot sample process ${pid}: it is gone`);
  return s;
}

async function closeAll(viewers: readonly Viewer[]): Promise<void> {
  for (const v of viewers) v.close();
  await within(Promise.all(viewers.map((v) => v.ended)), 5000);
}

/** Waits (bounded) until the stream delivers a keyframe to a fresh viewer. */
async function waitLive(spec: ClientSpec): Promise<void> {
  const deadline = performance.now() + spec.connectTimeoutS * 1000;
  while (performance.now() < deadline) {
    const v = newViewer(spec);
    v.start();
    const ok = await within(v.keyframe, 3000);
    await closeAll([v]);
    if (ok) return;
    await delay(500);
  }
  throw new Error(
    `Cannot start: stream not live after ${spec.connectTimeoutS} s`,
  );
}

/**
 * Measures a window: server and client CPU, server RSS every 500 ms and,
 * from our origin, its JS heap (used) and `external` bytes.
 */
async function measureWindow(spec: ClientSpec, seconds: number): Promise<{
  server0: ProcSample;
  server1: ProcSample;
  serverCpu: number;
  clientCpu: number;
  rssSamples: number[];
  rssFileSamples: number[];
  heapSamples: HeapSample[];
}> {
  const server0 = mustSample(spec.serverPid);
  const client0 = mustSample(Deno.pid);
  const rssSamples: number[] = [];
  const rssFileSamples: number[] = [];
  const heapSamples: HeapSample[] = [];
  const end = server0.at + seconds * 1000;
  let lastHeapAt = 0;
  while (performance.now() < end) {
    await delay(
      Math.min(MEMORY_SAMPLE_MS, Math.max(1, end - performance.now())),
    );
    const proc = mustSample(spec.serverPid);
    rssSamples.push(proc.rssBytes);
    rssFileSamples.push(proc.rssFileBytes);
    const h = readHeapSample(spec.memFile);
    if (h !== null && h.at !== lastHeapAt) {
      heapSamples.push(h);
      lastHeapAt = h.at;
    }
  }
  const server1 = mustSample(spec.serverPid);
  const client1 = mustSample(Deno.pid);
  return {
    server0,
    server1,
    serverCpu: cpuRate(server0, server1),
    clientCpu: cpuRate(client0, client1),
    rssSamples,
    rssFileSamples,
    heapSamples,
  };
}

/** Medians of the heap figures (NaN without samples). */
function heapMedians(samples: readonly HeapSample[]): {
  heapUsed: number;
  heapTotal: number;
  external: number;
  mallocUsed: number;
  mallocFree: number;
} {
  // samples without malloc figures are left out (none: NaN)
  const malloc = samples.filter((h) => h.mallocUsed !== undefined);
  return {
    heapUsed: summarize(samples.map((h) => h.heapUsed)).median,
    heapTotal: summarize(samples.map((h) => h.heapTotal)).median,
    external: summarize(samples.map((h) => h.external)).median,
    mallocUsed: summarize(malloc.map((h) => h.mallocUsed!)).median,
    mallocFree: summarize(malloc.map((h) => h.mallocFree!)).median,
  };
}

async function baseline(spec: ClientSpec): Promise<Record<string, unknown>> {
  await waitLive(spec);
  await delay(1000);
  const w = await measureWindow(spec, spec.windowS);
  return {
    serverCpu: w.serverCpu,
    clientCpu: w.clientCpu,
    rss: summarize(w.rssSamples).median,
  };
}

/** Starts `n` viewers spread evenly over `flashMs`. */
async function flashCrowd(spec: ClientSpec, n: number): Promise<Viewer[]> {
  const viewers: Viewer[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const due = t0 + (i * spec.flashMs) / n;
    const wait = due - performance.now();
    if (wait >= 1) await delay(wait);
    const v = newViewer(spec);
    v.start();
    viewers.push(v);
  }
  const deadline = spec.connectTimeoutS * 1000;
  await within(
    Promise.all(viewers.map((v) => v.keyframe.catch(() => {}))),
    deadline,
  );
  return viewers;
}

function milestones(viewers: readonly Viewer[]): Record<string, unknown> {
  const ttfb: number[] = [];
  const media: number[] = [];
  const key: number[] = [];
  for (const v of viewers) {
    if (v.firstByteAt >= 0) ttfb.push(v.firstByteAt - v.startedAt);
    if (v.firstMediaAt >= 0) media.push(v.firstMediaAt - v.startedAt);
    if (v.firstKeyframeAt >= 0) key.push(v.firstKeyframeAt - v.startedAt);
  }
  return {
    ttfb: summarize(ttfb),
    firstMedia: summarize(media),
    firstKeyframe: summarize(key),
    failed: viewers.filter((v) => v.firstKeyframeAt < 0).length,
  };
}

/** Longest extra warm-up while viewers still drain the join backlog. */
const MAX_CATCH_UP_MS = 20_000;
/** Sampling period of the catch-up check. */
const CATCH_UP_STEP_MS = 1000;
/** Media time per wall-clock time of a viewer at the live edge: 1 ± this. */
const STEADY_RATE_TOLERANCE = 0.2;

/**
 * Waits `warmupS`, then (bounded by `MAX_CATCH_UP_MS`) until 95% of the
 * viewers advance their media time at the wall clock's rate (1 ± 0.2 over
 * the last second): a viewer still draining the join backlog advances
 * faster, a starved one slower. Each viewer is judged by its own progress,
 * so servers that start every player's timestamps at its join (nginx-rtmp,
 * our RTMP play) are measured like those that send the stream's absolute
 * time.
 *
 * @returns The warm-up used, in seconds.
 */
async function warmUp(
  spec: ClientSpec,
  viewers: readonly Viewer[],
): Promise<number> {
  const t0 = performance.now();
  await delay(spec.warmupS * 1000);
  const deadline = performance.now() + MAX_CATCH_UP_MS;
  let before = viewers.map((v) => v.mediaTs);
  let at = performance.now();
  while (performance.now() < deadline) {
    await delay(CATCH_UP_STEP_MS);
    const now = performance.now();
    const steady = viewers.filter((v, i) => {
      const rate = (v.mediaTs - before[i]!) / (now - at);
      return before[i]! >= 0 && Math.abs(rate - 1) <= STEADY_RATE_TOLERANCE;
    }).length;
    if (steady >= 0.95 * viewers.length) break;
    before = viewers.map((v) => v.mediaTs);
    at = now;
  }
  return (performance.now() - t0) / 1000;
}

async function steady(spec: ClientSpec): Promise<Record<string, unknown>> {
  // Before the crowd: 2 s of samples (RSS, and our origin's heap), the
  // median is the "before" of the growth per viewer; `rssBefore` (one
  // sample) stays for comparison with earlier figures.
  const pre = await measureWindow(spec, 2);
  const rssBefore = mustSample(spec.serverPid).rssBytes;
  // ARCLY_BENCH_SMAPS_DIR: copies of the origin's /proc/<pid>/smaps before
  // the crowd and at the window's end, for `smaps_diff.ts` (where RSS sits).
  const smapsDir = Deno.env.get("ARCLY_BENCH_SMAPS_DIR");
  const smaps = (name: string): void => {
    if (smapsDir === undefined || smapsDir === "") return;
    Deno.writeTextFileSync(
      `${smapsDir}/${spec.protocol}-${spec.viewers}-${name}.smaps`,
      Deno.readTextFileSync(`/proc/${spec.serverPid}/smaps`),
    );
  };
  smaps("before");
  let anchor: Viewer | null = null;
  let anchored: Awaited<ReturnType<typeof measureWindow>> | null = null;
  if ((spec.anchorS ?? 0) > 0) {
    anchor = newViewer(spec);
    anchor.start();
    await within(anchor.keyframe, 10_000);
    await delay(spec.anchorS! * 1000);
    anchored = await measureWindow(spec, 2);
  }
  // Accept queue: namespace-wide counters around the crowd, and the server
  // port's own queue sampled while it connects.
  const sampleMs = spec.backlogSampleMs ?? 50;
  const sampler = sampleMs > 0
    ? new BacklogSampler(
      spec.protocol === "flv" ? spec.httpPort : spec.rtmpPort,
      sampleMs,
    )
    : null;
  const net0 = readNetCounters();
  const viewers = await flashCrowd(spec, spec.viewers);
  const net1 = readNetCounters();
  const backlog = await sampler?.stop() ?? null;
  const accept = { ...counterDelta(net0, net1), backlog };
  try {
    const warmupS = await warmUp(spec, viewers);
    const bytes0 = viewers.map((v) => v.bytes);
    const ts0 = viewers.map((v) => v.mediaTs);
    const w = await measureWindow(spec, spec.windowS);
    smaps("window");
    const seconds = (w.server1.at - w.server0.at) / 1000;
    const bitrates = viewers.map((v, i) =>
      ((v.bytes - bytes0[i]!) * 8) / seconds
    );
    // Media time delivered per wall-clock time: 1.0 means the viewer kept up.
    // Milestones after the window: late joiners (SYN retries) still count.
    const flash = milestones(viewers);
    const keepUp = viewers.map((v, i) =>
      (v.mediaTs - ts0[i]!) / 1000 / seconds
    );
    const join: number[] = [];
    const joinTtfb: number[] = [];
    for (let i = 0; i < spec.probes; i++) {
      const p = newViewer(spec);
      p.start();
      const ok = await within(p.keyframe, 10_000);
      if (ok) {
        join.push(p.firstKeyframeAt - p.startedAt);
        joinTtfb.push(p.firstByteAt - p.startedAt);
      }
      await closeAll([p]);
      await delay(300);
    }
    return {
      ...flash,
      accept,
      errors: [
        ...new Set(viewers.map((v) => v.error).filter((e) => e !== null)),
      ].slice(0, 5),
      alive: viewers.filter((v) => v.error === null).length,
      serverCpu: w.serverCpu,
      clientCpu: w.clientCpu,
      rssBefore,
      rss: summarize(w.rssSamples).median,
      memory: {
        samples: w.rssSamples.length,
        rssBefore: summarize(pre.rssSamples).median,
        rssFileBefore: summarize(pre.rssFileSamples).median,
        rssFile: summarize(w.rssFileSamples).median,
        rssMin: Math.min(...w.rssSamples),
        rssMax: Math.max(...w.rssSamples),
        heapSamples: w.heapSamples.length,
        before: heapMedians(pre.heapSamples),
        window: heapMedians(w.heapSamples),
        anchored: anchored === null ? null : {
          rssBefore: summarize(anchored.rssSamples).median,
          before: heapMedians(anchored.heapSamples),
        },
      },
      aggregateBps: bitrates.reduce((a, b) => a + b, 0),
      bitrate: summarize(bitrates),
      minBps: Math.min(...bitrates),
      keepUp: summarize(keepUp),
      minKeepUp: Math.min(...keepUp),
      laggards: keepUp.filter((k) => k < 0.95).length,
      join: summarize(join),
      warmupS,
      joinTtfb: summarize(joinTtfb),
      joinSamples: join,
    };
  } finally {
    await closeAll(anchor === null ? viewers : [...viewers, anchor]);
  }
}

async function stall(spec: ClientSpec): Promise<Record<string, unknown>> {
  const rssBefore = mustSample(spec.serverPid).rssBytes;
  const viewers = await flashCrowd(spec, spec.viewers);
  try {
    for (const v of viewers) v.pause();
    const series: number[] = [];
    const t0 = performance.now();
    for (let i = 1; i <= spec.stallS; i++) {
      await delay(Math.max(1, t0 + i * 1000 - performance.now()));
      series.push(mustSample(spec.serverPid).rssBytes);
    }
    const pausedBytes = viewers.map((v) => v.bytes);
    setReadPacing(0); // drain at full speed: "queued per viewer" is what we read now
    for (const v of viewers) v.resume();
    await delay(3000);
    const drained = viewers.map((v, i) => v.bytes - pausedBytes[i]!);
    return {
      connected: viewers.filter((v) => v.firstKeyframeAt >= 0).length,
      rssBefore,
      series,
      rssMax: Math.max(...series),
      growthBytes: (series.at(-1) ?? rssBefore) - rssBefore,
      cutOff: viewers.filter((v) => v.endedByPeer).length,
      drainedMedian: summarize(drained).median,
      errors: [
        ...new Set(viewers.map((v) => v.error).filter((e) => e !== null)),
      ].slice(0, 5),
    };
  } finally {
    await closeAll(viewers);
    await delay(2000);
  }
}

async function main(): Promise<void> {
  const spec = JSON.parse(Deno.args[0] ?? "") as ClientSpec;
  setReadPacing(spec.paceMs);
  const run = spec.scenario === "baseline"
    ? baseline
    : spec.scenario === "steady"
    ? steady
    : stall;
  const result = await run(spec);
  if (spec.scenario === "stall") {
    result.rssAfter = sampleProc(spec.serverPid)?.rssBytes ?? null;
  }
  console.log(
    `RESULT ${
      JSON.stringify({
        scenario: spec.scenario,
        protocol: spec.protocol,
        viewers: spec.viewers,
        ...result,
      })
    }`,
  );
}

if (import.meta.main) {
  try {
    await main();
    Deno.exit(0);
  } catch (e) {
    console.error(e instanceof Error ? e.stack ?? e.message : String(e));
    Deno.exit(1);
  }
}
