/**
 * {@linkcode FfmpegTranscoder}: the kernel's `Transcoder` contract carried
 * out by an ffmpeg child process (`Deno.Command`; the permission can be
 * scoped: `--allow-run=ffmpeg`).
 *
 * Data path: input frames are pulled from the input stream as fast as it
 * yields them, serialized once into FLV (`FlvMuxer`) or MPEG-TS
 * (`MpegTsMuxer`) and queued for ffmpeg's stdin, bounded by
 * `maxQueueBytes` and `maxQueueMs` of media: when ffmpeg cannot keep up
 * (slower than real time), frames are dropped up to the
 * next keyframe and counted (`droppedFrames`), never buffered without
 * bound. ffmpeg's stdout is read only when the output stream is pulled
 * (back-pressure reaches ffmpeg through the pipe) and parsed by our
 * `FlvReader` (or the caller's reader for MPEG-TS) into new frames whose
 * `data` are views of the chunk read (read into one reused buffer, copied
 * out at its size into a slab shared by the reads of the run). stderr is
 * parsed for progress (speed, fps, bit rate) and the last error lines. With `bypass` (renditions: their
 * audio), frames of one kind skip ffmpeg altogether and are merged back
 * into its output by decode time (a bounded queue of references).
 *
 * One `transform()` call is one ffmpeg run. It ends when the input ends
 * (stdin closed, ffmpeg flushes and exits) or the signal aborts (ffmpeg is
 * killed); a non-zero exit makes the output stream error with a
 * `StreamError` (`Protocol`), which is what a supervisor restarts on.
 *
 * @module
 */
import type { MediaFrame } from "../media/frame.ts";
import { StreamError } from "../media/stream_error.ts";
import type { Transcoder } from "../src/mod.ts";
import {
  type FfmpegProgress,
  FfmpegProgressParser,
} from "./ffmpeg_progress.ts";
import type { StdinFeeder } from "./_stdin_feeder.ts";
import type { BypassMerger } from "./_bypass_merger.ts";
import { runFfmpeg } from "./_ffmpeg_run.ts";
import type { FrameBatches, FramePoll } from "./frame_batches.ts";
import type { FfmpegTranscoderOptions } from "./transcode_types.ts";

/**
 * A `Transcoder` running ffmpeg once per `transform()`.
 *
 * @example Skip when ffmpeg is absent; otherwise pass AAC frames through `-c copy`
 * ```ts
 * import { FfmpegTranscoder } from "@arcly/stream/transcode";
 * import assert from "node:assert/strict";
 *
 * const transcoder = new FfmpegTranscoder({ name: "copy", args: [
 *   "-loglevel", "error", "-f", "flv", "-i", "pipe:0", "-c", "copy", "-f", "flv", "pipe:1"] });
 * assert.equal(transcoder.name, "copy");
 * assert.equal(transcoder.droppedFrames, 0);
 * ```
 */
export class FfmpegTranscoder implements Transcoder {
  /** The name given in the options. */
  readonly name: string;
  #options: FfmpegTranscoderOptions;
  #feeder: StdinFeeder | undefined;
  #bypass: BypassMerger | undefined;
  #progress = new FfmpegProgressParser();
  #pid: number | undefined;

  /**
   * Configure the run (nothing starts before `transform()`).
   *
   * @param options arguments, formats, bounds
   */
  constructor(options: FfmpegTranscoderOptions) {
    if (options.output === "mpegts" && !options.createReader) {
      throw new StreamError(
        "InvalidInput",
        `Cannot transcode ${options.name}: an MPEG-TS output needs createReader`,
      );
    }
    this.name = options.name;
    this.#options = options;
  }

  /** Frames dropped because ffmpeg's stdin did not keep up. */
  get droppedFrames(): number {
    return (this.#feeder?.dropped ?? 0) + (this.#bypass?.dropped ?? 0);
  }

  /** Bytes waiting for ffmpeg's stdin. */
  get queuedBytes(): number {
    return this.#feeder?.queuedBytes ?? 0;
  }

  /** The last progress snapshot of the current run. */
  get progress(): FfmpegProgress | undefined {
    return this.#progress.last;
  }

  /** The process id of the running ffmpeg, if any (for CPU accounting, tests). */
  get pid(): number | undefined {
    return this.#pid;
  }

  /**
   * Start ffmpeg and return its output frames.
   *
   * @param input the source frames (a config frame and a keyframe first)
   * @param signal aborts the run (ffmpeg is killed, the output closes)
   * @returns the transcoded frames
   * @throws {StreamError} `Unsupported` when ffmpeg cannot be started
   */
  transform(
    input: ReadableStream<MediaFrame>,
    signal: AbortSignal,
  ): ReadableStream<MediaFrame> {
    const batches = this.transformBatches(input, signal).getReader();
    return new ReadableStream<MediaFrame>({
      pull: async (controller) => {
        const { value, done } = await batches.read();
        if (done) controller.close();
        else for (const frame of value) controller.enqueue(frame);
      },
      cancel: (reason) => batches.cancel(reason),
    }, { highWaterMark: 0 });
  }

  /**
   * {@linkcode FfmpegTranscoder.transform}, one array per read of ffmpeg's
   * output (a video frame and the bypassed frames merged before it): one
   * stream hop per read instead of one per frame. Never an empty array.
   *
   * @example Skip when ffmpeg is absent; otherwise read batches
   * ```ts
   * import { FfmpegTranscoder } from "@arcly/stream/transcode";
   * import assert from "node:assert/strict";
   *
   * const transcoder = new FfmpegTranscoder({ name: "copy", args: ["-version"] });
   * assert.equal(typeof transcoder.transformBatches, "function");
   * ```
   *
   * @param input the source frames (a config frame and a keyframe first)
   * @param signal aborts the run (ffmpeg is killed, the output closes)
   * @returns the transcoded frames, in batches
   * @throws {StreamError} `Unsupported` when ffmpeg cannot be started
   */
  transformBatches(
    input: ReadableStream<MediaFrame>,
    signal: AbortSignal,
  ): ReadableStream<MediaFrame[]> {
    const run = this.open(input, signal);
    return new ReadableStream<MediaFrame[]>({
      pull: async (controller) => {
        const batch = await run.next();
        if (batch === null) controller.close();
        else controller.enqueue(batch);
      },
      cancel: () => run.cancel(),
    }, { highWaterMark: 0 });
  }

  /**
   * {@linkcode FfmpegTranscoder.transformBatches} without a stream around
   * the output (one promise per read of ffmpeg's stdout) and, when `input`
   * is a subscription ({@linkcode FramePoll}), without one around the input
   * either: frames are taken in batches, one wake-up per publish. The run
   * closes the subscription when it ends. A non-zero exit of ffmpeg makes
   * `next()` reject with a `StreamError` (`Protocol`).
   *
   * @example Skip when ffmpeg is absent; otherwise read batches
   * ```ts
   * import { FfmpegTranscoder } from "@arcly/stream/transcode";
   * import assert from "node:assert/strict";
   *
   * const transcoder = new FfmpegTranscoder({ name: "copy", args: ["-version"] });
   * assert.equal(typeof transcoder.open, "function");
   * ```
   *
   * @param input the source frames: a subscription or a stream
   * @param signal aborts the run (ffmpeg is killed, `next()` ends)
   * @returns the transcoded frames, in batches
   * @throws {StreamError} `Unsupported` when ffmpeg cannot be started
   */
  open(
    input: ReadableStream<MediaFrame> | FramePoll,
    signal: AbortSignal,
  ): FrameBatches {
    const o = this.#options;
    const command = o.ffmpegPath ?? "ffmpeg";
    if (!runGranted(command)) {
      throw new StreamError(
        "Unsupported",
        `Cannot start ffmpeg for ${o.name}: no permission to run ${command} (--allow-run=${command})`,
      );
    }
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(command, {
        args: [...o.args],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
    } catch (error) {
      throw new StreamError(
        "Unsupported",
        `Cannot start ffmpeg for ${o.name}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    this.#pid = child.pid;
    const progress = new FfmpegProgressParser();
    this.#progress = progress;
    return runFfmpeg(o, child, progress, input, signal, (parts) => {
      this.#feeder = parts.feeder;
      this.#bypass = parts.bypass;
    }, () => {
      if (this.#progress === progress) this.#pid = undefined;
    });
  }
}

/**
 * Whether running `command` is granted already: never prompt (a prompt on a
 * terminal would hold the request that wanted a transcode).
 *
 * @param command the binary (`ffmpeg`)
 * @returns true when `--allow-run` covers it
 *
 * @example
 * ```ts
 * import { runGranted } from "@arcly/stream/transcode";
 * import assert from "node:assert/strict";
 * assert.equal(typeof runGranted("ffmpeg"), "boolean");
 * ```
 */
export function runGranted(command: string): boolean {
  try {
    return Deno.permissions.querySync({ name: "run", command }).state ===
      "granted";
  } catch {
    return false;
  }
}
