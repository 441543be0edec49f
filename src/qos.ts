/**
 * Quality of service: {@linkcode QosMeter} (bitrate and frame rate over a
 * sliding window, driven by the caller's clock) and the per-stream
 * {@linkcode QosSnapshot}.
 *
 * A meter is a fixed ring of {@linkcode QOS_BUCKETS} time buckets: `sample()`
 * is O(1) and allocation-free, memory is constant, and no timer runs inside
 * (the caller passes `now`).
 *
 * @module
 */
import type { CodecId, TrackKind } from "../media/frame.ts";

/**
 * Buckets per window. 10 buckets of a 5 s window give 500 ms resolution,
 * smooth enough for a dashboard while staying O(1) per sample.
 *
 * @example Read the bucket count
 * ```ts
 * import { QOS_BUCKETS } from "@arcly/stream";
 * import assert from "node:assert/strict";
 * assert.equal(QOS_BUCKETS, 10);
 * ```
 */
export const QOS_BUCKETS = 10;

/**
 * Default sliding window, in milliseconds.
 *
 * @example Read the window
 * ```ts
 * import { QOS_WINDOW_MS } from "@arcly/stream";
 * import assert from "node:assert/strict";
 * assert.equal(QOS_WINDOW_MS, 5_000);
 * ```
 */
export const QOS_WINDOW_MS = 5_000;

/**
 * Bitrate and frame rate over a sliding window.
 *
 * @example 30 fps at 1 Mbit/s
 * ```ts
 * import { QosMeter } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const meter = new QosMeter();
 * for (let i = 0; i < 300; i++) meter.sample(4_166, i * (1000 / 30));
 * const now = 300 * (1000 / 30);
 * assert.ok(Math.abs(meter.fps(now) - 30) < 1);
 * assert.ok(Math.abs(meter.bitrate(now) - 1_000_000) < 20_000);
 * ```
 */
export class QosMeter {
  readonly #bucketMs: number;
  readonly #bytes = new Float64Array(QOS_BUCKETS);
  readonly #frames = new Float64Array(QOS_BUCKETS);
  #bucket = -1; // absolute index of the newest bucket
  #first = Number.NaN; // time of the first sample
  /** Frames sampled since creation. */
  totalFrames = 0;
  /** Bytes sampled since creation. */
  totalBytes = 0;

  /**
   * Create it.
   * @param windowMs the sliding window length
   */
  constructor(windowMs: number = QOS_WINDOW_MS) {
    this.#bucketMs = windowMs / QOS_BUCKETS;
  }

  /** Record one frame of `bytes` at time `now` (ms). */
  sample(bytes: number, now: number): void {
    this.#advance(now);
    const i = this.#bucket % QOS_BUCKETS;
    this.#bytes[i]! += bytes;
    this.#frames[i]! += 1;
    this.totalFrames++;
    this.totalBytes += bytes;
    if (Number.isNaN(this.#first)) this.#first = now;
  }

  /** Bits per second over the window ending at `now`. */
  bitrate(now: number): number {
    return this.#rate(this.#bytes, now) * 8;
  }

  /** Frames per second over the window ending at `now`. */
  fps(now: number): number {
    return this.#rate(this.#frames, now);
  }

  #advance(now: number): void {
    const bucket = Math.floor(now / this.#bucketMs);
    if (this.#bucket < 0) {
      this.#bucket = bucket;
      return;
    }
    if (bucket <= this.#bucket) return;
    const steps = Math.min(bucket - this.#bucket, QOS_BUCKETS);
    for (let s = 1; s <= steps; s++) {
      const i = (this.#bucket + s) % QOS_BUCKETS;
      this.#bytes[i] = 0;
      this.#frames[i] = 0;
    }
    this.#bucket = bucket;
  }

  #rate(values: Float64Array, now: number): number {
    if (this.#bucket < 0) return 0;
    this.#advance(now);
    let sum = 0;
    for (let i = 0; i < QOS_BUCKETS; i++) sum += values[i]!;
    // The newest bucket is only partly elapsed: the window spans the older
    // buckets plus the elapsed part of the newest one.
    const elapsed = now - this.#bucket * this.#bucketMs;
    const windowMs = (QOS_BUCKETS - 1) * this.#bucketMs + elapsed;
    // A young meter divides by its age, not by the whole window.
    const spanMs = Math.max(Math.min(windowMs, now - this.#first), 1);
    return sum / (spanMs / 1000);
  }
}

/**
 * QoS of one track.
 *
 * @example Describe a track's rates
 * ```ts
 * import type { TrackQos } from "@arcly/stream";
 * const q: TrackQos = { kind: "video", trackId: 0, codec: "h264", bitrate: 2e6, fps: 30, frames: 90, bytes: 750_000 };
 * ```
 */
export interface TrackQos {
  /** Video, audio or data. */
  readonly kind: TrackKind;
  /** Track number within its kind. */
  readonly trackId: number;
  /** Codec of the track. */
  readonly codec: CodecId;
  /** Bits per second over the window. */
  readonly bitrate: number;
  /** Frames per second over the window. */
  readonly fps: number;
  /** Frames since the stream started. */
  readonly frames: number;
  /** Payload bytes since the stream started. */
  readonly bytes: number;
}

/**
 * QoS of one stream: per-track rates and stream counters.
 *
 * @example Sum the bitrate
 * ```ts
 * import type { QosSnapshot } from "@arcly/stream";
 * function totalBitrate(q: QosSnapshot): number {
 *   return q.tracks.reduce((sum, t) => sum + t.bitrate, 0);
 * }
 * ```
 */
export interface QosSnapshot {
  /** One entry per track seen (configs excluded). */
  readonly tracks: readonly TrackQos[];
  /** Media frames published (configs included). */
  readonly framesIn: number;
  /** Payload bytes published. */
  readonly bytesIn: number;
  /** Frames subscribers skipped while resynchronising or waiting for a keyframe. */
  readonly skippedFrames: number;
  /** Resynchronisations of resilient subscribers. */
  readonly resyncs: number;
  /** Plain subscribers that failed with `Lagged`. */
  readonly lagErrors: number;
  /** Subscribers evicted. */
  readonly evictions: number;
  /** Subscribers attached now. */
  readonly subscribers: number;
  /** Attached subscribers more than half their lag limit behind (slow consumers, now). */
  readonly laggingSubscribers: number;
}
