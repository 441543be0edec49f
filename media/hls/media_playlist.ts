/**
 * {@linkcode renderMediaPlaylist}: the pure text renderer for HLS and LL-HLS
 * media playlists. The segmenter keeps the state; this turns a snapshot of it
 * into m3u8 text, with no I/O.
 *
 * Specification: RFC 8216bis (HTTP Live Streaming 2nd edition, draft 16)
 * §4.4 (playlist tags), EXT-X-GAP (§4.4.4.7); LL-HLS tags EXT-X-PART (§4.4.4.9), EXT-X-PART-INF
 * (§4.4.3.7), EXT-X-SERVER-CONTROL (§4.4.3.8), EXT-X-PRELOAD-HINT
 * (§4.4.5.3), EXT-X-RENDITION-REPORT (§4.4.5.4), EXT-X-SKIP (§4.4.5.2).
 *
 * Output size is linear in the segments and parts given; the caller bounds
 * them (the live window).
 *
 * @module
 */

/**
 * One partial segment (LL-HLS EXT-X-PART).
 *
 * @example
 * ```ts
 * import type { HlsPart } from "@arcly/stream/hls";
 * const part: HlsPart = { uri: "seg4.0.ts", durationS: 0.33367, independent: true };
 * ```
 */
export interface HlsPart {
  /** URI relative to the playlist. */
  readonly uri: string;
  /** Exact duration in seconds, from frame timestamps. */
  readonly durationS: number;
  /** True when the part starts with a random-access point (INDEPENDENT=YES). */
  readonly independent: boolean;
  /** True when the part is unavailable (its write failed): GAP=YES, §4.4.4.9. */
  readonly gap?: boolean | undefined;
}

/**
 * One media segment as the playlist shows it. `durationS` is undefined for
 * the open (still growing) LL-HLS segment, which is rendered as parts only.
 *
 * @example
 * ```ts
 * import type { HlsSegment } from "@arcly/stream/hls";
 * const segment: HlsSegment = {
 *   msn: 4, uri: "seg4.ts", durationS: 2, discontinuity: false, parts: [],
 * };
 * ```
 */
export interface HlsSegment {
  /** Media sequence number. */
  readonly msn: number;
  /** URI relative to the playlist. */
  readonly uri: string;
  /** EXTINF duration in seconds; undefined while the segment is open. */
  readonly durationS?: number | undefined;
  /** Preceded by EXT-X-DISCONTINUITY (publisher restart, timestamp jump). */
  readonly discontinuity: boolean;
  /** EXT-X-PROGRAM-DATE-TIME of the first sample, ms since the epoch. */
  readonly programDateTimeMs?: number | undefined;
  /** fMP4 initialization segment URI (EXT-X-MAP); undefined for TS. */
  readonly mapUri?: string | undefined;
  /** Partial segments (LL-HLS); empty for plain HLS. */
  readonly parts: readonly HlsPart[];
  /**
   * True when the segment is unavailable (its write failed): EXT-X-GAP
   * (§4.4.4.7), and every part of it GAP=YES, so players skip it.
   */
  readonly gap?: boolean | undefined;
}

/**
 * EXT-X-RENDITION-REPORT data for a sibling rendition.
 *
 * @example
 * ```ts
 * import type { HlsRenditionReport } from "@arcly/stream/hls";
 * const report: HlsRenditionReport = { uri: "../low/index.m3u8", lastMsn: 9, lastPart: 2 };
 * ```
 */
export interface HlsRenditionReport {
  /** Playlist URI of the sibling, relative to this playlist. */
  readonly uri: string;
  /** Its last media sequence number. */
  readonly lastMsn: number;
  /** Its last part index in `lastMsn` (LL-HLS). */
  readonly lastPart?: number | undefined;
}

/**
 * Everything {@linkcode renderMediaPlaylist} needs.
 *
 * @example
 * ```ts
 * import type { MediaPlaylistInput } from "@arcly/stream/hls";
 * const input: MediaPlaylistInput = {
 *   version: 3, targetDurationS: 2, mediaSequence: 0, discontinuitySequence: 0,
 *   segments: [], ended: false,
 * };
 * ```
 */
export interface MediaPlaylistInput {
  /** EXT-X-VERSION. */
  readonly version: number;
  /** EXT-X-TARGETDURATION, whole seconds, fixed for the stream. */
  readonly targetDurationS: number;
  /** EXT-X-MEDIA-SEQUENCE: msn of the first segment listed. */
  readonly mediaSequence: number;
  /** EXT-X-DISCONTINUITY-SEQUENCE: discontinuities that left the window. */
  readonly discontinuitySequence: number;
  /** EXT-X-PLAYLIST-TYPE; omitted for a sliding live playlist. */
  readonly playlistType?: "EVENT" | "VOD" | undefined;
  /** Segments in msn order; the last may be open (no `durationS`). */
  readonly segments: readonly HlsSegment[];
  /** EXT-X-ENDLIST. */
  readonly ended: boolean;
  /** EXT-X-PART-INF PART-TARGET in seconds; set for LL-HLS. */
  readonly partTargetS?: number | undefined;
  /** URI for EXT-X-PRELOAD-HINT TYPE=PART (the next part). */
  readonly preloadHintUri?: string | undefined;
  /** EXT-X-SERVER-CONTROL CAN-SKIP-UNTIL in seconds (delta updates). */
  readonly canSkipUntilS?: number | undefined;
  /** EXT-X-INDEPENDENT-SEGMENTS: every segment starts with a random-access point. */
  readonly independentSegments?: boolean | undefined;
  /** Render a delta update: replace old segments by EXT-X-SKIP. */
  readonly skip?: boolean | undefined;
  /** EXT-X-RENDITION-REPORT lines. */
  readonly renditionReports?: readonly HlsRenditionReport[] | undefined;
}

/**
 * LL-HLS parts are listed only for segments within this many target
 * durations of the end of the playlist (RFC 8216bis §4.4.4.9: older partial
 * segments are removed from the playlist; they add bytes and no value).
 *
 * @example
 * ```ts
 * import { PART_LIST_TARGET_DURATIONS } from "@arcly/stream/hls";
 * import assert from "node:assert/strict";
 * assert.equal(PART_LIST_TARGET_DURATIONS, 3);
 * ```
 */
export const PART_LIST_TARGET_DURATIONS = 3;

/** Digits after the decimal point in durations: 10 µs, finer than a 90 kHz tick. */
const DURATION_DECIMALS = 5;

/**
 * Format seconds for EXTINF/DURATION: fixed 5 decimals, trailing zeros cut.
 *
 * @param seconds a non-negative duration
 * @returns the decimal text
 * @example
 * ```ts
 * import { formatDuration } from "@arcly/stream/hls";
 * import assert from "node:assert/strict";
 * assert.equal(formatDuration(2), "2");
 * assert.equal(formatDuration(1 / 3), "0.33333");
 * ```
 */
export function formatDuration(seconds: number): string {
  const text = seconds.toFixed(DURATION_DECIMALS);
  return text.replace(/\.?0+$/, "") || "0";
}

/**
 * Render a media playlist (RFC 8216bis §4.4).
 *
 * Tag order: header tags, then per segment EXT-X-DISCONTINUITY, EXT-X-MAP
 * (when it changes), EXT-X-PROGRAM-DATE-TIME, EXT-X-PART lines, EXT-X-GAP
 * (unavailable segments, §4.4.4.7), EXTINF and the URI; then the open segment's parts, EXT-X-PRELOAD-HINT,
 * EXT-X-RENDITION-REPORT and EXT-X-ENDLIST.
 *
 * @param input the playlist state
 * @returns the playlist text
 *
 * @example Render a two-segment VOD playlist
 * ```ts
 * import { renderMediaPlaylist } from "@arcly/stream/hls";
 * import assert from "node:assert/strict";
 *
 * const text = renderMediaPlaylist({
 *   version: 3, targetDurationS: 2, mediaSequence: 0, discontinuitySequence: 0,
 *   playlistType: "VOD", ended: true,
 *   segments: [
 *     { msn: 0, uri: "seg0.ts", durationS: 2, discontinuity: false, parts: [] },
 *     { msn: 1, uri: "seg1.ts", durationS: 1.5, discontinuity: false, parts: [] },
 *   ],
 * });
 * assert.match(text, /#EXT-X-TARGETDURATION:2\n/);
 * assert.match(text, /#EXTINF:1.5,\nseg1.ts\n#EXT-X-ENDLIST\n$/);
 * ```
 */
export function renderMediaPlaylist(input: MediaPlaylistInput): string {
  const lines: string[] = ["#EXTM3U", `#EXT-X-VERSION:${input.version}`];
  lines.push(`#EXT-X-TARGETDURATION:${input.targetDurationS}`);
  if (input.playlistType) {
    lines.push(`#EXT-X-PLAYLIST-TYPE:${input.playlistType}`);
  }
  const ll = input.partTargetS !== undefined;
  const control = serverControl(input);
  if (control) lines.push(control);
  if (ll) {
    lines.push(
      `#EXT-X-PART-INF:PART-TARGET=${formatDuration(input.partTargetS!)}`,
    );
  }
  lines.push(`#EXT-X-MEDIA-SEQUENCE:${input.mediaSequence}`);
  if (input.discontinuitySequence > 0) {
    lines.push(`#EXT-X-DISCONTINUITY-SEQUENCE:${input.discontinuitySequence}`);
  }
  if (input.independentSegments) lines.push("#EXT-X-INDEPENDENT-SEGMENTS");

  const segments = input.segments;
  const skipped = input.skip ? skippableCount(input) : 0;
  if (skipped > 0) lines.push(`#EXT-X-SKIP:SKIPPED-SEGMENTS=${skipped}`);
  const partsFrom = ll ? firstSegmentWithParts(input) : segments.length;
  let mapUri: string | undefined;
  for (let i = skipped; i < segments.length; i++) {
    const segment = segments[i]!;
    if (segment.discontinuity) lines.push("#EXT-X-DISCONTINUITY");
    if (segment.mapUri !== undefined && segment.mapUri !== mapUri) {
      lines.push(`#EXT-X-MAP:URI="${segment.mapUri}"`);
    }
    mapUri = segment.mapUri;
    if (segment.programDateTimeMs !== undefined) {
      lines.push(
        `#EXT-X-PROGRAM-DATE-TIME:${
          new Date(segment.programDateTimeMs).toISOString()
        }`,
      );
    }
    if (i >= partsFrom) {
      for (const part of segment.parts) {
        lines.push(partLine(part, segment.gap === true));
      }
    }
    if (segment.gap && segment.durationS !== undefined) {
      lines.push("#EXT-X-GAP");
    }
    if (segment.durationS !== undefined) {
      lines.push(`#EXTINF:${formatDuration(segment.durationS)},`, segment.uri);
    }
  }
  if (input.preloadHintUri !== undefined && !input.ended) {
    lines.push(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${input.preloadHintUri}"`);
  }
  for (const report of input.renditionReports ?? []) {
    let line =
      `#EXT-X-RENDITION-REPORT:URI="${report.uri}",LAST-MSN=${report.lastMsn}`;
    if (report.lastPart !== undefined) line += `,LAST-PART=${report.lastPart}`;
    lines.push(line);
  }
  if (input.ended) lines.push("#EXT-X-ENDLIST");
  lines.push("");
  return lines.join("\n");
}

function serverControl(input: MediaPlaylistInput): string | undefined {
  if (input.ended || input.playlistType === "VOD") return undefined;
  const attributes: string[] = [];
  if (input.partTargetS !== undefined) attributes.push("CAN-BLOCK-RELOAD=YES");
  if (input.canSkipUntilS !== undefined) {
    attributes.push(`CAN-SKIP-UNTIL=${formatDuration(input.canSkipUntilS)}`);
  }
  if (input.partTargetS !== undefined) {
    // §4.4.3.8: PART-HOLD-BACK at least 2x PART-TARGET; 3x is the recommendation.
    attributes.push(`PART-HOLD-BACK=${formatDuration(input.partTargetS * 3)}`);
  }
  return attributes.length
    ? `#EXT-X-SERVER-CONTROL:${attributes.join(",")}`
    : undefined;
}

function partLine(part: HlsPart, segmentGap: boolean): string {
  const independent = part.independent ? ",INDEPENDENT=YES" : "";
  const gap = part.gap || segmentGap ? ",GAP=YES" : "";
  return `#EXT-X-PART:DURATION=${
    formatDuration(part.durationS)
  },URI="${part.uri}"${independent}${gap}`;
}

/** Index of the first segment whose parts are still listed. */
function firstSegmentWithParts(input: MediaPlaylistInput): number {
  const limit = PART_LIST_TARGET_DURATIONS * input.targetDurationS;
  let age = 0;
  let i = input.segments.length;
  while (i > 0) {
    const duration = input.segments[i - 1]!.durationS ?? 0;
    if (age + duration > limit) break;
    age += duration;
    i--;
  }
  return i;
}

/**
 * Segments a delta update may skip: those that end before the skip boundary
 * (CAN-SKIP-UNTIL seconds before the end of the playlist, §6.2.5.1).
 */
function skippableCount(input: MediaPlaylistInput): number {
  if (input.canSkipUntilS === undefined) return 0;
  let remaining = 0;
  for (const segment of input.segments) remaining += segment.durationS ?? 0;
  let skipped = 0;
  for (const segment of input.segments) {
    if (segment.durationS === undefined || remaining < input.canSkipUntilS) {
      break;
    }
    remaining -= segment.durationS;
    if (remaining < input.canSkipUntilS) break;
    skipped++;
  }
  return skipped;
}
