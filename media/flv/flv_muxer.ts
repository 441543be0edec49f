/**
 * {@linkcode FlvMuxer} (the {@linkcode Muxer} for FLV) and the standalone tag
 * encoders {@linkcode encodeFlvTag}, {@linkcode frameToFlvTag},
 * {@linkcode flvTagByteLength} used by HTTP-FLV to build each tag once.
 *
 * Specification: Adobe Flash Video File Format v10.1, Annex E.2 (FLV header),
 * E.3 (body: PreviousTagSize), E.4.1 (FLVTAG).
 *
 * ```
 * file   = header(9) PreviousTagSize0(4)=0 { tag PreviousTagSize(4) }*
 * header = "FLV" version(1)=1 flags(1)=0b00000A0V dataOffset(4)=9
 * tag    = TagType(1) DataSize(3) Timestamp(3) TimestampExtended(1)
 *          StreamID(3)=0 body(DataSize)
 *          PreviousTagSize = 11 + DataSize
 * ```
 *
 * Timestamps are the frame's decode time in milliseconds: the low 24 bits in
 * `Timestamp`, bits 24–31 in `TimestampExtended` (32-bit wrap, as RTMP).
 *
 * Data path: `mux()` measures every tag, allocates the output once and writes
 * headers and payloads in place; memory is bounded by the batch.
 *
 * @module
 */
import type { MediaFrame } from "../frame.ts";
import type { Muxer } from "../muxer.ts";
import { StreamError } from "../stream_error.ts";
import { Amf0EcmaArray, type Amf0Object, encodeAmf0 } from "./amf0.ts";
import {
  flvBodyByteLength,
  flvTagTypeOf,
  flvTimestampOf,
  writeFlvBodyInto,
} from "./flv_body_writer.ts";

/** FLV tag header (11) plus the PreviousTagSize that follows the body (4). */
const TAG_OVERHEAD = 15;
/** DataSize is UI24 (Annex E.4.1). */
const MAX_TAG_BODY_BYTES = 0xffffff;
const FLV_HEADER_BYTES = 13;

/**
 * Bytes one FLV tag takes, PreviousTagSize included.
 *
 * @param bodyLength the tag body length
 * @returns `11 + bodyLength + 4`
 *
 * @example Tag length for a 100-byte body
 * ```ts
 * import { flvTagByteLength } from "@arcly/stream/flv";
 * import assert from "node:assert/strict";
 * assert.equal(flvTagByteLength(100), 115);
 * ```
 */
export function flvTagByteLength(bodyLength: number): number {
  return TAG_OVERHEAD + bodyLength;
}

/**
 * Encode one FLV tag (header, body, PreviousTagSize).
 *
 * @param tagType 8 audio, 9 video, 18 script data
 * @param timestamp milliseconds (wrapped to 32 bits)
 * @param body the tag body
 * @returns the tag bytes
 * @throws {StreamError} code `LimitExceeded` when the body exceeds 16 MiB - 1
 *
 * @example Script tag
 * ```ts
 * import { encodeFlvTag } from "@arcly/stream/flv";
 * import assert from "node:assert/strict";
 *
 * const tag = encodeFlvTag(18, 0x01020304, new Uint8Array([5]));
 * assert.equal(tag.length, 16);
 * assert.deepEqual([...tag.subarray(4, 8)], [0x02, 0x03, 0x04, 0x01]);
 * assert.equal(tag[15], 12); // PreviousTagSize = 11 + 1
 * ```
 */
export function encodeFlvTag(
  tagType: 8 | 9 | 18,
  timestamp: number,
  body: Uint8Array,
): Uint8Array {
  const out = new Uint8Array(flvTagByteLength(body.length));
  writeTagHeader(out, 0, tagType, timestamp, body.length);
  out.set(body, 11);
  writeUint32(out, 11 + body.length, 11 + body.length);
  return out;
}

/**
 * Encode one frame as a complete FLV tag in one allocation (what HTTP-FLV
 * caches per frame and writes to every viewer).
 *
 * @param frame the frame (timestamp from its dts)
 * @returns the tag bytes, PreviousTagSize included
 * @throws {StreamError} code `Unsupported` for codecs FLV cannot carry
 *
 * @example Encode an AAC sequence header tag
 * ```ts
 * import { frameToFlvTag } from "@arcly/stream/flv";
 * import assert from "node:assert/strict";
 *
 * const frame = { kind: "audio", codec: "aac", trackId: 0, pts: 0, dts: 0,
 *   timescale: 1000, keyframe: true, config: true, data: new Uint8Array([0x12, 0x10]) } as const;
 * const tag = frameToFlvTag(frame);
 * assert.equal(tag[0], 8);
 * assert.equal(tag.length, 11 + 4 + 4);
 * ```
 */
export function frameToFlvTag(frame: MediaFrame): Uint8Array {
  const out = new Uint8Array(flvTagByteLength(flvBodyByteLength(frame)));
  writeFrameTag(frame, out, 0);
  return out;
}

/**
 * Write one complete FLV tag of `frame` (header, body, PreviousTagSize) into
 * `dst` at `offset`: the same bytes as {@linkcode frameToFlvTag}, written
 * where the caller keeps them (a shared slab) instead of a buffer of their
 * own. Size it with `flvTagByteLength(flvBodyByteLength(frame))`.
 *
 * @param frame the frame
 * @param dst the destination
 * @param offset where the tag starts
 * @returns the offset just past the tag
 * @throws {StreamError} code `Unsupported` for codecs FLV cannot carry
 * @throws {RangeError} when `dst` is too small
 *
 * @example Size first, then write in place
 * ```ts
 * import { flvBodyByteLength, flvTagByteLength, frameToFlvTag, writeFlvTagInto } from "@arcly/stream/flv";
 * import assert from "node:assert/strict";
 *
 * const frame = { kind: "audio", codec: "aac", trackId: 0, pts: 5, dts: 5,
 *   timescale: 1000, keyframe: true, config: false, data: new Uint8Array([1, 2]) } as const;
 * const dst = new Uint8Array(2 + flvTagByteLength(flvBodyByteLength(frame)));
 * assert.equal(writeFlvTagInto(frame, dst, 2), dst.length);
 * assert.deepEqual(dst.subarray(2), frameToFlvTag(frame));
 * ```
 */
export function writeFlvTagInto(
  frame: MediaFrame,
  dst: Uint8Array,
  offset: number,
): number {
  const length = flvTagByteLength(flvBodyByteLength(frame));
  if (offset < 0 || offset + length > dst.length) {
    throw new RangeError(
      `Cannot write FLV tag: ${length} bytes needed at offset ${offset}, buffer holds ${dst.length}`,
    );
  }
  return writeFrameTag(frame, dst, offset);
}

/**
 * Options for {@linkcode FlvMuxer}.
 *
 * @example Announce the picture size in onMetaData
 * ```ts
 * import { decodeAmf0, FlvMuxer, readFlvFile } from "@arcly/stream/flv";
 * import assert from "node:assert/strict";
 *
 * const head = new FlvMuxer({ metadata: { width: 1280, height: 720 } }).initSegment();
 * const [meta] = readFlvFile(head).frames;
 * const [, array] = decodeAmf0(meta!.data) as [string, { properties: { width: number } }];
 * assert.equal(array.properties.width, 1280);
 * ```
 */
export interface FlvMuxerOptions {
  /** Extra `onMetaData` properties (width, height, framerate, …) for `initSegment()`. */
  metadata?: Amf0Object;
}

/**
 * The FLV {@linkcode Muxer}: `initSegment()` is the file header, `onMetaData`
 * and the sequence-header tags; `mux()` emits tags with PreviousTagSize.
 *
 * @example Header, then tags
 * ```ts
 * import { FlvMuxer, readFlvFile } from "@arcly/stream/flv";
 * import assert from "node:assert/strict";
 *
 * const muxer = new FlvMuxer();
 * muxer.configure({ kind: "audio", codec: "aac", trackId: 0, pts: 0, dts: 0,
 *   timescale: 1000, keyframe: true, config: true, data: new Uint8Array([0x12, 0x10]) });
 * const head = muxer.initSegment();
 * const body = muxer.mux([{ kind: "audio", codec: "aac", trackId: 0, pts: 23, dts: 23,
 *   timescale: 1000, keyframe: true, config: false, data: new Uint8Array([1, 2, 3]) }]);
 * const file = new Uint8Array([...head, ...body]);
 * const { frames } = readFlvFile(file);
 * assert.deepEqual(frames.map((f) => [f.kind, f.config, f.dts]),
 *   [["data", false, 0], ["audio", true, 0], ["audio", false, 23]]);
 * ```
 */
export class FlvMuxer implements Muxer {
  /** Always "flv". */
  readonly format: "flv" = "flv";
  /** Always "flv". */
  readonly extension: string = "flv";
  /** Always "video/x-flv". */
  readonly mimeType: string = "video/x-flv";
  #configs = new Map<string, MediaFrame>();
  #codecs = new Map<string, string>();
  #script: MediaFrame | undefined;
  #metadata: Amf0Object;

  /**
   * Create a muxer with no configuration yet.
   *
   * @param options extra onMetaData properties
   */
  constructor(options: FlvMuxerOptions = {}) {
    this.#metadata = options.metadata ?? {};
  }

  /**
   * Take a config frame (sequence header) or an `amf0` data frame (used as
   * the `onMetaData` script tag verbatim). A media frame only announces its
   * track (for the header flags), which codecs without a config (MP3) need.
   *
   * @param frame the frame
   */
  configure(frame: MediaFrame): void {
    if (frame.kind === "data") {
      this.#script = frame;
      return;
    }
    const key = `${frame.kind}:${frame.trackId}`;
    this.#codecs.set(key, frame.codec);
    if (frame.config) this.#configs.set(key, frame);
  }

  /**
   * The FLV header, `onMetaData` and one tag per configured sequence header,
   * all at timestamp 0.
   *
   * @returns the bytes that start a file or an HTTP-FLV response
   */
  initSegment(): Uint8Array {
    let flags = 0;
    for (const key of this.#codecs.keys()) {
      flags |= key.startsWith("video") ? 0x01 : 0x04;
    }
    const tags: MediaFrame[] = [this.#metadataFrame()];
    for (const frame of this.#configs.values()) {
      tags.push({ ...frame, pts: 0, dts: 0 });
    }
    const out = new Uint8Array(FLV_HEADER_BYTES + this.byteLengthOf(tags));
    writeFlvHeader(out, flags);
    this.writeInto(tags, out, FLV_HEADER_BYTES);
    return out;
  }

  /**
   * Bytes `mux(frames)` would return.
   *
   * @param frames the frames
   * @returns the total tag length
   */
  byteLengthOf(frames: readonly MediaFrame[]): number {
    let n = 0;
    for (const frame of frames) n += flvTagByteLength(flvBodyByteLength(frame));
    return n;
  }

  /**
   * Write the tags for `frames` into `dst`; config frames also update the
   * configuration.
   *
   * @param frames the frames, decode order
   * @param dst destination with {@linkcode FlvMuxer.byteLengthOf} bytes free
   * @param offset where to start
   * @returns the offset past the last tag
   */
  writeInto(
    frames: readonly MediaFrame[],
    dst: Uint8Array,
    offset: number,
  ): number {
    let pos = offset;
    for (const frame of frames) {
      if (frame.config) this.configure(frame);
      pos = writeFrameTag(frame, dst, pos);
    }
    return pos;
  }

  /**
   * Mux frames into FLV tags (one allocation).
   *
   * @param frames the frames, decode order
   * @returns the tags
   */
  mux(frames: readonly MediaFrame[]): Uint8Array {
    const out = new Uint8Array(this.byteLengthOf(frames));
    this.writeInto(frames, out, 0);
    return out;
  }

  #metadataFrame(): MediaFrame {
    const data = this.#script?.data ?? encodeAmf0([
      "onMetaData",
      new Amf0EcmaArray(this.#defaultMetadata()),
    ]);
    return {
      kind: "data",
      codec: "amf0",
      trackId: 0,
      pts: 0,
      dts: 0,
      timescale: 1000,
      keyframe: true,
      config: false,
      data,
    };
  }

  #defaultMetadata(): Amf0Object {
    const meta: Amf0Object = { duration: 0 };
    const video = this.#codecs.get("video:0");
    const audio = this.#codecs.get("audio:0");
    // Legacy ids where one exists, else the Enhanced RTMP FourCC as a number.
    const ids: Record<string, number> = { h264: 7, aac: 10, mp3: 2 };
    if (video !== undefined) {
      meta.videocodecid = ids[video] ?? fourCcNumber(video);
    }
    if (audio !== undefined) {
      meta.audiocodecid = ids[audio] ?? fourCcNumber(audio);
    }
    meta.encoder = "arcly-stream";
    return { ...meta, ...this.#metadata };
  }
}

function fourCcNumber(codec: string): number {
  const fourCc =
    ({ h265: "hvc1", av1: "av01", vp9: "vp09", opus: "Opus" } as Record<
      string,
      string
    >)[codec] ?? "\0\0\0\0";
  return ((fourCc.charCodeAt(0) << 24) | (fourCc.charCodeAt(1) << 16) |
    (fourCc.charCodeAt(2) << 8) | fourCc.charCodeAt(3)) >>> 0;
}

/**
 * Write the 13-byte FLV file header plus PreviousTagSize0.
 *
 * @param dst destination
 * @param flags 0x04 audio present, 0x01 video present
 */
function writeFlvHeader(dst: Uint8Array, flags: number): void {
  dst.set([0x46, 0x4c, 0x56, 1, flags, 0, 0, 0, 9, 0, 0, 0, 0], 0);
}

function writeFrameTag(
  frame: MediaFrame,
  dst: Uint8Array,
  pos: number,
): number {
  const bodyLength = flvBodyByteLength(frame);
  writeTagHeader(
    dst,
    pos,
    flvTagTypeOf(frame),
    flvTimestampOf(frame),
    bodyLength,
  );
  const end = writeFlvBodyInto(frame, dst, pos + 11);
  writeUint32(dst, end, 11 + bodyLength);
  return end + 4;
}

function writeTagHeader(
  dst: Uint8Array,
  pos: number,
  tagType: number,
  timestamp: number,
  bodyLength: number,
): void {
  if (bodyLength > MAX_TAG_BODY_BYTES) {
    throw new StreamError(
      "LimitExceeded",
      `Cannot write FLV tag: body of ${bodyLength} bytes exceeds the 24-bit DataSize`,
    );
  }
  const ts = timestamp >>> 0;
  dst[pos] = tagType;
  dst[pos + 1] = bodyLength >> 16;
  dst[pos + 2] = (bodyLength >> 8) & 0xff;
  dst[pos + 3] = bodyLength & 0xff;
  dst[pos + 4] = (ts >> 16) & 0xff;
  dst[pos + 5] = (ts >> 8) & 0xff;
  dst[pos + 6] = ts & 0xff;
  dst[pos + 7] = ts >>> 24;
  dst[pos + 8] = 0;
  dst[pos + 9] = 0;
  dst[pos + 10] = 0;
}

function writeUint32(dst: Uint8Array, pos: number, value: number): void {
  dst[pos] = value >>> 24;
  dst[pos + 1] = (value >> 16) & 0xff;
  dst[pos + 2] = (value >> 8) & 0xff;
  dst[pos + 3] = value & 0xff;
}
