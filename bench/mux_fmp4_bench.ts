// fMP4 mux throughput: Fmp4Muxer vs `ffmpeg -c copy -f mp4 -movflags
// frag_keyframe+empty_moov` on the same FLV input (H.264 High with B-frames +
// AAC, 30 s 1280x720 at ~6 Mb/s, made once into bench/.scratch/fmp4/).
// Throughput = input FLV bytes / time per iteration; see bench/results/fmp4.md.
//
//   deno bench --allow-all bench/mux_fmp4_bench.ts
import type { MediaFrame } from "../media/frame.ts";
import { readFlvFile } from "../media/flv/mod.ts";
import { Fmp4Muxer } from "../media/fmp4/mod.ts";

const INPUT = new URL("./.scratch/fmp4/input.flv", import.meta.url).pathname;

async function ensureInput(): Promise<Uint8Array> {
  try {
    return await Deno.readFile(INPUT);
  } catch {
    const out = await new Deno.Command("ffmpeg", {
      args: [
        ...[
          "-v",
          "error",
          "-y",
          "-f",
          "lavfi",
          "-i",
          "testsrc2=size=1280x720:rate=30:duration=30",
        ],
        ...[
          "-f",
          "lavfi",
          "-i",
          "sine=frequency=440:sample_rate=48000:duration=30",
        ],
        ...[
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
        ],
        ...[
          "-pix_fmt",
          "yuv420p",
          "-c:a",
          "aac",
          "-b:a",
          "128k",
          "-f",
          "flv",
          INPUT,
        ],
      ],
    }).output();
    if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
    return await Deno.readFile(INPUT);
  }
}

const flv = await ensureInput();
const frames = readFlvFile(flv).frames.filter((f) => f.kind !== "data");

/** Mux all frames into fragments cut at video keyframes; returns the output size. */
function muxAll(all: readonly MediaFrame[]): number {
  const muxer = new Fmp4Muxer();
  const media: MediaFrame[] = [];
  for (const f of all) {
    if (f.config) muxer.configure(f);
    else media.push(f);
  }
  let bytes = muxer.initSegment()!.length;
  let start = 0;
  for (let i = 1; i <= media.length; i++) {
    const f = media[i];
    if (f === undefined || (f.kind === "video" && f.keyframe)) {
      bytes += muxer.mux(
        media.slice(start, i),
        f === undefined ? {} : { nextDts: f.dts },
      ).length;
      start = i;
    }
  }
  return bytes;
}

Deno.bench({
  name: `Fmp4Muxer: mux ${
    (flv.length / 1e6).toFixed(1)
  } MB (frames already parsed)`,
  group: "fmp4 mux",
  baseline: true,
  fn() {
    muxAll(frames);
  },
});

Deno.bench({
  name: "Fmp4Muxer: readFlvFile + mux (same work as ffmpeg)",
  group: "fmp4 mux",
  fn() {
    muxAll(readFlvFile(flv).frames);
  },
});

Deno.bench({
  name:
    "ffmpeg -c copy -f mp4 -movflags frag_keyframe+empty_moov (process, file in, /dev/null out)",
  group: "fmp4 mux",
  async fn() {
    const out = await new Deno.Command("ffmpeg", {
      args: [
        ...["-v", "error", "-y", "-i", INPUT, "-c", "copy", "-f", "mp4"],
        ...["-movflags", "frag_keyframe+empty_moov", "/dev/null"],
      ],
      stdout: "null",
      stderr: "null",
    }).output();
    if (!out.success) throw new Error("ffmpeg failed");
  },
});

Deno.bench({
  name: "ffmpeg -version (process start-up cost, subtract from the line above)",
  group: "fmp4 mux",
  async fn() {
    await new Deno.Command("ffmpeg", {
      args: ["-version"],
      stdout: "null",
      stderr: "null",
    }).output();
  },
});

/** Median of `runs` timings of `fn`, in ms. */
async function medianMs(runs: number, fn: () => unknown): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}

/** ffmpeg's own `-benchmark` rtime (the remux loop, without process start-up), in ms. */
async function ffmpegRtimeMs(): Promise<number> {
  const out = await new Deno.Command("ffmpeg", {
    args: [
      ...[
        "-hide_banner",
        "-nostats",
        "-benchmark",
        "-y",
        "-i",
        INPUT,
        "-c",
        "copy",
        "-f",
        "mp4",
      ],
      ...["-movflags", "frag_keyframe+empty_moov", "/dev/null"],
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) +
    new TextDecoder().decode(out.stderr);
  const match = /rtime=([\d.]+)s/.exec(text);
  if (match === null) throw new Error(`no rtime in ffmpeg output: ${text}`);
  return Number(match[1]) * 1000;
}

// `deno run --allow-all bench/mux_fmp4_bench.ts` prints MB/s side by side (Deno.bench is a no-op there).
if (import.meta.main) {
  const mb = flv.length / 1e6;
  const runs = 21;
  for (let i = 0; i < 3; i++) muxAll(readFlvFile(flv).frames); // warm-up
  const muxOnly = await medianMs(runs, () => muxAll(frames));
  const demuxMux = await medianMs(runs, () => muxAll(readFlvFile(flv).frames));
  const rtimes: number[] = [];
  for (let i = 0; i < runs; i++) rtimes.push(await ffmpegRtimeMs());
  const ffmpegLoop = rtimes.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
  const ffmpegWall = await medianMs(runs, () =>
    new Deno.Command("ffmpeg", {
      args: [
        "-v",
        "error",
        "-y",
        "-i",
        INPUT,
        "-c",
        "copy",
        "-f",
        "mp4",
        "-movflags",
        "frag_keyframe+empty_moov",
        "/dev/null",
      ],
    }).output());
  const row = (name: string, ms: number) =>
    `| ${name} | ${ms.toFixed(1)} | ${(mb / (ms / 1000)).toFixed(0)} |`;
  const lines = [
    `input: ${INPUT.split("/").slice(-3).join("/")}, ${
      mb.toFixed(1)
    } MB, ${frames.length} frames; median of ${runs}`,
    "| case | ms | MB/s |",
    "| --- | ---: | ---: |",
    row("Fmp4Muxer.mux (frames parsed)", muxOnly),
    row("readFlvFile + Fmp4Muxer.mux", demuxMux),
    row(
      "ffmpeg -c copy frag_keyframe+empty_moov, -benchmark rtime",
      ffmpegLoop,
    ),
    row(
      "ffmpeg -c copy frag_keyframe+empty_moov, process wall time",
      ffmpegWall,
    ),
  ];
  Deno.stdout.writeSync(new TextEncoder().encode(lines.join("\n") + "\n"));
}
