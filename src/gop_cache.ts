/**
 * {@linkcode GopCache}: what a late joiner needs to start decoding at once —
 * the latest configuration frames per track, the latest script-data frame
 * (`onMetaData`), and the frames since the last video keyframe.
 *
 * Data path: `StreamHandle.publishFrame` calls `add()` for every frame
 * (amortized O(1)); `subscribe()` takes `replay()` (script, configs, then the
 * GOP from its keyframe) and starts its ring cursor at the current head, so
 * replay and live meet with no gap and no duplicate.
 *
 * Replayed configuration frames are stamped at the joining point: the dts
 * of the first cached frame (RTMP/FLV players otherwise see sequence
 * headers at the publish's start, e.g. 0, then media at the stream's
 * absolute time, and a 30 s capture reads as a 20-minute file). The
 * stamped copies are made once per cached GOP (the same objects for every
 * joiner of that GOP), so each egress format still serializes them once.
 *
 * Bounds: the GOP list holds at most `maxFrames` frames and `maxBytes`
 * payload bytes. A video GOP that outgrows them is dropped whole (never cut
 * mid-GOP: a joiner then waits for the next keyframe). Before any video
 * frame, the stream is treated as audio-only: every audio frame is a random
 * access point, so the cache is a sliding window also bounded by
 * `maxDurationMs`.
 *
 * @module
 */
import type { MediaFrame } from "../media/frame.ts";

/**
 * Bounds of a {@linkcode GopCache}.
 *
 * @example Bound a cache
 * ```ts
 * import type { GopCacheOptions } from "@arcly/stream";
 * const options: GopCacheOptions = { maxFrames: 300, maxBytes: 8 << 20, maxDurationMs: 5_000 };
 * ```
 */
export interface GopCacheOptions {
  /** Most frames kept. */
  maxFrames: number;
  /** Most payload bytes kept. */
  maxBytes: number;
  /** Longest audio-only window, in milliseconds. */
  maxDurationMs: number;
}

/**
 * Keyframe-anchored cache for instant start.
 *
 * @example Replay starts with config, then the keyframe
 * ```ts
 * import { GopCache, type MediaFrame } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * function video(dts: number, keyframe: boolean, config = false): MediaFrame {
 *   return { kind: "video", codec: "h264", trackId: 0, pts: dts, dts, timescale: 1000,
 *     keyframe, config, data: new Uint8Array(10) };
 * }
 * const cache = new GopCache({ maxFrames: 100, maxBytes: 1 << 20, maxDurationMs: 5_000 });
 * const config = video(0, true, true);
 * const key = video(0, true);
 * cache.add(config);
 * cache.add(video(-40, false)); // before any keyframe: not cacheable
 * cache.add(key);
 * cache.add(video(40, false));
 * const replay = cache.replay();
 * assert.equal(replay[0], config);
 * assert.equal(replay[1], key);
 * assert.equal(replay.length, 3);
 * ```
 */
export class GopCache {
  readonly #options: GopCacheOptions;
  #configs: MediaFrame[] = [];
  #script: MediaFrame | undefined;
  #frames: (MediaFrame | undefined)[] = [];
  #start = 0;
  #bytes = 0;
  #hasVideo = false;
  #anchored = false;
  /** Configs stamped at `first`'s dts: built once per GOP, shared by its joiners. */
  #stamped: { first: MediaFrame; configs: MediaFrame[] } | undefined;

  /**
   * Create it.
   * @param options the bounds
   */
  constructor(options: GopCacheOptions) {
    this.#options = options;
  }

  /** Frames currently cached (excluding configs and script data). */
  get size(): number {
    return this.#frames.length - this.#start;
  }

  /** Payload bytes currently cached (excluding configs and script data). */
  get byteLength(): number {
    return this.#bytes;
  }

  /** True once a video frame was seen (the cache is keyframe-anchored). */
  get hasVideo(): boolean {
    return this.#hasVideo;
  }

  /** True when the cached frames start at a video keyframe. */
  get anchored(): boolean {
    return this.#anchored && this.size > 0;
  }

  /** Take one published frame. */
  add(frame: MediaFrame): void {
    if (frame.config) {
      this.#setConfig(frame);
      return;
    }
    if (frame.kind === "data") {
      this.#script = frame;
      return;
    }
    if (frame.kind === "video") {
      if (frame.keyframe) {
        this.#hasVideo = true;
        this.#anchored = true;
        this.#reset();
      } else if (!this.#anchored) {
        // Mid-GOP without a keyframe: a joiner could not decode it. Drop any
        // audio-only window too, or replay would jump from it to live.
        if (!this.#hasVideo) this.#reset();
        this.#hasVideo = true;
        return;
      }
    } else if (this.#hasVideo && !this.#anchored) {
      return; // video stream whose GOP overflowed: wait for the next keyframe
    }
    this.#frames.push(frame);
    this.#bytes += frame.data.byteLength;
    this.#enforceBounds();
  }

  /** Latest configuration frames, video tracks first, then audio, by track id. */
  configFrames(): MediaFrame[] {
    return [...this.#configs];
  }

  /** The latest script-data frame (`onMetaData`), if any. */
  get scriptFrame(): MediaFrame | undefined {
    return this.#script;
  }

  /** The cached frames, from the keyframe (or oldest audio frame), in publish order. */
  frames(): MediaFrame[] {
    return this.#frames.slice(this.#start) as MediaFrame[];
  }

  /**
   * The latest configuration frames stamped at the dts of `first` (the
   * first frame a joiner gets after them); the same objects for every call
   * with the same `first` and configs. A config already at that time is
   * returned as is.
   */
  configFramesAt(first: MediaFrame | undefined): MediaFrame[] {
    if (first === undefined) return [...this.#configs];
    const stamped = this.#stamped;
    if (stamped !== undefined && stamped.first === first) {
      return [...stamped.configs];
    }
    const configs = this.#configs.map((c) => {
      const dts = Math.round((first.dts * c.timescale) / first.timescale);
      return c.dts === dts && c.pts === dts ? c : { ...c, pts: dts, dts };
    });
    this.#stamped = { first, configs };
    return [...configs];
  }

  /** Everything a joiner needs, in order: script data, configs (stamped at the GOP's start), GOP frames. */
  replay(): MediaFrame[] {
    const out: MediaFrame[] = [];
    if (this.#script !== undefined) out.push(this.#script);
    for (const c of this.configFramesAt(this.#frames[this.#start])) out.push(c);
    for (let i = this.#start; i < this.#frames.length; i++) {
      out.push(this.#frames[i]!);
    }
    return out;
  }

  /** Forget everything (configs included). */
  clear(): void {
    this.#stamped = undefined;
    this.#configs = [];
    this.#script = undefined;
    this.#reset();
    this.#anchored = false;
    this.#hasVideo = false;
  }

  #setConfig(frame: MediaFrame): void {
    this.#stamped = undefined;
    const i = this.#configs.findIndex((c) =>
      c.kind === frame.kind && c.trackId === frame.trackId
    );
    if (i >= 0) this.#configs[i] = frame;
    else {
      this.#configs.push(frame);
      this.#configs.sort((a, b) =>
        a.kind === b.kind
          ? a.trackId - b.trackId
          : a.kind === "video"
          ? -1
          : b.kind === "video"
          ? 1
          : 0
      );
    }
  }

  #reset(): void {
    this.#frames = [];
    this.#start = 0;
    this.#bytes = 0;
  }

  #enforceBounds(): void {
    const { maxFrames, maxBytes, maxDurationMs } = this.#options;
    if (this.#anchored) {
      if (this.size > maxFrames || this.#bytes > maxBytes) {
        this.#reset(); // never keep a GOP without its keyframe
        this.#anchored = false;
      }
      return;
    }
    // Audio-only sliding window.
    const last = this.#frames[this.#frames.length - 1]!;
    while (this.size > 0) {
      const first = this.#frames[this.#start]!;
      const spanMs = ((last.dts - first.dts) * 1000) / last.timescale;
      if (
        this.size <= maxFrames && this.#bytes <= maxBytes &&
        spanMs <= maxDurationMs
      ) break;
      this.#bytes -= first.data.byteLength;
      this.#frames[this.#start++] = undefined;
    }
    if (this.#start > 64 && this.#start * 2 > this.#frames.length) {
      this.#frames = this.#frames.slice(this.#start); // amortized compaction
      this.#start = 0;
    }
  }
}
