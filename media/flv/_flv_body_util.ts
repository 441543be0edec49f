/**
 * Helpers shared by the legacy and Enhanced RTMP tag body parsers: bounds
 * checks, SI24 composition time and frame construction.
 *
 * @module
 */
import type { CodecId, MediaFrame, TrackKind } from "../frame.ts";
import { BitstreamError } from "../stream_error.ts";

/** Codecs listed in `Unsupported` errors for video. */
export const SUPPORTED_VIDEO =
  "legacy AVC (7), HEVC (12), Enhanced RTMP avc1, hvc1, av01, vp09";
/** Codecs listed in `Unsupported` errors for audio. */
export const SUPPORTED_AUDIO =
  "legacy AAC (10), MP3 (2), Enhanced RTMP Opus, mp4a, .mp3";
/** VideoFrameType 5: command / info frame, carries no media. */
export const FRAME_TYPE_COMMAND = 5;

export function readSi24(body: Uint8Array, pos: number): number {
  const u = (body[pos]! << 16) | (body[pos + 1]! << 8) | body[pos + 2]!;
  return (u << 8) >> 8;
}

export function need(
  body: Uint8Array,
  pos: number,
  n: number,
  what: string,
): void {
  if (pos + n > body.length) {
    throw new BitstreamError(
      `Cannot read FLV ${what}: ${n} bytes needed, ${
        Math.max(0, body.length - pos)
      } remain`,
      { byteOffset: Math.min(pos, body.length) },
    );
  }
}

export function makeFrame(
  kind: TrackKind,
  codec: CodecId,
  trackId: number,
  dts: number,
  cts: number,
  keyframe: boolean,
  config: boolean,
  data: Uint8Array,
): MediaFrame {
  return {
    kind,
    codec,
    trackId,
    pts: dts + cts,
    dts,
    timescale: 1000,
    keyframe,
    config,
    data,
  };
}
