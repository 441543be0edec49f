/**
 * {@linkcode Fmp4Track}: what the fMP4 muxer knows about one track, built from
 * its configuration frame.
 *
 * @module
 */
import type { CodecId } from "../frame.ts";

/**
 * One track of an fMP4/CMAF presentation, as described in its `moov/trak`.
 *
 * Specification: ISO/IEC 14496-12 §8.3 (TrackBox), §8.4.2 (MediaHeaderBox
 * timescale).
 *
 * @example Read the tracks of a configured muxer
 * ```ts
 * import { Fmp4Muxer, type Fmp4Track } from "@arcly/stream/fmp4";
 * import assert from "node:assert/strict";
 *
 * const muxer = new Fmp4Muxer();
 * muxer.configure({
 *   kind: "audio", codec: "aac", trackId: 0, pts: 0, dts: 0, timescale: 1000,
 *   keyframe: true, config: true, data: new Uint8Array([0x11, 0x90]),
 * });
 * const [audio]: readonly Fmp4Track[] = muxer.tracks;
 * assert.equal(audio?.id, 2);
 * assert.equal(audio?.timescale, 48000);
 * assert.equal(audio?.codecString, "mp4a.40.2");
 * ```
 */
export interface Fmp4Track {
  /** `track_ID` in `tkhd`, `tfhd` and `trex` (video 1, audio 2, then 3, 4, …). */
  readonly id: number;
  /** Video or audio. */
  readonly kind: "video" | "audio";
  /** The codec of the samples. */
  readonly codec: CodecId;
  /** `MediaFrame.trackId` of the frames that feed this track. */
  readonly sourceTrackId: number;
  /** Ticks per second of `mdhd`, `tfdt` and sample durations (video 90000, audio its sample rate, Opus 48000). */
  readonly timescale: number;
  /** RFC 6381 `codecs` parameter for this track (e.g. "avc1.64001f", "mp4a.40.2"). */
  readonly codecString: string;
  /** Coded width in pixels (0 for audio). */
  readonly width: number;
  /** Coded height in pixels (0 for audio). */
  readonly height: number;
  /** Audio sample rate in Hz (0 for video). */
  readonly sampleRate: number;
  /** Audio channel count (0 for video). */
  readonly channels: number;
  /** The decoder configuration record of the config frame (avcC, hvcC, av1C, vpcC, AudioSpecificConfig, OpusHead). */
  readonly config: Uint8Array;
}
