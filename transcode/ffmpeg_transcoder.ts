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
import { FlvReader } from "../media/flv/mod.ts";
import type { MediaFrame } from "../media/frame.ts";
import { StreamError } from "../media/stream_error.ts";
import type { Transcoder } from "../src/mod.ts";
import type { PipeFormat } from "./ffmpeg_args.ts";
import {
  type FfmpegProgress,
  FfmpegProgressParser,
} from "./ffmpeg_progress.ts";
import { StdinFeeder } from "./_stdin_feeder.ts";
import type { PipeTagCache } from "./pipe_tags.ts";
import { BypassMerger } from "./_bypass_merger.ts";
import { ByteSlab } from "../src/byte_slab.ts";

/** The reused stdout read buffer (a pipe holds 64 KiB). */
const READ_BUFFER_BYTES = 64 << 10;
/** Each read is copied out into views of slabs this large (a `ByteSlab`). */
const OUTPUT_SLAB_BYTES = 256 << 10;

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
    this.#progress = new FfmpegProgressParser();
    const feeder = new StdinFeeder(
      o.input ?? "flv",
      o.maxQueueBytes ?? 8 << 20,
      o.maxQueueMs ?? 3000,
      o.tags,
    );
    this.#feeder = feeder;
    const bypass = o.bypass === undefined
      ? undefined
      : new BypassMerger(o.bypass);
    this.#bypass = bypass;
    let killed = false;
    const kill = () => {
      if (killed) return;
      killed = true;
      feeder.close();
      try {
        child.kill("SIGKILL");
      } catch { /* already exited */ }
    };
    const onAbort = () => kill();
    signal.addEventListener("abort", onAbort, { once: true });
    if (signal.aborted) kill();

    // stdin: pull the input eagerly into the bounded queue; write batches.
    const inputReader = input.getReader();
    const pullInput = (async () => {
      try {
        while (!killed) {
          const { value, done } = await inputReader.read();
          if (done) break;
          if (bypass?.takes(value)) bypass.add(value);
          else feeder.push(value);
        }
      } catch { /* input errored: end the run like an end of input */ }
      feeder.close();
    })();
    const stdin = child.stdin.getWriter();
    const writeStdin = feeder.run(stdin, o.coalesceMs ?? 0).then(
      () => stdin.close(),
      () => {/* EPIPE: ffmpeg exited; its status tells why */},
    ).catch(() => {});

    // stderr: progress and errors.
    const readStderr = (async () => {
      for await (const chunk of child.stderr) {
        for (const p of this.#progress.push(chunk)) o.onProgress?.(p);
      }
    })().catch(() => {});

    const reader = o.createReader?.() ?? new FlvReader();
    // A BYOB reader into one reused buffer, each read copied out at its
    // exact size: a default reader allocates a fresh 64 KiB buffer per read
    // (ffmpeg flushes every packet: one read per frame), which cost page
    // faults and GC and kept 64 KiB alive per frame in the GOP cache.
    const stdout = child.stdout.getReader({ mode: "byob" });
    let scratch: Uint8Array<ArrayBuffer> = new Uint8Array(READ_BUFFER_BYTES);
    const slab = new ByteSlab(OUTPUT_SLAB_BYTES, {
      align: 8,
      ownAbove: OUTPUT_SLAB_BYTES >> 2,
    });
    const finish = async (): Promise<Deno.CommandStatus> => {
      signal.removeEventListener("abort", onAbort);
      feeder.close();
      inputReader.cancel().catch(() => {});
      const status = await child.status;
      await Promise.all([pullInput, writeStdin, readStderr]);
      this.#pid = undefined;
      return status;
    };
    return new ReadableStream<MediaFrame[]>({
      pull: async (controller) => {
        while (true) {
          let chunk: ReadableStreamReadResult<Uint8Array<ArrayBuffer>>;
          try {
            chunk = await stdout.read(scratch);
          } catch {
            chunk = { done: true } as ReadableStreamReadResult<
              Uint8Array<ArrayBuffer>
            >;
          }
          if (chunk.done) {
            const status = await finish();
            if (status.success && bypass) {
              const rest: MediaFrame[] = [];
              bypass.drain(rest);
              if (rest.length > 0) controller.enqueue(rest);
            }
            if (!status.success && !killed) {
              const why = this.#progress.errors.at(-1) ?? "no error output";
              controller.error(
                new StreamError(
                  "Protocol",
                  `Cannot transcode ${o.name}: ffmpeg exited with ${
                    status.signal ?? `code ${status.code}`
                  } (${why})`,
                ),
              );
            } else controller.close();
            return;
          }
          const got = chunk.value;
          scratch = new Uint8Array(got.buffer); // transferred back: reuse
          let frames: MediaFrame[];
          try {
            frames = reader.push(slab.place(got));
          } catch (error) {
            kill();
            await finish();
            controller.error(error);
            return;
          }
          if (frames.length > 0) {
            feeder.armTimeBound();
            if (bypass) {
              const merged: MediaFrame[] = [];
              for (const frame of frames) bypass.merge(frame, merged);
              frames = merged;
            }
            controller.enqueue(frames);
            return;
          }
        }
      },
      cancel: async () => {
        kill();
        await stdout.cancel().catch(() => {});
        await finish();
      },
    }, { highWaterMark: 0 });
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
