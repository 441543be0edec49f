/**
 * {@linkcode MediaFrame}s to FLV tag bodies: {@linkcode frameToFlvBody},
 * {@linkcode flvBodyByteLength}, {@linkcode writeFlvBodyInto},
 * {@linkcode flvTagTypeOf}, {@linkcode flvTimestampOf}.
 *
 * Specification: Adobe Flash Video File Format v10.1, Annex E.4.2–E.4.3;
 * Veovera "Enhanced RTMP" v1 (ExVideoTagHeader, ExAudioTagHeader) and v2
 * (multitrack, `OneTrack` form for `trackId != 0`).
 *
 * Header chosen per frame:
 *
 * | codec           | header                                             | bytes |
 * |-----------------|----------------------------------------------------|-------|
 * | h264            | legacy: FrameType/CodecID 7, AVCPacketType, SI24   | 5     |
 * | h265            | Enhanced `hvc1`: CodedFrames + SI24, or CodedFramesX | 5/8 |
 * | av1, vp9        | Enhanced `av01`/`vp09`: SequenceStart/CodedFrames  | 5     |
 * | aac             | legacy: 0xAF, AACPacketType                        | 2     |
 * | mp3             | legacy: 0x2F                                       | 1     |
 * | opus            | Enhanced audio `Opus`                              | 5     |
 * | amf0            | none (script data body)                            | 0     |
 *
 * A frame with `trackId != 0` uses the Enhanced RTMP v2 multitrack `OneTrack`
 * header (two more bytes: multitrack type and track id) for every codec.
 *
 * Data path: size first ({@linkcode flvBodyByteLength}), then one write of the
 * header and one `set()` of the payload into the caller's buffer.
 *
 * @module
 */
import type { MediaFrame } from "../frame.ts";
import { StreamError } from "../stream_error.ts";
import { toMilliseconds } from "./_milliseconds.ts";

const FOURCC: Readonly<Record<string, readonly number[]>> = {
  h264: [0x61, 0x76, 0x63, 0x31], // avc1
  h265: [0x68, 0x76, 0x63, 0x31], // hvc1
  av1: [0x61, 0x76, 0x30, 0x31], // av01
  vp9: [0x76, 0x70, 0x30, 0x39], // vp09
  opus: [0x4f, 0x70, 0x75, 0x73], // Opus
  aac: [0x6d, 0x70, 0x34, 0x61], // mp4a
  mp3: [0x2e, 0x6d, 0x70, 0x33], // .mp3
};

/**
 * The FLV tag type a frame is written as: 9 video, 8 audio, 18 script data.
 *
 * @param frame the frame
 * @returns the tag type
 *
 * @example Audio frames become audio tags
 * ```ts
 * import { flvTagTypeOf } from "@arcly/stream/flv";
 * import assert from "node:assert/strict";
 *
 * const frame = { kind: "audio", codec: "aac", trackId: 0, pts: 0, dts: 0,
 *   timescale: 1000, keyframe: true, config: false, data: new Uint8Array(1) } as const;
 * assert.equal(flvTagTypeOf(frame), 8);
 * ```
 */
export function flvTagTypeOf(frame: MediaFrame): 8 | 9 | 18 {
  return frame.kind === "video" ? 9 : frame.kind === "audio" ? 8 : 18;
}

/**
 * A frame's FLV tag timestamp: its decode time in whole milliseconds, converted
 * from the frame's own timescale (no accumulation).
 *
 * @param frame the frame
 * @returns `round(dts * 1000 / timescale)`
 *
 * @example 90 kHz to milliseconds
 * ```ts
 * import { flvTimestampOf } from "@arcly/stream/flv";
 * import assert from "node:assert/strict";
 *
 * const frame = { kind: "video", codec: "h264", trackId: 0, pts: 9000, dts: 9000,
 *   timescale: 90000, keyframe: true, config: false, data: new Uint8Array(1) } as const;
 * assert.equal(flvTimestampOf(frame), 100);
 * ```
 */
export function flvTimestampOf(frame: MediaFrame): number {
  return toMilliseconds(frame.dts, frame.timescale);
}

/**
 * Byte length of the FLV tag body for `frame` (header + payload).
 *
 * @param frame the frame
 * @returns the body length
 * @throws {StreamError} code `Unsupported` for codecs FLV cannot carry (vvc, mp3 config)
 *
 * @example Size of an H.264 body
 * ```ts
 * import { flvBodyByteLength } from "@arcly/stream/flv";
 * import assert from "node:assert/strict";
 *
 * const frame = { kind: "video", codec: "h264", trackId: 0, pts: 0, dts: 0,
 *   timescale: 1000, keyframe: true, config: false, data: new Uint8Array(10) } as const;
 * assert.equal(flvBodyByteLength(frame), 15);
 * ```
 */
export function flvBodyByteLength(frame: MediaFrame): number {
  return headerLength(frame) + frame.data.length;
}

/**
 * Build the FLV tag body for `frame` (one allocation).
 *
 * @param frame the frame
 * @returns the tag body
 * @throws {StreamError} code `Unsupported` for codecs FLV cannot carry
 *
 * @example Round-trip an H.264 frame
 * ```ts
 * import { frameToFlvBody, parseFlvVideoBody } from "@arcly/stream/flv";
 * import assert from "node:assert/strict";
 *
 * const frame = { kind: "video", codec: "h264", trackId: 0, pts: 80, dts: 40,
 *   timescale: 1000, keyframe: false, config: false,
 *   data: new Uint8Array([0, 0, 0, 1, 0x41]) } as const;
 * const [back] = parseFlvVideoBody(frameToFlvBody(frame), 40);
 * assert.equal(back?.pts, 80);
 * assert.deepEqual(back?.data, frame.data);
 * ```
 */
export function frameToFlvBody(frame: MediaFrame): Uint8Array {
  const out = new Uint8Array(flvBodyByteLength(frame));
  writeFlvBodyInto(frame, out, 0);
  return out;
}

/**
 * Write the FLV tag body for `frame` into `dst` at `offset`.
 *
 * @param frame the frame
 * @param dst the destination, with at least {@linkcode flvBodyByteLength} bytes free
 * @param offset where to start writing
 * @returns the offset just past the body
 * @throws {RangeError} when `dst` is too small
 *
 * @example Size first, then write
 * ```ts
 * import { flvBodyByteLength, writeFlvBodyInto } from "@arcly/stream/flv";
 * import assert from "node:assert/strict";
 *
 * const frame = { kind: "audio", codec: "aac", trackId: 0, pts: 0, dts: 0,
 *   timescale: 1000, keyframe: true, config: false, data: new Uint8Array([1, 2]) } as const;
 * const dst = new Uint8Array(flvBodyByteLength(frame));
 * assert.equal(writeFlvBodyInto(frame, dst, 0), 4);
 * assert.deepEqual(dst, new Uint8Array([0xaf, 0x01, 1, 2]));
 * ```
 */
export function writeFlvBodyInto(
  frame: MediaFrame,
  dst: Uint8Array,
  offset: number,
): number {
  const length = flvBodyByteLength(frame);
  if (offset + length > dst.length) {
    throw new RangeError(
      `Cannot write FLV body: ${length} bytes needed at offset ${offset}, buffer holds ${dst.length}`,
    );
  }
  let pos = offset;
  const { codec } = frame;
  if (frame.kind === "data") {
    // script data: the body is the AMF0 payload itself
  } else if (frame.trackId === 0 && codec === "h264") {
    const cts = compositionMs(frame);
    dst[pos] = ((frame.keyframe || frame.config) ? 0x10 : 0x20) | 7;
    dst[pos + 1] = frame.config ? 0 : 1;
    dst[pos + 2] = (cts >> 16) & 0xff;
    dst[pos + 3] = (cts >> 8) & 0xff;
    dst[pos + 4] = cts & 0xff;
    pos += 5;
  } else if (frame.trackId === 0 && codec === "aac") {
    dst[pos] = 0xaf;
    dst[pos + 1] = frame.config ? 0 : 1;
    pos += 2;
  } else if (frame.trackId === 0 && codec === "mp3") {
    dst[pos++] = 0x2f;
  } else {
    pos = writeEnhancedHeader(frame, dst, pos);
  }
  dst.set(frame.data, pos);
  return pos + frame.data.length;
}

function writeEnhancedHeader(
  frame: MediaFrame,
  dst: Uint8Array,
  pos: number,
): number {
  const video = frame.kind === "video";
  const packetType = enhancedPacketType(frame);
  const multitrack = frame.trackId !== 0;
  const first = multitrack ? (video ? 6 : 5) : packetType;
  dst[pos++] = video
    ? 0x80 | ((frame.keyframe || frame.config) ? 0x10 : 0x20) | first
    : 0x90 | first;
  if (multitrack) dst[pos++] = packetType; // AvMultitrackType OneTrack (0)
  const fourCc = FOURCC[frame.codec]!;
  dst[pos] = fourCc[0]!;
  dst[pos + 1] = fourCc[1]!;
  dst[pos + 2] = fourCc[2]!;
  dst[pos + 3] = fourCc[3]!;
  pos += 4;
  if (multitrack) dst[pos++] = frame.trackId;
  if (video && packetType === 1 && hasCompositionTime(frame)) {
    const cts = compositionMs(frame);
    dst[pos] = (cts >> 16) & 0xff;
    dst[pos + 1] = (cts >> 8) & 0xff;
    dst[pos + 2] = cts & 0xff;
    pos += 3;
  }
  return pos;
}

function hasCompositionTime(frame: MediaFrame): boolean {
  return frame.codec === "h264" || frame.codec === "h265";
}

function enhancedPacketType(frame: MediaFrame): number {
  if (frame.config) return 0; // SequenceStart
  if (frame.kind === "video" && hasCompositionTime(frame)) {
    return compositionMs(frame) === 0 ? 3 : 1; // CodedFramesX saves the SI24
  }
  return 1; // CodedFrames
}

function headerLength(frame: MediaFrame): number {
  const { codec, kind } = frame;
  if (kind === "data") return 0;
  if (FOURCC[codec] === undefined || (codec === "mp3" && frame.config)) {
    throw new StreamError(
      "Unsupported",
      `Cannot write FLV ${kind}: codec ${codec}${
        frame.config ? " config" : ""
      } is not supported (supported: h264, h265, av1, vp9, aac, mp3, opus, amf0)`,
    );
  }
  if (frame.trackId === 0) {
    if (codec === "h264") return 5;
    if (codec === "aac") return 2;
    if (codec === "mp3") return 1;
  }
  const multitrack = frame.trackId !== 0 ? 2 : 0;
  const cts = kind === "video" && enhancedPacketType(frame) === 1 &&
      hasCompositionTime(frame)
    ? 3
    : 0;
  return 5 + multitrack + cts;
}

function compositionMs(frame: MediaFrame): number {
  return toMilliseconds(frame.pts, frame.timescale) -
    toMilliseconds(frame.dts, frame.timescale);
}
