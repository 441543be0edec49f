// MPEG-TS and FLV mux throughput: MpegTsMuxer / FlvMuxer vs `ffmpeg -c copy`
// (-f mpegts / -f flv) on the same FLV input (H.264 High with B-frames + AAC,
// 30 s 1280x720 at ~6 Mb/s, made once into bench/.scratch/ts_flv/).
// Throughput = input FLV bytes / time per iteration; see bench/results/ts_flv.md.
//
//   deno bench --allow-all bench/mux_ts_flv_bench.ts
//
// The ffmpeg rows spawn one process per iteration (demux + mux + write to
// /dev/null), ours run in memory; the "read + mux" rows add our FLV demux so
// the work matches ffmpeg's (minus process start, ~20 ms, listed separately).
import type { MediaFrame } from "../media/frame.ts";
import { FlvMuxer, readFlvFile } from "../media/flv/mod.ts";
import { MpegTsMuxer } from "../media/mpegts/mod.ts";

const DIR = new URL("./.scratch/ts_flv/", import.meta.url).pathname;
const INPUT = `${DIR}input.flv`;

async function ensureInput(): Promise<Uint8Array> {
  try {
    return await Deno.readFile(INPUT);
  } catch {
    await Deno.mkdir(DIR, { recursive: true });
    const out = await new Deno.Command("ffmpeg", {
      args: [
        "-v",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=1280x720:rate=30:duration=30",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=48000:duration=30",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-bf",
        "2",
        "-b:v",
        "6M",
        "-g",
        "60",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-b:a",
        "128k",
        "-f",
        "flv",
        INPUT,
      ], // deno-fmt-ignore
    }).output();
    if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
    return await Deno.readFile(INPUT);
  }
}

const flv = await ensureInput();
const frames = readFlvFile(flv).frames;

/** Mux into segments cut at video keyframes (as HLS does); returns output bytes. */
function muxTs(all: readonly MediaFrame[]): number {
  const muxer = new MpegTsMuxer();
  let bytes = 0;
  let start = 0;
  for (let i = 1; i <= all.length; i++) {
    const f = all[i];
    if (f === undefined || (f.kind === "video" && f.keyframe && !f.config)) {
      bytes += muxer.mux(all.slice(start, i)).length;
      start = i;
    }
  }
  return bytes;
}

/** One FLV tag chunk per frame, as HTTP-FLV and the recorder produce them. */
function muxFlv(all: readonly MediaFrame[]): number {
  const muxer = new FlvMuxer();
  let bytes = muxer.initSegment().length;
  for (const f of all) bytes += muxer.mux([f]).length;
  return bytes;
}

async function ffmpegCopy(format: string): Promise<void> {
  const out = await new Deno.Command("ffmpeg", {
    args: [
      "-v",
      "error",
      "-i",
      INPUT,
      "-c",
      "copy",
      "-f",
      format,
      "-y",
      "/dev/null",
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
}

async function processStart(): Promise<void> {
  await new Deno.Command("ffmpeg", { args: ["-version"], stdout: "null" })
    .output();
}

const mb = (flv.length / 1e6).toFixed(1);

Deno.bench({
  name: `MpegTsMuxer: frames → TS (${mb} MB FLV input)`,
  group: "ts",
  baseline: true,
  fn: () => void muxTs(frames),
});
Deno.bench({
  name: "readFlvFile + MpegTsMuxer: FLV bytes → TS",
  group: "ts",
  fn: () => void muxTs(readFlvFile(flv).frames),
});
Deno.bench({
  name: "ffmpeg -c copy -f mpegts (process, demux, mux)",
  group: "ts",
  fn: () => ffmpegCopy("mpegts"),
});

Deno.bench({
  name: `FlvMuxer: frames → FLV tags (${mb} MB FLV input)`,
  group: "flv",
  baseline: true,
  fn: () => void muxFlv(frames),
});
Deno.bench({
  name: "readFlvFile + FlvMuxer: FLV bytes → FLV",
  group: "flv",
  fn: () => void muxFlv(readFlvFile(flv).frames),
});
Deno.bench({
  name: "ffmpeg -c copy -f flv (process, demux, mux)",
  group: "flv",
  fn: () => ffmpegCopy("flv"),
});

Deno.bench({
  name: "ffmpeg -version (process start only)",
  group: "process",
  fn: processStart,
});

// Report mode: medians of repeated runs, printed as the table kept in
// bench/results/ts_flv.md. The machine is shared, so CPU time (user + system)
// is the figure to compare; wall time is listed too. For ffmpeg, CPU time comes
// from /usr/bin/time, and the CPU time of an ffmpeg run that does nothing
// (process start, library load) is subtracted in the "mux only" row.
//
//   BENCH_REPORT=1 deno run --allow-all bench/mux_ts_flv_bench.ts
if (Deno.env.get("BENCH_REPORT") === "1") {
  const { cpuUsage } = await import("node:process");
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1]!;
  const ours = (fn: () => void, runs = 15) => {
    fn(); // warm up
    const cpu: number[] = [];
    const wall: number[] = [];
    for (let i = 0; i < runs; i++) {
      const c = cpuUsage();
      const t = performance.now();
      fn();
      wall.push(performance.now() - t);
      const d = cpuUsage(c);
      cpu.push((d.user + d.system) / 1000);
    }
    return { cpu: median(cpu), wall: median(wall) };
  };
  const ffmpeg = async (args: string[], runs = 7) => {
    const cpu: number[] = [];
    const wall: number[] = [];
    for (let i = 0; i < runs; i++) {
      const out = await new Deno.Command("/usr/bin/time", {
        args: ["-f", "%e %U %S", "ffmpeg", "-v", "error", ...args],
        stdout: "null",
        stderr: "piped",
      }).output();
      const last = new TextDecoder().decode(out.stderr).trim().split("\n").at(
        -1,
      )!;
      const [e, u, s] = last.split(" ").map(Number);
      wall.push(e! * 1000);
      cpu.push((u! + s!) * 1000);
    }
    return { cpu: median(cpu), wall: median(wall) };
  };
  const copy = (
    format: string,
  ) => ["-i", INPUT, "-c", "copy", "-f", format, "-y", "/dev/null"];
  const idle = await ffmpeg([
    "-f",
    "lavfi",
    "-i",
    "nullsrc=d=0.04",
    "-f",
    "null",
    "-y",
    "/dev/null",
  ]);
  const rows: [string, { cpu: number; wall: number }][] = [
    ["MpegTsMuxer (frames → TS, in memory)", ours(() => void muxTs(frames))],
    [
      "readFlvFile + MpegTsMuxer (FLV bytes → TS)",
      ours(() => void muxTs(readFlvFile(flv).frames)),
    ],
    [
      "FlvMuxer (frames → FLV, one mux() per frame)",
      ours(() => void muxFlv(frames)),
    ],
    [
      "readFlvFile + FlvMuxer (FLV bytes → FLV)",
      ours(() => void muxFlv(readFlvFile(flv).frames)),
    ],
  ];
  for (const format of ["mpegts", "flv"]) {
    const r = await ffmpeg(copy(format));
    rows.push([`ffmpeg -c copy -f ${format} (whole process)`, r]);
    rows.push([`ffmpeg -c copy -f ${format} (minus idle ffmpeg run)`, {
      cpu: Math.max(1, r.cpu - idle.cpu),
      wall: Math.max(1, r.wall - idle.wall),
    }]);
  }
  const rate = (ms: number) => (flv.length / 1e6 / (ms / 1000)).toFixed(0);
  const lines = [
    `input: ${
      (flv.length / 1e6).toFixed(1)
    } MB FLV, ${frames.length} frames; idle ffmpeg run: ${
      idle.cpu.toFixed(0)
    } ms CPU`,
    "",
    "| path | CPU ms | MB/s by CPU | wall ms | MB/s by wall |",
    "| --- | ---: | ---: | ---: | ---: |",
  ];
  for (const [name, m] of rows) {
    lines.push(
      `| ${name} | ${m.cpu.toFixed(0)} | ${rate(m.cpu)} | ${
        m.wall.toFixed(0)
      } | ${rate(m.wall)} |`,
    );
  }
  // deno-lint-ignore no-console
  console.log(lines.join("\n"));
}
