/**
 * {@linkcode dvrWindowSegments}: the live playlist window of an HLS DVR
 * (time-shift) stream. A DVR window of N minutes keeps the last N minutes of
 * segments in the live playlist: a sliding window (the media sequence
 * advances, segments leaving it are deleted after their grace period) long
 * enough for players to seek back, as set per application
 * (`AppSpec.hlsDvrMs`) or for every stream (`HlsPackagingOptions.dvrWindowMs`,
 * CLI `--hls-dvr MINUTES`).
 *
 * @module
 */

/**
 * Segments a live playlist keeps for a DVR window.
 *
 * @param dvrMs the window, ms (0 or less: no DVR)
 * @param targetDurationMs the segment target duration, ms
 * @param windowSize the window without DVR, segments
 * @returns `ceil(dvrMs / targetDurationMs)`, at least `windowSize`
 * @example
 * ```ts
 * import { dvrWindowSegments } from "@arcly/stream/pipelines";
 * import assert from "node:assert/strict";
 * assert.equal(dvrWindowSegments(20_000, 1000, 6), 20);
 * assert.equal(dvrWindowSegments(0, 2000, 6), 6);
 * ```
 */
export function dvrWindowSegments(
  dvrMs: number,
  targetDurationMs: number,
  windowSize: number,
): number {
  if (!(dvrMs > 0) || !(targetDurationMs > 0)) return windowSize;
  return Math.max(windowSize, Math.ceil(dvrMs / targetDurationMs));
}
