// One ffmpeg run of an FfmpegTranscoder, without Web Streams of our own
// around it: input frames are taken from a subscription in batches
// (`takeAll()` after each `ready()`: one wake-up per publish, no stream read
// per frame) or, for any other caller, read from a ReadableStream; output
// batches are handed out by `next()` (one promise per stdout read, no
// ReadableStream/controller hop). Data path, bounds and error semantics are
// FfmpegTranscoder's (see its module comment): the stdin queue is bounded by
// bytes and media time, stdout is read only when `next()` is called, each
// read is copied out of one reused buffer into a slab shared by the run.
import { FlvReader } from "../media/flv/mod.ts";
import type { MediaFrame } from "../media/frame.ts";
import { StreamError } from "../media/stream_error.ts";
import { ByteSlab } from "../src/byte_slab.ts";
import type { FfmpegProgressParser } from "./ffmpeg_progress.ts";
import type { FrameBatches, FramePoll } from "./frame_batches.ts";
import type { FfmpegTranscoderOptions } from "./transcode_types.ts";
import { pullFrames, StdinFeeder } from "./_stdin_feeder.ts";
import { BypassMerger } from "./_bypass_merger.ts";

/** The reused stdout read buffer (a pipe holds 64 KiB). */
const READ_BUFFER_BYTES = 64 << 10;
/** Each read is copied out into views of slabs this large (a `ByteSlab`). */
const OUTPUT_SLAB_BYTES = 256 << 10;

/** What a run needs of `FfmpegTranscoderOptions` (see there). */
export type RunOptions = Omit<
  FfmpegTranscoderOptions,
  "args" | "output" | "ffmpegPath"
>;

/** The run's queues, reported to its transcoder (dropped counts, queued bytes). */
export interface RunParts {
  feeder: StdinFeeder;
  bypass: BypassMerger | undefined;
}

function isPoll(
  input: ReadableStream<MediaFrame> | FramePoll,
): input is FramePoll {
  return typeof (input as FramePoll).takeAll === "function";
}

/** Start ffmpeg (already spawned as `child`) and return its output batches. */
export function runFfmpeg(
  o: RunOptions,
  child: Deno.ChildProcess,
  progress: FfmpegProgressParser,
  input: ReadableStream<MediaFrame> | FramePoll,
  signal: AbortSignal,
  report: (parts: RunParts) => void,
  ended: () => void,
): FrameBatches {
  const feeder = new StdinFeeder(
    o.input ?? "flv",
    o.maxQueueBytes ?? 8 << 20,
    o.maxQueueMs ?? 3000,
    o.tags,
  );
  const bypass = o.bypass === undefined
    ? undefined
    : new BypassMerger(o.bypass);
  report({ feeder, bypass });
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

  const take = (frame: MediaFrame) => {
    if (bypass?.takes(frame)) bypass.add(frame);
    else feeder.push(frame);
  };
  // stdin: pull the input eagerly into the bounded queue; write batches.
  let closeInput: () => void;
  let pullInput: Promise<void>;
  if (isPoll(input)) {
    closeInput = () => input.close("transcoder run ended");
    pullInput = pullFrames(input, feeder, () => killed, take);
  } else {
    const inputReader = input.getReader();
    closeInput = () => void inputReader.cancel().catch(() => {});
    pullInput = (async () => {
      try {
        while (!killed) {
          const { value, done } = await inputReader.read();
          if (done) break;
          take(value);
        }
      } catch { /* input errored: end the run like an end of input */ }
      feeder.close();
    })();
  }
  const stdin = child.stdin.getWriter();
  const writeStdin = feeder.run(stdin, o.coalesceMs ?? 0).then(
    () => stdin.close(),
    () => {/* EPIPE: ffmpeg exited; its status tells why */},
  ).catch(() => {});

  // stderr: progress and errors.
  const readStderr = (async () => {
    for await (const chunk of child.stderr) {
      for (const p of progress.push(chunk)) o.onProgress?.(p);
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
  let finished: Promise<Deno.CommandStatus> | undefined;
  const finish = (): Promise<Deno.CommandStatus> =>
    finished ??= (async () => {
      signal.removeEventListener("abort", onAbort);
      feeder.close();
      closeInput();
      const status = await child.status;
      await Promise.all([pullInput, writeStdin, readStderr]);
      ended();
      return status;
    })();
  let done = false;
  const next = async (): Promise<MediaFrame[] | null> => {
    while (!done) {
      let chunk: ReadableStreamReadResult<Uint8Array<ArrayBuffer>>;
      try {
        chunk = await stdout.read(scratch);
      } catch {
        chunk = { done: true } as ReadableStreamReadResult<
          Uint8Array<ArrayBuffer>
        >;
      }
      if (chunk.done) {
        done = true;
        const status = await finish();
        if (!status.success && !killed) {
          const why = progress.errors.at(-1) ?? "no error output";
          throw new StreamError(
            "Protocol",
            `Cannot transcode ${o.name}: ffmpeg exited with ${
              status.signal ?? `code ${status.code}`
            } (${why})`,
          );
        }
        if (status.success && bypass) {
          const rest: MediaFrame[] = [];
          bypass.drain(rest);
          if (rest.length > 0) return rest;
        }
        return null;
      }
      const got = chunk.value;
      scratch = new Uint8Array(got.buffer); // transferred back: reuse
      let frames: MediaFrame[];
      try {
        frames = reader.push(slab.place(got));
      } catch (error) {
        done = true;
        kill();
        await finish();
        throw error;
      }
      if (frames.length > 0) {
        feeder.armTimeBound();
        if (bypass) {
          const merged: MediaFrame[] = [];
          for (const frame of frames) bypass.merge(frame, merged);
          frames = merged;
        }
        return frames;
      }
    }
    return null;
  };
  const cancel = async (): Promise<void> => {
    done = true;
    kill();
    await stdout.cancel().catch(() => {});
    await finish();
  };
  return { next, cancel };
}
