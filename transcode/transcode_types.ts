/**
 * The public types of {@linkcode TranscodeService} (its options, events and
 * per-derived-stream figures) and of {@linkcode FfmpegTranscoder} (its
 * options and output reader).
 *
 * @module
 */
import type { MediaFrame } from "../media/frame.ts";
import type { StreamHost } from "../src/mod.ts";
import type { PipeFormat } from "./ffmpeg_args.ts";
import type { FfmpegProgress } from "./ffmpeg_progress.ts";
import type { PlannedRendition, RenditionSpec } from "./ladder.ts";
import type { PipeTagCache } from "./pipe_tags.ts";

/**
 * What the service reports (to `onEvent`).
 *
 * @example
 * ```ts
 * import type { TranscodeEvent } from "@arcly/stream/transcode";
 * const e: TranscodeEvent = { type: "restarting", key: "live/cam~480p", attempt: 1, delayMs: 500, reason: "ffmpeg exited" };
 * ```
 */
export type TranscodeEvent =
  | { type: "started"; key: string; pid?: number | undefined }
  | {
    type: "restarting";
    key: string;
    attempt: number;
    delayMs: number;
    reason: string;
  }
  | { type: "stopped"; key: string; reason: string }
  | { type: "refused"; key: string; reason: string };

/**
 * Figures of one derived stream.
 *
 * @example
 * ```ts
 * import type { TranscodeStats } from "@arcly/stream/transcode";
 * const s: TranscodeStats = { key: "live/cam~480p", source: "live/cam", variant: "480p", running: true,
 *   restarts: 0, droppedFrames: 0, queuedBytes: 0, framesOut: 0, startedAt: 0 };
 * ```
 */
export interface TranscodeStats {
  /** The derived key. */
  readonly key: string;
  /** The source key. */
  readonly source: string;
  /** `480p`, `opus`, `aac`. */
  readonly variant: string;
  /** True while an ffmpeg runs (false during a restart backoff). */
  readonly running: boolean;
  /** Restarts after crashes. */
  readonly restarts: number;
  /** Frames dropped because ffmpeg's stdin did not keep up. */
  readonly droppedFrames: number;
  /** Bytes waiting for ffmpeg's stdin. */
  readonly queuedBytes: number;
  /** Frames published into the derived stream. */
  readonly framesOut: number;
  /** Engine-clock ms when the job started. */
  readonly startedAt: number;
  /** ffmpeg's last progress report (speed, fps, bit rate). */
  readonly progress?: FfmpegProgress | undefined;
  /** ffmpeg's process id while running. */
  readonly pid?: number | undefined;
  /** The planned rendition (renditions only). */
  readonly rendition?: PlannedRendition | undefined;
}

/**
 * Options of {@linkcode TranscodeService}.
 *
 * @example
 * ```ts
 * import { parseLadder, type TranscodeServiceOptions } from "@arcly/stream/transcode";
 * import { Engine } from "@arcly/stream";
 * const options: TranscodeServiceOptions = { host: Engine.builder().build(), ladders: { live: parseLadder("480p,240p") } };
 * ```
 */
export interface TranscodeServiceOptions {
  /** The engine (or any `StreamHost`). */
  host: StreamHost;
  /** ABR ladder per application name; `"*"` applies to any other app. */
  ladders?: Readonly<Record<string, readonly RenditionSpec[]>>;
  /** `lazy` (default): renditions start with the source; `on-demand`: with their first viewer. */
  mode?: "lazy" | "on-demand";
  /** Most ffmpeg processes at once (default 4; a lazy ladder is one process, whatever its rungs). */
  maxTranscoders?: number;
  /** ffmpeg binary (default `ffmpeg`). */
  ffmpegPath?: string;
  /** x264 preset (default `veryfast`). */
  preset?: string;
  /** Encoder threads per ffmpeg (default 0: ffmpeg decides). */
  threads?: number;
  /** First restart delay, ms (default 500; doubles per crash). */
  restartBackoffMs?: number;
  /** Largest restart delay, ms (default 10,000). */
  maxRestartBackoffMs?: number;
  /** Bound of each stdin queue (default 8 MiB). */
  maxQueueBytes?: number;
  /** How far (media ms) an ffmpeg may fall behind before frames are dropped to the next keyframe (default 3000). */
  maxQueueMs?: number;
  /**
   * A lazy ladder's pipe I/O on a shared tick of this many ms: its ffmpeg's
   * stdin is written and its outputs are read at most once per tick,
   * several frames at a time, at the cost of up to one tick of latency each
   * way (half on average). Default 0: every frame as it comes (measured:
   * 50 ms added ~50 ms of latency and saved none of our CPU, while ffmpeg
   * took more; bench/RESULTS.md, eighth session).
   */
  ioIntervalMs?: number;
  /**
   * How a lazy ladder's ffmpeg output reaches us:
   * - `"ticked"` (the default when FFI is available: Linux with
   *   `--allow-ffi`): ffmpeg writes every packet at once to libc TCP
   *   sockets on 127.0.0.1 that no epoll watches; we drain them (and send
   *   ffmpeg's input tail) once per `ladderTickMs`, so ffmpeg's ~75 writes/s
   *   of a 480p,360p,240p ladder cost one wake-up per tick instead of one
   *   each, at the cost of up to one tick of latency (half on average);
   * - `"packet"` (the default without FFI): Deno's sockets, every packet
   *   read as soon as it is written;
   * - `"buffered"`: ffmpeg's 32 KiB output buffer: ~10 socket writes/s
   *   instead of ~75, at the cost of up to 32 KiB of latency per rendition,
   *   ~0.2 s at 1.2 Mbit/s and ~0.65 s at 400 kbit/s.
   *
   * Figures: bench/RESULTS.md, ninth and tenth sessions. `"ticked"` asked
   * for without FFI throws when the ladder starts.
   */
  ladderOutput?: "packet" | "buffered" | "ticked" | undefined;
  /** The tick of `ladderOutput: "ticked"`, ms (default 40). */
  ladderTickMs?: number | undefined;
  /** MPEG-TS reader for Opus outputs (the `~opus` bridge), e.g. `() => new MpegTsDemuxer()`. */
  createTsReader?: () => FrameReader;
  /** Every service event. */
  onEvent?: (event: TranscodeEvent) => void;
}

/**
 * Parses ffmpeg's stdout into frames (our `FlvReader` satisfies it; an
 * MPEG-TS demuxer with the same `push` does too).
 *
 * @example
 * ```ts
 * import { FlvReader } from "@arcly/stream/flv";
 * import type { FrameReader } from "@arcly/stream/transcode";
 * const reader: FrameReader = new FlvReader();
 * ```
 */
export interface FrameReader {
  /** Parse a chunk; return the frames it completed. */
  push(chunk: Uint8Array): MediaFrame[];
}

/**
 * Options of {@linkcode FfmpegTranscoder}.
 *
 * @example
 * ```ts
 * import { type FfmpegTranscoderOptions, renditionArgs } from "@arcly/stream/transcode";
 * const options: FfmpegTranscoderOptions = {
 *   name: "live/cam~480p",
 *   args: renditionArgs({ name: "480p", width: 854, height: 480, videoBitrate: 1_200_000 }),
 * };
 * ```
 */
export interface FfmpegTranscoderOptions {
  /** Name used in errors and events (the derived key). */
  name: string;
  /** ffmpeg arguments (see `renditionArgs`, `audioBridgeArgs`). */
  args: readonly string[];
  /** Container written to stdin; must match the args (default flv). */
  input?: PipeFormat;
  /** Container read from stdout; must match the args (default flv). */
  output?: PipeFormat;
  /** Reader of stdout (required for `output: "mpegts"`; default `FlvReader`). */
  createReader?: () => FrameReader;
  /** ffmpeg binary (default `ffmpeg`, found on PATH). */
  ffmpegPath?: string;
  /** Bound of the stdin queue in bytes (default 8 MiB). */
  maxQueueBytes?: number;
  /** Bound of the stdin queue in media time, ms (default 3000): how far ffmpeg may fall behind. */
  maxQueueMs?: number;
  /** Frames arriving within this many ms go to ffmpeg in one write (default 0: written as they arrive). */
  coalesceMs?: number;
  /**
   * Frames of this kind do not go through ffmpeg: they are merged back
   * into its output unchanged, by decode time (a rendition's audio, which
   * ffmpeg would only copy; the args must then not map that kind, e.g.
   * `renditionArgs(r, { audio: "none" })`). Default: everything goes
   * through ffmpeg.
   */
  bypass?: "audio" | "video";
  /** Every progress snapshot. */
  onProgress?: (progress: FfmpegProgress) => void;
  /**
   * FLV tags for stdin shared with other transcoders fed the same frames
   * (a {@linkcode TranscodeService} passes its own to every rendition);
   * default: a cache of this transcoder's own.
   */
  tags?: PipeTagCache;
}
