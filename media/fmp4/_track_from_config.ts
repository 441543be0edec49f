/**
 * Internal: turn a configuration frame into an {@linkcode Fmp4Track}.
 *
 * TEMPORARY minimal parsing until `parseCodecConfig` lands in media/codec.
 *
 * @module
 */
import type { MediaFrame } from "../frame.ts";
import { BitstreamError } from "../stream_error.ts";
import type { Fmp4Track } from "./fmp4_track.ts";

/** Video track timescale: 90 kHz, the MPEG clock, exact for 23.976…60 fps. */
export const VIDEO_TIMESCALE = 90_000;
/** Opus always runs at 48 kHz in ISOBMFF (Opus-in-ISOBMFF §4.3). */
const OPUS_TIMESCALE = 48_000;

const AAC_RATES: readonly number[] = [
  96000,
  88200,
  64000,
  48000,
  44100,
  32000,
  24000,
  22050,
  16000,
  12000,
  11025,
  8000,
  7350,
];

function hex2(value: number): string {
  return value.toString(16).padStart(2, "0");
}

/** Build the track description of `frame` (a config frame) under `id`. */
export function trackFromConfig(frame: MediaFrame, id: number): Fmp4Track {
  const data = frame.data;
  const base = {
    id,
    codec: frame.codec,
    sourceTrackId: frame.trackId,
    config: data,
  };
  if (frame.codec === "aac") {
    if (data.length < 2) {
      throw new BitstreamError(
        "Cannot read AudioSpecificConfig: under 2 bytes",
        { byteOffset: 0 },
      );
    }
    const objectType = data[0]! >> 3;
    const rateIndex = ((data[0]! & 7) << 1) | (data[1]! >> 7);
    const channels = (data[1]! >> 3) & 15;
    const sampleRate = AAC_RATES[rateIndex] ?? 48000;
    return {
      ...base,
      kind: "audio",
      timescale: sampleRate,
      codecString: `mp4a.40.${objectType}`,
      width: 0,
      height: 0,
      sampleRate,
      channels,
    };
  }
  if (frame.codec === "opus") {
    return {
      ...base,
      kind: "audio",
      timescale: OPUS_TIMESCALE,
      codecString: "opus",
      width: 0,
      height: 0,
      sampleRate: OPUS_TIMESCALE,
      channels: data[9] ?? 2,
    };
  }
  if (frame.codec === "h264") {
    return {
      ...base,
      kind: "video",
      timescale: VIDEO_TIMESCALE,
      codecString: `avc1.${hex2(data[1] ?? 0)}${hex2(data[2] ?? 0)}${
        hex2(data[3] ?? 0)
      }`,
      width: 0,
      height: 0,
      sampleRate: 0,
      channels: 0,
    };
  }
  return {
    ...base,
    kind: "video",
    timescale: VIDEO_TIMESCALE,
    codecString: frame.codec,
    width: 0,
    height: 0,
    sampleRate: 0,
    channels: 0,
  };
}
