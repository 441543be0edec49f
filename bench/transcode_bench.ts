// Transcoding bench: what each rendition costs in ffmpeg, what our own
// piping costs around it (stdin feeding + stdout demux + publish), and how
// much later a rendition's frame is published than the source's frame with
// the same PTS.
//
//   deno task bench:transcode                       # 30 s, ladder 480p,360p,240p, veryfast
//   deno task bench:transcode --seconds=10 --ladder=480p,240p --preset=veryfast
//   deno task bench:transcode --seconds=15 --copy-pairs=3  # our piping alone, 3 x
//   deno task bench:transcode --pairs=5 --settle=5  # 5 alternating pairs, steady state from 5 s
//   deno task bench:transcode --pairs=3 --io-ms=0,50  # per pair: a baseline, one measured run per I/O tick
//   deno task bench:transcode --pairs=3 --outputs=packet,ticked,ticked20,buffered  # per pair: one run per output mode
//   deno run --v8-flags=--perf-basic-prof -A bench/transcode_bench.ts --pairs=1 --perf=/tmp/tb  # perf per steady window
//
// Per pair and configuration the steady-state table gives our CPU with and
// without transcoders, the piping split into our main JS thread and our
// other threads (GC helpers, tokio), ffmpeg's CPU, their ratio, the added
// latency, drops and the 1-minute load; per configuration the median ratio,
// its spread and the ratio of the sums (bench/_transcode_steady.ts).
//
// Source: ffmpeg lavfi testsrc2 1280x720@25 + sine AAC, pre-encoded to FLV
// (the source's encoder is not measured), read with our FlvReader and
// published into an engine paced by dts, with one plain viewer per rendition
// watching the rendition (latency). Three runs in one process: a short
// warm-up with transcoders (JIT of every code path; discarded), a baseline
// without transcoders (the same frames, one plain viewer of the source per
// would-be rendition, so subscription costs are alike), the measured run.
// Each rendition's ffmpeg CPU is read from /proc/<pid>/stat (utime+stime)
// just before its source ends (after a 1.5 s catch-up); our CPU from
// getrusage (process.cpuUsage: every thread, exited ones too), with a
// breakdown per live thread from /proc/<our pid>/task/*/stat (the main JS
// thread, V8's GC helpers).
// Piping = measured run − baseline, over the whole run and over the steady
// state (`--settle` seconds after the first frame to the last frame: a
// rendition that runs for hours pays its start once), in `--pairs`
// alternating baseline/measured pairs (default 3; the median counts).
// A further run puts the same piping around
// an ffmpeg that only copies the video (`-c:v copy`: next to no CPU, never
// late), our cost alone, steadier on a busy host. Latency is reported for the steady state
// (rendition frames after the first 3 s) and for the start (first rendition
// frame after the source's first frame). The host's load average is printed
// with the figures: re-run on a quiet machine for representative numbers.
//
// Under `deno bench` only the micro-benchmarks at the end run.
import process from "node:process";
import { readFlvFile } from "../media/flv/mod.ts";
import type { MediaFrame } from "../media/frame.ts";
import { Engine } from "../src/mod.ts";
import { parseLadder, TranscodeService } from "../transcode/mod.ts";
import { FfmpegProgressParser } from "../transcode/mod.ts";
import { FlvMuxer } from "../media/flv/mod.ts";
import { steadyPairs } from "./_transcode_steady.ts";

const CLK_TCK = 100; // Linux USER_HZ

function cpuOfStat(stat: string): { comm: string; ms: number } {
  const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[11] = utime, fields[12] = stime (0-based after the comm field)
  return {
    comm,
    ms: (Number(fields[11]) + Number(fields[12])) * 1000 / CLK_TCK,
  };
}

async function procCpuMs(pid: number): Promise<number | undefined> {
  const r = await new Deno.Command("cat", {
    args: [`/proc/${pid}/stat`],
    stderr: "null",
  }).output();
  const stat = new TextDecoder().decode(r.stdout);
  return r.success && stat.includes(")") ? cpuOfStat(stat).ms : undefined;
}

/**
 * CPU ms of this process's threads, by thread name (`deno`, `tokio-…`,
 * `V8 …`), read with `cat` (Deno asks for --allow-all to read its own
 * /proc entry; a child process reading it needs only --allow-run).
 */
async function threadCpu(): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const r = await new Deno.Command("sh", {
    args: ["-c", `cat /proc/${Deno.pid}/task/*/stat`],
    stderr: "null",
  }).output();
  for (const line of new TextDecoder().decode(r.stdout).split("\n")) {
    if (!line.includes(")")) continue;
    const { comm, ms } = cpuOfStat(line);
    const name = comm.replace(/[-#]?\d+$/, "");
    out.set(name, (out.get(name) ?? 0) + ms);
  }
  return out;
}

/**
 * `--perf=<prefix>`: `perf record -F 999 -g` on our pid over each run's
 * steady window, into `<prefix>-<n>-<baseline|measured|copy>.data` (run
 * deno with `--v8-flags=--perf-basic-prof` for JS names).
 */
let perfRuns = 0;
function startPerf(kind: string): (() => Promise<void>) | undefined {
  const prefix = Deno.args.find((a) => a.startsWith("--perf="))?.slice(7);
  if (!prefix) return undefined;
  const out = `${prefix}-${++perfRuns}-${kind}.data`;
  const child = new Deno.Command("perf", {
    args: ["record", "-F", "999", "-g", "-p", String(Deno.pid), "-o", out],
    stdout: "null",
    stderr: "null",
  }).spawn();
  return async () => {
    child.kill("SIGINT");
    await child.status;
  };
}

function minus(a: Map<string, number>, b: Map<string, number>) {
  const out = new Map<string, number>();
  for (const [k, v] of a) out.set(k, v - (b.get(k) ?? 0));
  return out;
}

async function makeSource(seconds: number): Promise<MediaFrame[]> {
  const path = await Deno.makeTempFile({ suffix: ".flv" });
  const out = await new Deno.Command("ffmpeg", {
    args: [
      ...["-hide_banner", "-v", "error", "-y"],
      ...["-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=25"],
      ...["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"],
      ...["-t", String(seconds), "-c:v", "libx264", "-preset", "veryfast"],
      ...["-b:v", "3000k", "-g", "50", "-bf", "0", "-pix_fmt", "yuv420p"],
      ...["-c:a", "aac", "-b:a", "128k", "-f", "flv", path],
    ],
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  const frames = readFlvFile(await Deno.readFile(path)).frames;
  await Deno.remove(path);
  return frames;
}

interface RunResult {
  /** CPU ms of the whole process (getrusage: every thread, exited ones too). */
  ourCpuMs: number;
  /** Its user and system parts. */
  userMs: number;
  systemMs: number;
  /** CPU ms per live thread name (/proc). */
  ourCpu: Map<string, number>;
  /** ffmpeg CPU per derived key (a process serving several keys is listed under each). */
  ffmpegCpuMs: Map<string, number>;
  /** ffmpeg CPU per process (the total counts each process once). */
  ffmpegByPid: Map<number, number>;
  /** Steady state: from `settleS` after the first frame to the last one. */
  window: SteadyWindow;
  latencyMs: Map<string, number[]>;
  startMs: Map<string, number>;
  fps: Map<string, number>;
  encoded: Map<string, number>;
  framesIn: number;
  framesOut: number;
  dropped: number;
  restarts: number;
  load: number[];
}

/**
 * CPU of the steady state of one run: our process's (getrusage) and each
 * ffmpeg process's (/proc, by pid: a process may serve several renditions),
 * from `settleS` seconds of media after the first frame to the last frame.
 * Start-up (spawn, probing, encoder set-up, JIT) and shutdown are outside
 * it. Sampled so that the sampling's own `cat` spawns fall outside our
 * window: ffmpeg's first then ours at the start, ours first at the end.
 */
interface SteadyWindow {
  seconds: number;
  ourCpuMs: number;
  /** Our CPU over the window by thread name (/proc): the main JS thread `deno`, V8's GC helpers, tokio. */
  ourThreads: Map<string, number>;
  /** Minor page faults of our process over the window. */
  minorFaults: number;
  /** Voluntary context switches of our threads (sleeps ended by a wake-up). */
  wakeups: number;
  ffmpegCpuMs: Map<number, number>;
  /** pid → the derived keys it serves. */
  keysOf: Map<number, string[]>;
  /** False when an ffmpeg restarted inside the window. */
  valid: boolean;
}

async function ffmpegPids(
  service: TranscodeService | undefined,
): Promise<Map<number, { keys: string[]; ms: number }>> {
  const out = new Map<number, { keys: string[]; ms: number }>();
  for (const s of service?.list() ?? []) {
    if (s.pid === undefined) continue;
    const known = out.get(s.pid);
    if (known) {
      known.keys.push(s.key);
      continue;
    }
    const ms = await procCpuMs(s.pid);
    if (ms !== undefined) out.set(s.pid, { keys: [s.key], ms });
  }
  return out;
}

async function runOnce(
  frames: MediaFrame[],
  ladder: string,
  preset: string,
  transcode: boolean,
  ffmpegPath?: string,
  settleS = 5,
  ioMs?: number,
  ladderOutput?: OutputMode,
): Promise<RunResult> {
  await using engine = Engine.builder().build();
  const rungs = parseLadder(ladder);
  const service = transcode
    ? new TranscodeService({
      host: engine,
      ladders: { live: rungs },
      preset,
      maxTranscoders: 8,
      ...(ffmpegPath ? { ffmpegPath } : {}),
      ...(ioMs !== undefined ? { ioIntervalMs: ioMs } : {}),
      ...(ladderOutput
        ? {
          ladderOutput: ladderOutput.mode,
          ...(ladderOutput.tickMs ? { ladderTickMs: ladderOutput.tickMs } : {}),
        }
        : {}),
    })
    : undefined;
  const publishedAt = new Map<number, number>(); // video pts -> ms
  const latency = new Map<string, number[]>();
  const startMs = new Map<string, number>();
  const viewers: Promise<void>[] = [];
  let t0 = 0;
  const watch = (key: string) => {
    const handle = engine.getStream(key);
    if (!handle) return;
    const sub = handle.subscribe({ replay: false });
    const lat: number[] = [];
    latency.set(key, lat);
    viewers.push((async () => {
      try {
        for await (const frame of sub) {
          if (frame.kind !== "video" || frame.config) continue;
          const now = performance.now();
          if (!startMs.has(key)) startMs.set(key, now - t0);
          const at = publishedAt.get(frame.pts);
          // Steady state: after the rendition's first 3 s.
          if (at !== undefined && now - t0 > startMs.get(key)! + 3000) {
            lat.push(now - at);
          }
        }
      } catch { /* ended */ }
    })());
  };
  const off = engine.events.on("published", (e) => {
    if (e.key.includes("~")) watch(e.key);
  });
  const ffmpegCpu = new Map<string, number>();
  const ffmpegByPid = new Map<number, number>();
  const cpu0 = await threadCpu();
  const usage0 = process.cpuUsage();
  const handle = engine.startPublish("live/cam");
  if (!transcode) { for (let i = 0; i < rungs.length; i++) watch("live/cam"); }
  t0 = performance.now();
  const first = frames.find((f) => !f.config)!.dts;
  let stopPerf: (() => Promise<void>) | undefined;
  let start:
    | {
      at: number;
      faults: number;
      wakeups: number;
      ours: number;
      threads: Map<string, number>;
      ffmpeg: Map<number, { ms: number }>;
    }
    | undefined;
  for (const frame of frames) {
    const due = frame.dts - first - (performance.now() - t0);
    if (!frame.config && due > 2) await new Promise((r) => setTimeout(r, due));
    if (!start && !frame.config && frame.dts - first >= settleS * 1000) {
      const ffmpeg = await ffmpegPids(service);
      const threads = await threadCpu();
      const u = process.cpuUsage();
      start = {
        at: performance.now(),
        faults: process.resourceUsage().minorPageFault,
        wakeups: process.resourceUsage().voluntaryContextSwitches,
        ours: (u.user + u.system) / 1000,
        threads,
        ffmpeg,
      };
      stopPerf = startPerf(
        !transcode ? "baseline" : ffmpegPath ? "copy" : "measured",
      );
    }
    if (frame.kind === "video" && !frame.config) {
      publishedAt.set(frame.pts, performance.now());
    }
    handle.publishFrame(frame);
  }
  const endUsage = process.cpuUsage();
  const endRu = process.resourceUsage();
  const endFaults = endRu.minorPageFault;
  const endAt = performance.now();
  await stopPerf?.();
  const endThreads = await threadCpu();
  const endFfmpeg = await ffmpegPids(service);
  const window: SteadyWindow = {
    seconds: start ? (endAt - start.at) / 1000 : 0,
    ourCpuMs: start
      ? (endUsage.user + endUsage.system) / 1000 - start.ours
      : NaN,
    ourThreads: start ? minus(endThreads, start.threads) : new Map(),
    minorFaults: start ? endFaults - start.faults : NaN,
    wakeups: start ? endRu.voluntaryContextSwitches - start.wakeups : NaN,
    ffmpegCpuMs: new Map(),
    keysOf: new Map(),
    valid: start !== undefined,
  };
  for (const [pid, { keys, ms }] of endFfmpeg) {
    const was = start?.ffmpeg.get(pid);
    if (was === undefined) window.valid = false;
    else window.ffmpegCpuMs.set(pid, ms - was.ms);
    window.keysOf.set(pid, keys);
  }
  if (start && start.ffmpeg.size !== endFfmpeg.size) window.valid = false;
  // Let the renditions catch up before the source ends.
  await new Promise((r) => setTimeout(r, 1500));
  const usage = process.cpuUsage(usage0);
  const cpu = minus(await threadCpu(), cpu0);
  const fps = new Map<string, number>();
  const encoded = new Map<string, number>();
  let dropped = 0, restarts = 0, framesOut = 0;
  for (const s of service?.list() ?? []) {
    fps.set(s.key, s.progress?.fps ?? 0);
    encoded.set(s.key, s.progress?.frame ?? 0);
    framesOut += s.framesOut;
    dropped += s.droppedFrames;
    restarts += s.restarts;
    const ms = s.pid === undefined ? undefined : await procCpuMs(s.pid);
    if (ms !== undefined) ffmpegCpu.set(s.key, ms);
    if (ms !== undefined) ffmpegByPid.set(s.pid!, ms);
  }
  engine.endPublish("live/cam");
  await service?.close();
  off();
  await Promise.all(viewers);
  return {
    ourCpuMs: (usage.user + usage.system) / 1000,
    userMs: usage.user / 1000,
    systemMs: usage.system / 1000,
    ourCpu: cpu,
    ffmpegCpuMs: ffmpegCpu,
    ffmpegByPid,
    window,
    latencyMs: latency,
    startMs,
    fps,
    encoded,
    framesIn: frames.filter((f) => f.kind !== "data").length * rungs.length,
    framesOut,
    dropped,
    restarts,
    load: Deno.loadavg(),
  };
}

/** `--outputs` item: packet, buffered, ticked (the default tick) or tickedN (a tick of N ms). */
interface OutputMode {
  mode: "packet" | "buffered" | "ticked";
  tickMs?: number;
}

function outputMode(item: string): OutputMode {
  const m = /^(packet|buffered|ticked)(\d+)?$/.exec(item);
  if (!m || (m[2] && m[1] !== "ticked")) {
    throw new Error(
      `--outputs: ${item}? expected packet, buffered, ticked or tickedMS`,
    );
  }
  return {
    mode: m[1] as OutputMode["mode"],
    ...(m[2] ? { tickMs: Number(m[2]) } : {}),
  };
}

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

function flag(name: string, fallback: string, position: number): string {
  const prefix = `--${name}=`;
  const named = Deno.args.find((a) => a.startsWith(prefix));
  if (named) return named.slice(prefix.length);
  const positional = Deno.args.filter((a) => !a.startsWith("--"));
  return positional[position] ?? fallback;
}

async function main(): Promise<void> {
  const seconds = Number(flag("seconds", "30", 0));
  const ladder = flag("ladder", "480p,360p,240p", 1);
  const preset = flag("preset", "veryfast", 2);
  const warmupS = Number(flag("warmup", String(Math.min(6, seconds)), 3));
  const frames = await makeSource(seconds);
  const copyPairCount = Number(flag("copy-pairs", "0", 4));
  if (copyPairCount > 0) {
    return await copyPairs(frames, ladder, preset, copyPairCount);
  }
  const loadBefore = Deno.loadavg();
  const fmtLoad = (l: number[]) => l.map((x) => x.toFixed(1)).join(" ");
  const outputsFlag = flag("outputs", "", 8);
  const outputKinds = outputsFlag.split(",");
  const outputModes = outputsFlag ? outputKinds.map(outputMode) : [];
  if (warmupS > 0) {
    // One warm-up per output mode compared (each has its own code path).
    const firstMs = frames.find((f) => !f.config)!.dts;
    for (const mode of outputModes.length ? outputModes : [undefined]) {
      await runOnce(
        frames.filter((f) => f.config || f.dts - firstMs < warmupS * 1000),
        ladder,
        preset,
        true,
        undefined,
        undefined,
        undefined,
        mode,
      );
    }
  }
  const pairs = Number(flag("pairs", "3", 5));
  const settleS = Number(flag("settle", String(Math.min(5, seconds / 3)), 6));
  // Alternate baseline and measured runs: a change of the host's load hits
  // both halves of a pair alike; the steady-state figure is the median over
  // the pairs (one pair's baseline varied 331–560 ms over a 30 s run).
  // `--io-ms=0,50`: one measured run per I/O tick in every pair.
  const ioFlag = flag("io-ms", "", 7);
  const configs = outputsFlag
    ? outputKinds.map((_, i) => i)
    : ioFlag === ""
    ? [undefined]
    : ioFlag.split(",").map((v) => Number(v));
  const { lines: steady, last, base } = await steadyPairs({
    pairs,
    configs,
    baseline: () => runOnce(frames, ladder, preset, false, undefined, settleS),
    // `--outputs=packet,ticked,buffered`: one measured run per way the
    // renditions reach us (configs 0, 1, ...), the I/O tick at its default;
    // `ticked20`: the ticked sockets with a 20 ms tick.
    ...(outputsFlag
      ? {
        label: (c: number | undefined) => `outputs ${outputKinds[c ?? 0]}`,
        measured: (c: number | undefined) =>
          runOnce(
            frames,
            ladder,
            preset,
            true,
            undefined,
            settleS,
            undefined,
            outputModes[c ?? 0],
          ),
      }
      : {
        measured: (ioMs: number | undefined) =>
          runOnce(frames, ladder, preset, true, undefined, settleS, ioMs),
      }),
  });
  const run = last[0]!;
  // The same piping around an ffmpeg that only copies the video (almost no
  // CPU of its own, never behind real time): our cost alone, steadier on a
  // loaded host than the difference of two runs with real encoders.
  const copy = await copyScript();
  const copied = await runOnce(
    frames,
    ladder,
    preset,
    true,
    copy,
    settleS,
    outputsFlag ? undefined : configs[0],
    outputModes[0],
  );
  await Deno.remove(copy);
  const lines: string[] = [];
  lines.push(
    `transcode bench: 1280x720@25 H.264+AAC source, ${seconds} s, ladder ${ladder}, x264 preset ${preset}, ${navigator.hardwareConcurrency} cores, ${
      new Date().toISOString().slice(0, 16)
    }Z`,
    `load average: ${fmtLoad(loadBefore)} before, ${
      fmtLoad(base.load)
    } after the baseline, ${fmtLoad(run.load)} after the measured run`,
    "",
    "| rendition | ffmpeg CPU (ms) | % of one core | video frames encoded | ffmpeg ms per frame | ffmpeg fps | added latency p50 / p95 (ms, steady) | first frame after (ms) |",
    "|---|---|---|---|---|---|---|---|",
  );
  const ffmpegTotal = sum(run.ffmpegByPid.values());
  for (const [key, ms] of [...run.ffmpegCpuMs].sort()) {
    const lat = run.latencyMs.get(key) ?? [];
    const n = run.encoded.get(key) ?? 0;
    lines.push(
      `| ${key} | ${ms.toFixed(0)} | ${
        (ms / seconds / 10).toFixed(1)
      } % | ${n} | ${(ms / Math.max(1, n)).toFixed(2)} | ${
        (run.fps.get(key) ?? 0).toFixed(1)
      } | ${quantile(lat, 0.5).toFixed(0)} / ${
        quantile(lat, 0.95).toFixed(0)
      } (n=${lat.length}) | ${(run.startMs.get(key) ?? NaN).toFixed(0)} |`,
    );
  }
  const ours = run.ourCpuMs, baseline = base.ourCpuMs;
  const piping = ours - baseline;
  const pipingCopy = copied.ourCpuMs - baseline;
  const videoIn = frames.filter((f) => f.kind === "video" && !f.config)
    .length * run.ffmpegCpuMs.size;
  const threads = [...new Set([...run.ourCpu.keys(), ...base.ourCpu.keys()])]
    .map((t) => ({
      t,
      run: run.ourCpu.get(t) ?? 0,
      base: base.ourCpu.get(t) ?? 0,
    }))
    .filter((x) => x.run + x.base > 0)
    .sort((a, b) => b.run - a.run)
    .map((x) => `${x.t} ${x.run.toFixed(0)} (${x.base.toFixed(0)})`);
  lines.push(
    "",
    `our process: ${ours.toFixed(0)} ms CPU with transcoders, ${
      baseline.toFixed(0)
    } ms without (same frames, same number of viewers)`,
    `  by thread, with (without): ${threads.join(", ")}`,
    `ffmpeg CPU: ${ffmpegTotal.toFixed(0)} ms in total, ${
      [...run.ffmpegCpuMs].sort().map(([k, ms]) => `${k} ${ms.toFixed(0)}`)
        .join(", ")
    } ms (${run.ffmpegByPid.size} ffmpeg process${
      run.ffmpegByPid.size === 1 ? "" : "es"
    } for ${run.ffmpegCpuMs.size} renditions; a process serving several is counted once in the total)`,
    `our piping = our CPU with transcoders − without: stdin FLV mux and writes, stdout reads and FLV demux, the audio bypass merge, publishing into the derived streams (each rendition's one viewer is matched by one more plain viewer of the source in the baseline)`,
    `our piping: ${piping.toFixed(0)} ms = ${
      (100 * piping / ffmpegTotal).toFixed(2)
    } % of ffmpeg's ${ffmpegTotal.toFixed(0)} ms (goal ≤ 5 %)`,
    `our piping per source video frame and rendition: ${
      (1000 * piping / videoIn).toFixed(1)
    } µs (${videoIn} video frames written to ffmpeg; audio merged around it; ${run.framesOut} frames published into the renditions)`,
    `added latency (steady state, all renditions): p50 ${
      quantile([...run.latencyMs.values()].flat(), 0.5).toFixed(0)
    } ms, p95 ${
      quantile([...run.latencyMs.values()].flat(), 0.95).toFixed(0)
    } ms`,
    `dropped frames: ${run.dropped}, restarts: ${run.restarts}`,
    "",
    `steady state (from ${settleS} s of media after the first frame to the last frame; spawn, probing, encoder set-up and shutdown outside), ${pairs} alternating pairs:`,
    "",
    ...steady,
    `same piping around ffmpeg -c:v copy: ${pipingCopy.toFixed(0)} ms (${
      copied.ourCpuMs.toFixed(0)
    } − ${baseline.toFixed(0)}) = ${
      (1000 * pipingCopy / videoIn).toFixed(1)
    } µs per video frame and rendition = ${
      (100 * pipingCopy / ffmpegTotal).toFixed(2)
    } % of the encoders' CPU above; load average after it ${
      fmtLoad(copied.load)
    }`,
  );
  // deno-lint-ignore no-console -- a CLI script: its output is its report
  console.log(lines.join("\n"));
}

/**
 * An "ffmpeg" that only copies the video: the service's own arguments (one
 * output per rendition, on stdout or the ladder's sockets) with `libx264`
 * replaced by `copy`, and the scale filter and the encoder's options left
 * out (a stream copy refuses them).
 */
async function copyScript(): Promise<string> {
  const copy = await Deno.makeTempFile({ suffix: ".sh" });
  await Deno.writeTextFile(
    copy,
    [
      "#!/bin/bash",
      "args=()",
      "while [ $# -gt 0 ]; do",
      '  case "$1" in',
      "    -vf|-preset|-tune|-profile:v|-pix_fmt|-b:v|-maxrate|-bufsize|-force_key_frames|-sc_threshold|-g|-enc_time_base:v) shift ;;",
      '    libx264) args+=("copy") ;;',
      '    *) args+=("$1") ;;',
      "  esac",
      "  shift",
      "done",
      'exec ffmpeg "${args[@]}"',
      "",
    ].join("\n"),
  );
  await Deno.chmod(copy, 0o755);
  return copy;
}

/**
 * `--copy-pairs=N`: our piping alone, N times over. Each pair is a baseline
 * run and a run around `ffmpeg -c:v copy`, back to back in this process, so
 * a change of the host's load hits both halves alike; the figure is the
 * median of the N differences (user and system CPU apart).
 */
async function copyPairs(
  frames: MediaFrame[],
  ladder: string,
  preset: string,
  pairs: number,
): Promise<void> {
  const copy = await copyScript();
  const firstMs = frames.find((f) => !f.config)!.dts;
  const warm = frames.filter((f) => f.config || f.dts - firstMs < 3000);
  await runOnce(warm, ladder, preset, true, copy); // JIT, discarded
  const videoIn = frames.filter((f) => f.kind === "video" && !f.config)
    .length * parseLadder(ladder).length;
  const diffs: number[] = [];
  const lines: string[] = [];
  for (let i = 0; i < pairs; i++) {
    const base = await runOnce(frames, ladder, preset, false);
    const piped = await runOnce(frames, ladder, preset, true, copy);
    const d = piped.ourCpuMs - base.ourCpuMs;
    diffs.push(d);
    lines.push(
      `pair ${i + 1}: ${d.toFixed(0)} ms (${piped.ourCpuMs.toFixed(0)} − ${
        base.ourCpuMs.toFixed(0)
      }; user ${(piped.userMs - base.userMs).toFixed(0)}, system ${
        (piped.systemMs - base.systemMs).toFixed(0)
      }) = ${
        (1000 * d / videoIn).toFixed(1)
      } µs per video frame and rendition, load ${
        piped.load.map((x) => x.toFixed(1)).join(" ")
      }, dropped ${piped.dropped}`,
    );
  }
  await Deno.remove(copy);
  const median = quantile(diffs, 0.5);
  lines.push(
    `piping around ffmpeg -c:v copy, ladder ${ladder}, ${videoIn} video frames in: median ${
      median.toFixed(0)
    } ms = ${
      (1000 * median / videoIn).toFixed(1)
    } µs per video frame and rendition`,
  );
  // deno-lint-ignore no-console -- a CLI script: its output is its report
  console.log(lines.join("\n"));
}

if (import.meta.main) await main();

// Micro-benchmarks for `deno bench`: the per-frame work of our piping.
const sample: MediaFrame = {
  kind: "video",
  codec: "h264",
  trackId: 0,
  pts: 40,
  dts: 40,
  timescale: 1000,
  keyframe: false,
  config: false,
  data: new Uint8Array(15_000),
};
const muxer = new FlvMuxer();
Deno.bench(
  "transcode: FLV-serialize one 15 kB frame for ffmpeg's stdin",
  () => {
    muxer.mux([sample]);
  },
);
const progress = new TextEncoder().encode(
  "frame=250\nfps=25.0\nstream_0_0_q=22.0\nbitrate=1200.5kbits/s\ntotal_size=1500000\nout_time_us=10000000\nspeed=1.01x\nprogress=continue\n",
);
const parser = new FfmpegProgressParser();
Deno.bench("transcode: parse one ffmpeg progress block", () => {
  parser.push(progress);
});
