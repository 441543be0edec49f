/**
 * The public face of a broadcaster cursor: {@linkcode Subscription},
 * {@linkcode SubscribeOptions} and {@linkcode SubscriptionEnd}.
 *
 * A subscription is a position (`cursor`) in its stream's ring plus a few
 * flags; it owns no queue. The ring is the only buffer: a subscription that
 * falls more than `maxLagFrames` (or the ring capacity) behind either fails
 * with `Lagged` (plain) or resynchronises at a keyframe (resilient).
 *
 * Three ways to consume, all reading the same cursor:
 * - batch egress: `await sub.ready(); const frames = sub.takeAll();`
 * - pull: `for await (const frame of sub)` or `await sub.next()`
 * - Web Streams: `sub.readable.pipeTo(sink)` (highWaterMark 0; cancel closes)
 *
 * @module
 */
import type { MediaFrame } from "../media/frame.ts";
import type { StreamError } from "../media/stream_error.ts";
import type { StreamKey } from "./stream_key.ts";

/**
 * Options of `StreamHandle.subscribe()` and `subscribeResilient()`.
 *
 * @example Live only, no replay
 * ```ts
 * import type { SubscribeOptions } from "@arcly/stream";
 * const options: SubscribeOptions = { replay: false };
 * ```
 */
export interface SubscribeOptions {
  /** Start with script data, configs and the cached GOP (default true). */
  replay?: boolean;
  /**
   * Skip video frames until a keyframe when the start is not one (default
   * true). Turn off to receive every frame (e.g. raw relays).
   */
  waitForKeyframe?: boolean;
}

/**
 * How a subscription ended.
 *
 * @example A clean end
 * ```ts
 * import type { SubscriptionEnd } from "@arcly/stream";
 * const end: SubscriptionEnd = { reason: "ended", detail: "publisher left" };
 * ```
 */
export interface SubscriptionEnd {
  /** `ended`: drained an ended stream; `closed`: by its owner; `lagged` / `evicted`: by the kernel. */
  readonly reason: "ended" | "closed" | "lagged" | "evicted";
  /** Free text: the stream's end reason, the close reason, or the error message. */
  readonly detail: string;
  /** The `LaggedError` or `EvictedError`, for `lagged` and `evicted`. */
  readonly error?: StreamError;
}

/**
 * A reader of one live stream.
 *
 * @example Batch egress loop
 * ```ts
 * import { Engine, type MediaFrame, StreamKey } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * await using engine = Engine.builder().build();
 * const stream = engine.startPublish(StreamKey.parse("live/cam"));
 * using sub = stream.subscribe();
 * const frame: MediaFrame = { kind: "audio", codec: "aac", trackId: 0, pts: 0, dts: 0,
 *   timescale: 1000, keyframe: true, config: false, data: new Uint8Array(4) };
 * stream.publishFrame(frame);
 * stream.publishFrame(frame);
 * await sub.ready();
 * const batch = sub.takeAll();
 * assert.equal(batch.length, 2);
 * assert.equal(batch[0], frame); // same object, never copied
 * stream.end();
 * assert.equal(await sub.next(), null);
 * assert.equal((await sub.closed).reason, "ended");
 * ```
 */
export interface Subscription extends AsyncIterable<MediaFrame>, Disposable {
  /** Unique within its engine. */
  readonly id: number;
  /** The stream read. */
  readonly key: StreamKey;
  /** True for `subscribeResilient()`. */
  readonly resilient: boolean;
  /** Frames between the cursor and the ring head. */
  readonly lag: number;
  /** Frames skipped (resyncs, waiting for a keyframe). */
  readonly skipped: number;
  /** Number of resynchronisations. */
  readonly resyncs: number;
  /** True once the subscription ended (it may still hold frames taken by `next()`). */
  readonly isClosed: boolean;
  /** Resolves (never rejects) when the subscription ends. */
  readonly closed: Promise<SubscriptionEnd>;
  /**
   * The next frame, waiting if needed; `null` once the stream ended and was
   * drained or the subscription was closed.
   *
   * @throws {StreamError} `Lagged` (plain) or `Evicted`, once
   */
  next(): Promise<MediaFrame | null>;
  /**
   * Every frame available now (at most `max`), never waiting. Returns `[]`
   * when nothing is available or the subscription ended.
   *
   * @throws {StreamError} `Lagged` (plain) or `Evicted`, once
   */
  takeAll(max?: number): MediaFrame[];
  /**
   * Optional: the frames `takeAll()` would return, as an array that may be
   * the very one handed to other subscribers at the same position (the
   * egress pump's: no array per viewer per tick). Never modify it.
   *
   * @throws {StreamError} `Lagged` (plain) or `Evicted`, once
   */
  takeShared?(): readonly MediaFrame[];
  /**
   * Resolves when `takeAll()` may return frames or the subscription ended.
   * Waiters share one promise per publish; a wake-up can be spurious (after
   * another subscriber closed), so loop.
   */
  ready(): Promise<void>;
  /** A pull-based `ReadableStream` over this cursor; cancelling it closes the subscription. */
  readonly readable: ReadableStream<MediaFrame>;
  /** Detach (idempotent). */
  close(reason?: string): void;
}
