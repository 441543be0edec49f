/**
 * {@linkcode StreamHandle}: one live stream as seen by its publisher and its
 * readers, and {@linkcode StreamInfo}, the listing entry of
 * `Engine.streams()`.
 *
 * Data path: `publishFrame(frame)` stores the frame reference in the ring
 * (O(1), no copy, no per-subscriber work), updates the GOP cache, the QoS
 * meters and, for configuration frames, the metadata. Memory per stream is
 * bounded by the ring capacity and the GOP cache limits of its `AppSpec`.
 *
 * Egress timing: `egressTick(periodMs)` is the stream's shared flush tick
 * for that period ({@linkcode EgressTick}; one per distinct period, created
 * on first use on the engine's clock). Egress loops do `await sub.ready();
 * await tick.next(); sub.takeAll()`, so the viewers of a stream wake
 * together and write the same shared bytes; `publishFrame` feeds each tick
 * (one increment and compare), which fires early once half the lag limit of
 * frames arrived since the last flush, so a burst never pushes a viewer at
 * the live edge past the lag limit while it waits.
 *
 * @module
 */
import type { MediaFrame } from "../media/frame.ts";
import type { ResolvedAppSpec } from "./app_spec.ts";
import type { GopCache } from "./gop_cache.ts";
import type { StreamMetadata } from "./metadata.ts";
import type { QosSnapshot } from "./qos.ts";
import type { StreamKey } from "./stream_key.ts";
import type { SubscribeOptions, Subscription } from "./subscription.ts";

/**
 * A live stream: publish into it, subscribe to it, observe it.
 *
 * @example Publish and fan out
 * ```ts
 * import { Engine, type MediaFrame, StreamKey } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * await using engine = Engine.builder().build();
 * const stream = engine.startPublish(StreamKey.parse("live/cam"));
 * const a = stream.subscribe();
 * const b = stream.subscribeResilient();
 * const frame: MediaFrame = { kind: "video", codec: "h264", trackId: 0, pts: 0, dts: 0,
 *   timescale: 1000, keyframe: true, config: false, data: new Uint8Array(8) };
 * assert.equal(stream.publishFrame(frame), 2);
 * assert.equal((await a.next()), frame);
 * assert.equal((await b.next()), frame);
 * assert.equal(stream.qos().framesIn, 1);
 * stream.end("done");
 * assert.equal(stream.ended, true);
 * ```
 */
export interface StreamHandle {
  /** The stream's key. */
  readonly key: StreamKey;
  /** The limits of its application. */
  readonly spec: ResolvedAppSpec;
  /** Clock milliseconds when publishing started. */
  readonly startedAt: number;
  /** Clock milliseconds of the last published frame (or the start). */
  readonly lastFrameAt: number;
  /** Subscribers attached now (exact). */
  readonly subscriberCount: number;
  /**
   * Clock milliseconds when a viewer that holds no subscription (an HLS
   * player's playlist request) last watched the stream (see `markWatched`),
   * or -Infinity.
   */
  readonly lastWatchedAt: number;
  /** True once `end()` ran (publisher left, reaped, replaced, shutdown). */
  readonly ended: boolean;
  /** Why it ended, once ended. */
  readonly endReason: string | undefined;
  /** Resolves when the stream ends. */
  readonly closed: Promise<void>;
  /** Resolves when the stream ended and its last subscriber left. */
  readonly drained: Promise<void>;
  /** Configs, script data and the frames since the last keyframe. */
  readonly gopCache: GopCache;
  /**
   * Publish one frame to every subscriber. O(1): stores a reference.
   *
   * @returns the number of subscribers
   * @throws {StreamError} `Closed` after `end()`; `InvalidInput` for a track id out of range
   */
  publishFrame(frame: MediaFrame): number;
  /**
   * A plain subscription: fails with `Lagged` when it falls behind.
   *
   * @throws {StreamError} `Closed` after `end()`; `LimitExceeded` at `maxSubscribers`
   */
  subscribe(options?: SubscribeOptions): Subscription;
  /**
   * A resilient subscription: resynchronises at the newest keyframe when it
   * falls behind; evicted after `maxResyncs` resyncs within `resyncWindowMs`.
   *
   * @throws {StreamError} `Closed` after `end()`; `LimitExceeded` at `maxSubscribers`
   */
  subscribeResilient(options?: SubscribeOptions): Subscription;
  /** Bitrate and fps per track over the QoS window, and counters. */
  qos(): QosSnapshot;
  /** What the configuration frames told about the tracks. */
  metadataSnapshot(): StreamMetadata;
  /**
   * The stream's shared egress flush tick of `periodMs` (the same object for
   * every caller asking for that period; created on first use on the
   * engine's clock). It fires every `periodMs` while viewers wait on it, and
   * early once `min(ringCapacity, maxLagFrames) / 2` frames were published
   * since its last flush.
   *
   * @param periodMs the flush period, 0 (no coalescing) to 1,000 ms
   * @returns the tick
   * @throws {StreamError} `InvalidInput` for a period out of range,
   *   `LimitExceeded` beyond 8 distinct periods on one stream
   */
  egressTick(periodMs: number): EgressTick;
  /**
   * Media time (dts, ms) of the oldest frame a subscriber or a joining
   * viewer may still take: the older of the GOP cache's keyframe and every
   * subscription's position. `Infinity` when no frame is wanted,
   * `-Infinity` when everything must be kept (a GOP longer than the ring,
   * a replay not yet taken). An egress cache drops the units of older
   * frames (`EgressCache`), so its memory follows the viewers, not the ring.
   *
   * @returns milliseconds of dts, or ±Infinity
   */
  oldestWantedMs(): number;
  /**
   * Note that a viewer holding no subscription watched the stream now (an
   * HLS playlist request): an on-demand stream (edge pull, camera pull) is
   * kept while such viewers come back within its grace period.
   */
  markWatched(): void;
  /**
   * End the stream (idempotent): the publisher is done. Subscribers drain
   * what is in the ring, then see the end. With the application's
   * `publisherGraceMs` > 0 the stream first waits that long for a publish
   * to the same key, which continues this handle (see `AppSpec`).
   */
  end(reason?: string): void;
}

/**
 * A stream's shared egress flush tick (from `StreamHandle.egressTick`):
 * every viewer that awaits `next()` before it fires gets the same promise,
 * so they wake in one run of microtasks and take the same frames.
 *
 * @example One tick per period, shared by the stream's viewers
 * ```ts
 * import { Engine, type EgressTick, ManualClock, StreamKey } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const clock = new ManualClock();
 * await using engine = Engine.builder().clock(clock).build();
 * const stream = engine.startPublish(StreamKey.parse("live/cam"));
 * const tick: EgressTick = stream.egressTick(40);
 * assert.equal(stream.egressTick(40), tick);
 * const leave = tick.join();
 * const flushed = tick.next();
 * assert.equal(tick.next(), flushed);
 * clock.advance(40);
 * await flushed;
 * leave();
 * ```
 */
export interface EgressTick {
  /** The period, ms (0: `next()` resolves at once). */
  readonly periodMs: number;
  /**
   * Register a viewer; call the returned `leave` once when it ends
   * (idempotent). The last viewer leaving fires a pending tick at once, so
   * no timer outlives its viewers.
   */
  join(): () => void;
  /**
   * The next flush: the same promise for every caller until it fires.
   *
   * @returns resolves within `periodMs`, or earlier after a burst
   */
  next(): Promise<void>;
  /**
   * Optional: call `wake` at the next flush instead of handing out a
   * promise (what `EgressSession.pump` waits with: nothing allocated per
   * viewer per flush).
   *
   * @param wake called once, synchronously, at the flush; must not throw
   * @param ready the waiter has frames to take now (else the period starts
   *   at the next published frame, as for `await sub.ready(); await next()`)
   * @returns true when the flush is due now (`wake` not registered)
   */
  onNext?(wake: () => void, ready?: boolean): boolean;
}

/**
 * One entry of `Engine.streams()`.
 *
 * @example List streams
 * ```ts
 * import { Engine, type StreamInfo, StreamKey } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * await using engine = Engine.builder().build();
 * engine.startPublish(StreamKey.parse("live/cam"));
 * const [info]: StreamInfo[] = engine.streams();
 * assert.equal(info?.key.toString(), "live/cam");
 * assert.equal(info?.subscribers, 0);
 * ```
 */
export interface StreamInfo {
  /** The stream's key. */
  readonly key: StreamKey;
  /** Clock milliseconds when publishing started. */
  readonly startedAt: number;
  /** Subscribers attached now. */
  readonly subscribers: number;
  /** QoS snapshot. */
  readonly qos: QosSnapshot;
  /** Metadata snapshot. */
  readonly metadata: StreamMetadata;
}
