/**
 * ffmpeg command lines for the jobs: an H.264 rendition
 * ({@linkcode renditionArgs}), a whole ladder in one process
 * ({@linkcode ladderArgs}), an audio bridge ({@linkcode audioBridgeArgs})
 * and a thumbnail ({@linkcode thumbnailArgs}).
 *
 * Every job reads one container on stdin (`pipe:0`) and writes one on
 * stdout (`pipe:1`; a ladder one per rendition, to the URLs given); progress goes to stderr as `key=value` lines
 * (`-progress pipe:2`). Timestamps are kept (`-copyts`, passthrough frame
 * timing, the demuxer's time base for the encoder), so a rendition's frames
 * carry the source's PTS; keyframes are forced where the source has them
 * (`-force_key_frames source`, no scene-cut or periodic keyframes of the
 * encoder's own), so every rendition can cut segments at the same PTS.
 *
 * Data path: pure functions building `string[]`; nothing is retained.
 *
 * @module
 */
import type { PlannedRendition } from "./ladder.ts";

/**
 * Containers the transcoder can write to ffmpeg and read back.
 *
 * @example
 * ```ts
 * import type { PipeFormat } from "@arcly/stream/transcode";
 * const format: PipeFormat = "flv";
 * ```
 */
export type PipeFormat = "flv" | "mpegts";

/**
 * Options shared by the argument builders.
 *
 * @example
 * ```ts
 * import type { FfmpegArgsOptions } from "@arcly/stream/transcode";
 * const options: FfmpegArgsOptions = { input: "flv", output: "flv", preset: "veryfast" };
 * ```
 */
export interface FfmpegArgsOptions {
  /** Container written to ffmpeg's stdin (default flv). */
  input?: PipeFormat;
  /** Container read from ffmpeg's stdout (default flv). */
  output?: PipeFormat;
  /** x264 preset (default `veryfast`). */
  preset?: string;
  /** Encoder threads per ffmpeg (default 0: ffmpeg decides). */
  threads?: number;
  /**
   * A rendition's audio: `copy` (default: ffmpeg copies it into its
   * output) or `none` (ffmpeg gets and makes video only; the caller merges
   * the source's audio back, `FfmpegTranscoder`'s `bypass: "audio"`).
   */
  audio?: "copy" | "none";
}

/** Input side: low probing (the pipe starts at a keyframe with configs), kept timestamps. */
function inputArgs(format: PipeFormat): string[] {
  return [
    "-hide_banner",
    "-nostdin",
    "-nostats",
    "-loglevel",
    "error",
    // One progress block a second (ffmpeg's default is two): each block is
    // a wake-up of ours to read stderr.
    "-stats_period",
    "1",
    "-progress",
    "pipe:2",
    "-copyts",
    "-probesize",
    "32768",
    "-analyzeduration",
    "0",
    "-f",
    format,
    "-i",
    "pipe:0",
  ];
}

function outputArgs(format: PipeFormat): string[] {
  return ["-flush_packets", "1", "-f", format, "pipe:1"];
}

/**
 * The command line of one H.264 rendition: scaled to the planned size,
 * `-tune zerolatency` (no B-frames, no lookahead), keyframes only where the
 * source has them, audio copied (or left out: `audio: "none"`).
 *
 * @param rendition the planned rendition
 * @param options formats, preset, threads
 * @returns the ffmpeg arguments
 *
 * @example
 * ```ts
 * import { renditionArgs } from "@arcly/stream/transcode";
 * import assert from "node:assert/strict";
 * const args = renditionArgs({ name: "480p", width: 854, height: 480, videoBitrate: 1_200_000 });
 * assert.ok(args.includes("scale=854:480"));
 * assert.ok(args.includes("source"));
 * ```
 */
export function renditionArgs(
  rendition: PlannedRendition,
  options: FfmpegArgsOptions = {},
): string[] {
  return [
    ...inputArgs(options.input ?? "flv"),
    "-map",
    "0:v:0",
    ...(options.audio === "none"
      ? ["-an"]
      : ["-map", "0:a:0?", "-c:a", "copy"]),
    ...videoArgs(rendition, options),
    ...outputArgs(options.output ?? "flv"),
  ];
}

/**
 * The command line of a whole ladder in ONE ffmpeg: FLV video on stdin,
 * decoded once (every output maps the same input stream, so ffmpeg decodes
 * it once and hands each decoded picture to every output's scaler), one
 * H.264 encoder per rendition (as {@linkcode renditionArgs} with
 * `audio: "none"`), each written as FLV to its own URL (ffmpeg has one
 * stdout: `unix:/path.sock`, one socket per rendition). Keyframes are forced
 * at the source's keyframes in every output, so all renditions cut segments
 * at the same PTS.
 *
 * @param renditions the planned renditions, in output order
 * @param outputs one ffmpeg output URL per rendition (same order)
 * @param options preset, threads (the formats are FLV)
 * @returns the ffmpeg arguments
 *
 * @example
 * ```ts
 * import { ladderArgs } from "@arcly/stream/transcode";
 * import assert from "node:assert/strict";
 * const args = ladderArgs([
 *   { name: "480p", width: 854, height: 480, videoBitrate: 1_200_000 },
 *   { name: "240p", width: 426, height: 240, videoBitrate: 400_000 },
 * ], ["unix:/tmp/x/0.sock", "unix:/tmp/x/1.sock"]);
 * assert.equal(args.filter((a) => a === "pipe:0").length, 1);
 * assert.ok(args.includes("unix:/tmp/x/1.sock"));
 * ```
 */
export function ladderArgs(
  renditions: readonly PlannedRendition[],
  outputs: readonly string[],
  options: Omit<FfmpegArgsOptions, "input" | "output" | "audio"> & {
    /** Write every packet at once (default) or when ffmpeg's 32 KiB output buffer is full. */
    flushPackets?: boolean;
  } = {},
): string[] {
  const args = inputArgs("flv");
  renditions.forEach((rendition, i) => {
    args.push(
      "-map",
      "0:v:0",
      "-an",
      ...videoArgs(rendition, options),
      "-flush_packets",
      options.flushPackets === false ? "0" : "1",
      "-f",
      "flv",
      outputs[i] ?? `pipe:${i + 1}`,
    );
  });
  return args;
}

/** One rendition's video: scaled, encoded, keyframes at the source's. */
function videoArgs(
  rendition: PlannedRendition,
  options: FfmpegArgsOptions,
): string[] {
  const rate = rendition.videoBitrate;
  return [
    "-vf",
    `scale=${rendition.width}:${rendition.height}`,
    "-c:v",
    "libx264",
    "-preset",
    options.preset ?? "veryfast",
    "-tune",
    "zerolatency",
    "-profile:v",
    "high",
    "-pix_fmt",
    "yuv420p",
    "-b:v",
    String(rate),
    "-maxrate",
    String(Math.round(rate * 1.2)),
    "-bufsize",
    String(rate * 2),
    "-threads",
    String(options.threads ?? 0),
    "-force_key_frames",
    "source",
    "-sc_threshold",
    "0",
    "-g",
    "100000",
    "-fps_mode",
    "passthrough",
    "-enc_time_base:v",
    "-1",
  ];
}

/**
 * The command line of an audio bridge: the video copied, the audio
 * re-encoded to Opus (48 kHz, for WebRTC) or AAC-LC (for HLS/FLV/RTMP).
 *
 * @param target the output audio codec
 * @param options formats (Opus output needs `output: "mpegts"`; Opus input `input: "mpegts"`)
 * @returns the ffmpeg arguments
 *
 * @example
 * ```ts
 * import { audioBridgeArgs } from "@arcly/stream/transcode";
 * import assert from "node:assert/strict";
 * assert.ok(audioBridgeArgs("opus", { output: "mpegts" }).includes("libopus"));
 * ```
 */
export function audioBridgeArgs(
  target: "opus" | "aac",
  options: FfmpegArgsOptions = {},
): string[] {
  const audio = target === "opus"
    ? [
      "-c:a",
      "libopus",
      "-ar",
      "48000",
      "-b:a",
      "96000",
      "-application",
      "lowdelay",
      "-frame_duration",
      "20",
    ]
    : ["-c:a", "aac", "-b:a", "128000"];
  return [
    ...inputArgs(options.input ?? "flv"),
    "-map",
    "0:v:0?",
    "-map",
    "0:a:0",
    "-c:v",
    "copy",
    ...audio,
    ...outputArgs(options.output ?? "flv"),
  ];
}

/**
 * The command line of a thumbnail: decode the first video frame, scale it
 * to at most `maxHeight` lines (never up), write one JPEG.
 *
 * @param options input format and the largest height (default 360)
 * @returns the ffmpeg arguments
 *
 * @example
 * ```ts
 * import { thumbnailArgs } from "@arcly/stream/transcode";
 * import assert from "node:assert/strict";
 * assert.ok(thumbnailArgs().includes("mjpeg"));
 * ```
 */
export function thumbnailArgs(
  options: { input?: PipeFormat; maxHeight?: number } = {},
): string[] {
  const h = options.maxHeight ?? 360;
  return [
    "-hide_banner",
    "-nostdin",
    "-loglevel",
    "error",
    "-f",
    options.input ?? "mpegts",
    "-i",
    "pipe:0",
    "-frames:v",
    "1",
    "-vf",
    `scale=-2:'min(${h},ih)'`,
    "-q:v",
    "5",
    "-f",
    "image2",
    "-c:v",
    "mjpeg",
    "pipe:1",
  ];
}
