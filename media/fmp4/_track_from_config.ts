/**
 * Internal: turn a configuration frame into an {@linkcode Fmp4Track} with the
 * codec module's {@linkcode parseCodecConfig}, and fill in a picture size the
 * config record does not carry (VP9, AV1 without config OBUs) from the first
 * key frame.
 *
 * @module
 */
import {
  Av1ObuType,
  parseAv1SequenceHeader,
  parseCodecConfig,
  parseVp9FrameHeader,
  splitAv1Obus,
} from "../codec/mod.ts";
import type { MediaFrame } from "../frame.ts";
import { BitstreamError, StreamError } from "../stream_error.ts";
import type { Fmp4Track } from "./fmp4_track.ts";

/** Video track timescale: 90 kHz, the MPEG clock, exact for 23.976…60 fps. */
const VIDEO_TIMESCALE = 90_000;

/** Build the track description of `frame` (a config frame) under `id`. */
export function trackFromConfig(frame: MediaFrame, id: number): Fmp4Track {
  const info = parseCodecConfig(frame);
  const video = frame.kind === "video";
  const sampleRate = video ? 0 : info.sampleRate ?? 0;
  if (!video && sampleRate <= 0) {
    throw new StreamError(
      "InvalidInput",
      `Cannot configure an fMP4 ${frame.codec} track: its config gives no sample rate`,
    );
  }
  return {
    id,
    kind: video ? "video" : "audio",
    codec: frame.codec,
    sourceTrackId: frame.trackId,
    timescale: video ? VIDEO_TIMESCALE : sampleRate,
    codecString: info.codecString,
    width: info.width ?? 0,
    height: info.height ?? 0,
    sampleRate,
    channels: video ? 0 : info.channels ?? 0,
    config: frame.data,
  };
}

/**
 * The picture size of a key frame when its track's config has none (VP9's
 * vpcC never does), or null when it cannot be read.
 */
export function sizeFromKeyFrame(
  frame: MediaFrame,
): { width: number; height: number } | null {
  try {
    if (frame.codec === "vp9") {
      const header = parseVp9FrameHeader(frame.data);
      return header.keyFrame && header.width > 0
        ? { width: header.width, height: header.height }
        : null;
    }
    if (frame.codec === "av1") {
      const obu = splitAv1Obus(frame.data).find((o) =>
        o.type === Av1ObuType.SequenceHeader
      );
      if (obu === undefined) return null;
      const seq = parseAv1SequenceHeader(obu.payload);
      return { width: seq.width, height: seq.height };
    }
  } catch (error) {
    // A header the parsers reject leaves the size unknown; the frame itself is still muxed.
    if (!(error instanceof BitstreamError)) throw error;
  }
  return null;
}
