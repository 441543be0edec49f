/**
 * {@linkcode RecordingSink}: records a live stream to a
 * {@linkcode StorageBackend}, as VOD HLS (MPEG-TS or fMP4 segments) or as one
 * file (FLV, or fragmented MP4).
 *
 * Data path, single file: config frames configure the muxer; at the first
 * random-access point the muxer's init bytes (FLV header + sequence headers,
 * or fMP4 `ftyp`+`moov`) are `put`, then frames collect into a fragment that
 * is cut at the first keyframe past `fragmentDurationMs` and `append`ed as one
 * complete unit (FLV tags, or one `moof`+`mdat`). A process killed mid-way
 * leaves a file that plays up to the last complete append. `end()` appends
 * the final fragment. A new configuration mid-recording (an encoder
 * restarting at another resolution) starts a new `mp4` file (`cam-1.mp4`,
 * a `split` event), stays in-band in FLV (a new sequence header tag), and
 * starts a new fragment set in HLS (EXT-X-DISCONTINUITY, new EXT-X-MAP).
 *
 * Data path, HLS: an {@linkcode HlsSegmenter} with playlist type `vod` writes
 * segments and an EVENT playlist updated per segment; `end()` turns it into a
 * VOD playlist with EXT-X-ENDLIST.
 *
 * Timestamps that restart (a publisher coming back within the stream's
 * grace period continues the same recording from 0) are moved on so the
 * file's timeline keeps rising.
 *
 * Memory: one fragment's frames (bounded by `fragmentDurationMs`, plus
 * {@linkcode MAX_FRAGMENT_FRAMES} as a backstop for streams without
 * keyframes). A failed append stops the file (a later append could not be
 * parsed after a torn one) and is reported; frames are then drained.
 *
 * Specification: ISO/IEC 14496-12 §8.8 (movie fragments), Adobe FLV 10.1
 * Annex E, RFC 8216bis §4.4.3.5 (VOD/EVENT playlists).
 *
 * @module
 */
import type { MediaFrame } from "../frame.ts";
import { FlvMuxer } from "../flv/mod.ts";
import { Fmp4Muxer } from "../fmp4/mod.ts";
import { HlsSegmenter, type HlsSegmenterEvent } from "../hls/mod.ts";
import type { Muxer } from "../muxer.ts";
import { StreamError } from "../stream_error.ts";
import { validateStorageKey } from "../storage/storage_backend.ts";
import { FragmentTimeline } from "./_fragment_timeline.ts";
import type {
  RecordingEvent,
  RecordingSinkOptions,
} from "./recording_sink_options.ts";

/**
 * Frames buffered before a fragment is forced out even without a keyframe:
 * 60 s of 30 fps video plus audio; bounds memory for keyframe-less streams.
 *
 * @example
 * ```ts
 * import { MAX_FRAGMENT_FRAMES } from "@arcly/stream/recording";
 * import assert from "node:assert/strict";
 * assert.ok(MAX_FRAGMENT_FRAMES > 60 * 30);
 * ```
 */
export const MAX_FRAGMENT_FRAMES = 4096;

/**
 * Records one stream. See the module doc for the data path.
 *
 * @example Record to a single fragmented MP4 in memory
 * ```ts
 * import { RecordingSink } from "@arcly/stream/recording";
 * import { MemoryStorage } from "@arcly/stream/storage";
 * import type { MediaFrame } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const storage = new MemoryStorage();
 * const sink = new RecordingSink({ storage, key: "rec/cam.mp4", format: "mp4" });
 * const base = { trackId: 0, timescale: 1000, pts: 0, dts: 0 };
 * await sink.push({ ...base, kind: "audio", codec: "aac", keyframe: true, config: true,
 *   data: new Uint8Array([0x11, 0x90]) });
 * for (let i = 0; i < 10; i++) {
 *   const frame: MediaFrame = { ...base, pts: i * 21, dts: i * 21, kind: "audio",
 *     codec: "aac", keyframe: true, config: false, data: new Uint8Array(8) };
 *   await sink.push(frame);
 * }
 * await sink.end();
 * const file = await storage.get("rec/cam.mp4");
 * assert.equal(new TextDecoder().decode(file!.subarray(4, 8)), "ftyp");
 * assert.equal(sink.fragments, 1);
 * ```
 */
export class RecordingSink {
  /** Pipe frames here: `subscription.readable.pipeTo(sink.writable)`. */
  readonly writable: WritableStream<MediaFrame>;

  #options: RecordingSinkOptions;
  #hls: HlsSegmenter | undefined;
  #muxer: Muxer | undefined;
  #timeline: FragmentTimeline;
  /** The file being written (`mp4` moves on to `-1`, `-2`… at a config change). */
  #key: string;
  #files = 0;
  /** The current configuration of each track. */
  #configs = new Map<string, MediaFrame>();
  #frames: MediaFrame[] = [];
  #started = false;
  #stopped = false;
  #ended = false;
  #fragments = 0;
  #bytes = 0;
  #chain: Promise<void> = Promise.resolve();
  /** Seconds added to every frame since the publisher's timestamps restarted. */
  #shiftS = 0;
  /** Latest (shifted) decode time per kind, s. */
  #lastS = new Map<string, number>();
  /** Just past the latest frame of any kind, s. */
  #endS = Number.NEGATIVE_INFINITY;

  /**
   * Validate the options and prepare the muxer (or the HLS segmenter).
   *
   * @param options storage, key and format
   * @throws {StreamError} `InvalidInput` for a bad key or format
   */
  constructor(options: RecordingSinkOptions) {
    validateStorageKey(options.key);
    this.#options = options;
    this.#key = options.key;
    const fragmentMs = options.fragmentDurationMs ??
      (options.format.startsWith("hls") ? 6000 : 2000);
    if (!(fragmentMs > 0)) {
      throw new StreamError(
        "InvalidInput",
        "Cannot record: fragmentDurationMs must be positive",
      );
    }
    this.#timeline = new FragmentTimeline(fragmentMs / 1000);
    if (options.format === "hls-ts" || options.format === "hls-fmp4") {
      this.#hls = new HlsSegmenter({
        storage: options.storage,
        prefix: options.key,
        targetDurationMs: fragmentMs,
        playlistType: "vod",
        ...(options.muxer ? { muxer: options.muxer } : {
          format: options.format === "hls-ts" ? "ts" : "fmp4",
        }),
        onEvent: (event) => this.#fromHls(event),
      });
    } else if (options.format === "flv" || options.format === "mp4") {
      this.#muxer = options.muxer ??
        (options.format === "flv" ? new FlvMuxer() : new Fmp4Muxer());
    } else {
      throw new StreamError(
        "InvalidInput",
        `Cannot record as ${
          String(options.format)
        }: supported are hls-ts, hls-fmp4, flv, mp4`,
      );
    }
    this.writable = new WritableStream<MediaFrame>({
      write: (frame) => this.push(frame),
      close: () => this.end(),
      abort: () => this.end(),
    });
  }

  /** Complete fragments (single file) or segments (HLS) written so far. */
  get fragments(): number {
    return this.#fragments;
  }

  /** Media bytes written so far (single file: init included). */
  get bytesWritten(): number {
    return this.#bytes;
  }

  /**
   * Add one frame (decode order).
   *
   * @param frame a config, data or media frame
   * @throws {StreamError} `Closed` after `end()`
   */
  push(frame: MediaFrame): Promise<void> {
    if (this.#ended) {
      return Promise.reject(
        new StreamError(
          "Closed",
          `Cannot record to ${this.#options.key}: the recording has ended`,
        ),
      );
    }
    if (this.#hls) return this.#hls.push(frame);
    return this.#enqueue(() => this.#process(frame));
  }

  /** Write what is buffered and finalise the recording. Idempotent. */
  end(): Promise<void> {
    if (this.#ended) return this.#chain;
    this.#ended = true;
    if (this.#hls) {
      this.#chain = this.#hls.end();
      return this.#chain;
    }
    return this.#enqueue(async () => {
      const endDts = this.#timeline.endDts();
      await this.#flush(endDts);
      this.#emit({
        type: "finalized",
        key: this.#key,
        fragments: this.#fragments,
      });
    });
  }

  #enqueue(task: () => Promise<void>): Promise<void> {
    const result = this.#chain.then(task);
    this.#chain = result.catch(
      () => {/* surfaced to the caller of this task */},
    );
    return result;
  }

  async #process(frame: MediaFrame): Promise<void> {
    const muxer = this.#muxer!;
    // Script data (a publisher's onMetaData) is not recorded: its duration
    // and sizes describe the source, not this file. FLV writes its own.
    if (frame.kind === "data") return;
    if (frame.config) {
      const id = `${frame.kind}:${frame.trackId}`;
      const previous = this.#configs.get(id);
      if (previous !== undefined && sameConfig(previous, frame)) return;
      this.#configs.set(id, frame);
      if (!this.#started) muxer.configure(frame);
      else if (this.#options.format === "mp4") await this.#split(frame);
      else this.#frames.push(frame); // in-band config change (FLV keeps it as a tag)
      return;
    }
    if (this.#stopped) return;
    frame = this.#retime(frame);
    const random = this.#timeline.isRandomAccess(frame);
    if (!this.#started) {
      if (!random) return;
      const init = muxer.initSegment();
      if (init && !(await this.#write("put", init))) return;
      this.#started = true;
    } else if (
      this.#frames.length >= MAX_FRAGMENT_FRAMES ||
      (random && this.#timeline.fragmentFull(frame))
    ) {
      await this.#flush(frame.dts);
    }
    if (this.#frames.length === 0) this.#timeline.startFragment(frame);
    this.#frames.push(frame);
    this.#timeline.observe(frame);
  }

  /**
   * Keep one rising timeline when the publisher's timestamps restart (a
   * republish within the stream's grace period, an encoder restart): a
   * frame more than half a second before the latest of its kind moves
   * every later frame to continue just after the latest frame written. The
   * wall-clock pause itself is not kept.
   */
  #retime(frame: MediaFrame): MediaFrame {
    const ts = frame.timescale;
    let t = frame.dts / ts + this.#shiftS;
    const last = this.#lastS.get(frame.kind);
    if (last !== undefined && t < last - 0.5) {
      this.#shiftS += this.#endS - t;
      t = frame.dts / ts + this.#shiftS;
    }
    this.#lastS.set(frame.kind, Math.max(last ?? t, t));
    this.#endS = Math.max(this.#endS, t + 0.02);
    if (this.#shiftS === 0) return frame;
    const d = Math.round(this.#shiftS * ts);
    return { ...frame, dts: frame.dts + d, pts: frame.pts + d };
  }

  /**
   * Close the current mp4 file at a configuration change and go on in the
   * next one (`cam.mp4` → `cam-1.mp4`), whose init segment describes the
   * new configuration; it starts at the next random-access point.
   */
  async #split(config: MediaFrame): Promise<void> {
    // The config's time on the (shifted) timeline; one before the latest
    // frame (a republish restarting at 0) ends the fragment at its frames.
    const at = config.dts / config.timescale + this.#shiftS;
    const latest = Math.max(...this.#lastS.values());
    await this.#flush(
      at >= latest
        ? Math.round(at * config.timescale)
        : this.#timeline.endDts(),
    );
    const previous = this.#key;
    this.#emit({
      type: "finalized",
      key: previous,
      fragments: this.#fragments,
    });
    this.#files++;
    const key = this.#options.key;
    const dot = key.lastIndexOf(".");
    this.#key = dot > key.lastIndexOf("/")
      ? `${key.slice(0, dot)}-${this.#files}${key.slice(dot)}`
      : `${key}-${this.#files}`;
    if (this.#options.muxer === undefined) this.#muxer = new Fmp4Muxer();
    for (const frame of this.#configs.values()) this.#muxer!.configure(frame);
    this.#started = false;
    this.#stopped = false;
    this.#emit({ type: "split", key: this.#key, previous });
  }

  async #flush(nextDts: number | undefined): Promise<void> {
    if (this.#frames.length === 0 || this.#stopped) return;
    const frames = this.#frames;
    this.#frames = [];
    let bytes: Uint8Array;
    try {
      bytes = this.#muxer!.mux(frames, {
        sequenceNumber: this.#fragments + 1,
        ...(nextDts === undefined ? {} : { nextDts }),
      });
    } catch (error) {
      this.#emit({ type: "muxError", error });
      return;
    }
    if (await this.#write("append", bytes)) {
      this.#fragments++;
      this.#emit({
        type: "fragment",
        key: this.#key,
        bytes: bytes.length,
        fragments: this.#fragments,
      });
    }
  }

  async #write(mode: "put" | "append", bytes: Uint8Array): Promise<boolean> {
    const { storage } = this.#options;
    const key = this.#key;
    const options = this.#options.sync ? { sync: true } : undefined;
    try {
      if (mode === "put") await storage.put(key, bytes, options);
      else await storage.append(key, bytes, options);
      this.#bytes += bytes.length;
      return true;
    } catch (error) {
      this.#stopped = true;
      this.#emit({
        type: "storageError",
        key,
        error: asStorageError(error, key),
      });
      return false;
    }
  }

  #fromHls(event: HlsSegmenterEvent): void {
    if (event.type === "segment") {
      this.#fragments++;
      this.#bytes += event.bytes;
      this.#emit({
        type: "fragment",
        key: event.key,
        bytes: event.bytes,
        fragments: this.#fragments,
      });
    } else if (event.type === "storageError") {
      this.#emit({ type: "storageError", key: event.key, error: event.error });
    } else if (event.type === "muxError") {
      this.#emit({ type: "muxError", error: event.error });
    } else if (event.type === "ended") {
      this.#emit({
        type: "finalized",
        key: this.#options.key,
        fragments: this.#fragments,
      });
    }
  }

  #emit(event: RecordingEvent): void {
    try {
      this.#options.onEvent?.(event);
    } catch {
      // An observer fault must not stop the recording; the observer owns its errors.
    }
  }
}

/** Same codec and same configuration record bytes. */
function sameConfig(a: MediaFrame, b: MediaFrame): boolean {
  if (a.codec !== b.codec || a.data.length !== b.data.length) return false;
  for (let i = 0; i < a.data.length; i++) {
    if (a.data[i] !== b.data[i]) return false;
  }
  return true;
}

function asStorageError(error: unknown, key: string): StreamError {
  if (error instanceof StreamError) return error;
  return new StreamError(
    "Storage",
    `Cannot write recording ${key}: ${String(error)}`,
    { cause: error },
  );
}
