/**
 * Enhanced RTMP tag bodies (ExVideoTagHeader / ExAudioTagHeader) to frames,
 * including v2 multitrack and ModEx.
 *
 * Specification: Veovera "Enhanced RTMP" v1 (IsExHeader, PacketType,
 * FourCC) and v2 (Multitrack: OneTrack / ManyTracks / ManyTracksManyCodecs,
 * ModEx, audio ExHeader SoundFormat 9).
 *
 * Every field is checked against the bytes that remain; a multitrack body
 * yields at most one frame per track record, and each record consumes at
 * least four bytes, so work is bounded by the body length.
 *
 * @module
 */
import type { CodecId, MediaFrame, TrackKind } from "../frame.ts";
import { BitstreamError, StreamError } from "../stream_error.ts";
import {
  FRAME_TYPE_COMMAND,
  makeFrame,
  need,
  readSi24,
  SUPPORTED_AUDIO,
  SUPPORTED_VIDEO,
} from "./_flv_body_util.ts";

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
/** Enhanced RTMP packet types shared by video and audio. */
const SEQUENCE_START = 0;
const CODED_FRAMES = 1;
const CODED_FRAMES_X = 3;
const VIDEO_MULTITRACK = 6;
const AUDIO_MULTITRACK = 5;
const MOD_EX = 7;
const MULTITRACK_ONE = 0;
const MULTITRACK_MANY_CODECS = 2;

interface ExState {
  pos: number;
  packetType: number;
}

export function parseEnhancedBody(
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
