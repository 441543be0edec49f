/**
 * Content types and cache policy of the files the egress serves.
 *
 * Playlists change every part, so they are `no-cache`; a blocking-reload
 * answer is specific to its `_HLS_msn`/`_HLS_part` URL and may be cached
 * briefly (RFC 8216bis §6.2.5.2 notes such responses are cacheable); media
 * segments and parts never change once published, so they are
 * `immutable` (RFC 8246). Unknown extensions are served as
 * `application/octet-stream`.
 *
 * @module
 */

/** `Cache-Control` of a live playlist: always revalidate. *
 * @example What cacheControlOf() returns
 * ```ts
 * import { cacheControlOf, PLAYLIST_CACHE_CONTROL } from "@arcly/stream/http";
 * import assert from "node:assert/strict";
 *
 * assert.equal(cacheControlOf("index.m3u8"), PLAYLIST_CACHE_CONTROL);
 * ```
 */
export const PLAYLIST_CACHE_CONTROL = "no-cache";

/**
 * `Cache-Control` of a blocking-reload answer (`?_HLS_msn=…[&_HLS_part=…]`):
 * the playlist as of that exact position, so the URL can be cached briefly
 * and an HTTP cache in front of the origin (nginx `proxy_cache` with
 * `proxy_cache_lock`) collapses every player's wait for the next part into
 * one origin request. Short enough that a delta update never outlives the
 * window it refers to.
 *
 * @example
 * ```ts
 * import { BLOCKING_PLAYLIST_CACHE_CONTROL } from "@arcly/stream/http";
 * import assert from "node:assert/strict";
 * assert.match(BLOCKING_PLAYLIST_CACHE_CONTROL, /max-age=\d+/);
 * ```
 */
export const BLOCKING_PLAYLIST_CACHE_CONTROL = "public, max-age=6";

/** `Cache-Control` of a segment, part or recording chunk: never changes. *
 * @example What cacheControlOf() returns
 * ```ts
 * import { cacheControlOf, SEGMENT_CACHE_CONTROL } from "@arcly/stream/http";
 * import assert from "node:assert/strict";
 *
 * assert.equal(cacheControlOf("seg1.ts"), SEGMENT_CACHE_CONTROL);
 * ```
 */
export const SEGMENT_CACHE_CONTROL = "public, max-age=31536000, immutable";

/**
 * `Cache-Control` of a file that may be rewritten under the same name (the
 * fMP4 `init.mp4` after a publisher restart, a recording being appended).
 *
 * @example What cacheControlOf() returns
 * ```ts
 * import { cacheControlOf, MUTABLE_CACHE_CONTROL } from "@arcly/stream/http";
 * import assert from "node:assert/strict";
 *
 * assert.equal(cacheControlOf("init.mp4"), MUTABLE_CACHE_CONTROL);
 * ```
 */
export const MUTABLE_CACHE_CONTROL = "no-cache";

const TYPES: Record<string, string> = {
  m3u8: "application/vnd.apple.mpegurl",
  ts: "video/mp2t",
  m4s: "video/iso.segment",
  mp4: "video/mp4",
  m4a: "audio/mp4",
  aac: "audio/aac",
  flv: "video/x-flv",
  json: "application/json",
};

/**
 * The MIME type for a file name, from its extension.
 *
 * @param name a file name or key
 * @returns the MIME type
 *
 * @example Types by extension
 * ```ts
 * import { mediaTypeOf } from "@arcly/stream/http";
 * import assert from "node:assert/strict";
 *
 * assert.equal(mediaTypeOf("live/cam/index.m3u8"), "application/vnd.apple.mpegurl");
 * assert.equal(mediaTypeOf("seg12.ts"), "video/mp2t");
 * assert.equal(mediaTypeOf("seg12.3.m4s"), "video/iso.segment");
 * ```
 */
export function mediaTypeOf(name: string): string {
  const dot = name.lastIndexOf(".");
  const ext = dot < 0 ? "" : name.slice(dot + 1).toLowerCase();
  return TYPES[ext] ?? "application/octet-stream";
}

/**
 * The `Cache-Control` value for a stored file: playlists and files that may
 * be rewritten in place revalidate, media segments are immutable.
 *
 * @param name a file name or key
 * @returns the header value
 *
 * @example Playlists revalidate, segments do not
 * ```ts
 * import { cacheControlOf } from "@arcly/stream/http";
 * import assert from "node:assert/strict";
 *
 * assert.equal(cacheControlOf("index.m3u8"), "no-cache");
 * assert.match(cacheControlOf("seg4.m4s"), /immutable/);
 * assert.equal(cacheControlOf("init.mp4"), "no-cache");
 * ```
 */
export function cacheControlOf(name: string): string {
  const base = name.slice(name.lastIndexOf("/") + 1).toLowerCase();
  if (base.endsWith(".m3u8")) return PLAYLIST_CACHE_CONTROL;
  if (
    base.endsWith(".ts") || base.endsWith(".m4s") || base.endsWith(".aac") ||
    base.endsWith(".m4a") // audio-only fMP4 HLS segments
  ) {
    return SEGMENT_CACHE_CONTROL;
  }
  return MUTABLE_CACHE_CONTROL;
}
