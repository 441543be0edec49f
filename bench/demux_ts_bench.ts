// MPEG-TS demux throughput: MpegTsDemuxer vs `ffmpeg -c copy -f null` on the
// same TS (H.264 High with B-frames + AAC, 30 s 1280x720 at ~6 Mb/s, written
// by ffmpeg once into bench/.scratch/ts_demux/), beside the muxer's bench
// (bench/mux_ts_flv_bench.ts). Throughput = input TS bytes / time.
//
//   deno bench --allow-all bench/demux_ts_bench.ts
//   BENCH_REPORT=1 deno run --allow-all bench/demux_ts_bench.ts   (CPU-time table)
//
// Chunks of 1316 bytes (7 packets, one SRT/UDP datagram) model live ingest;
// the 64 KiB row models reading a file. The ffmpeg row spawns one process per
// iteration (demux + parse, no output); its process start is listed apart.
import { MpegTsDemuxer } from "../media/mpegts/mod.ts";

const DIR = new URL("./.scratch/ts_demux/", import.meta.url).pathname;
const INPUT = `${DIR}input.ts`;

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
        "mpegts",
        INPUT,
      ], // deno-fmt-ignore
    }).output();
    if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
    return await Deno.readFile(INPUT);
  }
}

const ts = await ensureInput();

/** Demux all of `ts` in `chunk`-byte pushes; returns the frame count. */
function demux(chunk: number): number {
  const demuxer = new MpegTsDemuxer();
  let frames = 0;
  for (let p = 0; p < ts.length; p += chunk) {
    frames += demuxer.push(ts.subarray(p, p + chunk)).length;
  }
  return frames + demuxer.flush().length;
}

const ffmpegArgs = [
  "-v",
  "error",
  "-i",
  INPUT,
  "-c",
  "copy",
  "-f",
  "null",
  "-",
];

async function ffmpegDemux(): Promise<void> {
  const out = await new Deno.Command("ffmpeg", {
    args: ffmpegArgs,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
}

const mb = (ts.length / 1e6).toFixed(1);

Deno.bench({
  name: `MpegTsDemuxer: ${mb} MB TS → frames, 1316-byte pushes`,
  group: "demux",
  baseline: true,
  fn: () => void demux(1316),
});
Deno.bench({
  name: "MpegTsDemuxer: 64 KiB pushes",
  group: "demux",
  fn: () => void demux(65536),
});
Deno.bench({
  name: "ffmpeg -c copy -f null (process, demux)",
  group: "demux",
  fn: ffmpegDemux,
});

if (Deno.env.get("BENCH_REPORT") === "1") {
  const { cpuUsage } = await import("node:process");
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1]!;
  const ours = (fn: () => void, runs = 11) => {
    fn(); // warm up
    const cpu: number[] = [];
    for (let i = 0; i < runs; i++) {
      const c = cpuUsage();
      fn();
      const d = cpuUsage(c);
      cpu.push((d.user + d.system) / 1000);
    }
    return median(cpu);
  };
  const ffmpegCpu = async (args: string[], runs = 7) => {
    const cpu: number[] = [];
    for (let i = 0; i < runs; i++) {
      const out = await new Deno.Command("/usr/bin/time", {
        args: ["-f", "%e %U %S", "ffmpeg", ...args],
        stdout: "null",
        stderr: "piped",
      }).output();
      const last = new TextDecoder().decode(out.stderr).trim().split("\n")
        .at(-1)!;
      const [, u, s] = last.split(" ").map(Number);
      cpu.push((u! + s!) * 1000);
    }
    return median(cpu);
  };
  const rate = (ms: number) => (ts.length / 1e6 / (ms / 1000)).toFixed(0);
  const small = ours(() => demux(1316));
  const large = ours(() => demux(65536));
  const idle = await ffmpegCpu(["-v", "error", "-version"]);
  const ff = await ffmpegCpu(ffmpegArgs);
  const frames = demux(65536);
  const rows = [
    ["MpegTsDemuxer, 1316-byte pushes", small],
    ["MpegTsDemuxer, 64 KiB pushes", large],
    ["ffmpeg -c copy -f null (whole process)", ff],
    ["ffmpeg, minus process start", Math.max(1, ff - idle)],
  ] as const;
  // deno-lint-ignore no-console -- report mode prints its table
  console.log(
    `input ${mb} MB, ${frames} frames\n\n| what | CPU ms | MB/s |\n| --- | ---: | ---: |\n` +
      rows.map(([n, ms]) => `| ${n} | ${ms.toFixed(0)} | ${rate(ms)} |`)
        .join("\n"),
  );
}
