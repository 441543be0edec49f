/**
 * LL-HLS blocking playlist reload, RFC 8216bis §6.2.5.2 ("Blocking Playlist
 * Reload") and §6.2.5.1 ("Playlist Delta Updates"): parsing the
 * `_HLS_msn` / `_HLS_part` / `_HLS_skip` directives and deciding, from the
 * current playlist, whether a request must be refused (400), answered now,
 * or held until the packager publishes the requested part.
 *
 * Pure functions over strings: the route in `hls_routes.ts` does the waiting
 * (bounded by a timeout, then 503) with the packager's `waitFor()`.
 *
 * @module
 */

/**
 * How far ahead of the newest part a client may ask: §6.2.5.2 says a server
 * SHOULD answer 400 when `_HLS_part` exceeds the last part by more than the
 * Advance Part Limit, which the RFC sets to 3.
 *
 * @example The RFC value
 * ```ts
 * import { ADVANCE_PART_LIMIT } from "@arcly/stream/http";
 * import assert from "node:assert/strict";
 *
 * assert.equal(ADVANCE_PART_LIMIT, 3);
 * ```
 */
export const ADVANCE_PART_LIMIT = 3;

/**
 * How far ahead of the newest segment a client may ask: §6.2.5.2 refuses an
 * `_HLS_msn` greater than the last Media Sequence Number plus two.
 *
 * @example The RFC value
 * ```ts
 * import { ADVANCE_MSN_LIMIT } from "@arcly/stream/http";
 * import assert from "node:assert/strict";
 *
 * assert.equal(ADVANCE_MSN_LIMIT, 2);
 * ```
 */
export const ADVANCE_MSN_LIMIT = 2;

/** The delivery directives of one playlist request. *
 * @example Wait for part 1 of segment 4
 * ```ts
 * import type { BlockingRequest } from "@arcly/stream/http";
 * import assert from "node:assert/strict";
 *
 * const request: BlockingRequest = { msn: 4, part: 1, skip: false };
 * assert.equal(request.part, 1);
 * ```
 */
export interface BlockingRequest {
  /** `_HLS_msn`: the Media Sequence Number to wait for, or undefined. */
  msn: number | undefined;
  /** `_HLS_part`: the part index within `msn` to wait for, or undefined. */
  part: number | undefined;
  /** `_HLS_skip=YES` (or `v2`): the client accepts a delta update. */
  skip: boolean;
}

/** Where a live media playlist currently ends. *
 * @example A playlist two parts into segment 8
 * ```ts
 * import { type PlaylistPosition, blockingDecision } from "@arcly/stream/http";
 * import assert from "node:assert/strict";
 *
 * const position: PlaylistPosition = { lastMsn: 7, lastPart: 1, targetDuration: 2, partTarget: 0.5, ended: false, canBlock: true };
 * assert.equal(blockingDecision({ msn: 8, part: 0, skip: false }, position), "now");
 * ```
 */
export interface PlaylistPosition {
  /** Media Sequence Number of the last complete segment (-1 when none). */
  lastMsn: number;
  /** Index of the last published part of segment `lastMsn + 1` (-1 when none). */
  lastPart: number;
  /** `EXT-X-TARGETDURATION` in seconds (0 when absent). */
  targetDuration: number;
  /** `PART-TARGET` of `EXT-X-PART-INF` in seconds (0 when absent). */
  partTarget: number;
  /** The playlist has `EXT-X-ENDLIST`: never block on it. */
  ended: boolean;
  /** The playlist advertises `CAN-BLOCK-RELOAD=YES`. */
  canBlock: boolean;
}

const NON_NEGATIVE_INT = /^(0|[1-9][0-9]{0,14})$/;

/**
 * Parse the delivery directives of a playlist URL.
 *
 * @param query the request's search parameters
 * @returns the directives, or a string saying why the request is invalid
 * (answer 400 with it)
 *
 * @example Read the directives
 * ```ts
 * import { parseBlockingRequest } from "@arcly/stream/http";
 * import assert from "node:assert/strict";
 *
 * const request = parseBlockingRequest(new URLSearchParams("_HLS_msn=12&_HLS_part=2"));
 * assert.deepEqual(request, { msn: 12, part: 2, skip: false });
 * assert.equal(typeof parseBlockingRequest(new URLSearchParams("_HLS_part=1")), "string");
 * ```
 */
export function parseBlockingRequest(
  query: URLSearchParams,
): BlockingRequest | string {
  const msnText = query.get("_HLS_msn");
  const partText = query.get("_HLS_part");
  const skipText = query.get("_HLS_skip");
  const skip = skipText === "YES" || skipText === "v2";
  if (msnText === null) {
    if (partText !== null) return "_HLS_part requires _HLS_msn";
    return { msn: undefined, part: undefined, skip };
  }
  if (!NON_NEGATIVE_INT.test(msnText)) return "_HLS_msn is not an integer";
  if (partText !== null && !NON_NEGATIVE_INT.test(partText)) {
    return "_HLS_part is not an integer";
  }
  return {
    msn: Number(msnText),
    part: partText === null ? undefined : Number(partText),
    skip,
  };
}

/**
 * Find where a media playlist ends: last full segment, last part of the
 * segment in progress, target durations, and whether it can block.
 *
 * @param text a media playlist
 * @returns its position
 *
 * @example Find the newest part
 * ```ts
 * import { playlistPosition } from "@arcly/stream/http";
 * import assert from "node:assert/strict";
 *
 * const text = [
 *   "#EXTM3U", "#EXT-X-TARGETDURATION:2", "#EXT-X-PART-INF:PART-TARGET=0.5",
 *   "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.5",
 *   "#EXT-X-MEDIA-SEQUENCE:7", "#EXTINF:2.0,", "seg7.ts",
 *   '#EXT-X-PART:DURATION=0.5,URI="seg8.0.ts",INDEPENDENT=YES',
 * ].join("\n");
 * const position = playlistPosition(text);
 * assert.equal(position.lastMsn, 7);
 * assert.equal(position.lastPart, 0);
 * assert.ok(position.canBlock);
 * ```
 */
export function playlistPosition(text: string): PlaylistPosition {
  let sequence = 0;
  let segments = 0;
  let partsSinceSegment = 0;
  let targetDuration = 0;
  let partTarget = 0;
  let ended = false;
  let canBlock = false;
  for (const line of text.split("\n")) {
    if (line.startsWith("#EXTINF:")) {
      segments++;
      partsSinceSegment = 0;
    } else if (line.startsWith("#EXT-X-PART:")) {
      partsSinceSegment++;
    } else if (line.startsWith("#EXT-X-MEDIA-SEQUENCE:")) {
      sequence = Number(line.slice(22)) || 0;
    } else if (line.startsWith("#EXT-X-SKIP:")) {
      segments += Number(attribute(line, "SKIPPED-SEGMENTS")) || 0;
    } else if (line.startsWith("#EXT-X-TARGETDURATION:")) {
      targetDuration = Number(line.slice(22)) || 0;
    } else if (line.startsWith("#EXT-X-PART-INF:")) {
      partTarget = Number(attribute(line, "PART-TARGET")) || 0;
    } else if (line.startsWith("#EXT-X-SERVER-CONTROL:")) {
      canBlock = attribute(line, "CAN-BLOCK-RELOAD") === "YES";
    } else if (line.startsWith("#EXT-X-ENDLIST")) {
      ended = true;
    }
  }
  return {
    lastMsn: sequence + segments - 1,
    lastPart: partsSinceSegment - 1,
    targetDuration,
    partTarget,
    ended,
    canBlock,
  };
}

/**
 * Decide what to do with a blocking request against the current position.
 *
 * @param request the parsed directives
 * @param position where the playlist ends now
 * @returns `"now"` (answer with the current playlist), `"wait"` (hold until
 * the part exists), or a string saying why it is out of range (answer 400)
 *
 * @example Hold, answer or refuse
 * ```ts
 * import { blockingDecision } from "@arcly/stream/http";
 * import assert from "node:assert/strict";
 *
 * const position = { lastMsn: 7, lastPart: 1, targetDuration: 2, partTarget: 0.5, ended: false, canBlock: true };
 * assert.equal(blockingDecision({ msn: 8, part: 1, skip: false }, position), "now");
 * assert.equal(blockingDecision({ msn: 8, part: 2, skip: false }, position), "wait");
 * assert.equal(typeof blockingDecision({ msn: 20, part: undefined, skip: false }, position), "string");
 * ```
 */
export function blockingDecision(
  request: BlockingRequest,
  position: PlaylistPosition,
): "now" | "wait" | string {
  const { msn, part } = request;
  if (msn === undefined || position.ended || !position.canBlock) return "now";
  if (msn > position.lastMsn + ADVANCE_MSN_LIMIT) {
    return `_HLS_msn ${msn} is beyond the last segment ${position.lastMsn} + ${ADVANCE_MSN_LIMIT}`;
  }
  if (part === undefined) return msn <= position.lastMsn ? "now" : "wait";
  // Parts are numbered within their segment. In the segment in progress the
  // limit counts from the newest part; for the segment after it (the MSN
  // rule already capped how far) the part index must still fit a segment of
  // ceil(target / part target) parts plus the limit.
  const inProgress = position.lastMsn + 1;
  if (msn < inProgress) return "now";
  if (msn === inProgress) {
    if (part <= position.lastPart) return "now";
    if (part - position.lastPart > ADVANCE_PART_LIMIT) {
      return `_HLS_part ${part} is more than ${ADVANCE_PART_LIMIT} parts past ${position.lastPart}`;
    }
    return "wait";
  }
  const perSegment = position.partTarget > 0
    ? Math.ceil(position.targetDuration / position.partTarget)
    : 1;
  if (part >= perSegment + ADVANCE_PART_LIMIT) {
    return `_HLS_part ${part} of segment ${msn} is out of range`;
  }
  return "wait";
}

function attribute(line: string, name: string): string | undefined {
  const match = new RegExp(`(?:[:,])${name}=("[^"]*"|[^,]*)`).exec(line);
  return match?.[1]?.replace(/^"|"$/g, "");
}
