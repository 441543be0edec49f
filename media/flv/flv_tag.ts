/**
 * FLV tag bodies to {@linkcode MediaFrame}s: {@linkcode flvBodyToFrames},
 * {@linkcode parseFlvVideoBody}, {@linkcode parseFlvAudioBody}. The reverse
 * direction lives in `flv_body_writer.ts` and is re-exported here.
 *
 * Specification: Adobe Flash Video File Format v10.1, Annex E.4.2–E.4.3
 * (AUDIODATA, VIDEODATA, AVCVIDEOPACKET); Veovera "Enhanced RTMP" v1 and v2
 * (ExVideoTagHeader, ExAudioTagHeader, multitrack, ModEx).
 *
 * Data path: an RTMP message body or an FLV tag body goes in; the frames that
 * come out point `data` at `subarray` views of that body (nothing is copied).
 * Work is bounded by the body length: every field is checked against the bytes
 * that remain, and a multitrack body yields at most one frame per track
 * record, each record consuming at least one byte.
 *
 * | header              | codecs                                              |
 * |---------------------|-----------------------------------------------------|
 * | legacy video        | CodecID 7 (AVC → h264), 12 (HEVC → h265, CN ext.)   |
 * | Enhanced video      | FourCC `avc1`, `hvc1`, `av01`, `vp09`               |
 * | legacy audio        | SoundFormat 10 (AAC), 2 (MP3)                       |
 * | Enhanced audio      | FourCC `Opus`, `mp4a`, `.mp3`                       |
 *
 * Composition time (SI24) is present only in CodedFrames of `avc1`/`hvc1` (and
 * in legacy AVC/HEVC packets); `pts = dts + compositionTime`.
 *
 * @module
 */
import type { CodecId, MediaFrame } from "../frame.ts";
import { StreamError } from "../stream_error.ts";
import {
  FRAME_TYPE_COMMAND,
  makeFrame,
  need,
  readSi24,
  SUPPORTED_AUDIO,
  SUPPORTED_VIDEO,
} from "./_flv_body_util.ts";
import { parseEnhancedBody } from "./_flv_enhanced.ts";

export * from "./flv_body_writer.ts";

/**
 * FLV tag types (Annex E.4.1 TagType): 8 audio, 9 video, 18 script data.
 *
 * @example Video tag type
 * ```ts
 * import type { FlvTagType } from "@arcly/stream/flv";
 * const video: FlvTagType = 9;
 * ```
 */
export type FlvTagType = 8 | 9 | 18;

/**
 * Map one FLV tag body to frames. Script data (18) becomes one `amf0` data
 * frame holding the body.
 *
 * @param tagType 8 audio, 9 video, 18 script data
 * @param body the tag body (RTMP message payload)
 * @param timestampMs the tag timestamp (decode time, milliseconds)
 * @returns zero or more frames with `timescale: 1000`, viewing `body`
 * @throws {BitstreamError} on a truncated or malformed header
 * @throws {StreamError} code `Unsupported` for codecs outside the module table
 *
 * @example Map an AAC sequence header
 * ```ts
 * import { flvBodyToFrames } from "@arcly/stream/flv";
 * import assert from "node:assert/strict";
 *
 * const [frame] = flvBodyToFrames(8, new Uint8Array([0xaf, 0x00, 0x12, 0x10]), 0);
 * assert.equal(frame?.codec, "aac");
 * assert.equal(frame?.config, true);
 * assert.deepEqual(frame?.data, new Uint8Array([0x12, 0x10]));
 * ```
 */
export function flvBodyToFrames(
  tagType: number,
  body: Uint8Array,
  timestampMs: number,
): MediaFrame[] {
  if (tagType === 9) return parseFlvVideoBody(body, timestampMs);
  if (tagType === 8) return parseFlvAudioBody(body, timestampMs);
  if (tagType === 18) {
    return [
      makeFrame("data", "amf0", 0, timestampMs, 0, true, false, body),
    ];
  }
  throw new StreamError(
    "Unsupported",
    `Cannot map FLV tag: type ${tagType} is not audio (8), video (9) or script data (18)`,
  );
}

/**
 * Map a VIDEODATA body (legacy or Enhanced RTMP) to frames.
 *
 * @param body the video tag body
 * @param timestampMs the tag timestamp (decode time, milliseconds)
 * @returns config frames for sequence headers, media frames for coded frames,
 *   nothing for end-of-sequence, command and metadata packets
 * @throws {BitstreamError} on a truncated or malformed header
 * @throws {StreamError} code `Unsupported` for other codecs
 *
 * @example Enhanced RTMP HEVC coded frame with composition time
 * ```ts
 * import { parseFlvVideoBody } from "@arcly/stream/flv";
 * import assert from "node:assert/strict";
 *
 * // IsExHeader | key frame | CodedFrames, "hvc1", cts = 40, one data byte
 * const body = new Uint8Array([0x91, 0x68, 0x76, 0x63, 0x31, 0, 0, 40, 0xaa]);
 * const [frame] = parseFlvVideoBody(body, 1000);
 * assert.equal(frame?.codec, "h265");
 * assert.equal(frame?.pts, 1040);
 * assert.equal(frame?.dts, 1000);
 * assert.equal(frame?.keyframe, true);
 * ```
 */
export function parseFlvVideoBody(
  body: Uint8Array,
  timestampMs: number,
): MediaFrame[] {
  need(body, 0, 1, "video tag header");
  const b0 = body[0]!;
  if ((b0 & 0x80) !== 0) return parseEnhancedBody(body, timestampMs, "video");
  const frameType = b0 >> 4;
  const codecId = b0 & 0x0f;
  if (frameType === FRAME_TYPE_COMMAND) return [];
  if (codecId !== 7 && codecId !== 12) {
    throw new StreamError(
      "Unsupported",
      `Cannot map FLV video: codec id ${codecId} is not supported (supported: ${SUPPORTED_VIDEO})`,
    );
  }
  need(body, 1, 4, "AVC packet header");
  const packetType = body[1]!;
  const cts = readSi24(body, 2);
  const data = body.subarray(5);
  const codec: CodecId = codecId === 7 ? "h264" : "h265";
  if (packetType === 0) {
    return [makeFrame("video", codec, 0, timestampMs, 0, true, true, data)];
  }
  if (packetType !== 1 || data.length === 0) return [];
  return [
    makeFrame(
      "video",
      codec,
      0,
      timestampMs,
      cts,
      frameType === 1,
      false,
      data,
    ),
  ];
}

/**
 * Map an AUDIODATA body (legacy or Enhanced RTMP) to frames.
 *
 * @param body the audio tag body
 * @param timestampMs the tag timestamp (milliseconds)
 * @returns config frames for sequence headers, media frames otherwise
 * @throws {BitstreamError} on a truncated header
 * @throws {StreamError} code `Unsupported` for other sound formats
 *
 * @example Legacy MP3
 * ```ts
 * import { parseFlvAudioBody } from "@arcly/stream/flv";
 * import assert from "node:assert/strict";
 *
 * const [frame] = parseFlvAudioBody(new Uint8Array([0x2f, 0xff, 0xfb]), 26);
 * assert.equal(frame?.codec, "mp3");
 * assert.equal(frame?.data.length, 2);
 * ```
 */
export function parseFlvAudioBody(
  body: Uint8Array,
  timestampMs: number,
): MediaFrame[] {
  need(body, 0, 1, "audio tag header");
  const soundFormat = body[0]! >> 4;
  if (soundFormat === 9) return parseEnhancedBody(body, timestampMs, "audio");
  if (soundFormat === 2) {
    const data = body.subarray(1);
    if (data.length === 0) return [];
    return [makeFrame("audio", "mp3", 0, timestampMs, 0, true, false, data)];
  }
  if (soundFormat !== 10) {
    throw new StreamError(
      "Unsupported",
      `Cannot map FLV audio: sound format ${soundFormat} is not supported (supported: ${SUPPORTED_AUDIO})`,
    );
  }
  need(body, 1, 1, "AAC packet type");
  const data = body.subarray(2);
  const config = body[1] === 0;
  if (!config && data.length === 0) return [];
  return [makeFrame("audio", "aac", 0, timestampMs, 0, true, config, data)];
}
