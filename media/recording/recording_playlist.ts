/**
 * {@linkcode recordingPlaylist}: a VOD playlist of a time range of a
 * stream's fMP4 recordings, each fragment a byte range of its file (players
 * fetch the recorded bytes directly).
 *
 * @module
 */
import { filesInRange } from "./recording_export.ts";
import type { RecordingFile } from "./recording_index.ts";

/**
 * A VOD playlist (RFC 8216bis §4.4.3.5) of the fragments of `files` that
 * overlap `[startMs, startMs + durationS)`, as byte ranges of the files.
 *
 * @param files the stream's files (from `RecordingIndex.files`)
 * @param startMs range start, ms since the epoch
 * @param durationS range length, seconds
 * @param uriOf the URI of a file's bytes (relative to the playlist)
 * @returns the playlist text, or null when nothing overlaps
 * @example
 * ```ts
 * import { recordingPlaylist } from "@arcly/stream/recording";
 * import assert from "node:assert/strict";
 * assert.equal(recordingPlaylist([], 0, 10, (key) => key), null);
 * ```
 */
export function recordingPlaylist(
  files: readonly RecordingFile[],
  startMs: number,
  durationS: number,
  uriOf: (key: string) => string,
): string | null {
  const endMs = startMs + durationS * 1000;
  const lines: string[] = [];
  let target = 1;
  let first = true;
  for (const file of filesInRange(files, startMs, endMs)) {
    if (file.format !== "mp4") continue; // byte ranges of fMP4 only
    const uri = uriOf(file.key);
    const from = (startMs - file.startMs) / 1000;
    const to = (endMs - file.startMs) / 1000;
    const picked = file.fragments.filter((f) =>
      f.startS + f.durationS > from && f.startS < to
    );
    if (picked.length === 0) continue;
    if (!first) lines.push("#EXT-X-DISCONTINUITY");
    first = false;
    lines.push(
      `#EXT-X-MAP:URI="${uri}",BYTERANGE="${file.initBytes}@0"`,
      `#EXT-X-PROGRAM-DATE-TIME:${
        new Date(file.startMs + picked[0]!.startS * 1000).toISOString()
      }`,
    );
    for (const f of picked) {
      target = Math.max(target, Math.ceil(f.durationS));
      lines.push(
        `#EXTINF:${f.durationS.toFixed(3)},`,
        `#EXT-X-BYTERANGE:${f.end - f.offset}@${f.offset}`,
        uri,
      );
    }
  }
  if (first) return null;
  return [
    "#EXTM3U",
    "#EXT-X-VERSION:7",
    `#EXT-X-TARGETDURATION:${target}`,
    "#EXT-X-PLAYLIST-TYPE:VOD",
    "#EXT-X-MEDIA-SEQUENCE:0",
    "#EXT-X-INDEPENDENT-SEGMENTS",
    ...lines,
    "#EXT-X-ENDLIST",
    "",
  ].join("\n");
}
