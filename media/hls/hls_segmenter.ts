/**
 * {@linkcode HlsSegmenter}: turns a live stream of {@linkcode MediaFrame}s into
 * HLS or LL-HLS files in a {@linkcode StorageBackend}.
 *
 * Data path: frames arrive through `writable` (or `push`) in decode order.
 * Config frames go to the muxer. Media frames collect into the current part
 * (LL-HLS) or segment; at a cut the batch is muxed once, the bytes are put to
 * storage, the playlist state is updated, `index.m3u8` is rewritten and
 * blocked `waitFor` calls are released. An LL-HLS segment file is the
 * concatenation of its parts, written from the parts the segment holds
 * (`storage.putChunks`: never joined in memory; a backend without it gets
 * `put` of the parts joined once).
 *
 * Cuts (see `_cut_policy.ts`): a segment ends at the first keyframe at or
 * past `targetDurationMs` (or earlier when the next keyframe would overshoot
 * EXT-X-TARGETDURATION + 0.5 s, RFC 8216bis §4.4.3.1). EXT-X-TARGETDURATION
 * is `ceil(targetDurationMs / 1000)` and never changes.
 *
 * Memory is bounded by one open segment's frames and bytes plus the window's
 * metadata; `live` playlists delete segments from storage once they have
 * been out of the playlist for one playlist duration (RFC 8216bis §6.2.2).
 * `event` and `vod` playlists list every segment, so their metadata and the
 * playlist rewritten after each segment grow linearly with the recording.
 * Storage failures are reported as `storageError` events; the stream and the
 * in-memory playlist go on, and a segment or part that could not be stored
 * is listed with EXT-X-GAP / GAP=YES (RFC 8216bis §4.4.4.7, §4.4.4.9) so
 * players skip it instead of fetching a 404.
 *
 * A publisher that falls silent (`idle()`, called on a timer by the
 * packaging pipeline) gets still-picture or EXT-X-GAP segments for the
 * silence, so the playlist's timeline keeps pace with the wall clock.
 *
 * A republish under the same prefix passes the previous segmenter as
 * `continueFrom`: media and discontinuity sequence numbers and init-segment
 * versions go on, the old segments stay listed until they slide out, and the
 * new session starts with EXT-X-DISCONTINUITY, so MEDIA-SEQUENCE never goes
 * back and a URI (served `immutable`) never names new bytes (§6.2.1).
 *
 * Specification: RFC 8216bis-16 §4.4 (tags), §6.2.2 (live playlists),
 * §6.2.5.2 (blocking playlist reload).
 *
 * @module
 */
import type { MediaFrame } from "../frame.ts";
import { StreamError } from "../stream_error.ts";
import { validateStorageKey } from "../storage/storage_backend.ts";
import { CutPolicy } from "./_cut_policy.ts";
import { SegmentAssembler } from "./_segment_assembler.ts";
import { createMuxer } from "./_muxer_for_format.ts";
import { SegmentWindow } from "./_segment_window.ts";
import { SegmentWriter } from "./_segment_writer.ts";
import { variantOf } from "./_variant_info.ts";
import { Waiters } from "./_waiters.ts";
import type {
  HlsPlaylistKind,
  HlsSegmenterOptions,
  HlsSegmentState,
} from "./hls_segmenter_options.ts";
import { renderMasterPlaylist } from "./master_playlist.ts";
import { type HlsSegment, renderMediaPlaylist } from "./media_playlist.ts";

/**
 * The HLS / LL-HLS packager. See the module doc for the data path.
 *
 * @example Package frames into a live playlist (in-test muxer)
 * ```ts
 * import { HlsSegmenter } from "@arcly/stream/hls";
 * import { MemoryStorage } from "@arcly/stream/storage";
 * import type { MediaFrame, Muxer } from "@arcly/stream/media";
 * import assert from "node:assert/strict";
 *
 * const muxer: Muxer = {
 *   format: "mpegts", extension: "ts", mimeType: "video/mp2t",
 *   configure() {}, initSegment: () => null,
 *   mux: (frames) => new Uint8Array(frames.length * 188),
 * };
 * const storage = new MemoryStorage();
 * const hls = new HlsSegmenter({ storage, muxer, prefix: "live/cam", targetDurationMs: 1000 });
 * for (let i = 0; i < 100; i++) {
 *   const frame: MediaFrame = {
 *     kind: "video", codec: "h264", trackId: 0, pts: i * 40, dts: i * 40,
 *     timescale: 1000, keyframe: i % 25 === 0, config: false, data: new Uint8Array(1),
 *   };
 *   await hls.push(frame);
 * }
 * await hls.end();
 * assert.match(hls.playlist(), /#EXTINF:1,\nseg3.ts\n#EXT-X-ENDLIST/);
 * assert.ok(await storage.get("live/cam/seg3.ts"));
 * ```
 */
export class HlsSegmenter {
  /** Pipe frames here: `subscription.readable.pipeTo(segmenter.writable)`. */
  readonly writable: WritableStream<MediaFrame>;

  #io: SegmentWriter;
  #prefix: string;
  #targetDurationS: number;
  #partTargetS: number | undefined;
  #kind: HlsPlaylistKind;
  #options: HlsSegmenterOptions;
  #window: SegmentWindow;
  #waiters = new Waiters();
  #assembler: SegmentAssembler;
  #ended = false;
  #endedSignal = Promise.withResolvers<void>();
  /** `continueFrom` until its state is adopted (it serves the playlist meanwhile). */
  #predecessor: HlsSegmenter | undefined;
  #chain: Promise<void> = Promise.resolve();
  #encoder = new TextEncoder();

  /**
   * Validate the options and create (or adopt) the muxer. Nothing is written
   * until the first keyframe arrives.
   *
   * @param options storage, muxer or format, prefix, durations, window
   * @throws {StreamError} `InvalidInput` for a bad prefix or durations, or a
   *   `continueFrom` segmenter of another prefix
   */
  constructor(options: HlsSegmenterOptions) {
    validateStorageKey(options.prefix);
    const targetMs = options.targetDurationMs ?? 2000;
    if (
      !(targetMs > 0) ||
      (options.partTargetMs !== undefined && !(options.partTargetMs > 0))
    ) {
      throw new StreamError(
        "InvalidInput",
        "Cannot create HlsSegmenter: durations must be positive",
      );
    }
    this.#options = options;
    this.#io = new SegmentWriter(
      options.storage,
      options.prefix,
      options.onEvent,
    );
    this.#prefix = options.prefix;
    this.#targetDurationS = Math.ceil(targetMs / 1000);
    this.#partTargetS = options.partTargetMs === undefined
      ? undefined
      : options.partTargetMs / 1000;
    this.#kind = options.playlistType ?? "live";
    this.#window = new SegmentWindow(
      this.#kind === "live" ? options.windowSize ?? 6 : Infinity,
    );
    this.#assembler = new SegmentAssembler({
      muxer: options.muxer ?? createMuxer(options.format ?? "ts"),
      ownsMuxer: options.muxer === undefined,
      partTargetS: this.#partTargetS,
      policy: new CutPolicy(
        targetMs / 1000,
        this.#targetDurationS,
        this.#partTargetS,
      ),
      window: this.#window,
      io: this.#io,
      wallClock: options.wallClock ?? Date.now,
      targetS: targetMs / 1000,
      publish: () => this.#publish(),
    });
    const previous = options.continueFrom;
    if (previous !== undefined) {
      if (previous.#prefix !== options.prefix) {
        throw new StreamError(
          "InvalidInput",
          `Cannot continue from ${previous.#prefix}: prefix ${options.prefix} differs`,
        );
      }
      if (previous.#ended) {
        this.#adopt(previous);
      } else {
        // Its last segment must be numbered before this one's first.
        this.#predecessor = previous;
        this.#chain = previous.#endedSignal.promise.then(() =>
          this.#adopt(previous)
        );
      }
    }
    this.writable = new WritableStream<MediaFrame>({
      write: (frame) => this.push(frame),
      close: () => this.end(),
      abort: () => this.end(),
    });
  }

  /** EXT-X-TARGETDURATION in seconds (fixed for the stream). */
  get targetDurationS(): number {
    return this.#targetDurationS;
  }

  /**
   * Media time the open segment still lacks to reach the target duration,
   * in milliseconds (≤ 0: the next keyframe cuts it), as of the frames
   * processed so far; `Infinity` while no segment is open. A packager that
   * takes frames in batches takes them one by one once this is within a
   * batch, so a segment's cut is not held back by the batching.
   *
   * @example
   * ```ts
   * import { HlsSegmenter } from "@arcly/stream/hls";
   * import { MemoryStorage } from "@arcly/stream/storage";
   * import type { MediaFrame, Muxer } from "@arcly/stream/media";
   * import assert from "node:assert/strict";
   *
   * const muxer: Muxer = {
   *   format: "mpegts", extension: "ts", mimeType: "video/mp2t",
   *   configure() {}, initSegment: () => null,
   *   mux: (frames) => new Uint8Array(frames.length * 188),
   * };
   * const hls = new HlsSegmenter({ storage: new MemoryStorage(), muxer, prefix: "live/cam", targetDurationMs: 1000 });
   * assert.equal(hls.msToTarget, Infinity);
   * for (let i = 0; i < 20; i++) {
   *   const frame: MediaFrame = {
   *     kind: "video", codec: "h264", trackId: 0, pts: i * 40, dts: i * 40,
   *     timescale: 1000, keyframe: i === 0, config: false, data: new Uint8Array(1),
   *   };
   *   await hls.push(frame);
   * }
   * assert.equal(hls.msToTarget, 1000 - 19 * 40);
   * ```
   */
  get msToTarget(): number {
    return this.#assembler.untilTargetS * 1000;
  }

  /** True once `end()` ran. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Key of the media playlist in storage. */
  get playlistKey(): string {
    return `${this.#prefix}/index.m3u8`;
  }

  /**
   * Add one frame (decode order). Resolves when any resulting writes are done.
   *
   * @param frame a config or media frame
   * @throws {StreamError} `Closed` after `end()`
   */
  push(frame: MediaFrame): Promise<void> {
    return this.#enqueue(() => this.#assembler.process(frame));
  }

  /**
   * Add a batch of frames (decode order) as one task: the same as `push()`
   * for each, at the cost of one queued task and one promise per batch
   * instead of per frame. Resolves when any resulting writes are done; a
   * frame that fails rejects it and the rest of the batch is dropped.
   *
   * @param frames config and media frames; not kept after it resolves
   * @throws {StreamError} `Closed` after `end()`
   */
  pushAll(frames: readonly MediaFrame[]): Promise<void> {
    return this.#enqueue(() => this.#processAll(frames, 0));
  }

  /** Process `frames` from `from` on; a promise only once a frame writes. */
  #processAll(
    frames: readonly MediaFrame[],
    from: number,
  ): Promise<void> | undefined {
    const assembler = this.#assembler;
    for (let i = from; i < frames.length; i++) {
      const pending = assembler.process(frames[i]!);
      if (pending !== undefined) {
        return pending.then(() => this.#processAll(frames, i + 1));
      }
    }
    return undefined;
  }

  /**
   * Call periodically (every few hundred ms) while the stream is live: when
   * no media arrived for half a target duration (a publisher that dropped,
   * an encoder that stalled) the open segment is closed and the playlist's
   * timeline keeps pace with the wall clock until media returns, which
   * then starts with EXT-X-DISCONTINUITY. The filler segments show the last
   * video keyframe as a still picture (MPEG-TS: with silent AAC audio when
   * the stream has an AAC track, so a player joining on a filler sets up
   * both tracks) on the timeline of the media before the gap; an
   * audio-only stream gets EXT-X-GAP segments
   * (RFC 8216bis §4.4.4.7). Players that derive the live edge from the wall
   * clock (Shaka Player) would otherwise drop every listed segment during
   * the silence and stop. A no-op while media flows or once ended.
   */
  idle(): Promise<void> {
    if (this.#ended) return Promise.resolve();
    return this.#enqueue(() => this.#assembler.idle()).catch(() => {});
  }

  /** Close the current segment and start the next with EXT-X-DISCONTINUITY. */
  discontinuity(): Promise<void> {
    return this.#enqueue(() => this.#assembler.startDiscontinuity());
  }

  /** Flush the last segment and write the final playlist (EXT-X-ENDLIST). Idempotent. */
  end(): Promise<void> {
    if (this.#ended) return this.#chain;
    return this.#enqueue(async () => {
      if (this.#ended) return;
      try {
        await this.#assembler.closeAtEnd();
        this.#ended = true;
        await this.#publish();
        this.#waiters.rejectAll();
        this.#io.emit({ type: "ended", segments: this.#window.completedCount });
      } finally {
        this.#endedSignal.resolve();
      }
    }, true);
  }

  /**
   * The current media playlist text.
   *
   * @returns the m3u8 text
   */
  playlist(): string {
    return this.renderPlaylist();
  }

  /**
   * Render the media playlist; with `skip: true` a delta update (EXT-X-SKIP)
   * when the server advertises CAN-SKIP-UNTIL (LL-HLS live playlists).
   *
   * @param options `skip` for a delta update (`_HLS_skip=YES`)
   * @returns the m3u8 text
   */
  renderPlaylist(options: { skip?: boolean } = {}): string {
    if (this.#predecessor) return this.#predecessor.renderPlaylist(options);
    const ll = this.#partTargetS !== undefined;
    const assembler = this.#assembler;
    const open = assembler.open;
    const segments: HlsSegment[] = [...this.#window.segments];
    const last = this.#window.last;
    if (open && ll) {
      segments.push({ ...open, uri: assembler.segmentUri(open.msn) });
    } else if (
      ll && !this.#ended && !assembler.started && last !== undefined
    ) {
      // While a stall's fillers are listed (no open segment, no preload
      // hint) the next segment's date still opens it, as for an open
      // segment without parts: hls.js takes the last segment of an LL-HLS
      // playlist that ends on its URI for the segment being filled and
      // fails the next playlist ("media sequence mismatch").
      segments.push({
        msn: last.msn + 1,
        uri: assembler.segmentUri(last.msn + 1),
        discontinuity: false,
        mapUri: last.mapUri,
        parts: [],
        programDateTimeMs: last.programDateTimeMs === undefined
          ? undefined
          : last.programDateTimeMs + Math.round((last.durationS ?? 0) * 1000),
      });
    }
    const canSkip = ll && this.#kind === "live"
      ? 6 * this.#targetDurationS
      : undefined;
    const next = assembler.nextPart;
    const version = ll ? 9 : assembler.format === "fmp4" ? 7 : 3;
    return renderMediaPlaylist({
      // Validators (hls-parser, Apple's mediastreamvalidator) want 8 for EXT-X-GAP.
      version: segments.some((s) => s.gap) ? Math.max(version, 8) : version,
      targetDurationS: this.#targetDurationS,
      mediaSequence: this.#window.mediaSequence,
      discontinuitySequence: this.#window.discontinuitySequence,
      playlistType: this.#kind === "live"
        ? undefined
        : this.#kind === "vod" && this.#ended
        ? "VOD"
        : "EVENT",
      segments,
      ended: this.#ended,
      independentSegments: !this.#window.hasForcedCut,
      partTargetS: this.#partTargetS,
      preloadHintUri: ll && assembler.started
        ? assembler.partUri(next.msn, next.part)
        : undefined,
      canSkipUntilS: canSkip,
      skip: options.skip === true && canSkip !== undefined,
      renditionReports: this.#options.renditionReports?.(),
    });
  }

  /**
   * The master (multivariant) playlist for this one rendition: CODECS,
   * RESOLUTION and FRAME-RATE from the config frames, BANDWIDTH measured.
   *
   * @param uri the media playlist URI relative to the master
   * @returns the m3u8 text
   */
  masterPlaylist(uri = "index.m3u8"): string {
    if (this.#predecessor) return this.#predecessor.masterPlaylist(uri);
    const variant = variantOf(this.#assembler.configs);
    return renderMasterPlaylist([
      {
        ...variant,
        // Measured rate first: it is what the player will get.
        frameRate: frameRateOf(this.#assembler.videoIntervalS) ??
          variant.frameRate,
        uri,
        bandwidth: this.#window.peakBitsPerSecond,
        averageBandwidth: this.#window.averageBitsPerSecond,
      },
    ]);
  }

  /**
   * Wait until the playlist contains segment `msn` (complete) or, with
   * `part`, part `part` of segment `msn` (LL-HLS blocking reload).
   *
   * @param msn media sequence number
   * @param part part index, or undefined for the whole segment
   * @param signal aborts the wait
   * @returns true when present; false on abort or when the stream ended first
   */
  waitFor(
    msn: number,
    part: number | undefined,
    signal?: AbortSignal,
  ): Promise<boolean> {
    if (this.#has(msn, part)) return Promise.resolve(true);
    if (this.#ended) return Promise.resolve(false);
    return this.#waiters.wait(msn, part, signal);
  }

  /**
   * The last complete segment, or undefined before the first.
   *
   * @returns the segment as listed in the playlist
   */
  lastSegment(): HlsSegment | undefined {
    if (this.#predecessor) return this.#predecessor.lastSegment();
    return this.#window.last;
  }

  /**
   * Whether a file name under the prefix is served, deleted, or never made.
   *
   * @param name a name such as `seg12.ts`, `seg12.3.m4s`, `seg4.m4a`
   *   (audio-only fMP4) or `init.mp4`
   * @returns `live` (200), `gone` (410) or `unknown` (404, also for a
   *   segment or part listed as a GAP)
   */
  segmentState(name: string): HlsSegmentState {
    if (this.#predecessor) return this.#predecessor.segmentState(name);
    if (this.#io.isInit(name)) return "live";
    const match = /^seg(\d+)(?:\.(\d+))?\.([a-z0-9]+)$/.exec(name);
    if (!match || !this.#assembler.isSegmentExtension(match[3]!)) {
      return "unknown";
    }
    const msn = Number(match[1]);
    const part = match[2] === undefined ? undefined : Number(match[2]);
    const open = this.#assembler.open;
    if (open?.msn === msn) {
      const listed = part === undefined ? undefined : open.parts[part];
      return listed !== undefined && !listed.gap ? "live" : "unknown";
    }
    return this.#window.stateOf(msn, part);
  }

  /** Take over `previous`'s numbering, window and init versions. */
  #adopt(previous: HlsSegmenter): void {
    this.#window.adopt(previous.#window);
    this.#io.adopt(previous.#io);
    this.#assembler.continueAfter(previous.#window.completedCount);
    this.#predecessor = undefined;
  }

  #enqueue(
    task: () => Promise<void> | undefined,
    allowEnded = false,
  ): Promise<void> {
    const result = this.#chain.then(() => this.#run(task, allowEnded));
    // A failure is surfaced to the caller of this task; the queue goes on.
    this.#chain = result.then(undefined, ignore);
    return result;
  }

  #run(
    task: () => Promise<void> | undefined,
    allowEnded: boolean,
  ): Promise<void> | undefined {
    if (this.#ended && !allowEnded) {
      throw new StreamError(
        "Closed",
        `Cannot push to ${this.#prefix}: the segmenter has ended`,
      );
    }
    return task();
  }

  async #publish(): Promise<void> {
    await this.#io.put(
      "index.m3u8",
      new TextEncoder().encode(this.renderPlaylist()),
    );
    this.#waiters.notify((msn, part) => this.#has(msn, part));
  }

  #has(msn: number, part: number | undefined): boolean {
    if (this.#window.isComplete(msn)) {
      // A part index past a complete segment's last part means part 0 of
      // the next segment (RFC 8216bis §6.2.5.2).
      const parts = part === undefined ? 0 : this.#window.partsOf(msn);
      return parts === 0 || part! < parts || this.#has(msn + 1, 0);
    }
    const open = this.#assembler.open;
    return part !== undefined && open?.msn === msn && part < open.parts.length;
  }
}

/** The queue's rejection handler (the task's caller gets the error). */
function ignore(): void {}

/** Frames per second from an average interval, to 2 decimals (29.97, 30 for ms-rounded 30 fps). */
function frameRateOf(intervalS: number): number | undefined {
  return intervalS > 0 ? Math.round(100 / intervalS) / 100 : undefined;
}
