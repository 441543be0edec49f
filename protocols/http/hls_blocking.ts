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
 * The Advance Part Limit when PART-TARGET is one second or more: §6.2.5.2
 * says a server SHOULD answer 400 when `_HLS_part` exceeds the last part by
 * more than the Advance Part Limit, which is 3 then, and 3 ÷ PART-TARGET
 * (three seconds of parts) when PART-TARGET is under a second: see
 * {@linkcode advancePartLimit}.
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
 * The Advance Part Limit of RFC 8216bis §6.2.5.2 for a PART-TARGET: 3 ÷
 * PART-TARGET when it is under one second (rounded to whole parts: about 9
 * at 334 ms), else {@linkcode ADVANCE_PART_LIMIT}.
 *
 * @param partTargetS `PART-TARGET` in seconds (0 when absent)
 * @returns how many parts past the newest one a request may ask for
 *
 * @example Three seconds of parts
 * ```ts
 * import { advancePartLimit } from "@arcly/stream/http";
 * import assert from "node:assert/strict";
 *
 * assert.equal(advancePartLimit(0.334), 9);
 * assert.equal(advancePartLimit(0.5), 6);
 * assert.equal(advancePartLimit(2), 3);
 * ```
 */
export function advancePartLimit(partTargetS: number): number {
  return partTargetS > 0 && partTargetS < 1
    ? Math.max(ADVANCE_PART_LIMIT, Math.round(3 / partTargetS))
    : ADVANCE_PART_LIMIT;
}

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
  /** Parts listed for segment `lastMsn` (0 when none or not listed). */
  lastSegmentParts?: number;
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
  let lastSegmentParts = 0;
  let targetDuration = 0;
  let partTarget = 0;
  let ended = false;
  let canBlock = false;
  for (const line of text.split("\n")) {
    if (line.startsWith("#EXTINF:")) {
      segments++;
      lastSegmentParts = partsSinceSegment;
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
    lastSegmentParts,
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
  const inProgress = position.lastMsn + 1;
  if (part === undefined) return msn < inProgress ? "now" : "wait";
  if (msn < position.lastMsn) return "now";
  const lastParts = position.lastSegmentParts ?? 0;
  if (msn === position.lastMsn) {
    // A part index past a segment's last part means part 0 of the next
    // segment (§6.2.5.2): wait for it unless it is already there.
    if (lastParts === 0 || part < lastParts || position.lastPart >= 0) {
      return "now";
    }
    return "wait";
  }
  // How many parts past the newest one the request is. Parts are numbered
  // within their segment; the segment in progress is assumed to run to its
  // nominal ceil(target / part target) parts before the next one starts.
  const limit = advancePartLimit(position.partTarget);
  let ahead = part - position.lastPart;
  if (msn > inProgress) {
    const perSegment = position.partTarget > 0
      ? Math.ceil(position.targetDuration / position.partTarget)
      : 1;
    const restOfCurrent = Math.max(0, perSegment - 1 - position.lastPart);
    ahead = restOfCurrent + (msn - inProgress - 1) * perSegment + part + 1;
  }
  if (ahead <= 0) return "now";
  if (ahead > limit) {
    return `_HLS_part ${part} of segment ${msn} is ${ahead} parts past the last one (Advance Part Limit ${limit})`;
  }
  return "wait";
}

function attribute(line: string, name: string): string | undefined {
  const match = new RegExp(`(?:[:,])${name}=("[^"]*"|[^,]*)`).exec(line);
  return match?.[1]?.replace(/^"|"$/g, "");
}
