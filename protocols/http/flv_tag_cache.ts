/**
 * {@linkcode FlvTagCache}: the serialize-once cache of HTTP-FLV and WS-FLV.
 *
 * Data path: each frame of a stream becomes one complete FLV tag (11-byte
 * header, body, PreviousTagSize; Adobe FLV spec v10.1 §E.4.1 and Enhanced
 * RTMP v2 for the extended codecs) the first time any viewer needs it, built
 * with one allocation by `frameToFlvTag()`. The tag is kept in a
 * `WeakMap<MediaFrame, Uint8Array>`, so it lives exactly as long as the
 * frame (the kernel's ring or GOP cache holds it) and every viewer writes
 * the very same bytes. A batch of one frame is that cached tag itself (no
 * copy); a longer batch is concatenated once, sized first, and memoised
 * in a `WeakMap` keyed by its first frame (append-only: a longer run from
 * the same frame, like the replay for a later joiner, is appended in place
 * and a shorter one is a view), so every viewer asking for the
 * same run of frames (all viewers at the live edge, woken by the same
 * flush tick) writes the very same `Uint8Array`. Timestamps are the stream's absolute ones, never rebased
 * per viewer, which is what makes the bytes shareable.
 *
 * Timing: the cache hands out the stream's shared flush tick (`nextFlush()`:
 * `stream.egressTick(egressBatchMs)`, owned by the kernel, on the engine's
 * clock; period 100 ms unless configured): viewers wait for it after
 * `sub.ready()`, so they all wake together, take the same run and write the
 * same chunk, at most `egressBatchMs` later than without it, and earlier
 * when a burst of half the stream's lag limit arrived (the kernel fires the
 * tick from `publishFrame`). A cache built without `stream` cannot see
 * publishes: it keeps a private tick on the system clock with no backlog
 * trigger, period 0 unless given.
 *
 * Memory is bounded by the frames the kernel retains plus at most one
 * joined run per retained frame (the run it starts), about twice the
 * retained frames' bytes with a grown run's spare capacity; a run keyed by
 * a long-lived config frame (every replay starts there) is replaced when
 * the next replay diverges, so at most one stale GOP per stream.
 *
 * @module
 */
import type { MediaFrame } from "../../media/frame.ts";
import { frameToFlvTag } from "../../media/flv/mod.ts";
import { JoinedRuns } from "../../src/_joined_runs.ts";
import { cacheTick } from "../../src/_flush_tick.ts";
import type { EgressTick, StreamHandle } from "../../src/stream_handle.ts";

/**
 * Default HTTP-FLV / WS-FLV flush period of a stream's cache, ms: 100 (one
 * shared wake-up and one shared batch per 100 ms among the viewers of a
 * stream: fewer writes, ≤ 100 ms more latency; a burst fires the stream's
 * tick early; why 100: see `DEFAULT_RTMP_EGRESS_BATCH_MS`).
 */
const DEFAULT_FLV_EGRESS_BATCH_MS = 100;

const EMPTY = new Uint8Array(0);

/** FLV file header flags (§E.2): audio present. */
const FLAG_AUDIO = 0x04;
/** FLV file header flags (§E.2): video present. */
const FLAG_VIDEO = 0x01;

/**
 * The 13 bytes that start every FLV stream: signature, version 1, the
 * audio/video flags, header size 9 and PreviousTagSize0 (Adobe FLV spec
 * v10.1 §E.2, §E.3).
 *
 * @param hasVideo whether the stream carries video
 * @param hasAudio whether the stream carries audio
 * @returns a new 13-byte header
 *
 * @example
 * ```ts
 * import { flvFileHeader } from "@arcly/stream/http";
 * import assert from "node:assert/strict";
 *
 * const header = flvFileHeader(true, true);
 * assert.equal(new TextDecoder().decode(header.subarray(0, 3)), "FLV");
 * assert.equal(header[4], 0x05);
 * assert.equal(header.length, 13);
 * ```
 */
export function flvFileHeader(
  hasVideo: boolean,
  hasAudio: boolean,
): Uint8Array {
  const flags = (hasVideo ? FLAG_VIDEO : 0) | (hasAudio ? FLAG_AUDIO : 0);
  return new Uint8Array([0x46, 0x4c, 0x56, 1, flags, 0, 0, 0, 9, 0, 0, 0, 0]);
}

/**
 * Per-stream cache of serialized FLV tags, shared by every viewer of the
 * stream.
 *
 * @example Two viewers, one serialization
 * ```ts
 * import { FlvTagCache } from "@arcly/stream/http";
 * import type { MediaFrame } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const cache = new FlvTagCache();
 * const frame: MediaFrame = { kind: "audio", codec: "aac", trackId: 0, pts: 20, dts: 20,
 *   timescale: 1000, keyframe: true, config: false, data: new Uint8Array([1, 2]) };
 * const a = cache.batch([frame]);
 * const b = cache.batch([frame]);
 * assert.equal(a, b); // the same Uint8Array
 * assert.equal(a.length, 11 + 2 + 2 + 4);
 * assert.equal(cache.serialized, 1);
 * ```
 */
export class FlvTagCache {
  #tags = new WeakMap<MediaFrame, Uint8Array>();
  #tick: EgressTick;
  #runs = new JoinedRuns();
  #serialized = 0;
  #skipped = 0;

  /**
   * Create an empty cache for one stream.
   *
   * @param options `stream`: the stream whose shared tick
   *   (`egressTick`) viewers wait on; `egressBatchMs`: the shared flush
   *   period in ms (0 to 1,000; 0 writes every batch at once), default 100
   *   with a `stream`; without one, a private tick on the system clock with
   *   no backlog trigger and default 0
   * @throws {StreamError} `InvalidInput` for a flush period out of range
   */
  constructor(
    options: {
      egressBatchMs?: number;
      stream?: Pick<StreamHandle, "egressTick">;
    } = {},
  ) {
    this.#tick = cacheTick(
      options.stream,
      options.egressBatchMs,
      DEFAULT_FLV_EGRESS_BATCH_MS,
    );
  }

  /** The shared flush period, ms (0: none). */
  get egressBatchMs(): number {
    return this.#tick.periodMs;
  }

  /**
   * Register a viewer of the stream for the shared flush tick.
   *
   * @returns `leave`, to call once when the viewer ends (idempotent)
   */
  joinFlush(): () => void {
    return this.#tick.join();
  }

  /**
   * The stream's next shared flush: the same promise for every viewer until
   * it fires, at most `egressBatchMs` from now (at once when 0).
   *
   * @returns resolves at the flush
   */
  nextFlush(): Promise<void> {
    return this.#tick.next();
  }

  /** Frames serialized so far (each at most once). */
  get serialized(): number {
    return this.#serialized;
  }

  /** Multi-frame batches joined so far (one per distinct run of frames, not per viewer). */
  get joined(): number {
    return this.#runs.joined;
  }

  /** Frames FLV cannot carry (e.g. VVC), left out of the output. */
  get skipped(): number {
    return this.#skipped;
  }

  /**
   * The complete FLV tag of `frame`, built on first use. A frame FLV cannot
   * carry yields an empty array (and is counted in `skipped`).
   *
   * @param frame a frame of this cache's stream
   * @returns the shared tag bytes (read-only)
   */
  tagOf(frame: MediaFrame): Uint8Array {
    let tag = this.#tags.get(frame);
    if (tag === undefined) {
      try {
        tag = frameToFlvTag(frame);
        this.#serialized++;
      } catch {
        tag = EMPTY; // unsupported in FLV: never sent, never retried
        this.#skipped++;
      }
      this.#tags.set(frame, tag);
    }
    return tag;
  }

  /**
   * The bytes of a batch of frames (a viewer's `takeAll()`), as one chunk:
   * one frame's cached tag, or the tags joined once and memoised by the
   * first frame, so every viewer taking the same run gets the same
   * `Uint8Array`. A longer run from the same first frame (the replay of a
   * later joiner) is appended in place; a shorter one is a view.
   *
   * @param frames consecutive frames of the stream, in order
   * @returns the concatenated tags (read-only; shared)
   */
  batch(frames: readonly MediaFrame[]): Uint8Array {
    return this.#runs.join(frames, this.#tagOf);
  }

  #tagOf = (frame: MediaFrame): Uint8Array => this.tagOf(frame);
}
