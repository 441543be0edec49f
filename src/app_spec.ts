/**
 * {@linkcode AppSpec}: per-application limits (GOP cache, ring, subscribers,
 * lag policy), and {@linkcode resolveAppSpec} which fills defaults and
 * validates them.
 *
 * What bounds memory per stream: the ring holds at most `ringCapacity` frame
 * references and the GOP cache at most `gopCacheFrames` frames and
 * `gopCacheBytes` payload bytes; subscribers hold only a cursor.
 *
 * @module
 */
import { StreamError } from "../media/stream_error.ts";

/**
 * Limits of one application (the `app` part of a stream key).
 *
 * @example Declare an application's limits
 * ```ts
 * import type { AppSpec } from "@arcly/stream";
 * const spec: AppSpec = { name: "live", gopCacheFrames: 300, maxSubscribers: 1_000 };
 * ```
 */
export interface AppSpec {
  /** Application name, matched against `StreamKey.app`. */
  name: string;
  /** Most frames in the GOP cache (default {@linkcode DEFAULT_APP_SPEC}). */
  gopCacheFrames?: number;
  /** Most payload bytes in the GOP cache. */
  gopCacheBytes?: number;
  /** Longest span of an audio-only cache, in milliseconds. */
  gopCacheDurationMs?: number;
  /** Ring size in frames, rounded up to a power of two. */
  ringCapacity?: number;
  /** Most subscribers per stream. */
  maxSubscribers?: number;
  /** Lag (frames behind the head) that counts as falling behind; capped at the ring size. */
  maxLagFrames?: number;
  /** A resilient subscriber that resyncs more than this many times per window is evicted. */
  maxResyncs?: number;
  /** The window for `maxResyncs`, in milliseconds. */
  resyncWindowMs?: number;
  /** A subscriber lagging and not reading for this long is evicted by the engine tick. */
  stallTimeoutMs?: number;
  /** What a second publisher on a live key does: refused, or replaces the first. */
  onDuplicatePublish?: "reject" | "replace";
  /**
   * How long a stream whose publisher left (`handle.end()`) stays open for
   * a republish, in milliseconds; 0 (the default) ends it at once. Within
   * the grace subscribers keep waiting (HLS writes no EXT-X-ENDLIST), and a
   * publish to the same key continues the same `StreamHandle` with the same
   * subscriptions (timestamps may restart: HLS marks a discontinuity;
   * RTMP/FLV viewers get the new sequence headers). When it runs out the
   * stream ends once. Shutdown, `engine.endPublish()`, a replacing
   * publisher and the idle reaper's second strike end it at once.
   */
  publisherGraceMs?: number;
  /**
   * HLS DVR (time-shift) window in milliseconds: the live playlist of the
   * app's streams keeps the last this-long of segments (a sliding window,
   * seekable); 0 (the default) keeps the packager's `windowSize`. Read by
   * `HlsPackaging`; at most a day.
   */
  hlsDvrMs?: number;
}

/**
 * An `AppSpec` with every field present and validated.
 *
 * @example Resolve defaults
 * ```ts
 * import { resolveAppSpec, type ResolvedAppSpec } from "@arcly/stream";
 * const spec: ResolvedAppSpec = resolveAppSpec({ name: "live" });
 * ```
 */
export type ResolvedAppSpec = Readonly<Required<AppSpec>>;

/**
 * Defaults. 1,024 frames is ~17 s of 30 fps video plus audio at ~43
 * frames/s: enough for a bursty egress, small enough to bound memory; the
 * GOP cache allows a 10 s GOP at 30 fps with audio; 16 MiB covers 10 s at
 * 12 Mbit/s.
 *
 * @example Read a default
 * ```ts
 * import { DEFAULT_APP_SPEC } from "@arcly/stream";
 * import assert from "node:assert/strict";
 * assert.equal(DEFAULT_APP_SPEC.ringCapacity, 1024);
 * ```
 */
export const DEFAULT_APP_SPEC: Omit<ResolvedAppSpec, "name"> = Object.freeze({
  gopCacheFrames: 900,
  gopCacheBytes: 16 << 20,
  gopCacheDurationMs: 10_000,
  ringCapacity: 1024,
  maxSubscribers: 10_000,
  maxLagFrames: 512,
  maxResyncs: 3,
  resyncWindowMs: 10_000,
  stallTimeoutMs: 10_000,
  onDuplicatePublish: "reject",
  // 0: a library embedder's `end()` keeps meaning "ended now" (relays,
  // recorders and per-session billing see one session per publish); a
  // server for encoders that reconnect (OBS, mobile) sets e.g. 10_000.
  publisherGraceMs: 0,
  hlsDvrMs: 0,
});

/**
 * Largest ring: 2^20 references is 8 MiB of pointers per stream, far above
 * any sensible live buffer.
 *
 * @example Check the ring cap
 * ```ts
 * import { MAX_RING_CAPACITY } from "@arcly/stream";
 * import assert from "node:assert/strict";
 * assert.equal(MAX_RING_CAPACITY, 1 << 20);
 * ```
 */
export const MAX_RING_CAPACITY = 1 << 20;

function positive(name: string, value: number, app: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new StreamError(
      "InvalidInput",
      `Cannot configure application ${app}: ${name} must be a positive integer, got ${value}`,
    );
  }
  return value;
}

/**
 * Fill defaults and validate.
 *
 * @throws {StreamError} `InvalidInput` on a non-positive limit or bad name
 * @example Round the ring up
 * ```ts
 * import { resolveAppSpec } from "@arcly/stream";
 * import assert from "node:assert/strict";
 * const spec = resolveAppSpec({ name: "live", ringCapacity: 1000 });
 * assert.equal(spec.ringCapacity, 1024);
 * assert.equal(spec.onDuplicatePublish, "reject");
 * ```
 */
export function resolveAppSpec(spec: AppSpec): ResolvedAppSpec {
  const d = DEFAULT_APP_SPEC;
  const app = String(spec.name);
  if (!/^[\p{L}\p{N}_\-~+@=][\p{L}\p{N}_\-.~+@=]{0,127}$/u.test(app)) {
    throw new StreamError(
      "InvalidInput",
      `Cannot configure application: ${
        JSON.stringify(app)
      } is not a valid app name`,
    );
  }
  const ring = positive(
    "ringCapacity",
    spec.ringCapacity ?? d.ringCapacity,
    app,
  );
  if (ring > MAX_RING_CAPACITY) {
    throw new StreamError(
      "InvalidInput",
      `Cannot configure application ${app}: ringCapacity ${ring} exceeds ${MAX_RING_CAPACITY}`,
    );
  }
  const mode = spec.onDuplicatePublish ?? d.onDuplicatePublish;
  if (mode !== "reject" && mode !== "replace") {
    throw new StreamError(
      "InvalidInput",
      `Cannot configure application ${app}: onDuplicatePublish must be "reject" or "replace"`,
    );
  }
  return Object.freeze({
    name: app,
    gopCacheFrames: positive(
      "gopCacheFrames",
      spec.gopCacheFrames ?? d.gopCacheFrames,
      app,
    ),
    gopCacheBytes: positive(
      "gopCacheBytes",
      spec.gopCacheBytes ?? d.gopCacheBytes,
      app,
    ),
    gopCacheDurationMs: positive(
      "gopCacheDurationMs",
      spec.gopCacheDurationMs ?? d.gopCacheDurationMs,
      app,
    ),
    ringCapacity: 2 ** Math.ceil(Math.log2(ring)),
    maxSubscribers: positive(
      "maxSubscribers",
      spec.maxSubscribers ?? d.maxSubscribers,
      app,
    ),
    maxLagFrames: positive(
      "maxLagFrames",
      spec.maxLagFrames ?? d.maxLagFrames,
      app,
    ),
    maxResyncs: positive("maxResyncs", spec.maxResyncs ?? d.maxResyncs, app),
    resyncWindowMs: positive(
      "resyncWindowMs",
      spec.resyncWindowMs ?? d.resyncWindowMs,
      app,
    ),
    stallTimeoutMs: positive(
      "stallTimeoutMs",
      spec.stallTimeoutMs ?? d.stallTimeoutMs,
      app,
    ),
    onDuplicatePublish: mode,
    publisherGraceMs: graceMs(spec.publisherGraceMs ?? d.publisherGraceMs, app),
    hlsDvrMs: dvrMs(spec.hlsDvrMs ?? d.hlsDvrMs, app),
  });
}

/** A non-negative whole number of milliseconds, at most a day. */
function graceMs(value: number, app: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 86_400_000) {
    throw new StreamError(
      "InvalidInput",
      `Cannot configure application ${app}: publisherGraceMs must be an integer of 0..86400000, got ${value}`,
    );
  }
  return value;
}

/** The DVR window: a non-negative whole number of milliseconds, at most a day. */
function dvrMs(value: number, app: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 86_400_000) {
    throw new StreamError(
      "InvalidInput",
      `Cannot configure application ${app}: hlsDvrMs must be an integer of 0..86400000, got ${value}`,
    );
  }
  return value;
}
