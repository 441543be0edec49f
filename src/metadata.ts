/**
 * {@linkcode StreamMetadata}: what the kernel learned about a stream's tracks
 * from its configuration frames (codec, resolution, frame rate, sample rate,
 * channels), parsed with `parseCodecConfig` from `@arcly/stream/codec`
 * (avcC, hvcC, vvcC, av1C, vpcC, AudioSpecificConfig, OpusHead). Filled by
 * `StreamHandle.publishFrame` on config frames only, so it costs nothing per
 * media frame; a record that does not parse emits a `decodeError` event and
 * the frame is still forwarded.
 *
 * @module
 */
import type { CodecId, TrackKind } from "../media/frame.ts";

/**
 * What is known about one track. Fields other than `kind`, `trackId` and
 * `codec` appear once the configuration record was parsed.
 *
 * @example Describe a video track
 * ```ts
 * import type { TrackMetadata } from "@arcly/stream";
 * const video: TrackMetadata = { kind: "video", trackId: 0, codec: "h264", width: 1280, height: 720 };
 * ```
 */
export interface TrackMetadata {
  /** Video, audio or data. */
  readonly kind: TrackKind;
  /** Track number within its kind. */
  readonly trackId: number;
  /** Codec of the track. */
  readonly codec: CodecId;
  /** RFC 6381 codec string (e.g. "avc1.64001f"), when parsed. */
  readonly codecString?: string;
  /** Luma width in pixels. */
  readonly width?: number;
  /** Luma height in pixels. */
  readonly height?: number;
  /** Frames per second, when signalled. */
  readonly frameRate?: number;
  /** Audio sample rate in Hz. */
  readonly sampleRate?: number;
  /** Audio channel count. */
  readonly channels?: number;
  /** Luma bit depth (video). */
  readonly bitDepth?: number;
  /** Profile: profile_idc, general_profile_idc, seq_profile, VP9 profile or AAC object type. */
  readonly profile?: number;
  /** Level: level_idc, general_level_idc, seq_level_idx or VP9 level × 10. */
  readonly level?: number;
}

/**
 * Everything known about a stream's tracks.
 *
 * @example Read the main video track
 * ```ts
 * import type { StreamMetadata } from "@arcly/stream";
 * function resolution(meta: StreamMetadata): string {
 *   return meta.video ? `${meta.video.width}x${meta.video.height}` : "audio only";
 * }
 * ```
 */
export interface StreamMetadata {
  /** Video track 0, if any. */
  readonly video?: TrackMetadata;
  /** Audio track 0, if any. */
  readonly audio?: TrackMetadata;
  /** Every track, video first, by track id. */
  readonly tracks: readonly TrackMetadata[];
}
