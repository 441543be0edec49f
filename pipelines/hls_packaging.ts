/**
 * {@linkcode HlsPackaging}: automatic HLS / LL-HLS packaging of every stream
 * an engine publishes, as a plain pipeline of the kernel's pipeline seam
 * (`engine.attach(packaging)`; the `engine` option does it for you).
 *
 * Data path: the engine runs it on every publish (and on streams already
 * live when attached): it opens one resilient kernel subscription, whose replay starts
 * at the cached GOP's keyframe, and feeds it into a fresh `HlsSegmenter`
 * writing under `{app}/{name}/` in storage, one `takeAll()` batch at a
 * time (`HlsSegmenter.pushAll`, one task and one promise per batch) with
 * the segmenter's completion awaited per batch, so the kernel ring is the
 * only queue; a packager that falls behind is resynced at a keyframe like
 * any viewer. Without LL-HLS the packager wakes on the stream's shared
 * egress tick (`batchMs`, 100 ms: with the stream's viewers, a batch of a
 * few frames per wake-up instead of one), except within a batch of the open
 * segment's target duration, where it takes frames as they come so the
 * keyframe that cuts a segment is not held back. One clock timer (200 ms) per
 * packaging and clock lets the segmenters notice a silent publisher and
 * fill the gap (`HlsSegmenter.idle`). When
 * the stream ends the
 * readable closes, the segmenter writes its final playlist with
 * `EXT-X-ENDLIST`, and stays reachable through
 * {@linkcode HlsPackaging.segmenter} (so players get the ended playlist and
 * 410 for expired segments) until the key is published again. Memory: one
 * segmenter (one open segment) per stream key seen, bounded by
 * {@linkcode MAX_PACKAGED_STREAMS}.
 *
 * @module
 */
import type { MediaFrame } from "../media/frame.ts";
import type { StorageBackend } from "../media/storage/mod.ts";
import { HlsSegmenter, type HlsSegmenterEvent } from "../media/hls/mod.ts";
import { dvrWindowSegments } from "./hls_dvr.ts";
import {
  type Clock,
  DEFAULT_EGRESS_TICK_MS,
  type EgressTick,
  type PipelineContext,
  type StreamHandle,
  type StreamKey,
  type StreamPipeline,
  type Subscription,
  systemClock,
} from "../src/mod.ts";

/**
 * Most stream keys whose (possibly ended) packager is kept. Ended packagers
 * beyond it are forgotten oldest first; their files stay in storage.
 *
 * @example The bound
 * ```ts
 * import { MAX_PACKAGED_STREAMS } from "@arcly/stream/pipelines";
 * import assert from "node:assert/strict";
 *
 * assert.equal(MAX_PACKAGED_STREAMS, 1024);
 * ```
 */
export const MAX_PACKAGED_STREAMS = 1024;

/** How often a packager checks for a silent publisher (ms). */
const IDLE_CHECK_MS = 200;

/** Codecs whose frames cannot be decoded without a configuration record. */
const NEEDS_CONFIG: ReadonlySet<string> = new Set([
  "h264",
  "h265",
  "vvc",
  "av1",
  "vp9",
  "aac",
  "opus",
]);

/** What packaging needs from the engine (`Engine` satisfies it): the pipeline seam. *
 * @example Any Engine fits
 * ```ts
 * import type { HlsPackagingEngine } from "@arcly/stream/pipelines";
 * import { Engine } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * await using engine = Engine.builder().build();
 * const view: HlsPackagingEngine = engine;
 * assert.equal(typeof view.attach, "function");
 * ```
 */
export interface HlsPackagingEngine {
  /** Start a pipeline on every publish; returns detach. */
  attach(pipeline: StreamPipeline): () => void;
}

/** Options of {@linkcode HlsPackaging}. *
 * @example TS segments without LL-HLS, only for the live app
 * ```ts
 * import type { HlsPackagingOptions } from "@arcly/stream/pipelines";
 * import { MemoryStorage } from "@arcly/stream/storage";
 * import { Engine } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * await using engine = Engine.builder().build();
 * const options: HlsPackagingOptions = {
 *   engine, storage: new MemoryStorage(), format: "ts", lowLatency: false,
 *   filter: (key) => key.startsWith("live/"),
 * };
 * assert.equal(options.format, "ts");
 * ```
 */
export interface HlsPackagingOptions {
  /**
   * The engine whose streams are packaged: the packager attaches itself
   * (else call `engine.attach(packaging)`).
   */
  engine?: HlsPackagingEngine;
  /** Where playlists and segments are written. */
  storage: StorageBackend;
  /** Segment container; default `fmp4`. */
  format?: "ts" | "fmp4";
  /** LL-HLS partial segments and blocking reload; default true. */
  lowLatency?: boolean;
  /** Target segment duration, ms; default 2000. */
  targetDurationMs?: number;
  /** LL-HLS part target, ms; default 334 (about a third of a second, Apple's guidance). */
  partTargetMs?: number;
  /** Segments in the live window; default 6. */
  windowSize?: number;
  /**
   * DVR (time-shift) window of every stream, ms: the live playlist keeps
   * this much of the last segments (see `dvrWindowSegments`); an app's
   * `AppSpec.hlsDvrMs` wins. Default none.
   */
  dvrWindowMs?: number;
  /**
   * How long frames gather before the packager takes them, ms: it waits on
   * the stream's shared egress tick of this period (`StreamHandle.egressTick`,
   * the RTMP/HTTP-FLV viewers' timer at the same period), so it wakes a few
   * times per second instead of once per frame. Adds at most this much to
   * the HLS latency. Default 100 without LL-HLS, 0 (every frame) with it.
   */
  batchMs?: number;
  /** Which stream keys to package; default all. */
  filter?: (key: string) => boolean;
  /** Every segmenter event, with its stream key (metrics, logs). */
  onEvent?: (key: string, event: HlsSegmenterEvent) => void;
}

/**
 * Packages every published stream as HLS (or LL-HLS) and serves as the
 * `hls` source of `createHttpApp()`.
 *
 * @example Package a stream into memory
 * ```ts
 * import { HlsPackaging } from "@arcly/stream/pipelines";
 * import { MemoryStorage } from "@arcly/stream/storage";
 * import { Engine, StreamKey } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * await using engine = Engine.builder().build();
 * await using packaging = new HlsPackaging({ engine, storage: new MemoryStorage(), format: "ts" });
 * engine.startPublish(StreamKey.parse("live/cam"));
 * assert.ok(packaging.segmenter("live/cam"));
 * ```
 */
export class HlsPackaging implements StreamPipeline, AsyncDisposable {
  /** "hls" (in events). */
  readonly name: string = "hls";
  #options: HlsPackagingOptions;
  #segmenters = new Map<string, HlsSegmenter>();
  #pipes = new Set<Promise<void>>();
  #detach: (() => void) | undefined;
  #closed = false;
  /** The live packagers' idle checks: one timer per clock. */
  #idle = new Map<Clock, IdleGroup>();

  /**
   * Configure packaging; with `options.engine` it attaches itself, so
   * streams already live and every later publish are packaged.
   *
   * @param options storage, HLS settings and optionally the engine
   */
  constructor(options: HlsPackagingOptions) {
    this.#options = options;
    this.#detach = options.engine?.attach(this);
  }

  /**
   * The packager of `key` (live, or ended and still listed), if any.
   *
   * @param key `app/name`
   * @returns the segmenter, or undefined
   */
  segmenter(key: string): HlsSegmenter | undefined {
    return this.#segmenters.get(key);
  }

  /** Stream keys with a packager. */
  keys(): string[] {
    return [...this.#segmenters.keys()];
  }

  /**
   * Forget the ended packager of `key` (its files were deleted: the ended
   * playlist is no longer served from memory). A live one is kept.
   *
   * @param key `app/name`
   * @returns true when an ended packager was forgotten
   */
  forget(key: string): boolean {
    if (this.#segmenters.get(key)?.ended !== true) return false;
    return this.#segmenters.delete(key);
  }

  /**
   * Whether to package `key` (the `filter` option; nothing once closed).
   *
   * @param key the stream key
   * @returns true to package it
   */
  accepts(key: StreamKey): boolean {
    const filter = this.#options.filter;
    return !this.#closed && (filter === undefined || filter(key.toString()));
  }

  /**
   * Package one stream until it ends (called by the engine at publish).
   *
   * @param stream the published stream
   * @param context the pipeline context (its clock times the stall checks)
   * @returns resolves once the final playlist is written
   */
  run(stream: StreamHandle, context?: PipelineContext): Promise<void> {
    return this.#start(stream, context?.host.clock ?? systemClock);
  }

  /**
   * Stop packaging new streams and wait for the running packagers to finish
   * (they end with their streams).
   */
  async close(): Promise<void> {
    this.#closed = true;
    this.#detach?.();
    await Promise.all([...this.#pipes]);
  }

  /** {@linkcode HlsPackaging.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #start(handle: StreamHandle, clock: Clock): Promise<void> {
    const options = this.#options;
    const key = handle.key.toString();
    if (this.#closed || handle.ended) return Promise.resolve();
    const lowLatency = options.lowLatency ?? true;
    let segmenter: HlsSegmenter;
    try {
      segmenter = new HlsSegmenter({
        storage: options.storage,
        prefix: key,
        format: options.format ?? "fmp4",
        targetDurationMs: options.targetDurationMs ?? 2000,
        windowSize: dvrWindowSegments(
          handle.spec?.hlsDvrMs || (options.dvrWindowMs ?? 0),
          options.targetDurationMs ?? 2000,
          options.windowSize ?? 6,
        ),
        ...(lowLatency ? { partTargetMs: options.partTargetMs ?? 334 } : {}),
        onEvent: (event) => options.onEvent?.(key, event),
        // A republish goes on from the last session's sequence numbers:
        // segment URIs (served `immutable`) never name new bytes.
        continueFrom: this.#segmenters.get(key),
      });
    } catch (error) {
      // A configuration the packager refuses (bad options, a muxer that is
      // unavailable): report it; the stream itself goes on unpackaged.
      options.onEvent?.(key, { type: "muxError", error });
      return Promise.resolve();
    }
    let sub: Subscription;
    try {
      sub = handle.subscribeResilient();
    } catch {
      return Promise.resolve(); // ended or full
    }
    this.#segmenters.delete(key); // re-insert: newest last
    this.#segmenters.set(key, segmenter);
    this.#evictOldest();
    const batchMs = options.batchMs ??
      (lowLatency ? 0 : DEFAULT_EGRESS_TICK_MS);
    let tick: EgressTick | undefined;
    try {
      tick = batchMs > 0 ? handle.egressTick(batchMs) : undefined;
    } catch {
      tick = undefined; // out of range or too many periods: per frame
    }
    const pipe = pump(sub, segmenter, tick, batchMs).catch((error: unknown) => {
      // The segmenter refused a frame (storage errors it reports itself and
      // goes on, so this is fatal for this packager): report it; the
      // playlist is closed so players see an end rather than a stall.
      options.onEvent?.(key, { type: "muxError", error });
      sub.close("packager failed");
      return segmenter.end().catch(() => {});
    });
    // While the publisher is silent (dropped, within its grace period) the
    // segmenter lists still-picture (or EXT-X-GAP) segments so the playlist
    // keeps pace with the wall clock; it checks on the shared idle timer
    // (a no-op while media flows).
    const unwatch = this.#watchIdle(clock, { sub, segmenter });
    this.#pipes.add(pipe);
    return pipe.finally(() => {
      unwatch();
      this.#pipes.delete(pipe);
    });
  }

  /**
   * Check `entry` every {@linkcode IDLE_CHECK_MS} on the timer shared by
   * every live packager of `clock` (one timer, not one per stream).
   *
   * @returns stop checking it (the last one cancels the timer)
   */
  #watchIdle(clock: Clock, entry: IdleEntry): () => void {
    let group = this.#idle.get(clock);
    if (group === undefined) {
      const created: IdleGroup = { entries: new Set(), cancel: () => {} };
      const arm = (): void => {
        created.cancel = clock.setTimer(IDLE_CHECK_MS, () => {
          for (const { sub, segmenter } of created.entries) {
            // Frames waiting in the ring (a starved event loop) are no silence.
            if (sub.lag === 0) void segmenter.idle();
          }
          arm();
        });
      };
      arm();
      this.#idle.set(clock, created);
      group = created;
    }
    const entries = group.entries;
    entries.add(entry);
    return () => {
      if (!entries.delete(entry) || entries.size > 0) return;
      group.cancel();
      if (this.#idle.get(clock) === group) this.#idle.delete(clock);
    };
  }

  #evictOldest(): void {
    if (this.#segmenters.size <= MAX_PACKAGED_STREAMS) return;
    for (const [key, segmenter] of this.#segmenters) {
      if (this.#segmenters.size <= MAX_PACKAGED_STREAMS) return;
      if (segmenter.ended) this.#segmenters.delete(key);
    }
  }
}

/** A live packager whose publisher may fall silent. */
interface IdleEntry {
  sub: Subscription;
  segmenter: HlsSegmenter;
}

/** The live packagers checked on one clock's timer. */
interface IdleGroup {
  entries: Set<IdleEntry>;
  cancel: () => void;
}

/** A number per track (kind and id) without building a string per frame. */
function trackSlot(frame: MediaFrame): number {
  return frame.trackId * 2 + (frame.kind === "video" ? 0 : 1);
}

/**
 * Feed a subscription into a segmenter, one batch per wake-up (after the
 * stream's egress `tick` when given): the batch, filtered in place, is one
 * `pushAll()` task, awaited, so the segmenter's own queue applies
 * back-pressure once per batch. Empty config
 * frames are dropped: ffmpeg's FLV muxer (notably under its `tee` muxer)
 * sends an empty AVC sequence header before the encoder's extradata is
 * known, and it carries no configuration. Media frames of a track whose
 * codec needs a configuration record are held back until one arrived, so
 * the first segment is decodable (a player cannot start on frames without
 * their SPS/PPS).
 */
async function pump(
  sub: Subscription,
  segmenter: HlsSegmenter,
  tick: EgressTick | undefined,
  batchMs: number,
): Promise<void> {
  const configured = new Set<number>();
  const leave = tick?.join();
  try {
    while (true) {
      await sub.ready();
      // Within a batch of the target duration the next keyframe may cut
      // the segment: frames are taken as they come, so the batching never
      // holds a finished segment back (a few frames per segment).
      if (
        tick !== undefined && !sub.isClosed &&
        segmenter.msToTarget > batchMs
      ) await tick.next();
      // takeAll() returns a fresh array: ours to filter in place.
      const frames = sub.takeAll();
      if (frames.length === 0) {
        if (sub.isClosed) break;
        continue;
      }
      let kept = 0;
      for (let i = 0; i < frames.length; i++) {
        const frame = frames[i]!;
        if (frame.kind !== "data") {
          if (frame.config) {
            if (frame.data.length === 0) continue;
            configured.add(trackSlot(frame));
          } else if (
            NEEDS_CONFIG.has(frame.codec) && !configured.has(trackSlot(frame))
          ) {
            continue;
          }
        }
        frames[kept++] = frame;
      }
      if (kept === 0) continue;
      frames.length = kept;
      await segmenter.pushAll(frames);
    }
  } finally {
    leave?.();
  }
  await segmenter.end();
}
