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
import type { CodecId, MediaFrame, TrackKind } from "../frame.ts";
import { BitstreamError, StreamError } from "../stream_error.ts";

export * from "./flv_body_writer.ts";

/**
 * FLV tag types (Annex E.4.1 TagType): 8 audio, 9 video, 18 script data.
 *
 * @example
 * ```ts
 * import type { FlvTagType } from "@arcly/stream/flv";
 * const video: FlvTagType = 9;
 * ```
 */
export type FlvTagType = 8 | 9 | 18;

const VIDEO_FOURCC: Readonly<Record<string, CodecId>> = {
  avc1: "h264",
  hvc1: "h265",
  av01: "av1",
  vp09: "vp9",
};
const AUDIO_FOURCC: Readonly<Record<string, CodecId>> = {
  Opus: "opus",
  mp4a: "aac",
  ".mp3": "mp3",
};
const SUPPORTED_VIDEO =
  "legacy AVC (7), HEVC (12), Enhanced RTMP avc1, hvc1, av01, vp09";
const SUPPORTED_AUDIO =
  "legacy AAC (10), MP3 (2), Enhanced RTMP Opus, mp4a, .mp3";

/** Enhanced RTMP packet types shared by video and audio. */
const SEQUENCE_START = 0;
const CODED_FRAMES = 1;
const CODED_FRAMES_X = 3;
const VIDEO_MULTITRACK = 6;
const AUDIO_MULTITRACK = 5;
const MOD_EX = 7;
const MULTITRACK_ONE = 0;
const MULTITRACK_MANY_CODECS = 2;
/** VideoFrameType 5: command / info frame, carries no media. */
const FRAME_TYPE_COMMAND = 5;

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
  if ((b0 & 0x80) !== 0) return parseEnhanced(body, timestampMs, "video");
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
  if (soundFormat === 9) return parseEnhanced(body, timestampMs, "audio");
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

interface ExState {
  pos: number;
  packetType: number;
}

function parseEnhanced(
  body: Uint8Array,
  timestampMs: number,
  kind: TrackKind,
): MediaFrame[] {
  const video = kind === "video";
  const frameType = video ? (body[0]! >> 4) & 0x07 : 1;
  const state: ExState = { pos: 1, packetType: body[0]! & 0x0f };
  skipModEx(body, state);
  let multitrackType = -1;
  let fourCc = "";
  if (video && state.packetType !== 4 && frameType === FRAME_TYPE_COMMAND) {
    return []; // VideoCommand (seek start/end): no media
  }
  if (state.packetType === (video ? VIDEO_MULTITRACK : AUDIO_MULTITRACK)) {
    need(body, state.pos, 1, "multitrack type");
    multitrackType = body[state.pos]! >> 4;
    state.packetType = body[state.pos++]! & 0x0f;
    if (multitrackType > MULTITRACK_MANY_CODECS) {
      throw new BitstreamError(
        `Cannot map Enhanced RTMP multitrack: type ${multitrackType} is undefined`,
        { byteOffset: state.pos - 1 },
      );
    }
  }
  if (multitrackType !== MULTITRACK_MANY_CODECS) {
    fourCc = readFourCc(body, state.pos);
    state.pos += 4;
  }
  const frames: MediaFrame[] = [];
  do {
    if (multitrackType === MULTITRACK_MANY_CODECS) {
      fourCc = readFourCc(body, state.pos);
      state.pos += 4;
    }
    let trackId = 0;
    let end = body.length;
    if (multitrackType >= 0) {
      need(body, state.pos, 1, "track id");
      trackId = body[state.pos++]!;
      if (multitrackType !== MULTITRACK_ONE) {
        need(body, state.pos, 3, "track size");
        const size = (body[state.pos]! << 16) | (body[state.pos + 1]! << 8) |
          body[state.pos + 2]!;
        state.pos += 3;
        need(body, state.pos, size, "track data");
        end = state.pos + size;
      }
    }
    const frame = exTrackFrame(body, state, end, {
      kind,
      fourCc,
      trackId,
      timestampMs,
      keyframe: frameType === 1,
    });
    if (frame !== undefined) frames.push(frame);
    state.pos = end;
  } while (multitrackType > MULTITRACK_ONE && state.pos < body.length);
  return frames;
}

interface ExTrack {
  kind: TrackKind;
  fourCc: string;
  trackId: number;
  timestampMs: number;
  keyframe: boolean;
}

function exTrackFrame(
  body: Uint8Array,
  state: ExState,
  end: number,
  track: ExTrack,
): MediaFrame | undefined {
  const video = track.kind === "video";
  const codec = (video ? VIDEO_FOURCC : AUDIO_FOURCC)[track.fourCc];
  if (codec === undefined) {
    throw new StreamError(
      "Unsupported",
      `Cannot map Enhanced RTMP ${track.kind}: FourCC "${track.fourCc}" is not supported (supported: ${
        video ? SUPPORTED_VIDEO : SUPPORTED_AUDIO
      })`,
    );
  }
  let pos = state.pos;
  let cts = 0;
  const type = state.packetType;
  if (type === SEQUENCE_START) {
    if (codec === "mp3") return undefined;
    return makeFrame(
      track.kind,
      codec,
      track.trackId,
      track.timestampMs,
      0,
      true,
      true,
      body.subarray(pos, end),
    );
  }
  if (
    type === CODED_FRAMES && (codec === "h264" || codec === "h265") && video
  ) {
    need(body, pos, 3, "composition time");
    cts = readSi24(body, pos);
    pos += 3;
  } else if (type !== CODED_FRAMES && !(video && type === CODED_FRAMES_X)) {
    return undefined; // SequenceEnd, Metadata, MPEG2TSSequenceStart, MultichannelConfig
  }
  if (pos > end) {
    throw new BitstreamError(
      "Cannot map Enhanced RTMP track: composition time runs past the track data",
      { byteOffset: end },
    );
  }
  if (pos === end) return undefined;
  return makeFrame(
    track.kind,
    codec,
    track.trackId,
    track.timestampMs,
    cts,
    video ? track.keyframe : true,
    false,
    body.subarray(pos, end),
  );
}

function skipModEx(body: Uint8Array, state: ExState): void {
  // Enhanced RTMP v2 ModEx: size-prefixed extension data, then a new
  // (modExType, packetType) byte; may repeat. Nanosecond offsets are dropped
  // (frames are in milliseconds).
  while (state.packetType === MOD_EX) {
    need(body, state.pos, 1, "ModEx size");
    let size = body[state.pos++]! + 1;
    if (size === 256) {
      need(body, state.pos, 2, "ModEx size");
      size = ((body[state.pos]! << 8) | body[state.pos + 1]!) + 1;
      state.pos += 2;
    }
    need(body, state.pos, size + 1, "ModEx data");
    state.pos += size;
    state.packetType = body[state.pos++]! & 0x0f;
  }
}

function readFourCc(body: Uint8Array, pos: number): string {
  need(body, pos, 4, "FourCC");
  return String.fromCharCode(
    body[pos]!,
    body[pos + 1]!,
    body[pos + 2]!,
    body[pos + 3]!,
  );
}

function readSi24(body: Uint8Array, pos: number): number {
  const u = (body[pos]! << 16) | (body[pos + 1]! << 8) | body[pos + 2]!;
  return (u << 8) >> 8;
}

function need(body: Uint8Array, pos: number, n: number, what: string): void {
  if (pos + n > body.length) {
    throw new BitstreamError(
      `Cannot read FLV ${what}: ${n} bytes needed, ${
        Math.max(0, body.length - pos)
      } remain`,
      { byteOffset: Math.min(pos, body.length) },
    );
  }
}

function makeFrame(
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
