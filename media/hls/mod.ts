/**
 * The HLS and LL-HLS packager.
 *
 * - {@linkcode HlsSegmenter}: frames in (a `WritableStream<MediaFrame>`),
 *   playlists, segments and parts out to a `StorageBackend`; blocking-reload
 *   support with `waitFor()` and 200/410/404 decisions with `segmentState()`.
 * - {@linkcode renderMediaPlaylist} / {@linkcode renderMasterPlaylist}: the
 *   pure m3u8 renderers.
 *
 * Specification: RFC 8216bis (HLS 2nd edition, incl. Low-Latency HLS).
 *
 * @example Tour: render a master playlist
 * ```ts
 * import { renderMasterPlaylist } from "@arcly/stream/hls";
 * import assert from "node:assert/strict";
 *
 * const master = renderMasterPlaylist([
 *   { uri: "index.m3u8", bandwidth: 1_000_000, codecs: ["avc1.42c01e", "mp4a.40.2"], width: 640, height: 360 },
 * ]);
 * assert.match(master, /#EXT-X-STREAM-INF:BANDWIDTH=1000000/);
 * ```
 *
 * @module
 */
export * from "./hls_segmenter.ts";
export * from "./hls_segmenter_options.ts";
export * from "./media_playlist.ts";
export * from "./master_playlist.ts";
export type { CodecId, MediaFrame, TrackKind } from "../frame.ts";
export type { Muxer, MuxOptions } from "../muxer.ts";
export type { StreamError, StreamErrorCode } from "../stream_error.ts";
export type {
  StorageBackend,
  StorageStat,
  WriteOptions,
} from "../storage/storage_backend.ts";
