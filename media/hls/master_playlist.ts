/**
 * {@linkcode renderMasterPlaylist}: the multivariant ("master") playlist that
 * points players at media playlists and tells them CODECS and RESOLUTION
 * before they download anything.
 *
 * Specification: RFC 8216bis §4.4.6.2 (EXT-X-STREAM-INF: BANDWIDTH,
 * AVERAGE-BANDWIDTH, CODECS, RESOLUTION, FRAME-RATE); codec strings per
 * RFC 6381 as produced by the codec helpers (`avc1.64001f`, `mp4a.40.2`).
 *
 * @module
 */

/**
 * One variant stream of a master playlist.
 *
 * @example
 * ```ts
 * import type { HlsVariant } from "@arcly/stream/hls";
 * const variant: HlsVariant = {
 *   uri: "index.m3u8", bandwidth: 2_500_000,
 *   codecs: ["avc1.64001f", "mp4a.40.2"], width: 1280, height: 720,
 * };
 * ```
 */
export interface HlsVariant {
  /** Media playlist URI, relative to the master playlist. */
  readonly uri: string;
  /** Peak bit rate in bits per second (BANDWIDTH). */
  readonly bandwidth: number;
  /** Average bit rate in bits per second (AVERAGE-BANDWIDTH). */
  readonly averageBandwidth?: number | undefined;
  /** RFC 6381 codec strings of every track (CODECS). */
  readonly codecs: readonly string[];
  /** Video width in pixels (RESOLUTION, with `height`). */
  readonly width?: number | undefined;
  /** Video height in pixels. */
  readonly height?: number | undefined;
  /** Video frame rate (FRAME-RATE). */
  readonly frameRate?: number | undefined;
}

/**
 * Render a master playlist listing `variants`.
 *
 * @param variants the variant streams, best first or in any order
 * @returns the playlist text
 *
 * @example One 720p H.264 + AAC variant
 * ```ts
 * import { renderMasterPlaylist } from "@arcly/stream/hls";
 * import assert from "node:assert/strict";
 *
 * const text = renderMasterPlaylist([{
 *   uri: "index.m3u8", bandwidth: 2_500_000,
 *   codecs: ["avc1.64001f", "mp4a.40.2"], width: 1280, height: 720, frameRate: 30,
 * }]);
 * assert.match(text, /CODECS="avc1.64001f,mp4a.40.2",RESOLUTION=1280x720/);
 * assert.match(text, /\nindex.m3u8\n$/);
 * ```
 */
export function renderMasterPlaylist(variants: readonly HlsVariant[]): string {
  const lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-INDEPENDENT-SEGMENTS"];
  for (const variant of variants) {
    const attributes = [
      `BANDWIDTH=${Math.max(0, Math.round(variant.bandwidth))}`,
    ];
    if (variant.averageBandwidth !== undefined) {
      attributes.push(
        `AVERAGE-BANDWIDTH=${Math.round(variant.averageBandwidth)}`,
      );
    }
    if (variant.codecs.length > 0) {
      attributes.push(`CODECS="${variant.codecs.join(",")}"`);
    }
    if (variant.width && variant.height) {
      attributes.push(`RESOLUTION=${variant.width}x${variant.height}`);
    }
    if (variant.frameRate && variant.frameRate > 0) {
      attributes.push(`FRAME-RATE=${variant.frameRate.toFixed(3)}`);
    }
    lines.push(`#EXT-X-STREAM-INF:${attributes.join(",")}`, variant.uri);
  }
  lines.push("");
  return lines.join("\n");
}
