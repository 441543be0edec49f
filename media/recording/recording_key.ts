/**
 * {@linkcode parseRecordingKey}: the stream, start time and format in the
 * storage key of a recording `StreamRecorder` wrote
 * (`{app}/{name}-{UTC time}[-N].{mp4|flv}`, or an HLS folder).
 *
 * @module
 */
/**
 * What a recording key names: one fMP4 or FLV file, or an HLS folder.
 *
 * @example
 * ```ts
 * import type { RecordingFileFormat } from "@arcly/stream/recording";
 * const format: RecordingFileFormat = "mp4";
 * ```
 */
export type RecordingFileFormat = "mp4" | "flv" | "hls";

const NAME =
  /^(.+)-(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})-(\d{3})Z(?:-(\d+))?(\.mp4|\.flv|\/.*)?$/;

/**
 * Parse a recording's storage key (`live/cam-2026-12-06T08-30-00-000Z.mp4`).
 *
 * @param key a storage key
 * @returns stream, start time, split number and format, or null when the
 *   key is not a recording's
 * @example
 * ```ts
 * import { parseRecordingKey } from "@arcly/stream/recording";
 * import assert from "node:assert/strict";
 * const r = parseRecordingKey("live/cam-2026-12-06T08-30-00-000Z.mp4")!;
 * assert.equal(r.stream, "live/cam");
 * assert.equal(new Date(r.startMs).toISOString(), "2026-12-06T08:30:00.000Z");
 * ```
 */
export function parseRecordingKey(
  key: string,
): {
  stream: string;
  startMs: number;
  part: number;
  format: RecordingFileFormat;
} | null {
  const slash = key.indexOf("/");
  if (slash <= 0) return null;
  const app = key.slice(0, slash);
  const m = NAME.exec(key.slice(slash + 1));
  if (m === null || m[1]!.includes("/")) return null;
  const startMs = Date.parse(`${m[2]}T${m[3]}:${m[4]}:${m[5]}.${m[6]}Z`);
  if (!Number.isFinite(startMs)) return null;
  const tail = m[8] ?? "";
  const format = tail === ".mp4" ? "mp4" : tail === ".flv" ? "flv" : "hls";
  return {
    stream: `${app}/${m[1]}`,
    startMs,
    part: m[7] === undefined ? 0 : Number(m[7]),
    format,
  };
}
