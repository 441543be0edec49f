/**
 * Options and events of {@linkcode HlsSegmenter}: what the caller configures
 * and what the packager reports back.
 *
 * @module
 */
import type { Muxer } from "../muxer.ts";
import type { StreamError } from "../stream_error.ts";
import type { StorageBackend } from "../storage/storage_backend.ts";
import type { HlsSegmenter } from "./hls_segmenter.ts";
import type { HlsRenditionReport } from "./media_playlist.ts";

/**
 * `live`: sliding window, old segments deleted. `event`: every segment kept,
 * EXT-X-PLAYLIST-TYPE:EVENT (DVR). `vod`: like `event` while running, then
 * EXT-X-PLAYLIST-TYPE:VOD with EXT-X-ENDLIST when the stream ends.
 *
 * @example
 * ```ts
 * import type { HlsPlaylistKind } from "@arcly/stream/hls";
 * const kind: HlsPlaylistKind = "event";
 * ```
 */
export type HlsPlaylistKind = "live" | "event" | "vod";

/**
 * Whether a segment or part name is served (`live`: 200), was produced and
 * deleted (`gone`: 410), or was never produced by this segmenter
 * (`unknown`: 404).
 *
 * @example
 * ```ts
 * import type { HlsSegmentState } from "@arcly/stream/hls";
 * const state: HlsSegmentState = "gone";
 * ```
 */
export type HlsSegmentState = "live" | "gone" | "unknown";

/**
 * What an {@linkcode HlsSegmenter} reports, one discriminated union.
 *
 * @example Count storage errors
 * ```ts
 * import type { HlsSegmenterEvent } from "@arcly/stream/hls";
 * let failures = 0;
 * const onEvent = (event: HlsSegmenterEvent): void => {
 *   if (event.type === "storageError") failures++;
 * };
 * onEvent({ type: "ended", segments: 0 });
 * ```
 */
export type HlsSegmenterEvent =
  /** A complete segment was written. */
  | {
    readonly type: "segment";
    readonly msn: number;
    readonly key: string;
    readonly durationS: number;
    readonly bytes: number;
  }
  /** An LL-HLS partial segment was written. */
  | {
    readonly type: "part";
    readonly msn: number;
    readonly part: number;
    readonly key: string;
    readonly durationS: number;
    readonly independent: boolean;
  }
  /** A segment left the window and its files were deleted. */
  | { readonly type: "segmentDeleted"; readonly msn: number }
  /** A storage write or delete failed; the stream goes on. */
  | {
    readonly type: "storageError";
    readonly key: string;
    readonly error: StreamError;
  }
  /** The muxer rejected frames; they were dropped and the stream goes on. */
  | { readonly type: "muxError"; readonly error: unknown }
  /** A timestamp jump or an explicit call started a discontinuity. */
  | { readonly type: "discontinuity"; readonly nextMsn: number }
  /** The stream ended and the final playlist was written. */
  | { readonly type: "ended"; readonly segments: number };

/**
 * Options for {@linkcode HlsSegmenter}. Give either `muxer` or `format`.
 *
 * @example Plain HLS over MPEG-TS, 2 s segments, 6-segment window
 * ```ts
 * import type { HlsSegmenterOptions } from "@arcly/stream/hls";
 * import { MemoryStorage } from "@arcly/stream/storage";
 *
 * const options: HlsSegmenterOptions = {
 *   storage: new MemoryStorage(), format: "ts", prefix: "live/cam",
 *   targetDurationMs: 2000, windowSize: 6,
 * };
 * ```
 */
export interface HlsSegmenterOptions {
  /** Where playlists and segments go. */
  storage: StorageBackend;
  /** Key prefix (a folder): files land at `{prefix}/index.m3u8` etc. */
  prefix: string;
  /** The container writer. Takes precedence over `format`. */
  muxer?: Muxer;
  /** Build a muxer: `"ts"` (MpegTsMuxer) or `"fmp4"` (Fmp4Muxer). */
  format?: "ts" | "fmp4";
  /** Desired segment duration; EXT-X-TARGETDURATION is its ceiling in seconds. Default 2000. */
  targetDurationMs?: number;
  /** LL-HLS part target in ms (e.g. 334). Undefined: plain HLS. */
  partTargetMs?: number;
  /** Segments listed by a `live` playlist. Default 6. */
  windowSize?: number;
  /** Playlist kind. Default `live`. */
  playlistType?: HlsPlaylistKind;
  /** Wall clock for EXT-X-PROGRAM-DATE-TIME, ms since the epoch. Default `Date.now`. */
  wallClock?: () => number;
  /** Called for every {@linkcode HlsSegmenterEvent}; exceptions are ignored. */
  onEvent?: (event: HlsSegmenterEvent) => void;
  /** Sibling renditions' reports (EXT-X-RENDITION-REPORT), when there is a master. */
  renditionReports?: () => readonly HlsRenditionReport[];
  /**
   * The segmenter of the previous session under the same `prefix` (a
   * republish). This one goes on from its media and discontinuity sequence
   * numbers and init-segment versions, keeps its segments listed until they
   * slide out, and starts with EXT-X-DISCONTINUITY, so MEDIA-SEQUENCE never
   * goes back and no URI ever names new bytes (RFC 8216bis §6.2.1, §6.2.2).
   * Until `continueFrom` has ended, this one serves its playlist and
   * queues frames; end it (or let its stream end) first.
   */
  continueFrom?: HlsSegmenter | undefined;
}
