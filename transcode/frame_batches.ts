/**
 * The seams of one ffmpeg run without Web Streams: {@linkcode FramePoll}
 * (its input, what a kernel `Subscription` offers) and
 * {@linkcode FrameBatches} (its output, one batch per read of ffmpeg's
 * stdout). See `FfmpegTranscoder.open()`.
 *
 * @module
 */
import type { MediaFrame } from "../media/frame.ts";

/**
 * A source of frames taken in batches: what a kernel `Subscription` offers
 * (`takeAll()` never waits, `ready()` resolves at the next publish or end).
 *
 * @example A subscription is a FramePoll
 * ```ts
 * import { Engine } from "@arcly/stream";
 * import type { FramePoll } from "@arcly/stream/transcode";
 * import assert from "node:assert/strict";
 * await using engine = Engine.builder().build();
 * const stream = engine.startPublish("live/cam");
 * const poll: FramePoll = stream.subscribeResilient();
 * assert.deepEqual(poll.takeAll(), []);
 * poll.close();
 * ```
 */
export interface FramePoll {
  /** Every frame available now, never waiting (`[]` when none or ended). */
  takeAll(): MediaFrame[];
  /** Resolves when `takeAll()` may return frames or the source ended. */
  ready(): Promise<void>;
  /** True once no frame will come any more. */
  readonly isClosed: boolean;
  /** Detach (the run calls it when it ends). */
  close(reason?: string): void;
}

/**
 * The output of one ffmpeg run, one batch per read of its stdout.
 *
 * @example Drain a run
 * ```ts
 * import type { FrameBatches, MediaFrame } from "@arcly/stream/transcode";
 * import assert from "node:assert/strict";
 * const batches: MediaFrame[][] = [];
 * const run: FrameBatches = {
 *   next: () => Promise.resolve(batches.shift() ?? null),
 *   cancel: () => Promise.resolve(),
 * };
 * assert.equal(await run.next(), null);
 * ```
 */
export interface FrameBatches {
  /**
   * The next batch (never empty), `null` once ffmpeg ended.
   *
   * @throws {StreamError} `Protocol` when ffmpeg exited with an error
   */
  next(): Promise<MediaFrame[] | null>;
  /** Kill ffmpeg and end the run. */
  cancel(): Promise<void>;
}
