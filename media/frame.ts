/**
 * The frame model every layer shares: {@linkcode MediaFrame}, {@linkcode CodecId}
 * and {@linkcode TrackKind}.
 *
 * Data path: a protocol (RTMP ingest, a file reader) builds one `MediaFrame`
 * per access unit, pointing `data` at a view of the bytes it received (no
 * copy). The kernel hands the *same object* to every subscriber; nothing on the
 * fan-out path copies or mutates `data`. Each egress format serializes a frame
 * at most once and writes the same bytes to all of its viewers.
 *
 * Payload conventions (what `data` holds), per codec:
 *
 * | codec | config frame (`config: true`)          | media frame                                     |
 * |-------|----------------------------------------|-------------------------------------------------|
 * | h264  | AVCDecoderConfigurationRecord (avcC)    | AVCC: 4-byte big-endian length-prefixed NAL units |
 * | h265  | HEVCDecoderConfigurationRecord (hvcC)   | 4-byte length-prefixed NAL units                 |
 * | vvc   | VvcDecoderConfigurationRecord (vvcC)    | 4-byte length-prefixed NAL units                 |
 * | av1   | AV1CodecConfigurationRecord (av1C)      | low-overhead OBUs (with obu_size), no TD needed  |
 * | vp9   | VPCodecConfigurationRecord (vpcC)       | one VP9 frame (or superframe)                    |
 * | vp8   | (none)                                  | one VP8 frame (RTP/WebRTC; containers that cannot carry it skip it) |
 * | aac   | AudioSpecificConfig                     | raw AAC access unit (no ADTS header)             |
 * | opus  | OpusHead identification header          | one Opus packet                                  |
 * | mp3   | (none)                                  | one MPEG audio frame with its header             |
 * | pcmu / pcma | (none)                            | G.711 µ-law / A-law samples, 8 kHz (RTP/RTSP; containers that cannot carry them skip them) |
 * | amf0  | (none)                                  | AMF0 script data (e.g. onMetaData), kind "data"  |
 *
 * Timestamps are integers in `timescale` ticks per second (RTMP uses 1000,
 * MPEG-TS 90000). Consumers convert each absolute timestamp on its own
 * (`Math.round(pts * out / timescale)`), never by adding durations, so no
 * rounding error accumulates.
 *
 * @example Build a keyframe
 * ```ts
 * import { type MediaFrame } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const frame: MediaFrame = {
 *   kind: "video",
 *   codec: "h264",
 *   trackId: 0,
 *   pts: 40,
 *   dts: 40,
 *   timescale: 1000,
 *   keyframe: true,
 *   config: false,
 *   data: new Uint8Array([0, 0, 0, 1, 0x65]),
 * };
 * assert.equal(frame.pts / frame.timescale, 0.04);
 * ```
 *
 * @module
 */

/**
 * The codecs arcly-stream understands.
 *
 * @example
 * ```ts
 * import type { CodecId } from "@arcly/stream";
 * const codec: CodecId = "h264";
 * ```
 */
export type CodecId =
  | "h264"
  | "h265"
  | "vvc"
  | "av1"
  | "vp9"
  | "vp8"
  | "aac"
  | "opus"
  | "mp3"
  | "pcmu"
  | "pcma"
  | "amf0";

/**
 * The kind of track a frame belongs to.
 *
 * @example
 * ```ts
 * import type { TrackKind } from "@arcly/stream";
 * const kind: TrackKind = "audio";
 * ```
 */
export type TrackKind = "video" | "audio" | "data";

/**
 * One access unit (or one codec configuration record) of one track.
 *
 * Frames are immutable by contract: `data` is shared by reference between all
 * subscribers and must never be written to after publication.
 *
 * @example
 * ```ts
 * import type { MediaFrame } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const config: MediaFrame = {
 *   kind: "audio", codec: "aac", trackId: 0, pts: 0, dts: 0,
 *   timescale: 1000, keyframe: true, config: true,
 *   data: new Uint8Array([0x11, 0x90]),
 * };
 * assert.ok(config.config);
 * ```
 */
export interface MediaFrame {
  /** Video, audio or data (script) track. */
  readonly kind: TrackKind;
  /** The codec of `data`; see the module table for the payload format. */
  readonly codec: CodecId;
  /** Track number within its kind; 0 for the default track (Enhanced RTMP multitrack uses others). */
  readonly trackId: number;
  /** Presentation timestamp, integer ticks of `timescale`. */
  readonly pts: number;
  /** Decode timestamp, integer ticks of `timescale`; `pts - dts` is the composition offset. */
  readonly dts: number;
  /** Ticks per second of `pts` and `dts` (1000 for RTMP/FLV, 90000 for MPEG-TS). */
  readonly timescale: number;
  /** True for a random-access point (IDR/IRAP/key frame); always true for audio and config frames. */
  readonly keyframe: boolean;
  /** True when `data` is a decoder configuration record (sequence header), not media. */
  readonly config: boolean;
  /** The payload, in the format given by the module table. Shared, never copied; read-only. */
  readonly data: Uint8Array;
}
