// Transcoding bench: what a rendition costs in ffmpeg, what our piping
// costs around it, and how much later a rendition's frame is published than
// the source's frame with the same PTS.
//
//   deno run -A bench/transcode_bench.ts [seconds=20] [ladder=480p,360p,240p] [preset=veryfast]
//
// Source: ffmpeg lavfi testsrc2 1280x720@25 + sine AAC, pre-encoded to FLV
// (so the encoder of the source is not measured), read with our FlvReader
// and published into an engine paced by dts. Each rendition's ffmpeg CPU is
// read from /proc/<pid>/stat (utime+stime) just before the run ends; our own
// CPU is process.cpuUsage() of this process for the run minus a baseline run
// that publishes the same frames without any transcoder (and one viewer per
// would-be rendition, so subscription costs are alike).
//
// Under `deno bench` only the micro-benchmarks at the end run.
import process from "node:process";
import { readFlvFile } from "../media/flv/mod.ts";
import type { MediaFrame } from "../media/frame.ts";
import { Engine } from "../src/mod.ts";
import { parseLadder, TranscodeService } from "../transcode/mod.ts";
import { FfmpegProgressParser } from "../transcode/mod.ts";
import { FlvMuxer } from "../media/flv/mod.ts";

const CLK_TCK = 100; // Linux USER_HZ

async function procCpuMs(pid: number): Promise<number | undefined> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields[11] = utime, fields[12] = stime (0-based after the comm field)
    return (Number(fields[11]) + Number(fields[12])) * 1000 / CLK_TCK;
  } catch {
    return undefined;
  }
}

async function makeSource(seconds: number): Promise<MediaFrame[]> {
  const path = await Deno.makeTempFile({ suffix: ".flv" });
  const out = await new Deno.Command("ffmpeg", {
    args: [
      "-hide_banner",
      "-v",
      "error",
      "-y",
      "-f",
      "lavfi",
      "-i",
      "testsrc2=size=1280x720:rate=25",
      "-f",
      "lavfi",
      "-i",
      "sine=frequency=440:sample_rate=48000",
      "-t",
      String(seconds),
      "-c:v",
      "libx264",
      "-preset",
      "veryfast",
      "-b:v",
      "3000k",
      "-g",
      "50",
      "-bf",
      "0",
      "-pix_fmt",
      "yuv420p",
      "-c:a",
      "aac",
      "-b:a",
      "128k",
      "-f",
      "flv",
      path,
    ],
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  const frames = readFlvFile(await Deno.readFile(path)).frames;
  await Deno.remove(path);
  return frames;
}

interface RunResult {
  ourCpuMs: number;
  ffmpegCpuMs: Map<string, number>;
  latencyMs: Map<string, number[]>;
  fps: Map<string, number>;
  encoded: Map<string, number>;
  framesIn: number;
  framesOut: number;
  dropped: number;
  restarts: number;
}

async function runOnce(
  frames: MediaFrame[],
  ladder: string,
  preset: string,
  transcode: boolean,
): Promise<RunResult> {
  await using engine = Engine.builder().build();
  const rungs = parseLadder(ladder);
  const service = transcode
    ? new TranscodeService({
      host: engine,
      ladders: { live: rungs },
      preset,
      maxTranscoders: 8,
    })
    : undefined;
  const publishedAt = new Map<number, number>(); // video pts -> ms
  const latency = new Map<string, number[]>();
  const viewers: Promise<void>[] = [];
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
          const at = publishedAt.get(frame.pts);
          if (at !== undefined) lat.push(performance.now() - at);
        }
      } catch { /* ended */ }
    })());
  };
  const off = engine.events.on("published", (e) => {
    if (e.key.includes("~")) watch(e.key);
  });
  const ffmpegCpu = new Map<string, number>();
  const cpu0 = process.cpuUsage();
  const handle = engine.startPublish("live/cam");
  if (!transcode) { for (let i = 0; i < rungs.length; i++) watch("live/cam"); }
  const t0 = performance.now();
  const first = frames.find((f) => !f.config)!.dts;
  const last = frames.at(-1)!.dts;
  for (const frame of frames) {
    const due = frame.dts - first - (performance.now() - t0);
    if (!frame.config && due > 2) await new Promise((r) => setTimeout(r, due));
    if (frame.kind === "video" && !frame.config) {
      publishedAt.set(frame.pts, performance.now());
    }
    handle.publishFrame(frame);
    if (service && frame.dts > last - 200) {
      for (const s of service.list()) {
        if (s.pid !== undefined) {
          const ms = await procCpuMs(s.pid);
          if (ms !== undefined) ffmpegCpu.set(s.key, ms);
        }
      }
    }
  }
  const fps = new Map<string, number>();
  const encoded = new Map<string, number>();
  let dropped = 0, restarts = 0, framesOut = 0;
  for (const s of service?.list() ?? []) {
    fps.set(s.key, s.progress?.fps ?? 0);
    encoded.set(s.key, s.progress?.frame ?? 0);
    framesOut += s.framesOut;
    dropped += s.droppedFrames;
    restarts += s.restarts;
  }
  // Let the renditions catch up before the source ends.
  await new Promise((r) => setTimeout(r, 1500));
  const cpu = process.cpuUsage(cpu0);
  engine.endPublish("live/cam");
  await service?.close();
  off();
  await Promise.all(viewers);
  return {
    ourCpuMs: (cpu.user + cpu.system) / 1000,
    ffmpegCpuMs: ffmpegCpu,
    latencyMs: latency,
    fps,
    encoded,
    framesIn: frames.filter((f) => f.kind !== "data").length * rungs.length,
    framesOut,
    dropped,
    restarts,
  };
}

function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function main(): Promise<void> {
  const seconds = Number(Deno.args[0] ?? 20);
  const ladder = Deno.args[1] ?? "480p,360p,240p";
  const preset = Deno.args[2] ?? "veryfast";
  const frames = await makeSource(seconds);
  const base = await runOnce(frames, ladder, preset, false);
  const run = await runOnce(frames, ladder, preset, true);
  const lines: string[] = [];
  lines.push(
    `transcode bench: 1280x720@25 H.264+AAC source, ${seconds} s, ladder ${ladder}, x264 preset ${preset}, ${navigator.hardwareConcurrency} cores`,
    "",
    "| rendition | ffmpeg CPU (ms) | % of one core | video frames encoded | ffmpeg ms per frame | ffmpeg fps | added latency p50 / p95 (ms) |",
    "|---|---|---|---|---|---|---|",
  );
  let ffmpegTotal = 0;
  for (const [key, ms] of [...run.ffmpegCpuMs].sort()) {
    ffmpegTotal += ms;
    const lat = run.latencyMs.get(key) ?? [];
    lines.push(
      `| ${key} | ${ms.toFixed(0)} | ${(ms / seconds / 10).toFixed(1)} % | ${
        run.encoded.get(key) ?? 0
      } | ${(ms / Math.max(1, run.encoded.get(key) ?? 0)).toFixed(2)} | ${
        (run.fps.get(key) ?? 0).toFixed(1)
      } | ${quantile(lat, 0.5).toFixed(0)} / ${
        quantile(lat, 0.95).toFixed(0)
      } (n=${lat.length}) |`,
    );
  }
  const piping = run.ourCpuMs - base.ourCpuMs;
  lines.push(
    "",
    `our process: ${run.ourCpuMs.toFixed(0)} ms CPU with transcoders, ${
      base.ourCpuMs.toFixed(0)
    } ms without (same frames, same number of viewers)`,
    `our piping: ${piping.toFixed(0)} ms = ${
      (100 * piping / ffmpegTotal).toFixed(2)
    } % of ffmpeg's ${ffmpegTotal.toFixed(0)} ms (goal ≤ 5 %)`,
    `our piping per frame: ${
      (1000 * piping / (run.framesIn + run.framesOut)).toFixed(1)
    } µs (${run.framesIn} frames written to ffmpeg, ${run.framesOut} read back)`,
    `dropped frames: ${run.dropped}, restarts: ${run.restarts}`,
    `load average at the end: ${
      Deno.loadavg().map((x) => x.toFixed(1)).join(" ")
    }`,
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
